"""Stage-gates that act: gates scheduled per project, decisions that record each criterion, a stop that
ends the project's funding and releases the unpaid budget to the mission's rebalancing, duplicate
decisions refused, appeals logged and ruled on, and a gate calendar per mission."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from missionboard.domain.portfolio import Project as DomainProject
from missionboard.domain.portfolio import ProjectStatus
from missionboard.errors import DecisionConflict, InputError, NotFound
from missionboard.monitoring import (
    gate_calendar,
    import_indicators,
    import_progress,
    list_decisions,
    lodge_appeal,
    monitor_mission,
    project_gates,
    record_decision,
    rule_appeal,
    schedule_gate,
)
from missionboard.store import audit
from missionboard.store.monitoring_tables import DecisionDetailRow
from missionboard.store.portfolio import PortfolioRepository
from missionboard.store.tables import DecisionRow, ProjectRow
from missionboard.store.workspace import Workspace

Write = Callable[[str, str], Path]
AddProject = Callable[..., int]
FAR = dt.date(2035, 12, 31)
"""An end date no test outlives: a stop is refused on a project that has already ended."""
STOP_DAY = dt.date(2025, 1, 15)
CRITERIA = ("Pilot plant running", "Two customers signed", "Costs within 10 % of plan")


@dataclass(frozen=True)
class Project:
    status: str
    end: dt.date | None
    budget_amount: Decimal | None


def _project(workspace: Workspace, pid: int) -> Project:
    with workspace.reading() as session:
        row = session.get(ProjectRow, pid)
        assert row is not None
        return Project(row.status, row.end, row.budget_amount)


def _count(workspace: Workspace, table: type) -> int:
    with workspace.reading() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture
def gated(workspace: Workspace, add_mission: Callable[..., object], add_project: AddProject) -> Workspace:
    """Project p1 (1,000,000 EUR, linked to the emissions objective) with gates G1 and G2."""
    add_mission(workspace)
    add_project(workspace, "p1", budget=1_000_000, end=FAR, links={"emissions": "accepted"})
    schedule_gate(
        workspace, "test:p1", "G1", dt.date(2025, 6, 30), CRITERIA, ["Site visit report"], user="ana"
    )
    schedule_gate(workspace, "test:p1", "G2", dt.date(2027, 6, 30), ["Market launch"], user="ana")
    return workspace


# --- gates ------------------------------------------------------------------------------------------


def test_a_gate_is_scheduled_with_its_date_criteria_and_required_evidence(gated: Workspace) -> None:
    [g1, g2] = sorted(project_gates(gated, "test:p1").gates, key=lambda g: g.name)
    assert (g1.name, g1.due) == ("G1", dt.date(2025, 6, 30))
    assert g1.criteria == list(CRITERIA)
    assert g1.evidence == ["Site visit report"]
    assert g2.criteria == ["Market launch"]
    with gated.reading() as session:
        events = audit.events(session, entity="gate")
    assert [(e.action, e.actor) for e in events] == [("gate.schedule", "ana"), ("gate.schedule", "ana")]


@pytest.mark.parametrize(
    ("name", "criteria", "message"),
    [
        ("G1", ["Anything"], "already has a gate 'G1'"),
        ("G3", [], "give at least one go/no-go criterion"),
        ("G3", ["  "], "give at least one go/no-go criterion"),
    ],
)
def test_a_gate_needs_a_criterion_and_a_name_new_to_its_project(
    gated: Workspace, name: str, criteria: list[str], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        schedule_gate(gated, "test:p1", name, dt.date(2026, 1, 1), criteria, user="ana")


# --- decisions at a gate ----------------------------------------------------------------------------


def test_a_decision_at_a_gate_records_each_criterion_met_or_not(gated: Workspace) -> None:
    record_decision(gated, "test:p1", "continue", "Pilot runs", "Board", gate="G1", met={1, 3})
    [entry] = list_decisions(gated)
    assert entry.decision.gate == "G1"
    assert [(c.criterion, c.met) for c in entry.decision.criteria] == [
        ("Pilot plant running", True),
        ("Two customers signed", False),
        ("Costs within 10 % of plan", True),
    ]
    with gated.reading() as session:
        [event] = audit.events(session, entity="decision")
    assert event.after is not None
    assert event.after["criteria_not_met"] == ["Two customers signed"]


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"gate": "G9"}, NotFound, "no gate 'G9' for project test:p1"),
        ({"gate": "G1", "met": {4}}, InputError, "criterion 4 does not exist"),
        ({"met": {1}}, InputError, "criteria are judged at a gate"),
        ({"amount": 5}, InputError, "only a scale adds money"),
        ({"on": dt.date.today() + dt.timedelta(days=2)}, InputError, "in the future"),
    ],
)
def test_a_decision_names_an_existing_gate_and_criteria_and_no_money_unless_it_scales(
    gated: Workspace, changes: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        record_decision(gated, "test:p1", "continue", "x", "Board", **changes)  # type: ignore[arg-type]
    assert _count(gated, DecisionRow) == 0


def test_a_second_identical_decision_at_a_gate_is_refused_and_nothing_is_written(gated: Workspace) -> None:
    record_decision(gated, "test:p1", "continue", "On plan", "Board", gate="G1", met="all")
    with pytest.raises(DecisionConflict, match="already records 'continue' at gate 'G1'"):
        record_decision(gated, "test:p1", "continue", "On plan again", "Board", gate="G1", met="all")
    assert _count(gated, DecisionRow) == 1
    # another outcome at the gate, or the same outcome at the next gate, is a new decision
    record_decision(gated, "test:p1", "pivot", "Refocus", "Board", gate="G1", plan="Serve ferries only")
    record_decision(gated, "test:p1", "continue", "On plan", "Board", gate="G2")
    assert _count(gated, DecisionRow) == 3


def test_a_pivot_records_its_new_plan(gated: Workspace) -> None:
    record_decision(gated, "test:p1", "pivot", "Kitchens dropped out", "Board", plan="Schools only")
    record_decision(gated, "test:p1", "pivot", "Schools dropped out too", "Board")
    plans = [e.decision.plan for e in list_decisions(gated)]
    assert plans == ["Schools dropped out too", "Schools only"]  # newest first; the rationale by default


def test_a_scale_adds_its_money_to_the_budget_in_the_budgets_currency(gated: Workspace) -> None:
    record = record_decision(gated, "test:p1", "scale", "Works", "Board", amount="250000")
    assert (record.amount, record.currency) == (Decimal("250000"), "EUR")
    assert _project(gated, 1).budget_amount == Decimal("1250000")
    with pytest.raises(InputError, match="budget is in EUR"):
        record_decision(gated, "test:p1", "scale", "More", "Board", amount=1, currency="SEK")
    with pytest.raises(InputError, match="positive"):
        record_decision(gated, "test:p1", "scale", "More", "Board", amount=-5)


# --- stop ---------------------------------------------------------------------------------------------

SPEND = """
project,kind,name,date,planned,actual,unit
test:p1,spend,total,2024-06-30,300000,200000,EUR
test:p1,spend,total,2024-12-31,500000,300000,EUR
test:p1,spend,equipment,2024-10-01,50000,50000,EUR
test:p1,spend,travel,2024-10-01,9000,9000,SEK
test:p1,spend,total,2025-03-31,700000,600000,EUR
"""


def test_a_stop_terminates_the_project_on_its_date_and_releases_the_budget_not_yet_paid(
    gated: Workspace, write: Write
) -> None:
    import_progress(gated, write("spend.csv", SPEND), user="ana")
    record = record_decision(
        gated, "test:p1", "stop", "Partners withdrew", "Board", gate="G1", met="none", on=dt.date(2025, 1, 15)
    )
    # paid by 15 Jan 2025: latest 'total' 300,000 + 'equipment' 50,000; SEK and later lines left out
    assert (record.amount, record.currency) == (Decimal("650000"), "EUR")
    project = _project(gated, 1)
    assert (project.status, project.end) == ("terminated", dt.date(2025, 1, 15))
    with gated.reading() as session:
        detail = session.get(DecisionDetailRow, 1)
        assert detail is not None
        assert (detail.paid, detail.before["status"]) == (Decimal("350000"), "active")


def test_a_stopped_project_stays_stopped_when_its_source_is_imported_again(gated: Workspace) -> None:
    record_decision(
        gated, "test:p1", "stop", "Partners withdrew", "Board", gate="G1", met="none", on=STOP_DAY
    )
    source_says = DomainProject(
        source="test", source_id="p1", title="Project p1, renamed", status=ProjectStatus.ACTIVE, end=FAR
    )
    with gated.transaction() as session:
        repository = PortfolioRepository(session, user="import", import_run_id=None, normalize=str.lower)
        assert repository.upsert([(source_says, [])]).updated == 1
    with gated.reading() as session:
        row = session.get(ProjectRow, 1)
        assert row is not None
        assert (row.title, row.status, row.end) == ("Project p1, renamed", "terminated", STOP_DAY)


def test_a_stop_is_refused_for_a_project_that_ended_before_the_decision(
    gated: Workspace, add_project: AddProject
) -> None:
    add_project(gated, "old", end=dt.date(2019, 12, 31), links={"emissions": "accepted"})
    with pytest.raises(InputError, match="ended on 2019-12-31: there is no further funding to stop"):
        record_decision(gated, "test:old", "stop", "Nothing delivered", "Board")
    assert _project(gated, 2).status == "active"


def test_a_stopped_project_takes_no_second_stop_and_no_other_decision(gated: Workspace) -> None:
    record_decision(gated, "test:p1", "stop", "No results", "Board", on=dt.date(2025, 2, 1))
    for kind, gate in (("stop", None), ("stop", "G1"), ("continue", None), ("scale", "G2")):
        with pytest.raises(DecisionConflict, match="was stopped on 2025-02-01 by decision #1"):
            record_decision(gated, "test:p1", kind, "Again", "Board", gate=gate)
    assert _count(gated, DecisionRow) == 1


def test_a_stop_and_its_effects_land_together_or_not_at_all(
    gated: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(audit, "record", fail)  # the last write of the transaction fails
    with pytest.raises(RuntimeError):
        record_decision(gated, "test:p1", "stop", "No results", "Board")
    project = _project(gated, 1)
    assert (project.status, project.end) == ("active", FAR)
    assert _count(gated, DecisionRow) == 0
    assert _count(gated, DecisionDetailRow) == 0


def csv_rows(indicator: str, values: dict[int, float]) -> str:
    return "indicator,year,value\n" + "".join(f"{indicator},{y},{v:.4f}\n" for y, v in values.items())


@pytest.fixture
def board(gated: Workspace, add_project: AddProject, write: Write) -> Workspace:
    """Emissions fall fast (on track or achieved); the renewable share stays flat (off track). p1
    (1,000,000 EUR, emissions) and p2 (500,000 EUR, renewables) are the portfolio."""
    rng = np.random.default_rng(3)
    emissions = {y: 100 * 0.92 ** (y - 2015) + 0.3 * rng.standard_normal() for y in range(2015, 2025)}
    renewables = {y: 20 + 0.3 * rng.standard_normal() for y in range(2015, 2025)}
    import_indicators(gated, write("co2.csv", csv_rows("co2", emissions)), user="ana")
    import_indicators(gated, write("ren.csv", csv_rows("renewable-share", renewables)), user="ana")
    add_project(gated, "p2", budget=500_000, end=FAR, links={"renewables": "accepted"})
    import_progress(gated, write("spend.csv", SPEND), user="ana")
    return gated


def test_money_a_stop_releases_is_offered_first_to_objectives_that_need_it(board: Workspace) -> None:
    before = monitor_mission(board, "clean-air", as_of=dt.date(2025, 7, 1)).to_dict()
    assert before["released"]["amount"] == 0
    assert all(s["from"] != "released" for s in before["suggestions"])
    record_decision(board, "test:p1", "stop", "No customers", "Board", gate="G1", on=dt.date(2025, 6, 30))
    after = monitor_mission(board, "clean-air", as_of=dt.date(2025, 7, 1)).to_dict()
    # paid by 30 June 2025: 600,000 + 50,000 → 350,000 released from the emissions objective
    assert after["released"]["amount"] == 350_000
    assert after["released"]["by_objective"] == {"emissions": 350_000}
    assert [p["project"] for p in after["released"]["projects"]] == ["test:p1"]
    statuses = {o["objective"]: o["status"] for o in after["objectives"]}
    assert statuses["renewables"] in ("off_track", "at_risk")
    first = after["suggestions"][0]
    # 1.5M in all, 750,000 intended per objective; renewables has 500,000 committed: needs 250,000
    assert (first["from"], first["to"], first["amount"]) == ("released", "renewables", 250_000)
    assert "released from stopped projects" in first["message"]
    rest = [s for s in after["suggestions"] if s["from"] == "released" and s["to"] is None]
    assert [s["amount"] for s in rest] == [100_000]
    assert rest[0]["message"].startswith("Released: 100,000 EUR from stopped projects")
    # on a date before the stop took effect, nothing was released
    then = monitor_mission(board, "clean-air", as_of=dt.date(2025, 6, 1)).to_dict()
    assert then["released"]["amount"] == 0


# --- appeals ------------------------------------------------------------------------------------------


def test_an_overturned_stop_reopens_the_project_and_its_money_is_no_longer_released(board: Workspace) -> None:
    record_decision(board, "test:p1", "stop", "No customers", "Board", gate="G1", on=dt.date(2025, 6, 30))
    appeal = lodge_appeal(board, 1, "Two customers signed the week before", user="p1-coordinator")
    assert (appeal.by, appeal.outcome) == ("p1-coordinator", None)
    with pytest.raises(DecisionConflict, match="still open"):
        lodge_appeal(board, 1, "Again", user="p1-coordinator")
    with pytest.raises(InputError, match="Board took decision #1: someone else rules"):
        rule_appeal(board, 1, "overturned", "We were wrong", user="Board")
    ruled = rule_appeal(board, 1, "overturned", "Evidence was missed", user="Appeals committee")
    assert ruled.outcome is not None and ruled.outcome.value == "overturned"
    project = _project(board, 1)
    assert (project.status, project.end) == ("active", FAR)
    [entry] = list_decisions(board)
    assert entry.standing is False
    assert [a.outcome for a in entry.appeals] == ["overturned"]
    released = monitor_mission(board, "clean-air", as_of=dt.date(2025, 7, 1)).to_dict()["released"]
    assert released["amount"] == 0
    with pytest.raises(DecisionConflict, match="already ruled on"):
        rule_appeal(board, 1, "upheld", "Second thoughts", user="Appeals committee")
    with pytest.raises(DecisionConflict, match="already overturned"):
        lodge_appeal(board, 1, "More", user="p1-coordinator")
    # the overturned stop no longer stands: the same stop at the same gate may be taken again
    record_decision(board, "test:p1", "stop", "Customers left", "Board", gate="G1", on=dt.date(2025, 7, 1))
    assert _project(board, 1).status == "terminated"
    with board.reading() as session:
        actions = [e.action for e in audit.events(session) if e.entity in ("decision", "appeal")]
    assert actions == ["decide", "appeal.lodge", "appeal.rule", "decide"]


def test_an_upheld_appeal_leaves_the_decision_standing(gated: Workspace) -> None:
    record_decision(gated, "test:p1", "scale", "Works", "Board", amount=100_000)
    lodge_appeal(gated, 1, "Too little", user="coordinator")
    rule_appeal(gated, 1, "upheld", "The amount was right", user="Appeals committee")
    [entry] = list_decisions(gated)
    assert entry.standing is True
    assert _project(gated, 1).budget_amount == Decimal("1100000")


def test_an_overturned_scale_takes_its_money_off_the_budget(gated: Workspace) -> None:
    record_decision(gated, "test:p1", "scale", "Works", "Board", amount=100_000)
    lodge_appeal(gated, 1, "Conflict of interest", user="auditor")
    rule_appeal(gated, 1, "overturned", "Conflict confirmed", user="Appeals committee")
    assert _project(gated, 1).budget_amount == Decimal("1000000")


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda ws: lodge_appeal(ws, 99, "why", user="x"), NotFound, "no decision #99"),
        (lambda ws: lodge_appeal(ws, 1, " ", user="x"), InputError, "say why"),
        (lambda ws: rule_appeal(ws, 99, "upheld", "why", user="x"), NotFound, "no appeal #99"),
        (lambda ws: rule_appeal(ws, 1, "quashed", "why", user="x"), InputError, "not one of upheld"),
    ],
)
def test_appeals_name_a_decision_a_reason_and_a_known_outcome(
    gated: Workspace, call: Callable[[Workspace], object], error: type[Exception], message: str
) -> None:
    record_decision(gated, "test:p1", "continue", "Fine", "Board")
    with pytest.raises(error, match=message):
        call(gated)


# --- calendar -----------------------------------------------------------------------------------------


def test_the_gate_calendar_shows_what_is_overdue_due_scheduled_decided_and_cancelled(
    gated: Workspace, add_project: AddProject
) -> None:
    add_project(gated, "p2", end=FAR, links={"renewables": "proposed"})
    add_project(gated, "p3", end=FAR, links={"renewables": "accepted"})
    add_project(gated, "elsewhere", end=FAR)  # not in the mission's portfolio
    schedule_gate(gated, "test:p2", "G1", dt.date(2025, 8, 15), ["Prototype"], user="ana")
    schedule_gate(gated, "test:p3", "G1", dt.date(2025, 3, 1), ["Prototype"], user="ana")
    schedule_gate(gated, "test:p3", "G2", dt.date(2026, 3, 1), ["Sales"], user="ana")
    schedule_gate(gated, "test:elsewhere", "G1", dt.date(2025, 8, 1), ["Anything"], user="ana")
    record_decision(
        gated, "test:p1", "continue", "Fine", "Board", gate="G1", met={1, 2}, on=dt.date(2025, 7, 1)
    )
    record_decision(gated, "test:p3", "stop", "Gone", "Board", on=dt.date(2025, 5, 1))
    calendar = gate_calendar(gated, "clean-air", as_of=dt.date(2025, 7, 15))
    states = {(g.project, g.name): g.state.value for g in calendar.gates}
    assert states == {
        ("test:p1", "G1"): "decided",
        ("test:p1", "G2"): "scheduled",
        ("test:p2", "G1"): "due",  # 31 days ahead
        ("test:p3", "G1"): "overdue",  # its date passed before the stop, undecided
        ("test:p3", "G2"): "cancelled",
    }
    assert [g.state.value for g in calendar.gates][:2] == ["overdue", "due"]
    decided = next(g for g in calendar.gates if g.state.value == "decided")
    assert decided.decision is not None
    assert (decided.decision.decision, decided.decision.criteria_met) == ("continue", 2)
    assert calendar.counts()["scheduled"] == 1
    # before the decision took effect the gate was still open
    earlier = gate_calendar(gated, "clean-air", as_of=dt.date(2025, 6, 1))
    assert {(g.project, g.name): g.state.value for g in earlier.gates}[("test:p1", "G1")] == "due"
    with pytest.raises(NotFound):
        gate_calendar(gated, "no-such-mission")


# --- the command line ---------------------------------------------------------------------------------


def test_gates_decisions_and_appeals_from_the_command_line(  # type: ignore[no-untyped-def]
    cli, add_mission, add_project
) -> None:
    ws = Workspace.open(f"sqlite:///{cli.workspace}", create=True)
    add_mission(ws)
    add_project(ws, "p1", end=FAR, links={"emissions": "accepted"})
    ws.close()
    added = cli(
        "gate", "add", "test:p1", "--name", "G1", "--date", "2025-06-30",
        "--criterion", "Pilot running", "--criterion", "Customer signed", "--evidence", "Site visit",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    assert "gate G1 for test:p1 on 2025-06-30 with 2 criteria" in added.stdout
    calendar = json.loads(
        cli("gate", "calendar", "clean-air", "--as-of", "2025-07-01", "--format", "json").stdout
    )
    assert [(g["gate"], g["state"]) for g in calendar["gates"]] == [("G1", "overdue")]
    stop = (
        "decide",
        "test:p1",
        "--gate",
        "G1",
        "--met",
        "1",
        "--decision",
        "stop",
        "--rationale",
        "No customer",
    )
    decided = cli(*stop, "--by", "Board", "--on", "2025-07-01")
    assert decided.exit_code == 0, decided.stderr
    assert "criterion not met: Customer signed" in decided.stdout
    assert "1,000,000 EUR released to the mission" in decided.stdout
    again = cli(*stop, "--by", "Board")
    assert again.exit_code == 2
    assert "was stopped on 2025-07-01" in again.stderr
    listed = json.loads(cli("decisions", "clean-air", "--format", "json").stdout)
    assert [(d["decision"], d["gate"], d["standing"]) for d in listed] == [("stop", "G1", True)]
    lodged = cli(
        "appeal", "lodge", str(listed[0]["id"]), "--reason", "The customer signed", "--by", "Coordinator"
    )
    assert lodged.exit_code == 0, lodged.stderr
    ruled = cli(
        "appeal", "rule", "1", "--outcome", "overturned", "--ruling", "Signed in time", "--by", "Committee"
    )
    assert ruled.exit_code == 0, ruled.stderr
    listed = json.loads(cli("decisions", "--format", "json").stdout)
    assert listed[0]["standing"] is False
    assert listed[0]["appeals"][0]["ruled_by"] == "Committee"


# --- concurrency ------------------------------------------------------------------------------------


def test_of_the_same_stop_sent_by_four_processes_at_once_exactly_one_lands(
    gated: Workspace, database_url: str
) -> None:
    """Real processes, each a CLI run, race to stop p1 at G1: the project row is locked (PostgreSQL) or
    the write lock held (SQLite) while the standing decisions are checked, so one wins, three get exit 2."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("MISSIONBOARD_")}
    command = [str(Path(sys.executable).parent / "missionboard"), "--database-url", database_url]
    args = ["decide", "test:p1", "--gate", "G1", "--decision", "stop", "--rationale", "race", "--by", "Board"]
    processes = [
        subprocess.Popen(
            [*command, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in processes]
    assert sorted(code for code, _ in results) == [0, 2, 2, 2], results
    refused = [err for code, err in results if code == 2]
    assert all("was stopped on" in err for err in refused), refused
    assert _count(gated, DecisionRow) == 1
    assert _count(gated, DecisionDetailRow) == 1
