"""The board reads the linked projects in bulk (one query by column, rates once per currency and year,
progress against the mission's links, decisions by id); it must say exactly what reading one project
at a time says. The per-project reference below is the straightforward reading the bulk one replaced."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from missionboard.domain.health import evaluate
from missionboard.monitoring import board, import_progress, monitor_mission, progress, record_decision
from missionboard.monitoring.board import LinkedProject, Rates
from missionboard.monitoring.decisions import decisions_in
from missionboard.monitoring.progress import load_rules, project_facts, project_label
from missionboard.store.missions import MissionStore
from missionboard.store.tables import DecisionRow, ExchangeRateRow, LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

Write = Callable[[str, str], Path]
TODAY = dt.datetime.now(dt.UTC).date()

PROGRESS = """
project,kind,name,date,planned,actual,unit,completed,note
test:late,milestone,Pilot,2023-03-31,,,,,
test:late,milestone,Design,2022-06-30,,,,2022-06-01,
test:late,kpi,Homes,2022-06-30,300,40,homes,,
test:late,kpi,Homes,2024-09-30,300,41,homes,,
test:late,spend,total,2024-09-30,600000,900000,SEK,,
test:kpis,kpi,Trees,2021-01-31,1000,10,trees,,
test:kpis,spend,total,2023-01-31,,100,EUR,,
test:done,milestone,Report,2019-12-31,,,,2019-11-30,
test:ended,kpi,Homes,2019-03-31,100,,homes,,
"""


def _project(
    session: Session,
    name: str,
    *,
    budget: float | None = None,
    currency: str | None = None,
    public: float | None = None,
    public_currency: str | None = None,
    start: dt.date | None = dt.date(2022, 1, 1),
    end: dt.date | None = dt.date(2030, 12, 31),
    links: dict[str, str] | None = None,
    mission: str = "clean-air",
) -> None:
    row = ProjectRow(
        source="test",
        source_id=name,
        title=f"Project {name}",
        budget_amount=Decimal(str(budget)) if budget is not None else None,
        budget_currency=currency,
        public_amount=Decimal(str(public)) if public is not None else None,
        public_currency=public_currency,
        start=start,
        end=end,
        status="active",
        content_hash="0" * 64,
    )
    session.add(row)
    session.flush()
    for goal, status in (links or {}).items():
        session.add(
            LinkRow(
                project_id=row.id,
                taxonomy=f"mission:{mission}",
                goal=goal,
                score=0.8,
                method="manual",
                status=status,
            )
        )


@pytest.fixture
def portfolio(workspace: Workspace, add_mission: Callable[..., object], write: Write) -> Workspace:
    """Projects with and without progress, in four currencies (direct, inverse, tied and missing rates),
    links accepted, proposed, rejected, to an unknown objective and to another mission; decisions."""
    add_mission(workspace)
    add_mission(workspace, id="other", objectives=[{"id": "emissions", "title": "Cut emissions"}])
    with workspace.transaction() as session:
        for currency, to, year, rate in (
            ("SEK", "EUR", 2018, 0.09),
            ("SEK", "EUR", 2020, 0.11),  # a 2019 start is as near to 2018 as to 2020
            ("SEK", "EUR", 2024, 0.1),
            ("EUR", "NOK", 2021, 11.5),  # NOK only through the inverse rate
            ("EUR", "NOK", 2023, 0.0),  # not a rate: ignored, the 2021 one stands in
            ("USD", "GBP", 2022, 0.8),  # not into the reporting currency
        ):
            session.add(ExchangeRateRow(currency=currency, reporting_currency=to, year=year, rate=rate))
        both = {"emissions": "accepted", "renewables": "proposed"}
        _project(session, "big", budget=3e6, currency="EUR", links={"emissions": "accepted"})
        _project(session, "small", budget=5e5, currency="EUR", links={"renewables": "accepted"})
        _project(session, "tied", budget=2e6, currency="SEK", start=dt.date(2019, 5, 1), links=both)
        _project(session, "undated", budget=4e6, currency="SEK", start=None, end=None, links=both)
        _project(session, "late", budget=1e6, currency="SEK", start=dt.date(2021, 3, 1), links=both)
        _project(session, "nok", budget=7e6, currency="NOK", links={"renewables": "proposed"})
        _project(session, "nok-zero", budget=7e6, currency="NOK", start=dt.date(2023, 2, 1), links=both)
        _project(session, "usd", budget=9e5, currency="USD", links={"emissions": "accepted"})
        _project(session, "public", public=6e5, public_currency="EUR", links={"emissions": "proposed"})
        _project(session, "nothing", links={"renewables": "accepted"})
        _project(session, "kpis", budget=2e5, currency="EUR", start=dt.date(2020, 1, 1), links=both)
        _project(
            session,
            "done",
            budget=1e5,
            currency="EUR",
            start=dt.date(2018, 1, 1),
            end=dt.date(2020, 6, 30),
            links={"emissions": "accepted"},
        )
        _project(
            session,
            "ended",
            budget=1e5,
            currency="EUR",
            start=dt.date(2017, 1, 1),
            end=dt.date(2019, 6, 30),
            links={"renewables": "accepted"},
        )
        _project(session, "rejected", budget=9e6, currency="EUR", links={"emissions": "rejected"})
        _project(session, "elsewhere", budget=9e6, currency="EUR", links={"unknown-goal": "accepted"})
        _project(
            session, "other", budget=9e6, currency="EUR", links={"emissions": "accepted"}, mission="other"
        )
    import_progress(workspace, write("progress.csv", PROGRESS), user="ana")
    for ref, decision in (("test:late", "pivot"), ("test:big", "continue"), ("test:other", "stop")):
        record_decision(workspace, ref, decision, "reviewed at the gate", "board")
    with workspace.transaction() as session:
        late = session.scalars(select(ProjectRow.id).where(ProjectRow.source_id == "small")).one()
        future = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
        session.add(DecisionRow(project_id=late, decision="continue", rationale="later", by="b", at=future))
    return workspace


def _rate_one_by_one(session: Session, currency: str, reporting: str, year: int | None) -> float | None:
    """One project's rate, read with its own queries (ties go to the earlier year; a zero rate is none)."""
    if currency == reporting:
        return 1.0
    for source, target, invert in ((currency, reporting, False), (reporting, currency, True)):
        rows = list(
            session.scalars(
                select(ExchangeRateRow)
                .where(
                    ExchangeRateRow.currency == source,
                    ExchangeRateRow.reporting_currency == target,
                    ExchangeRateRow.rate > 0,
                )
                .order_by(ExchangeRateRow.year)
            )
        )
        if rows:
            best = min(rows, key=lambda r: abs(r.year - year) if year is not None else -r.year)
            if not invert:
                return float(best.rate)
            return 1.0 / best.rate if best.rate else None
    return None


def _board_one_by_one(workspace: Workspace, mission_id: str, as_of: dt.date) -> dict[str, Any]:
    """The board's projects, funding notes, flags and decisions, reading one project at a time."""
    rules = load_rules()
    with workspace.reading() as session:
        mission = MissionStore(session).get(mission_id).mission
        known = {o.id for o in mission.objectives}
        links: dict[int, dict[str, str]] = {}
        for link in session.scalars(
            select(LinkRow).where(LinkRow.taxonomy == f"mission:{mission_id}", LinkRow.status != "rejected")
        ):
            if link.goal in known:
                links.setdefault(link.project_id, {})[link.goal] = link.status
        rows = {pid: session.get_one(ProjectRow, pid) for pid in sorted(links)}
        money = {}
        for pid, row in rows.items():
            if row.budget_amount is not None and row.budget_currency:
                money[pid] = (float(row.budget_amount), row.budget_currency)
            elif row.public_amount is not None and row.public_currency:
                money[pid] = (float(row.public_amount), row.public_currency)
        counts = Counter(c for _a, c in money.values())
        currency = min(counts, key=lambda c: (-counts[c], c)) if counts else None
        projects, missing, flagged = [], set(), []
        for pid, row in rows.items():
            amount = None
            if pid in money and currency is not None:
                value, cur = money[pid]
                rate = _rate_one_by_one(session, cur, currency, row.start.year if row.start else None)
                if rate is None:
                    missing.add(cur)
                else:
                    amount = value * rate
            mine = links[pid]
            projects.append(LinkedProject(pid, project_label(row), row.title, sorted(mine), mine, amount))
            flags = evaluate(project_facts(session, [row])[pid], rules, as_of, mission)
            if flags:
                flagged.append((project_label(row), [(f.code.value, f.reason) for f in flags]))
        everything = decisions_in(session, as_of=as_of)
        decisions = [d.id for d in everything if d.project_id in rows][: board.RECENT_DECISIONS]
    return {
        "currency": currency,
        "projects": projects,
        "missing": sorted(missing),
        "flagged": flagged,
        "decisions": decisions,
    }


def test_the_bulk_board_says_what_reading_one_project_at_a_time_says(portfolio: Workspace) -> None:
    expected = _board_one_by_one(portfolio, "clean-air", TODAY)
    result = monitor_mission(portfolio, "clean-air", as_of=TODAY)
    assert result.currency == expected["currency"] == "EUR"
    assert result.projects == expected["projects"]
    flagged = [(f.project, [(g.code.value, g.reason) for g in f.flags]) for f in result.flagged]
    assert flagged == expected["flagged"]
    assert [d.id for d in result.decisions] == expected["decisions"]
    assert expected["missing"] == ["USD"]  # USD has rates only to GBP, and GBP none to EUR
    assert any("no possible conversion to EUR: 1 in USD" in note for note in result.notes)
    # the cases the portfolio is there for did happen
    amounts = {p.project: p.amount for p in result.projects}
    assert amounts["test:tied"] == pytest.approx(2e6 * 0.09)  # 2018 and 2020 are as near: the earlier
    assert amounts["test:undated"] == pytest.approx(4e6 * 0.1)  # no start: the latest year
    assert amounts["test:nok"] == pytest.approx(7e6 / 11.5)  # only the inverse rate
    assert amounts["test:usd"] is None and amounts["test:nothing"] is None
    assert amounts["test:public"] == pytest.approx(6e5)
    assert {"test:rejected", "test:elsewhere", "test:other"}.isdisjoint(amounts)
    codes = {f.project: {g.code.value for g in f.flags} for f in result.flagged}
    assert {"behind_schedule", "stalled_kpis", "over_spending"} <= codes["test:late"]
    assert codes["test:ended"] == {"ended_without_results"} and "test:done" not in codes
    assert {d.project_id for d in result.decisions} == {
        p.id for p in result.projects if p.project == "test:late"
    } | {p.id for p in result.projects if p.project == "test:big"}


def test_the_board_in_the_past_matches_the_per_project_reading_too(portfolio: Workspace) -> None:
    day = dt.date(2024, 1, 15)
    expected = _board_one_by_one(portfolio, "clean-air", day)
    result = monitor_mission(portfolio, "clean-air", as_of=day)
    assert result.projects == expected["projects"]
    assert [f.project for f in result.flagged] == [p for p, _flags in expected["flagged"]]
    assert result.decisions == [] and expected["decisions"] == []


def test_progress_read_in_slices_is_the_progress_read_against_the_links(
    portfolio: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("missionboard.store.progress.IN_CHUNK", 2)
    with portfolio.reading() as session:
        mission = MissionStore(session).get("clean-air").mission
        rows = list(session.scalars(select(ProjectRow).order_by(ProjectRow.id)))
        sliced = project_facts(session, rows)
        joined = project_facts(session, rows, among=board.linked_ids(mission))
        one_by_one = {row.id: project_facts(session, [row])[row.id] for row in rows}
    linked = {pid for pid, facts in joined.items() if facts.project != "test:other"}
    assert sliced == one_by_one
    assert {pid: joined[pid] for pid in linked} == {pid: one_by_one[pid] for pid in linked}
    assert any(facts.milestones and facts.kpis and facts.spend for facts in sliced.values())


def test_a_limit_keeps_the_newest_decisions_of_the_chosen_projects(
    portfolio: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("missionboard.store.progress.IN_CHUNK", 1)
    with portfolio.reading() as session:
        everything = decisions_in(session)
        some = {everything[0].project_id, everything[-1].project_id}
        assert [d.id for d in decisions_in(session, limit=2)] == [d.id for d in everything[:2]]
        chosen = decisions_in(session, project_ids=some)
        assert [d.id for d in chosen] == [d.id for d in everything if d.project_id in some]
        assert decisions_in(session, project_ids=set()) == []
        assert len(decisions_in(session, as_of=TODAY)) == len(everything) - 1  # one is dated after today


def test_each_currency_and_year_is_looked_up_once(portfolio: Workspace) -> None:
    with portfolio.reading() as session:
        rates = Rates(session, "EUR")
        assert rates.rate("SEK", 2019) == pytest.approx(0.09)
        assert rates.rate("SEK", 2030) == pytest.approx(0.1)
        assert rates.rate("SEK", None) == pytest.approx(0.1)
        assert rates.rate("NOK", 2022) == pytest.approx(1 / 11.5)
        assert rates.rate("NOK", 2023) == pytest.approx(1 / 11.5)  # a zero rate is no rate
        assert rates.rate("USD", 2022) is None
        assert rates.rate("EUR", None) == 1.0
        for currency, year in (("SEK", 2019), ("NOK", 2023), ("USD", 2022)):
            assert rates.rate(currency, year) == _rate_one_by_one(session, currency, "EUR", year)


def test_progress_files_name_projects_resolved_in_bulk_as_one_by_one(
    portfolio: Workspace, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("missionboard.store.progress.IN_CHUNK", 1)
    with portfolio.reading() as session:
        big = session.scalars(select(ProjectRow.id).where(ProjectRow.source_id == "big")).one()
        refs = [
            "test:late",
            " test : kpis ",
            str(big),
            f" {big}",
            "test:missing",
            "nocolon",
            "other:late",
            "9999",
        ]
        found = progress.find_projects(session, refs)
        for ref in refs:
            row = progress.find_project(session, ref)
            key = found[ref]
            assert (key.id, key.budget_currency) == (row.id, row.budget_currency) if row else key is None
    text = (
        "project,kind,name,date,actual\ntest:late,kpi,Homes,2025-01-31,50\n"
        + f"{big},kpi,Homes,2025-01-31,5\n"
    )
    summary = import_progress(portfolio, write("more.csv", text), user="ana")
    assert (summary.inserted, summary.projects) == (2, ["test:big", "test:late"])
