"""`missionboard review`: re-assign lists the goals of the link's taxonomy to pick by number or code,
and an unknown --taxonomy is an error, not an empty queue (issue 15)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from sqlalchemy import select

from missionboard.services.demo.build import mission_files
from missionboard.store.tables import LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

MISSION = next(path for path in mission_files() if path.name == "school-meals.yaml")
TAXONOMY = "mission:school-meals"


@pytest.fixture
def proposed(cli: Any) -> int:
    """A workspace holding the school-meals mission and one proposed link to its objective organic-share."""
    assert cli("mission", "import", str(MISSION)).exit_code == 0
    workspace = Workspace.open(f"sqlite:///{cli.workspace}")
    with workspace.transaction() as session:
        project = ProjectRow(
            source="test",
            source_id="p1",
            title="Organic food in school kitchens",
            abstract="Kitchens buy organic vegetables from local farms.",
            content_hash="p1",
        )
        session.add(project)
        session.flush()
        link = LinkRow(
            project_id=project.id, taxonomy=TAXONOMY, goal="organic-share", score=0.5, method="query"
        )
        session.add(link)
        session.flush()
        link_id = link.id
    workspace.close()
    return link_id


def review(cli: Any, monkeypatch: pytest.MonkeyPatch, answers: str, *args: str) -> Any:
    monkeypatch.setattr("sys.stdin", io.StringIO(answers))
    return cli("--user", "ana", "review", *args)


def statuses(cli: Any) -> dict[str, str]:
    workspace = Workspace.open(f"sqlite:///{cli.workspace}")
    with workspace.reading() as session:
        found = {row.goal: row.status for row in session.scalars(select(LinkRow))}
    workspace.close()
    return found


def words(text: str) -> str:
    """The text with its line breaks and runs of spaces as single spaces (the console wraps long lines)."""
    return " ".join(text.split())


def test_reassign_lists_the_mission_objectives_and_outcomes_numbered_with_their_titles(
    cli: Any, proposed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = review(cli, monkeypatch, "g\n\nq\n", "--taxonomy", TAXONOMY)
    assert result.exit_code == 0, result.stderr
    shown = words(result.stdout)
    assert "1 organic-share Raise the organic share of food in public meals" in shown
    assert "2 food-waste Halve plate and kitchen waste in school meals" in shown
    assert "kitchens-buy-sustainable Kitchens buy organic and low-climate food through their tenders" in shown


@pytest.mark.parametrize("answer", ["2", "food-waste", "FOOD-WASTE"])
def test_reassign_accepts_the_number_or_the_code_of_a_goal(
    cli: Any, proposed: int, monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    result = review(cli, monkeypatch, f"g\n{answer}\n")
    assert result.exit_code == 0, result.stderr
    assert "re-assigned 1" in result.stdout
    assert statuses(cli) == {"organic-share": "rejected", "food-waste": "accepted"}


@pytest.mark.parametrize("unknown", ["nope", "0", "99"])
def test_an_unknown_goal_is_asked_again_with_a_short_message(
    cli: Any, proposed: int, monkeypatch: pytest.MonkeyPatch, unknown: str
) -> None:
    result = review(cli, monkeypatch, f"g\n{unknown}\n2\n")
    assert result.exit_code == 0, result.stderr
    assert f"no goal '{unknown}' here" in result.stdout
    assert statuses(cli) == {"organic-share": "rejected", "food-waste": "accepted"}


def test_an_empty_answer_cancels_the_reassign_and_asks_for_the_action_again(
    cli: Any, proposed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = review(cli, monkeypatch, "g\n\na\n")
    assert result.exit_code == 0, result.stderr
    assert "accepted 1, rejected 0, re-assigned 0, skipped 0" in result.stdout
    assert statuses(cli) == {"organic-share": "accepted"}


def test_an_unknown_taxonomy_exits_2_naming_it_and_the_command_listing_the_valid_ones(
    cli: Any, proposed: int
) -> None:
    result = cli("review", "--taxonomy", "mission:school-meal")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "'mission:school-meal'" in result.stderr
    assert "missionboard taxonomy list" in result.stderr


def test_an_unknown_taxonomy_with_format_json_is_a_not_found_error_object(cli: Any, proposed: int) -> None:
    result = cli("review", "--taxonomy", "mission:school-meal", "--format", "json")
    assert result.exit_code == 2
    answer = json.loads(result.stdout)
    assert answer["kind"] == "NotFound"
    assert "'mission:school-meal'" in answer["error"]
    assert "missionboard taxonomy list" in answer["error"]


@pytest.mark.parametrize("taxonomy", ["sdg", "mission:zero-emission-ferries"])
def test_a_valid_taxonomy_with_nothing_proposed_has_nothing_to_review(
    cli: Any, proposed: int, taxonomy: str
) -> None:
    ferries = next(path for path in mission_files() if path.name == "zero-emission-ferries.yaml")
    assert cli("mission", "import", str(ferries)).exit_code == 0
    result = cli("review", "--taxonomy", taxonomy)
    assert result.exit_code == 0, result.stderr
    assert "nothing to review" in result.stdout


def test_a_valid_taxonomy_with_nothing_proposed_is_an_empty_json_queue(cli: Any, proposed: int) -> None:
    result = cli("review", "--taxonomy", "sdg", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == []
