"""Progress import, stage-gate decisions with frozen evidence, and the append-only decision log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from missionboard.errors import InputError, NotFound
from missionboard.monitoring import import_progress, list_decisions, record_decision
from missionboard.store import audit
from missionboard.store.monitoring_tables import ProgressRow
from missionboard.store.tables import DecisionRow
from missionboard.store.workspace import Workspace

Write = Callable[[str, str], Path]

PROGRESS = """
project,kind,name,date,planned,actual,unit,completed,note
test:p1,milestone,Pilot plant commissioned,2024-03-31,,,,,
test:p1,milestone,Design approved,2023-01-31,,,,2023-01-20,
test:p1,kpi,Households connected,2023-06-30,100,40,households,,
test:p1,kpi,Households connected,2024-09-30,300,41,households,,
test:p1,spend,total,2024-09-30,600000,250000,EUR,,
"""


def test_progress_lines_are_imported_and_reimporting_updates_in_place(
    workspace: Workspace, add_project: Callable[..., int], write: Write
) -> None:
    pid = add_project(workspace, "p1")
    summary = import_progress(workspace, write("progress.csv", PROGRESS), user="ana")
    assert (summary.inserted, summary.by_kind) == (5, {"kpi": 2, "milestone": 2, "spend": 1})
    changed = PROGRESS.replace("2024-03-31,,,,,", "2024-03-31,,,,2024-11-01,")
    again = import_progress(workspace, write("progress2.csv", changed), user="ana")
    assert (again.inserted, again.updated, again.unchanged) == (0, 1, 4)
    with workspace.reading() as session:
        completed = session.scalars(
            select(ProgressRow.completed).where(
                ProgressRow.project_id == pid, ProgressRow.name.like("Pilot%")
            )
        ).one()
    assert completed == dt.date(2024, 11, 1)


def test_projects_can_be_named_by_numeric_id(
    workspace: Workspace, add_project: Callable[..., int], write: Write
) -> None:
    pid = add_project(workspace, "p1")
    path = write("by-id.csv", f"project,kind,name,date,actual\n{pid},kpi,Jobs,2024-01-01,5\n")
    assert import_progress(workspace, path, user="ana").projects == ["test:p1"]


@pytest.mark.parametrize(
    ("line", "where"),
    [
        ("test:nope,kpi,Jobs,2024-01-01,,5,,,", "progress.csv:2: project: no project 'test:nope'"),
        (
            "test:p1,risk,Jobs,2024-01-01,,5,,,",
            "progress.csv:2: kind: 'risk' is not one of milestone, kpi, spend",
        ),
        ("test:p1,kpi,Jobs,2024-13-01,,5,,,", "progress.csv:2: date: '2024-13-01' is not a date"),
        ("test:p1,kpi,,2024-01-01,,5,,,", "progress.csv:2: name: a KPI needs a name"),
        ("test:p1,spend,total,2024-01-01,10,,EUR,,", "progress.csv:2: actual: a spend report needs"),
        ("test:p1,spend,total,2024-01-01,10,five,EUR,,", "progress.csv:2: actual: 'five' is not a number"),
        ("test:p1,spend,total,2024-01-01,10,5,euros,,", "progress.csv:2: unit: 'euros' is not a currency"),
    ],
)
def test_bad_progress_files_are_refused_whole_with_line_and_field(
    workspace: Workspace, add_project: Callable[..., int], write: Write, line: str, where: str
) -> None:
    add_project(workspace, "p1")
    header = "project,kind,name,date,planned,actual,unit,completed,note\n"
    with pytest.raises(InputError) as caught:
        import_progress(workspace, write("progress.csv", header + line + "\n"), user="ana")
    assert where in str(caught.value)
    with workspace.reading() as session:
        assert session.scalars(select(ProgressRow.id)).all() == []


def test_a_decision_freezes_the_evidence_shown_at_the_time(
    workspace: Workspace, add_mission: Callable[..., object], add_project: Callable[..., int], write: Write
) -> None:
    add_mission(workspace)
    add_project(workspace, "p1", links={"emissions": "accepted"})
    import_progress(workspace, write("progress.csv", PROGRESS), user="ana")
    decision = record_decision(
        workspace, "test:p1", "pivot", "Connections stalled; refocus on retrofits", "Board"
    )
    flags = {f["code"] for f in decision.evidence["flags"]}
    assert {"behind_schedule", "stalled_kpis", "under_spending"} <= flags
    assert decision.evidence["objectives"][0]["objective"] == "emissions"
    assert decision.evidence["objectives"][0]["status"] == "no_data"
    assert decision.evidence["progress"]["milestones"] == {"total": 2, "completed": 1, "overdue": 1}
    # new progress later does not change what the decision recorded
    import_progress(
        workspace,
        write("later.csv", PROGRESS.replace("2024-03-31,,,,,", "2024-03-31,,,,2024-04-02,")),
        user="ana",
    )
    [entry] = list_decisions(workspace)
    assert entry.decision.evidence == decision.evidence
    assert entry.decision.by == "Board" and entry.decision.decision.value == "pivot"
    with workspace.reading() as session:
        events = audit.events(session, entity="decision")
    assert [e.action for e in events] == ["decide"] and events[0].actor == "Board"


def test_decisions_are_listed_per_mission_newest_first(
    workspace: Workspace, add_mission: Callable[..., object], add_project: Callable[..., int]
) -> None:
    add_mission(workspace)
    add_project(workspace, "in", links={"renewables": "accepted"})
    add_project(workspace, "out", end=dt.date(2035, 12, 31))  # a stop needs a project not yet ended
    record_decision(workspace, "test:in", "continue", "On plan", "Board")
    record_decision(workspace, "test:out", "stop", "No results", "Board")
    record_decision(workspace, "test:in", "scale", "Works well", "Board")
    assert [e.decision.decision.value for e in list_decisions(workspace, "clean-air")] == [
        "scale",
        "continue",
    ]
    assert len(list_decisions(workspace)) == 3
    with pytest.raises(NotFound):
        list_decisions(workspace, "no-such-mission")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("test:p1", "abandon", "x", "Board"),
            "decision: 'abandon' is not one of continue, pivot, scale, stop",
        ),
        (("test:p1", "stop", "  ", "Board"), "rationale: say why"),
        (("test:zzz", "stop", "x", "Board"), "no project 'test:zzz'"),
    ],
)
def test_a_decision_needs_a_known_kind_a_rationale_and_a_project(
    workspace: Workspace, add_project: Callable[..., int], args: tuple[str, str, str, str], message: str
) -> None:
    add_project(workspace, "p1")
    with pytest.raises((InputError, NotFound), match=message):
        record_decision(workspace, *args)


def test_the_database_refuses_to_change_or_delete_a_decision(
    workspace: Workspace, add_project: Callable[..., int]
) -> None:
    add_project(workspace, "p1", end=dt.date(2035, 12, 31))
    record_decision(workspace, "test:p1", "stop", "Nothing delivered", "Board")
    for statement in (
        update(DecisionRow).values(decision="continue"),
        delete(DecisionRow),
        text("UPDATE decisions SET rationale = 'rewritten'"),
        text("UPDATE decision_details SET plan = 'rewritten'"),
        text("DELETE FROM decision_details"),
    ):
        with pytest.raises(DBAPIError, match="append-only"), workspace.transaction() as session:
            session.execute(statement)
    [entry] = list_decisions(workspace)
    assert (entry.decision.decision.value, entry.decision.rationale) == ("stop", "Nothing delivered")
