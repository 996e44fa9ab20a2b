"""`missionboard review` explains each proposed link so that the reviewer can check it: the project's
text with the matched words and the sentence closest to the goal marked, the closest sentence quoted,
and the goal's definition from its taxonomy or mission file (what counts, what does not, hard
negatives) (issue 17, item 5)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.text import Text

from missionboard.cli.mapping import marked_text
from missionboard.mapping.taxonomy import builtin
from missionboard.services.demo.build import mission_files
from missionboard.store.tables import LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

SCHOOL_MEALS = next(path for path in mission_files() if path.name == "school-meals.yaml")
ABSTRACT = "Kitchens buy organic vegetables from local farms. Pupils taste the new dishes."
CLOSEST = "Kitchens buy organic vegetables from local farms."


def _link(cli: Any, taxonomy: str, goal: str, evidence: dict[str, Any]) -> None:
    workspace = Workspace.open(f"sqlite:///{cli.workspace}", create=True)
    with workspace.transaction() as session:
        project = ProjectRow(
            source="test",
            source_id="p1",
            title="Organic food in school kitchens",
            abstract=ABSTRACT,
            content_hash="p1",
        )
        session.add(project)
        session.flush()
        session.add(
            LinkRow(
                project_id=project.id,
                taxonomy=taxonomy,
                goal=goal,
                score=0.5,
                method="ensemble",
                evidence=evidence,
            )
        )
    workspace.close()


def _review(cli: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO("q\n"))
    result = cli("--user", "ana", "review")
    assert result.exit_code == 0, result.stderr
    return " ".join(result.stdout.split())  # the console wraps long lines


def test_review_prints_the_mission_objectives_definition(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("mission", "import", str(SCHOOL_MEALS)).exit_code == 0
    _link(cli, "mission:school-meals", "organic-share", {"query_terms": ["organic"]})
    shown = _review(cli, monkeypatch)
    assert "what counts: + Public kitchens buying more certified organic food" in shown
    assert "what does not count: - Organic farming with no link to public meals or procurement" in shown
    assert (
        "hard negatives (look related, but are not about this goal): "
        "✗ “Weighing plate waste in school canteens and giving pupils feedback.” "
        "(belongs to food-waste (Halve plate and kitchen waste in school meals))"
    ) in shown


def test_review_prints_an_sdgs_definition_and_the_closest_sentence(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    evidence = {
        "query_terms": ["organic", "farms"],
        "target": {"code": "2.4", "title": "sustainable food production", "similarity": 0.4},
        "sentences": [{"text": "Pupils taste the new dishes.", "similarity": 0.2}],
        "closest_sentence": {"text": CLOSEST, "target": "2.4", "similarity": 0.38},
    }
    _link(cli, "sdg", "2", evidence)
    shown = _review(cli, monkeypatch)
    zero_hunger = {goal.code: goal for goal in builtin("sdg").goals}["2"].definition
    assert zero_hunger is not None
    assert f"+ {zero_hunger.counts[0]}" in shown
    assert f"- {zero_hunger.does_not_count[0]}" in shown
    negative = zero_hunger.hard_negatives[0]
    assert f"✗ “{negative.text}” (belongs to {negative.belongs_to})" in shown
    assert f"closest sentence (closest to 2.4): “{CLOSEST}”" in shown


def test_a_link_without_a_stored_sentence_quotes_the_one_with_the_most_matched_words(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _link(cli, "sdg", "2", {"query_terms": ["organic", "farms"]})
    shown = _review(cli, monkeypatch)
    assert f"closest sentence (most matched words): “{CLOSEST}”" in shown


def test_the_project_text_underlines_the_closest_sentence_and_colours_the_matched_words() -> None:
    text = f"Organic food in school kitchens. {ABSTRACT}"
    marked = marked_text(text, {"query_terms": ["organic"]}, CLOSEST)
    assert isinstance(marked, Text) and marked.plain == text
    styled = {(span.start, span.end, str(span.style)) for span in marked.spans}
    start = text.index(CLOSEST)
    assert (start, start + len(CLOSEST), "underline") in styled
    organic = [(m, m + len("organic")) for m in (0, text.index("organic vegetables"))]
    assert {(a, b, "bold yellow") for a, b in organic} <= styled
    assert marked_text(text, {}, None).spans == []
