"""The problems the demo holds on purpose, each found where the README's "What the demo holds" points:
the same work funded twice, an objective with no projects, a relabelled programme, objectives off
track among others on track, and projects that fell behind."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from missionboard.services.demo import portfolio
from missionboard.services.demo.portfolio import generate_projects

MISSIONS = ("school-meals", "zero-emission-ferries", "circular-construction", "drought-resilience")
"""The demo's real missions (``digital-leadership`` is the relabelled programme)."""


def _json(cli: Any, demo: Path, *args: str) -> Any:  # the ``cli`` fixture of tests/conftest.py
    result = cli(*args, "--format", "json", workspace=demo)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _twins() -> set[frozenset[str]]:
    """The pairs of project ids the generator funded twice (one abstract, two funders)."""
    national, _, _ = generate_projects()
    by_abstract: dict[str, list[str]] = {}
    for p in national:
        by_abstract.setdefault(p.abstract, []).append(p.id)
    return {frozenset(ids) for ids in by_abstract.values() if len(ids) > 1}


def test_the_generator_funds_the_deliberate_twins() -> None:
    assert len(_twins()) == portfolio.TWINS


def test_the_duplicates_across_funders_are_exactly_the_deliberate_twins(cli: Any, demo: Path) -> None:
    pairs = _json(cli, demo, "duplicates", "--across-funders")
    found = {frozenset((pair["a"]["source_id"], pair["b"]["source_id"])) for pair in pairs}
    assert found == _twins()


@pytest.mark.parametrize("mission", (*MISSIONS, "digital-leadership"))
def test_the_only_objective_with_no_projects_is_digital_skills(cli: Any, demo: Path, mission: str) -> None:
    gaps = _json(cli, demo, "analyze", mission)["gaps"]["rows"]
    orphaned = [row["goal"] for row in gaps if row["kind"] == "orphaned"]
    assert orphaned == (["digital-skills"] if mission == "digital-leadership" else [])


def test_digital_leadership_is_found_to_be_a_relabelled_programme(cli: Any, demo: Path) -> None:
    report = _json(cli, demo, "mission", "check", "digital-leadership")
    assert report["criteria"]["mission_washing"] == "fail"


def test_objectives_are_on_track_at_risk_and_off_track_food_waste_among_the_last(
    cli: Any, demo: Path
) -> None:
    statuses = {
        objective["objective"]: objective["status"]
        for mission in MISSIONS
        for objective in _json(cli, demo, "monitor", mission)["objectives"]
    }
    counts = Counter(statuses.values())
    assert statuses["food-waste"] == "off_track"  # the deliberate one: waste falls far too slowly
    for status in ("on_track", "at_risk", "off_track"):
        assert counts[status] >= 3, (status, counts)


@pytest.mark.parametrize("mission", MISSIONS)
def test_each_mission_has_projects_that_fell_behind_and_most_that_did_not(
    cli: Any, demo: Path, mission: str
) -> None:
    board = _json(cli, demo, "monitor", mission)
    flagged = {p["project"] for p in board["flagged_projects"]}
    funded = {p["project"] for o in board["objectives"] for p in o["funding"]["projects"]}
    behind = [p for p in board["flagged_projects"] if any(f["code"] == "behind_schedule" for f in p["flags"])]
    assert behind
    assert len(flagged) < len(funded) / 2
