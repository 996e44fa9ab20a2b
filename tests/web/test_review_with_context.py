"""The review queue teaches and scales: the project's own text with the evidence marked in it beside the
goal's definition, the queue's progress, and a ticked set accepted or rejected after a confirmation."""

from __future__ import annotations

import re

import pytest
from markupsafe import Markup
from web_support import Web

from missionboard.store.audit import events
from missionboard.web.highlight import evidence_terms, highlight


def test_the_card_shows_the_projects_text_with_the_matched_words_marked_and_the_goals_definition(
    web: Web,
) -> None:
    web.login("reviewer")
    page = web.client.get("/review?mission=ocean").text
    assert "<mark>Beach</mark> cleanup project" in page  # evidence {"matched": ["beach"]}
    assert "A test project." in page  # the project's own description
    assert "Proposed objective" in page and "Indicator: Litter items per 100 m of beach." in page


def test_the_queue_shows_how_far_the_review_has_come(web: Web) -> None:
    web.login("reviewer")
    page = web.client.get("/review?mission=ocean").text
    # the seed: 20 links to the mission, the first five accepted
    assert "Reviewed 5 of 20 links (25 %): 5 accepted, 0 rejected, 15 still proposed" in page
    assert '<progress id="queue-progress" max="20" value="5">' in page


def _ticked(page: str, n: int) -> list[str]:
    return re.findall(r'name="link" value="(\d+)" form="bulk-form"', page)[:n]


def test_a_bulk_review_asks_for_confirmation_then_records_each_review(web: Web) -> None:
    csrf = web.login("reviewer")
    ids = _ticked(web.client.get("/review?mission=ocean").text, 3)
    assert len(ids) == 3
    form = {"csrf_token": csrf, "action": "reject", "back": "/review?mission=ocean", "link": ids}
    confirm = web.client.post("/review/bulk", data=form)
    assert confirm.status_code == 200 and "Reject 3 links?" in confirm.text
    with web.workspace.reading() as session:
        assert all(not events(session, entity="link", entity_id=i) for i in ids)  # nothing yet
    done = web.client.post("/review/bulk", data={**form, "confirm": "1"}, follow_redirects=False)
    assert done.status_code == 303 and "msg=reviewed_many" in done.headers["location"]
    with web.workspace.reading() as session:
        for link_id in ids:
            [event] = events(session, entity="link", entity_id=link_id)
            assert event.actor == "reviewer" and event.after and event.after["status"] == "rejected"


def test_a_bulk_review_needs_the_reviewer_role(web: Web) -> None:
    csrf = web.login("viewer")
    form = {"csrf_token": csrf, "action": "accept", "link": ["10"], "confirm": "1"}
    assert web.client.post("/review/bulk", data=form).status_code == 403


def test_a_bulk_review_needs_the_forms_token(web: Web) -> None:
    web.login("reviewer")
    form = {"csrf_token": "forged", "action": "accept", "link": ["10"], "confirm": "1"}
    assert web.client.post("/review/bulk", data=form).status_code in (400, 403)
    with web.workspace.reading() as session:
        assert not events(session, entity="link", entity_id="10")


def test_a_bulk_review_refuses_another_action_or_no_link(web: Web) -> None:
    csrf = web.login("reviewer")
    assert (
        web.client.post(
            "/review/bulk", data={"csrf_token": csrf, "action": "reassign", "link": ["10"]}
        ).status_code
        == 422
    )
    assert web.client.post("/review/bulk", data={"csrf_token": csrf, "action": "accept"}).status_code == 422


# --- marking the evidence --------------------------------------------------------------------------


def test_evidence_terms_come_from_every_method_longest_first() -> None:
    evidence = {
        "query_terms": ["school", "food waste"],
        "methods": {"query": 0.9},
        "semantic": {"sentences": [{"text": "Smart scales record plate waste.", "similarity": 0.7}]},
        "title": "Halve food waste",  # the goal's title is no evidence in the project's text
    }
    assert evidence_terms(evidence) == ["Smart scales record plate waste.", "food waste", "school"]


def test_highlight_marks_phrases_across_white_space_and_escapes_the_rest() -> None:
    marked = highlight("Less <b>food\n waste</b> in School meals", ["food waste", "school"])
    assert isinstance(marked, Markup)
    assert str(marked) == "Less &lt;b&gt;<mark>food\n waste</mark>&lt;/b&gt; in <mark>School</mark> meals"
    assert str(highlight("a & b", [])) == "a &amp; b"


def test_the_confirmation_page_needs_the_reviewer_role_too(web: Web) -> None:
    csrf = web.login("viewer")
    form = {"csrf_token": csrf, "action": "accept", "link": ["10"]}
    assert web.client.post("/review/bulk", data=form).status_code == 403


def test_a_bulk_review_with_a_link_that_does_not_exist_reviews_none_of_them(web: Web) -> None:
    csrf = web.login("reviewer")
    ids = _ticked(web.client.get("/review?mission=ocean").text, 2)
    form = {"csrf_token": csrf, "action": "accept", "back": "/review?mission=ocean", "link": [*ids, "999999"]}
    assert web.client.post("/review/bulk", data={**form, "confirm": "1"}).status_code == 404
    with web.workspace.reading() as session:
        assert all(not events(session, entity="link", entity_id=i) for i in ids)


def test_the_service_reviews_several_links_all_or_none(web: Web) -> None:
    from missionboard.errors import NotFound
    from missionboard.services.mapping import review_links

    ids = [10, 12]  # proposed links of the seeded mission
    with pytest.raises(NotFound):
        review_links(web.workspace, [*ids, 999_999], "reject", user="reviewer")
    with web.workspace.reading() as session:
        assert all(not events(session, entity="link", entity_id=str(i)) for i in ids)
    assert [r.status for r in review_links(web.workspace, ids, "reject", user="reviewer")] == [
        "rejected"
    ] * len(ids)
