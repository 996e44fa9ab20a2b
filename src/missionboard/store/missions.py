"""Missions and their versions: every import or edit that changes a mission adds a version."""

from __future__ import annotations

import builtins
import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from missionboard.domain.missions import Mission, MissionVersion
from missionboard.errors import AlreadyExists, NotFound
from missionboard.store.tables import MissionRow, MissionVersionRow


def _to_version(row: MissionVersionRow) -> MissionVersion:
    return MissionVersion(
        mission_id=row.mission_id,
        version=row.version,
        mission=Mission.model_validate(row.document),
        author=row.author,
        created_at=row.created_at,
        comment=row.comment,
        origin=row.origin or "",
    )


class MissionStore:
    """Reads and writes missions inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def exists(self, mission_id: str) -> bool:
        return self.session.get(MissionRow, mission_id) is not None

    def lock_current_version(self, mission_id: str) -> int | None:
        """The mission's current version number, its row locked until the transaction ends (PostgreSQL;
        SQLite writers hold the database's write lock): two saves never compute the same next version."""
        return self.session.scalar(
            select(MissionRow.current_version).where(MissionRow.id == mission_id).with_for_update()
        )

    def get(self, mission_id: str, version: int | None = None) -> MissionVersion:
        row = self.session.get(MissionRow, mission_id)
        if row is None:
            raise NotFound(f"no mission '{mission_id}' in this workspace (see 'missionboard mission list')")
        wanted = row.current_version if version is None else version
        version_row = self.session.scalar(
            select(MissionVersionRow).where(
                MissionVersionRow.mission_id == mission_id, MissionVersionRow.version == wanted
            )
        )
        if version_row is None:
            raise NotFound(f"mission '{mission_id}' has no version {wanted} (it has 1…{row.current_version})")
        return _to_version(version_row)

    def list(self) -> list[MissionVersion]:
        """The current version of every mission, by id."""
        rows = self.session.execute(
            select(MissionVersionRow)
            .join(MissionRow, MissionRow.id == MissionVersionRow.mission_id)
            .where(MissionVersionRow.version == MissionRow.current_version)
            .order_by(MissionRow.id)
        ).scalars()
        return [_to_version(row) for row in rows]

    def history(self, mission_id: str) -> builtins.list[MissionVersion]:
        if not self.exists(mission_id):
            raise NotFound(f"no mission '{mission_id}' in this workspace (see 'missionboard mission list')")
        rows = self.session.scalars(
            select(MissionVersionRow)
            .where(MissionVersionRow.mission_id == mission_id)
            .order_by(MissionVersionRow.version)
        )
        return [_to_version(row) for row in rows]

    def save(
        self, mission: Mission, *, author: str, origin: str = "", comment: str = ""
    ) -> tuple[MissionVersion, bool]:
        """Store ``mission`` as a new version if it differs from the current one.

        Returns the current version afterwards and whether a new version was written.
        """
        # imported late: the mission file format (and YAML) only matters when writing; the reads that
        # monitor, story, compare and the indicator commands make do without it
        from missionboard.missionfile import dump_mission, mission_document

        document = mission_document(mission)
        now = dt.datetime.now(dt.UTC)
        row = self.session.get(MissionRow, mission.id)
        if row is not None:
            current = self.get(mission.id)
            if mission_document(current.mission) == document:
                return current, False
            number = row.current_version + 1
        else:
            number = 1
            row = MissionRow(id=mission.id, created_at=now, current_version=0)
            self.session.add(row)
        row.title = mission.title
        row.owner = mission.owner
        row.status = mission.status.value
        row.public = mission.public
        row.deadline = mission.deadline
        row.current_version = number
        row.updated_at = now
        version_row = MissionVersionRow(
            mission_id=mission.id,
            version=number,
            document=document,
            yaml_text=dump_mission(mission),
            author=author,
            comment=comment,
            origin=origin,
            created_at=now,
        )
        self.session.add(version_row)
        try:
            self.session.flush()
        except IntegrityError as error:  # PostgreSQL: another transaction created it since this one looked
            raise AlreadyExists(f"mission '{mission.id}' was created by someone else meanwhile") from error
        return _to_version(version_row), True

    def yaml_text(self, mission_id: str, version: int) -> str:
        text = self.session.scalar(
            select(MissionVersionRow.yaml_text).where(
                MissionVersionRow.mission_id == mission_id, MissionVersionRow.version == version
            )
        )
        if text is None:
            raise NotFound(f"mission '{mission_id}' has no version {version}")
        return text

    def delete(self, mission_id: str) -> Mission:
        row = self.session.get(MissionRow, mission_id)
        if row is None:
            raise NotFound(f"no mission '{mission_id}' in this workspace")
        mission = self.get(mission_id).mission
        for version in self.session.scalars(
            select(MissionVersionRow).where(MissionVersionRow.mission_id == mission_id)
        ):
            self.session.delete(version)
        self.session.delete(row)
        return mission
