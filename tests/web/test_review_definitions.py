"""The review card explains a proposed link so that a reviewer can check it: beside the project's own
text, with the matched words and the sentence closest to the goal marked in it, stands the goal's
definition from the mission file (what counts, what does not, hard negatives), in the user's language
(issue 17, item 5)."""

from __future__ import annotations

import html
import re

import pytest
from markupsafe import Markup
from sqlalchemy import select
from web_support import Web

from missionboard.domain.mapping import GoalDefinition, HardNegative
from missionboard.services import missions as mission_service
from missionboard.store.tables import LinkRow, ProjectRow
from missionboard.web.highlight import mark_evidence
from missionboard.web.i18n import LANGUAGE_COOKIE

LITTER = GoalDefinition(
    counts=["Removing litter from beaches and the shore", "Stopping plastic from reaching the sea"],
    does_not_count=["Recycling fishing gear (the recycling objective)"],
    hard_negatives=[
        HardNegative(text="Deposit scheme for used fishing nets.", belongs_to="Recycle fishing gear"),
    ],
)
ABSTRACT = "Volunteers walk the shore every week. They collect plastic litter on the beach. Data is open."
CLOSEST = "They collect plastic litter on the beach."


@pytest.fixture
def defined(web: Web) -> int:
    """The ocean mission's litter objective with a definition, and a proposed link to it whose evidence
    names the matched word and the sentence closest to the goal; returns the link's id."""
    current = mission_service.get_mission(web.workspace, "ocean").mission
    litter, *others = current.objectives
    mission = current.model_copy(
        update={"objectives": [litter.model_copy(update={"definition": LITTER}), *others]}
    )
    mission_service.save_mission(web.workspace, mission, user="owner", origin="test")
    with web.workspace.transaction() as session:
        link = session.scalars(
            select(LinkRow).where(LinkRow.status == "proposed", LinkRow.goal == "litter").limit(1)
        ).one()
        project = session.get(ProjectRow, link.project_id)
        assert project is not None
        project.abstract = ABSTRACT
        link.evidence = {
            "query_terms": ["beach"],
            "target": {"code": "litter", "title": "Halve beach litter", "similarity": 0.41},
            "closest_sentence": {"text": CLOSEST, "target": "litter", "similarity": 0.41},
        }
        return link.id


def _card(page: str, link_id: int) -> str:
    """The queue item of one link: from its ``<li>`` to the next item (or the end of the queue)."""
    items = page.split('<li class="queue-item"')[1:]
    [card] = [item.split("</ol>")[0] for item in items if f'id="link-{link_id}"' in item.split(">")[0]]
    return card


def test_the_card_shows_what_counts_what_does_not_and_the_hard_negatives(web: Web, defined: int) -> None:
    web.login("reviewer")
    card = _card(web.client.get("/review?mission=ocean&goal=litter").text, defined)
    assert "What counts" in card and "What does not count" in card
    assert "<li>Removing litter from beaches and the shore</li>" in card
    assert "<li>Recycling fishing gear (the recycling objective)</li>" in card
    assert "Hard negatives: look related, but are not about this goal" in card
    assert "“Deposit scheme for used fishing nets.”" in card
    assert "(belongs to Recycle fishing gear)" in card


def test_a_goal_without_a_definition_shows_no_empty_lists(web: Web, defined: int) -> None:
    web.login("reviewer")
    page = web.client.get("/review?mission=ocean&goal=recycling").text
    assert "queue-item" in page  # the recycling links are there …
    assert "What counts" not in page and "goal-scope" not in page  # … without a definition


def test_the_definition_speaks_norwegian_to_a_norwegian_reviewer(web: Web, defined: int) -> None:
    web.login("reviewer")
    web.client.cookies.set(LANGUAGE_COOKIE, "nb")
    card = _card(web.client.get("/review?mission=ocean&goal=litter").text, defined)
    assert "Dette teller" in card and "Dette teller ikke" in card
    assert "Vanskelige negative eksempler: ser beslektet ut, men handler ikke om dette målet" in card
    assert "(hører til Recycle fishing gear)" in card  # the mission's own words stay as written
    assert "What counts" not in card and "Hard negatives" not in card
    assert "Setningen nærmest målet:" in card


def test_the_closest_sentence_is_marked_in_the_projects_text_with_the_matched_word_inside(
    web: Web, defined: int
) -> None:
    web.login("reviewer")
    card = _card(web.client.get("/review?mission=ocean&goal=litter").text, defined)
    abstract = re.search(r'<p class="abstract">(.*?)</p>', card, re.S)
    assert abstract is not None
    assert abstract.group(1) == (
        'Volunteers walk the shore every week. <mark class="closest-sentence">They collect plastic litter '
        "on the <mark>beach</mark>.</mark> Data is open."
    )
    assert f"Closest sentence to the goal: “{CLOSEST}”" in html.unescape(card)
    assert "(closest to" not in card  # a mission's goal is its own target: nothing more to name


def test_a_query_link_marks_the_sentence_with_the_most_matched_words(web: Web) -> None:
    web.login("reviewer")
    page = web.client.get("/review?mission=ocean&goal=litter").text
    # the seed's evidence is {"matched": ["beach"]} and the title "Beach cleanup project N" its sentence
    assert re.search(r'<mark class="closest-sentence"><mark>Beach</mark> cleanup project \d+</mark>', page)
    assert "Sentence with the most matched words:" in page


def test_mark_evidence_escapes_the_text_and_marks_only_what_the_evidence_names() -> None:
    evidence = {"query_terms": ["fishing gear"]}
    marked = mark_evidence("Old <b>fishing\n gear</b>. Nets & ropes.", evidence, "Nets & ropes.")
    assert isinstance(marked, Markup)
    assert str(marked) == (
        'Old &lt;b&gt;<mark>fishing\n gear</mark>&lt;/b&gt;. <mark class="closest-sentence">Nets &amp; ropes.</mark>'
    )
    assert str(mark_evidence("No evidence here.", {}, None)) == "No evidence here."
    assert str(mark_evidence("A sentence.", {}, "Not in the text.")) == "A sentence."
