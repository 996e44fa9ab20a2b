"""A decision's evidence judges the project's health in each mission's time: a project linked to several
missions is judged once per mission, in its own window, and each judgement says its dates; the
project-level flags are judged in the span of its missions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from missionboard.domain.health import MissionWindow
from missionboard.monitoring import import_progress
from missionboard.monitoring.decisions import evidence_for, mission_span, missions_of
from missionboard.monitoring.progress import load_rules
from missionboard.store.tables import LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

Write = Callable[[str, str], Path]
AS_OF = dt.date(2026, 6, 30)
LATE_MILESTONE = "project,kind,name,date\ntest:p,milestone,Pilot built,2024-03-31\n"
"""Due in 2024, never completed: overdue in a mission that began in 2021, before one that began in 2025."""


@pytest.fixture
def two_missions(
    workspace: Workspace, add_mission: Callable[..., Any], add_project: Callable[..., int], write: Write
) -> int:
    add_mission(workspace, id="early", start="2021-01-01", deadline="2030-12-31")
    add_mission(workspace, id="late", start="2025-01-01", deadline="2032-12-31")
    pid = add_project(
        workspace,
        "p",
        start=dt.date(2022, 1, 1),
        end=dt.date(2027, 12, 31),
        mission="early",
        links={"emissions": "accepted", "renewables": "accepted"},
    )
    with workspace.transaction() as session:
        session.add(
            LinkRow(
                project_id=pid,
                taxonomy="mission:late",
                goal="emissions",
                score=0.9,
                method="manual",
                status="accepted",
            )
        )
    import_progress(workspace, write("progress.csv", LATE_MILESTONE), user="ana")
    return pid


def _evidence(workspace: Workspace, pid: int) -> dict[str, Any]:
    with workspace.reading() as session:
        row = session.get(ProjectRow, pid)
        assert row is not None
        return evidence_for(session, row, rules=load_rules(), as_of=AS_OF)


def _health(evidence: dict[str, Any], mission: str) -> dict[str, Any]:
    found = [o["health"] for o in evidence["objectives"] if o["mission"] == mission]
    assert found
    return found[0]  # type: ignore[no-any-return]


def test_a_milestone_due_before_a_mission_began_is_not_overdue_in_that_mission(
    workspace: Workspace, two_missions: int
) -> None:
    evidence = _evidence(workspace, two_missions)
    assert [f["code"] for f in _health(evidence, "early")["flags"]] == ["behind_schedule"]
    assert _health(evidence, "late")["flags"] == []
    assert _health(evidence, "early")["progress"]["milestones"]["overdue"] == 1
    assert _health(evidence, "late")["progress"]["milestones"]["overdue"] == 0


def test_each_missions_judgement_states_the_missions_time_and_the_projects_window_in_it(
    workspace: Workspace, two_missions: int
) -> None:
    late = _health(_evidence(workspace, two_missions), "late")
    assert (late["start"], late["deadline"]) == ("2025-01-01", "2032-12-31")
    assert late["window"] == {"start": "2025-01-01", "end": "2027-12-31"}
    assert late["timing"] == "in_mission"


def test_the_flag_carries_its_dates(workspace: Workspace, two_missions: int) -> None:
    [flag] = _health(_evidence(workspace, two_missions), "early")["flags"]
    assert flag["dates"]["due"] == "2024-03-31"
    assert flag["dates"]["window_start"] == "2022-01-01"


def test_every_objective_of_one_mission_carries_the_same_judgement(
    workspace: Workspace, two_missions: int
) -> None:
    evidence = _evidence(workspace, two_missions)
    early = [o["health"] for o in evidence["objectives"] if o["mission"] == "early"]
    assert len(early) == 2
    assert early[0] == early[1]


def test_the_project_level_flags_are_judged_in_the_span_of_its_missions(
    workspace: Workspace, two_missions: int
) -> None:
    evidence = _evidence(workspace, two_missions)
    assert [f["code"] for f in evidence["flags"]] == ["behind_schedule"]
    assert evidence["progress"]["window"] == {"start": "2022-01-01", "end": "2027-12-31"}


def test_a_project_in_a_mission_that_began_after_its_milestone_only_is_not_flagged(
    workspace: Workspace, add_mission: Callable[..., Any], add_project: Callable[..., int], write: Write
) -> None:
    add_mission(workspace, id="late", start="2025-01-01", deadline="2032-12-31")
    pid = add_project(
        workspace,
        "p",
        start=dt.date(2022, 1, 1),
        end=dt.date(2027, 12, 31),
        mission="late",
        links={"emissions": "accepted"},
    )
    import_progress(workspace, write("progress.csv", LATE_MILESTONE), user="ana")
    evidence = _evidence(workspace, pid)
    assert evidence["flags"] == []
    assert evidence["progress"]["milestones"]["overdue"] == 0


def test_a_project_in_no_mission_is_judged_in_its_whole_life(
    workspace: Workspace, add_project: Callable[..., int], write: Write
) -> None:
    pid = add_project(workspace, "p", start=dt.date(2022, 1, 1), end=dt.date(2027, 12, 31))
    import_progress(workspace, write("progress.csv", LATE_MILESTONE), user="ana")
    evidence = _evidence(workspace, pid)
    assert [f["code"] for f in evidence["flags"]] == ["behind_schedule"]
    assert "window" not in evidence["progress"]


def test_the_missions_of_a_project_follow_the_portfolio_rule(
    workspace: Workspace, add_mission: Callable[..., Any], add_project: Callable[..., int]
) -> None:
    add_mission(workspace, id="counted")
    add_mission(workspace, id="rejected")
    pid = add_project(workspace, "p", mission="counted", links={"emissions": "accepted"})
    with workspace.transaction() as session:
        session.add(
            LinkRow(
                project_id=pid,
                taxonomy="mission:rejected",
                goal="emissions",
                score=0.9,
                method="manual",
                status="rejected",
            )
        )
    with workspace.reading() as session:
        assert [m.id for m in missions_of(session, pid)] == ["counted"]


@pytest.mark.parametrize(
    ("windows", "span"),
    [
        ([], None),
        ([("2022-01-01", "2030-12-31")], ("2022-01-01", "2030-12-31")),
        ([("2022-01-01", "2030-12-31"), ("2025-01-01", "2032-12-31")], ("2022-01-01", "2032-12-31")),
        ([("2022-01-01", "2030-12-31"), (None, "2028-12-31")], (None, "2030-12-31")),  # open start
        ([("2022-01-01", None), ("2021-01-01", "2028-12-31")], ("2021-01-01", None)),  # no deadline
    ],
)
def test_the_span_of_missions_runs_from_the_earliest_start_to_the_latest_deadline(
    windows: list[tuple[str | None, str | None]], span: tuple[str | None, str | None] | None
) -> None:
    def day(text: str | None) -> dt.date | None:
        return dt.date.fromisoformat(text) if text else None

    found = mission_span(MissionWindow(day(a), day(b)) for a, b in windows)
    expected = None if span is None else MissionWindow(day(span[0]), day(span[1]))
    assert found == expected
