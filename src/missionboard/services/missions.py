"""Mission use cases: validate, import, edit, export, history and the quality check."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from missionboard.domain.history import MissionDiff
from missionboard.domain.missions import Mission, MissionVersion
from missionboard.domain.quality import PortfolioProfile, QualityReport, StartYear
from missionboard.domain.quality import check_mission as judge
from missionboard.errors import AlreadyExists, EditConflict, InputError, MissionboardError, Problem
from missionboard.missionfile import (
    dump_mission as dump_mission,  # the mission file format, for the interfaces
)
from missionboard.missionfile import mission_document as mission_document
from missionboard.missionfile import mission_schema as mission_schema
from missionboard.missionfile import parse_mission as parse_mission
from missionboard.missionfile import read_mission as read_mission
from missionboard.services.glance_missions import exported_yaml, versions_diff
from missionboard.store import audit
from missionboard.store.missions import MissionStore
from missionboard.store.quick import MissionSummary
from missionboard.store.workspace import Session, Workspace

# The portfolio reads are imported where they are used: `mission list` and the other everyday commands
# import this module and should not pay for them.


@dataclass(frozen=True)
class ImportOutcome:
    file: str
    mission_id: str
    version: int
    changed: bool


def validate_files(paths: Sequence[Path]) -> list[tuple[Path, Mission | InputError]]:
    """Read every file; return the mission or the problems for each. Writes nothing."""
    results: list[tuple[Path, Mission | InputError]] = []
    for path in paths:
        try:
            results.append((path, read_mission(path)))
        except InputError as exc:
            results.append((path, exc))
    return results


def import_missions(
    workspace: Workspace, paths: Sequence[Path], *, user: str, comment: str = ""
) -> list[ImportOutcome]:
    """Import mission files in one transaction: if any file is invalid, nothing is written."""
    missions: list[tuple[Path, Mission]] = []
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    for path, result in validate_files(paths):
        if isinstance(result, InputError):
            problems += result.problems
            continue
        if result.id in seen:
            problems.append(
                Problem(str(path), None, "mission.id", f"'{result.id}' is also defined in {seen[result.id]}")
            )
            continue
        seen[result.id] = path
        missions.append((path, result))
    if problems:
        raise InputError(problems)
    outcomes = []
    with workspace.transaction() as session:
        for path, mission in missions:
            version, changed = _save(session, mission, user=user, origin=path.name, comment=comment)
            outcomes.append(ImportOutcome(str(path), mission.id, version.version, changed))
    return outcomes


def _save(
    session: Session, mission: Mission, *, user: str, origin: str, comment: str
) -> tuple[MissionVersion, bool]:
    store = MissionStore(session)
    before = mission_document(store.get(mission.id).mission) if store.exists(mission.id) else None
    version, changed = store.save(mission, author=user, origin=origin, comment=comment)
    if changed:
        audit.record(
            session,
            actor=user,
            action="mission.create" if before is None else "mission.update",
            entity="mission",
            entity_id=mission.id,
            before=before,
            after={"version": version.version, **mission_document(mission)},
        )
    return version, changed


def save_mission(
    workspace: Workspace,
    mission: Mission,
    *,
    user: str,
    origin: str = "edit",
    comment: str = "",
    base_version: int | None = None,
) -> MissionVersion:
    """Store an edited mission; a new version is written only when something changed.

    ``base_version`` is the version the editor started from: when another one was saved since, the edit
    is refused with ``EditConflict`` instead of silently undoing the other's change.
    """
    with workspace.transaction() as session:
        # the mission's row is locked first (PostgreSQL; SQLite writers hold the database's write lock):
        # two saves of one mission never compute the same next version, nor check a stale base version
        current = MissionStore(session).lock_current_version(mission.id)
        if base_version is not None and current is not None and current != base_version:
            latest = MissionStore(session).get(mission.id)
            raise EditConflict(
                f"mission '{mission.id}' was saved as version {latest.version} by {latest.author} "
                f"while you edited version {base_version}: nothing was saved; reload it, make your "
                "change again and save"
            )
        return _save(session, mission, user=user, origin=origin, comment=comment)[0]


def create_mission(
    workspace: Workspace, mission: Mission, *, user: str, origin: str = "edit", comment: str = ""
) -> MissionVersion:
    """Store a new mission; refused when one with its id exists, also when two are created at once
    (the second would otherwise silently become version 2 of the first)."""
    exists = InputError(
        Problem("request", None, "id", f"a mission '{mission.id}' already exists; edit it instead")
    )
    try:
        with workspace.transaction() as session:
            if MissionStore(session).exists(mission.id):
                raise exists
            saved, changed = _save(session, mission, user=user, origin=origin, comment=comment)
            if not changed or saved.version != 1:  # created by another transaction since the check
                raise exists  # (PostgreSQL reads each statement afresh): rolled back
            return saved
    except AlreadyExists as error:  # PostgreSQL: another transaction created it since this one looked
        raise exists from error


def save_mission_yaml(
    workspace: Workspace,
    text: str,
    *,
    user: str,
    origin: str = "edit",
    filename: str = "<editor>",
    comment: str = "",
) -> MissionVersion:
    return save_mission(workspace, parse_mission(text, filename), user=user, origin=origin, comment=comment)


def delete_mission(workspace: Workspace, mission_id: str, *, user: str) -> None:
    with workspace.transaction() as session:
        mission = MissionStore(session).delete(mission_id)
        audit.record(
            session,
            actor=user,
            action="mission.delete",
            entity="mission",
            entity_id=mission_id,
            before=mission_document(mission),
            after=None,
        )


def list_missions(workspace: Workspace) -> list[MissionVersion]:
    with workspace.reading() as session:
        return MissionStore(session).list()


def mission_summaries(workspace: Workspace) -> list[MissionSummary]:
    """Every mission's current version in brief, by id (what ``mission list`` shows; ``services.glance``
    reads the same from a current SQLite file without opening it this way)."""
    return [mission_summary(version) for version in list_missions(workspace)]


def mission_summary(version: MissionVersion) -> MissionSummary:
    """A stored mission version in brief."""
    mission = version.mission
    return MissionSummary(
        id=mission.id,
        title=mission.title,
        owner=mission.owner,
        status=str(mission.status),
        deadline=mission.deadline,
        objectives=len(mission.objectives),
        version=version.version,
    )


def get_mission(workspace: Workspace, mission_id: str, version: int | None = None) -> MissionVersion:
    with workspace.reading() as session:
        return MissionStore(session).get(mission_id, version)


def export_mission(workspace: Workspace, mission_id: str, version: int | None = None) -> str:
    with workspace.reading() as session:
        store = MissionStore(session)
        return exported_yaml(store.get, store.yaml_text, mission_id, version)


def mission_history(workspace: Workspace, mission_id: str) -> list[MissionVersion]:
    with workspace.reading() as session:
        return MissionStore(session).history(mission_id)


def diff_versions(
    workspace: Workspace, mission_id: str, old: int | None = None, new: int | None = None
) -> MissionDiff:
    """Differences between two versions (default: the previous and the current one)."""
    with workspace.reading() as session:
        store = MissionStore(session)
        return versions_diff(store.get, store.yaml_text, mission_id, old, new)


def check_mission(workspace: Workspace | None, mission: Mission | str) -> QualityReport:
    """Run the quality check, with the workspace's observations and linked portfolio where available."""

    if isinstance(mission, str):
        if workspace is None:
            raise MissionboardError("a mission id needs a workspace")
        mission = get_mission(workspace, mission).mission
    if workspace is None:
        return judge(mission)
    with workspace.reading() as session:
        observations = _observations(session, mission)
        portfolio = _portfolio_profile(session, mission, start=mission.start)
    return judge(mission, observations=observations, portfolio=portfolio)


def _observations(session: Session, mission: Mission) -> dict[str, list[tuple[int, float]]]:
    """Per indicator, the yearly series exactly as ``monitor`` reads it today (the same geography,
    source preference and revisions), so the quality check and monitoring judge the same numbers."""
    from missionboard.monitoring.indicators import load_series, unit_key  # the monitoring package is heavy
    from missionboard.store.mission_portfolio import MissionPortfolioStore

    out: dict[str, list[tuple[int, float]]] = {}
    today = dt.datetime.now(dt.UTC).date()  # the day monitor judges by default
    reads = MissionPortfolioStore(session)
    for objective in mission.objectives:
        if objective.indicator is None:
            continue
        known = reads.indicator_source(objective.indicator.id)
        if known is not None and unit_key(known.unit) != unit_key(objective.indicator.unit):
            out[objective.indicator.id] = []  # observed in another unit: monitor says no_data, so no verdict
            continue
        series = load_series(
            session,
            objective.indicator.id,
            geography=mission.geography,
            as_of=today,
            preferred_source=(known.source if known is not None else None) or objective.indicator.source,
        )
        out[objective.indicator.id] = [(v.year, v.value) for v in series.values]
    return out


def _portfolio_profile(
    session: Session, mission: Mission | str, *, start: dt.date | None = None
) -> PortfolioProfile:
    """The portfolio's profile (the one rule of ``domain.portfolio_rule``); with ``start``, also its
    projects and money by start year, split into new (started on or after ``start``) and relabelled
    (started before), the money in the mission's reporting currency."""
    from missionboard.domain.portfolio import INSTRUMENT_FAMILY, InstrumentType
    from missionboard.domain.portfolio_rule import DEFAULT_RULE
    from missionboard.store.mission_portfolio import MissionPortfolioStore

    if isinstance(mission, str):
        mission = MissionStore(session).get(mission).mission
    reads = MissionPortfolioStore(session)
    groups = reads.project_groups(mission)
    helix = Counter({(h or "unknown"): n for h, n in reads.participants_by_helix(mission).items()})
    families: Counter[str] = Counter()
    sectors: Counter[str] = Counter()
    funders: Counter[str] = Counter()
    programmes: Counter[str] = Counter()
    for group in groups:
        n = group.projects
        if group.instrument and group.instrument in InstrumentType._value2member_map_:
            families[INSTRUMENT_FAMILY[InstrumentType(group.instrument)].value] += n
        for sector in group.sectors:
            sectors[sector] += n
        if group.funder:
            funders[group.funder] += n
        if group.programme:
            programmes[group.programme] += n
    split = _by_start_year(session, mission, start) if start is not None else None
    return PortfolioProfile(
        projects=sum(g.projects for g in groups),
        helix=helix,
        sectors=sectors,
        instrument_families=families,
        funders=funders,
        programmes=programmes,
        disciplines=reads.projects_by_discipline(mission),
        linked_by_goal=reads.linked_by_goal(mission),
        rule=DEFAULT_RULE.describe(),
        split_at=start,
        start_years=split.years if split else (),
        undated=split.undated if split else 0,
        currency=split.currency if split else None,
        unconverted=split.unconverted if split else 0,
    )


@dataclass(frozen=True)
class _Split:
    years: tuple[StartYear, ...]
    undated: int
    currency: str | None
    unconverted: int
    """Dated projects whose money has no conversion into ``currency`` (counted, money left out)."""


def _by_start_year(session: Session, mission: Mission, start: dt.date) -> _Split:
    """Portfolio projects and money per (start year, before ``start`` or not), grouped in the database
    (a few dozen rows however many projects are linked). Money and conversion follow
    ``domain.portfolio_rule``: the budget, else public funding plus co-funding, converted into the
    mission's reporting currency at the rate of the start year; a group's sums convert as its projects
    would one by one, since they share the year and the currencies."""
    from missionboard.domain.portfolio_rule import convert_money
    from missionboard.store.mission_portfolio import MissionPortfolioStore
    from missionboard.store.portfolio_scope import mission_currency, rate_table

    rates = rate_table(session)
    currency, _ = mission_currency(session, mission, rates)
    years: defaultdict[int, defaultdict[str, float]] = defaultdict(lambda: defaultdict(float))
    undated = unconverted = 0
    for group in MissionPortfolioStore(session).start_year_groups(mission, start):
        if group.year is None:
            undated += group.projects
            continue
        slot, kind = years[group.year], "relabelled" if group.before_split else "new"
        slot[f"{kind}_projects"] += group.projects
        converted = convert_money(group.money, currency, group.year, rates)
        if converted.amount is not None:
            slot[f"{kind}_money"] += converted.amount
        elif converted.unconverted:
            unconverted += group.projects
    return _Split(
        tuple(
            StartYear(
                y,
                new_projects=int(v["new_projects"]),
                relabelled_projects=int(v["relabelled_projects"]),
                new_money=v["new_money"],
                relabelled_money=v["relabelled_money"],
            )
            for y, v in sorted(years.items())
        ),
        undated,
        currency,
        unconverted,
    )
