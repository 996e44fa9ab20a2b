"""The demo workspace reads like the real thing and is built through the real importers."""

from pathlib import Path

import pytest
from sqlalchemy import distinct, func, select

from missionboard.services.demo.build import build_demo
from missionboard.services.demo.portfolio import generate_projects
from missionboard.store import tables as t
from missionboard.store.workspace import Workspace


def test_the_generator_is_deterministic() -> None:
    first, second = generate_projects(), generate_projects()
    assert [(p.id, p.title, p.public) for p in first[0][:50]] == [
        (p.id, p.title, p.public) for p in second[0][:50]
    ]


def test_the_demo_has_realistic_missions_portfolio_and_indicators(demo: Path) -> None:
    ws = Workspace.open(f"sqlite:///{demo}")
    with ws.reading() as session:
        from missionboard.store.missions import MissionStore

        missions = {v.mission_id: v.mission for v in MissionStore(session).list()}
        real = [m for m in missions.values() if m.deadline is not None]
        assert len(real) >= 4 and all(3 <= len(m.objectives) <= 6 for m in real)
        assert session.scalar(select(func.count()).select_from(t.ProjectRow)) >= 3000
        assert session.scalar(select(func.count(distinct(t.ProjectRow.funder)))) >= 6
        assert session.scalar(select(func.count(distinct(t.ProjectRow.programme)))) >= 6
        assert session.scalar(select(func.count()).select_from(t.ActorRow)) >= 1500
        helix = set(session.scalars(select(t.ActorRow.helix).distinct()))
        assert {"government", "research", "industry", "civil_society"} <= helix
        instruments = set(session.scalars(select(t.ProjectRow.instrument).distinct()))
        assert {
            "rd_grant",
            "loan",
            "public_procurement",
            "challenge_prize",
            "regulatory_sandbox",
        } <= instruments
        assert (
            session.scalar(
                select(func.count()).select_from(t.ProjectRow).where(t.ProjectRow.cofunding_amount > 0)
            )
            > 500
        )
        for mission in real:
            for objective in mission.objectives:
                assert objective.indicator is not None
                years = session.scalars(
                    select(t.ObservationRow.year)
                    .distinct()
                    .where(t.ObservationRow.indicator_id == objective.indicator.id)
                ).all()
                assert len(years) >= 8, objective.indicator.id
        sources = set(session.scalars(select(t.ImportRunRow.format).distinct()))
        assert {"csv", "iati"} <= sources
    ws.close()


def test_rebuilding_the_demo_replaces_it_but_another_workspace_is_never_overwritten(tmp_path: Path) -> None:
    from missionboard.errors import WorkspaceError

    other = tmp_path / "agency.db"
    Workspace.open(f"sqlite:///{other}", create=True).close()
    with pytest.raises(WorkspaceError, match="is not a demo workspace"):
        build_demo(other)


def test_the_demos_stage_gate_decisions_follow_from_its_data(demo: Path) -> None:
    """No stop on a project whose milestones were all done, no decision on a project that had ended,
    every decision taken at a scheduled gate with its criteria; a stop terminates and releases money."""
    from missionboard.monitoring import list_decisions

    ws = Workspace.open(f"sqlite:///{demo}")
    try:
        entries = list_decisions(ws)
        assert len(entries) >= 10
        for entry in entries:
            decision = entry.decision
            assert decision.gate is not None and len(decision.criteria) == 3
            facts = decision.evidence["project"]
            assert decision.on is not None and facts["end"] >= decision.on.isoformat()
            if decision.decision.value == "stop":
                assert decision.evidence["progress"]["milestones"]["overdue"] > 0
                assert not decision.criteria[0].met
        stops = [e for e in entries if e.decision.decision.value == "stop"]
        with ws.reading() as session:
            for stop in stops:
                project = session.get(t.ProjectRow, stop.project_id)
                assert project is not None and project.status == "terminated"
                assert stop.decision.amount is not None and stop.decision.amount > 0
    finally:
        ws.close()
