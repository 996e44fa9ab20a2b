"""Build the demo workspace: missions from YAML, a portfolio through the real importers, indicators."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from missionboard.domain.mapping import mission_taxonomy
from missionboard.errors import WorkspaceError
from missionboard.missionfile import read_mission
from missionboard.services.demo import gates as gate_rules
from missionboard.services.demo import indicators, portfolio, progress
from missionboard.services.demo.portfolio import DemoProject
from missionboard.services.missions import import_missions
from missionboard.store import audit
from missionboard.store.links import LinkStore
from missionboard.store.missions import MissionStore
from missionboard.store.workspace import Workspace

DEMO_USER = "demo"


@dataclass
class DemoSummary:
    workspace: Path
    data_folder: Path
    missions: list[str] = field(default_factory=list)
    steps: list[tuple[str, float, str]] = field(default_factory=list)
    """(step, seconds, what it did)."""


def mission_files() -> list[Path]:
    folder = resources.files("missionboard.services.demo") / "missions"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml"))


def _is_demo(path: Path) -> bool:
    try:
        ws = Workspace.open(f"sqlite:///{path}")
    except WorkspaceError:
        return False
    try:
        with ws.reading() as session:
            return audit.happened(session, "demo.build")
    finally:
        ws.close()


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def build_demo(path: Path, *, report: Callable[[str], None] = lambda _: None) -> DemoSummary:
    """(Re)build the demo workspace at ``path``; refuses to overwrite a workspace that is not a demo."""
    if path.exists():
        if not _is_demo(path):
            raise WorkspaceError(f"{path} exists and is not a demo workspace; pass another --workspace")
        _remove(path)
    data = path.parent / "demo-data"
    summary = DemoSummary(path, data)

    def step(name: str, started: float, what: str) -> None:
        summary.steps.append((name, time.perf_counter() - started, what))
        report(f"{name}: {what} ({time.perf_counter() - started:.1f} s)")

    workspace = Workspace.open(f"sqlite:///{path}", create=True)
    try:
        started = time.perf_counter()
        outcomes = import_missions(workspace, mission_files(), user=DEMO_USER, comment="demo missions")
        summary.missions = [o.mission_id for o in outcomes]
        step("missions", started, f"{len(outcomes)} missions imported from YAML")

        started = time.perf_counter()
        national, development, actors = portfolio.generate_projects()
        projects_csv, partners_csv = portfolio.write_csv_portfolio(national, data)
        iati_xml = portfolio.write_iati(development, data / "nordic-development-agency-activities.xml")
        rates_csv = portfolio.write_rates(data / "rates-eur.csv")
        definitions = {
            o.indicator.id: (o.indicator.name, o.indicator.unit)
            for path_ in mission_files()
            for o in read_mission(path_).objectives
            if o.indicator is not None
        }
        observations_csv = indicators.write_observations(
            data / "indicator-observations.csv", definitions=definitions
        )
        step(
            "files",
            started,
            f"wrote {len(national)} + {len(development)} projects, {len(actors.by_key)} "
            f"organisations and indicator series to {data}",
        )

        _load_portfolio(workspace, projects_csv, partners_csv, iati_xml, rates_csv, step)
        _load_indicators(workspace, observations_csv, step)
        _map_missions(workspace, summary.missions, national + development, step)
        references = [("nordic-agencies", p.id, p) for p in national] + [
            ("iati", f"XM-DEMO-NDA-{p.id}", p) for p in development
        ]
        _load_progress(workspace, references, data / "project-progress.csv", step)
        _load_consultation(workspace, data, step)

        with workspace.transaction() as session:
            audit.record(
                session,
                actor=DEMO_USER,
                action="demo.build",
                entity="workspace",
                entity_id=str(path),
                after={"missions": summary.missions, "data": str(data)},
            )
    finally:
        workspace.close()
    return summary


def _load_portfolio(
    workspace: Workspace,
    projects_csv: Path,
    partners_csv: Path,
    iati_xml: Path,
    rates_csv: Path,
    step: Callable[[str, float, str], None],
) -> None:
    from missionboard.services.ingest import import_rates, ingest_files

    started = time.perf_counter()
    run = ingest_files(
        workspace, "csv", [projects_csv], partners=partners_csv, source="nordic-agencies", user=DEMO_USER
    )
    step(
        "ingest csv",
        started,
        f"{run.inserted} projects inserted from {projects_csv.name} + {partners_csv.name}",
    )
    started = time.perf_counter()
    run = ingest_files(workspace, "iati", [iati_xml], source="iati", user=DEMO_USER)
    step("ingest iati", started, f"{run.inserted} activities inserted from {iati_xml.name}")
    started = time.perf_counter()
    import_rates(workspace, rates_csv, user=DEMO_USER)
    step("rates", started, f"exchange rates imported from {rates_csv.name}")


def _load_indicators(
    workspace: Workspace, observations_csv: Path, step: Callable[[str, float, str], None]
) -> None:
    from missionboard.monitoring import import_indicators

    started = time.perf_counter()
    result = import_indicators(workspace, observations_csv, user=DEMO_USER)
    step(
        "indicators",
        started,
        f"{result.inserted} observations of {len(result.indicators)} indicators imported from {observations_csv.name}",
    )


def _load_progress(
    workspace: Workspace,
    projects: list[tuple[str, str, DemoProject]],
    path: Path,
    step: Callable[[str, float, str], None],
) -> None:
    from missionboard.monitoring import import_progress

    started = time.perf_counter()
    profiles = progress.write_progress(projects, path)
    import_progress(workspace, path, user=DEMO_USER)
    step("progress", started, f"milestones, KPIs and spend for {len(profiles)} projects from {path.name}")
    started = time.perf_counter()
    gated, recorded = _gates_and_decisions(workspace, sorted(profiles))
    step(
        "decisions",
        started,
        f"{gated} stage-gates scheduled; {recorded} decisions taken at them from the projects' reports",
    )


BOARD = "Mission board"


def _gates_and_decisions(workspace: Workspace, refs: list[str]) -> tuple[int, int]:
    """Gates for every reported project running on the reference date, and the board's decision at the
    latest gate each has passed, following from the project's progress then (``demo.gates.judge``)."""
    from missionboard.monitoring import (
        list_decisions,
        lodge_appeal,
        record_decision,
        rule_appeal,
        schedule_gate,
    )
    from missionboard.monitoring.decisions import mission_span, missions_of
    from missionboard.monitoring.progress import find_project, progress_summary, project_facts

    day = portfolio.REFERENCE_DATE
    running: list[tuple[str, list[tuple[str, dt.date]], dict[str, Any], Decimal | None, str | None]] = []
    read: dict[str, Any] = {}  # each mission read once
    with workspace.reading() as session:
        for ref in refs:
            row = find_project(session, ref)
            if row is None or row.status != "active" or row.start is None or row.end is None:
                continue
            dates = gate_rules.gate_dates(row.start, row.end, day)
            if not dates:
                continue
            # judged in its missions' time, as the decision's evidence is: a milestone due before the
            # project could serve any of its missions is not overdue for them
            span = mission_span(missions_of(session, row.id, read))
            summary = progress_summary(project_facts(session, [row])[row.id], day, mission=span)
            running.append((ref, dates, summary, row.budget_amount or row.public_amount, row.budget_currency))
    gated = 0
    for ref, dates, _summary, _budget, _currency in running:
        for name, due in dates:
            schedule_gate(
                workspace,
                ref,
                name,
                due,
                gate_rules.CRITERIA,
                gate_rules.EVIDENCE,
                user="Mission secretariat",
            )
            gated += 1
    recorded = 0
    for ref, dates, summary, budget, currency in running:
        passed = [name for name, due in dates if due <= day]
        if not passed:
            continue
        met, kind, rationale = gate_rules.judge(summary)
        extra: dict[str, Any] = {}
        if kind == "scale" and budget is not None:
            extra = {"amount": (budget / 5).quantize(Decimal(1000)), "currency": currency}
        if kind == "pivot":
            extra = {"plan": "Concentrate on the sites already on board; reschedule the late milestones."}
        record_decision(workspace, ref, kind, rationale, BOARD, gate=passed[-1], met=met, on=day, **extra)
        recorded += 1
    stopped = [e for e in list_decisions(workspace) if e.decision.decision.value == "stop"]
    if stopped:
        # the first stopped project appeals; an appeals body that took no part in the decision upholds it
        appeal = lodge_appeal(
            workspace,
            stopped[-1].id,
            "A new work plan will bring the late milestones in within six months.",
            user="Project coordinator",
        )
        assert appeal.id is not None
        rule_appeal(
            workspace,
            appeal.id,
            "upheld",
            "No new evidence of progress was brought to the gate.",
            user="Appeals committee",
        )
    return gated, recorded


def _load_consultation(workspace: Workspace, data: Path, step: Callable[[str, float, str], None]) -> None:
    from missionboard.services.demo import consultation

    started = time.perf_counter()
    loaded = consultation.load(workspace, data, user=DEMO_USER)
    step(
        "consultation",
        started,
        f"'{loaded.consultation}' closed with {loaded.online + len(loaded.hidden)} online and "
        f"{loaded.imported} workshop responses ({len(loaded.hidden)} hidden as spam)",
    )


REVIEW_SHARE = 0.3
"""Share of proposed links the demo's analysts have reviewed, so that the review history is not empty."""


def _map_missions(
    workspace: Workspace,
    missions: list[str],
    projects: list[DemoProject],
    step: Callable[[str, float, str], None],
) -> None:
    """Map the portfolio to every mission with its objectives' queries, then review a sample of links.

    The demo uses the transparent query method so that it builds in seconds; ``missionboard map
    --mission ID`` re-scores with the default ensemble. The reviews follow what each project was
    written about, as an analyst reading it would.
    """
    import random

    from missionboard.services.mapping import map_projects, review_links

    started = time.perf_counter()
    proposed = 0
    for mission_id in missions:
        proposed += map_projects(
            workspace, None, mission_id=mission_id, method="query", user=DEMO_USER
        ).proposed
    step("map", started, f"{proposed} links proposed to {len(missions)} missions (query method)")

    started = time.perf_counter()
    truth = {p.id: (p.theme.mission, p.theme.objective) for p in projects}
    with workspace.reading() as session:
        rows = LinkStore(session).proposed_sources()
        # a link to an outcome is right when the outcome leads to the objective the project serves
        serves = {
            mission_taxonomy(v.mission.id): v.mission.link_attribution() for v in MissionStore(session).list()
        }
    rng = random.Random(2030)
    reviewed: dict[str, list[int]] = {"accept": [], "reject": []}
    for link_id, taxonomy, goal, source_id in rows:
        if rng.random() >= REVIEW_SHARE:
            continue
        mission, objective = truth.get(source_id.removeprefix("XM-DEMO-NDA-"), (None, None))
        right = (
            mission is not None
            and mission_taxonomy(mission) == taxonomy
            and objective in serves.get(taxonomy, {}).get(goal, [])
        )
        reviewed["accept" if right else "reject"].append(link_id)
    for decision, link_ids in reviewed.items():  # one transaction per decision, as a bulk review
        review_links(workspace, link_ids, decision, user="demo analyst")
    step(
        "review",
        started,
        f"{len(reviewed['accept'])} links accepted and {len(reviewed['reject'])} rejected by analysts",
    )
