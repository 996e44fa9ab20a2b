"""Mission use cases: validate, import, edit, export, history and the quality check."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Text, cast, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from missionboard.domain.history import MissionDiff, diff_documents
from missionboard.domain.missions import Mission, MissionVersion
from missionboard.domain.portfolio import INSTRUMENT_FAMILY, InstrumentType
from missionboard.domain.quality import PortfolioProfile, QualityReport
from missionboard.domain.quality import check_mission as judge
from missionboard.errors import EditConflict, InputError, MissionboardError, Problem
from missionboard.missionfile import mission_document, parse_mission, read_mission
from missionboard.store import audit
from missionboard.store import tables as t
from missionboard.store.missions import MissionStore
from missionboard.store.workspace import Workspace

LINK_THRESHOLD = 0.5
"""Proposed links at or above this score count towards a mission's portfolio profile."""


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
        current = session.scalar(
            select(t.MissionRow.current_version).where(t.MissionRow.id == mission.id).with_for_update()
        )
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
    except IntegrityError as error:  # PostgreSQL: another transaction created it since this one looked
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


def get_mission(workspace: Workspace, mission_id: str, version: int | None = None) -> MissionVersion:
    with workspace.reading() as session:
        return MissionStore(session).get(mission_id, version)


def export_mission(workspace: Workspace, mission_id: str, version: int | None = None) -> str:
    with workspace.reading() as session:
        store = MissionStore(session)
        current = store.get(mission_id, version)
        return store.yaml_text(mission_id, current.version)


def mission_history(workspace: Workspace, mission_id: str) -> list[MissionVersion]:
    with workspace.reading() as session:
        return MissionStore(session).history(mission_id)


def diff_versions(
    workspace: Workspace, mission_id: str, old: int | None = None, new: int | None = None
) -> MissionDiff:
    """Differences between two versions (default: the previous and the current one)."""
    with workspace.reading() as session:
        store = MissionStore(session)
        current = store.get(mission_id)
        new = current.version if new is None else new
        old = max(1, new - 1) if old is None else old
        a, b = store.get(mission_id, old), store.get(mission_id, new)
        return diff_documents(
            mission_id,
            old,
            mission_document(a.mission),
            store.yaml_text(mission_id, old),
            new,
            mission_document(b.mission),
            store.yaml_text(mission_id, new),
        )


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
        portfolio = _portfolio_profile(session, mission.id)
    return judge(mission, observations=observations, portfolio=portfolio)


def _observations(session: Session, mission: Mission) -> dict[str, list[tuple[int, float]]]:
    """Per indicator, the newest revision of each year's value (mission geography preferred)."""
    out: dict[str, list[tuple[int, float]]] = {}
    for objective in mission.objectives:
        if objective.indicator is None:
            continue
        rows = session.execute(
            select(
                t.ObservationRow.year,
                t.ObservationRow.value,
                t.ObservationRow.geography,
                t.ObservationRow.revision,
            )
            .where(t.ObservationRow.indicator_id == objective.indicator.id)
            .order_by(t.ObservationRow.year, t.ObservationRow.revision)
        ).all()
        geographies = {r.geography for r in rows}
        wanted = (
            mission.geography
            if mission.geography in geographies
            else ("" if "" in geographies else (sorted(geographies)[0] if geographies else ""))
        )
        by_year: dict[int, float] = {}
        for row in rows:
            if row.geography == wanted:
                by_year[row.year] = row.value  # later revisions overwrite earlier ones
        out[objective.indicator.id] = sorted(by_year.items())
    return out


def _portfolio_profile(session: Session, mission_id: str) -> PortfolioProfile:
    taxonomy = f"mission:{mission_id}"
    linked = (
        select(t.LinkRow.project_id)
        .where(
            t.LinkRow.taxonomy == taxonomy,
            (t.LinkRow.status == "accepted")
            | ((t.LinkRow.status == "proposed") & (t.LinkRow.score >= LINK_THRESHOLD)),
        )
        .distinct()
        .subquery()
    )
    # Grouped in the database: a mission may link hundreds of thousands of projects, which share a
    # few thousand (instrument, funder, programme, sectors) combinations.
    sectors_text = cast(t.ProjectRow.sectors, Text)
    combinations = session.execute(
        select(
            t.ProjectRow.instrument, t.ProjectRow.funder, t.ProjectRow.programme, sectors_text, func.count()
        )
        .where(t.ProjectRow.id.in_(select(linked.c.project_id)))
        .group_by(t.ProjectRow.instrument, t.ProjectRow.funder, t.ProjectRow.programme, sectors_text)
    ).all()
    helix = Counter(
        {
            (h or "unknown"): n
            for h, n in session.execute(
                select(t.ActorRow.helix, func.count())
                .join(t.ParticipationRow, t.ParticipationRow.actor_id == t.ActorRow.id)
                .where(t.ParticipationRow.project_id.in_(select(linked.c.project_id)))
                .where(t.ParticipationRow.role != "funder")
                .group_by(t.ActorRow.helix)
            ).all()
        }
    )
    families: Counter[str] = Counter()
    sectors: Counter[str] = Counter()
    funders: Counter[str] = Counter()
    programmes: Counter[str] = Counter()
    for instrument, funder, programme, sector_list, n in combinations:
        if instrument in InstrumentType._value2member_map_:
            families[INSTRUMENT_FAMILY[InstrumentType(instrument)].value] += n
        for sector in json.loads(sector_list) if sector_list else []:
            sectors[sector] += n
        if funder:
            funders[funder] += n
        if programme:
            programmes[programme] += n
    return PortfolioProfile(
        projects=sum(n for *_, n in combinations),
        helix=helix,
        sectors=sectors,
        instrument_families=families,
        funders=funders,
        programmes=programmes,
    )
