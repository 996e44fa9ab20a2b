"""Quick reads: what the commands that must start in ≤ 0.3 s read from a workspace without SQLAlchemy.

Importing SQLAlchemy, its ORM and the table classes costs a command 0.25–0.45 s on a 2-core machine
before it reads a row, which is more than ``missionboard mission list`` may take in all. On the embedded
default (a SQLite file) these few reads go through the standard library's ``sqlite3`` instead: the same
SQLite library SQLAlchemy's driver uses, so no second one enters the process. The SQL is fixed text
with no values spliced in; ``tests/store/test_quick_reads.py`` checks every read against the ORM's
answer on the same workspace.

``QuickReader.open`` answers None wherever a quick read could differ from the ordinary way: a workspace
on PostgreSQL, a file that is missing or not a SQLite database, a schema that is not the current one
(the ordinary way migrates it or says why it cannot). The caller then opens the workspace as usual.
The module also holds the facts about the schema both ways share (its migration heads, the tables
``info`` counts), so that neither has to import the other to know them.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

SCHEMA_HEADS = frozenset(
    {
        "0002_funding_detail",
        "analytics_0002",
        "consult_0002",
        "landscape_0001",
        "learning_0001",
        "mapping_0002",
        "monitoring_0002",
        "oidc_0001",
        "perf_0001",
        "review_0001",
        "web_0003",
    }
)
"""The heads of the migrations under ``migrations/versions`` (a test checks them against Alembic's own
reading): opening an up-to-date workspace compares its applied heads with these, without loading Alembic."""

COUNTED_TABLES = {
    "missions": "missions",
    "projects": "projects",
    "actors": "actors",
    "participations": "participations",
    "indicators": "indicators",
    "observations": "observations",
    "links": "links",
    "decisions": "decisions",
    "import runs": "import_runs",
    "audit events": "audit_events",
}
"""What ``missionboard info`` counts, in its order: the name it shows → the table."""

BUSY_TIMEOUT_MS = int(os.environ.get("MISSIONBOARD_BUSY_TIMEOUT_MS", "10000"))
"""How long a statement waits for another connection's lock before it fails as busy."""


def read_only_uri(path: str) -> str:
    """A SQLite URI that opens the file at ``path`` without writing anything, not even the WAL's -shm file.

    In a folder this process may write, ``mode=ro``: the file is read as other processes change it.
    Where the folder (or the file) cannot be written, no -shm file can be made and SQLite must be told
    the file is ``immutable``: nobody can change it there.
    """
    real = os.path.realpath(path)
    frozen = not os.access(os.path.dirname(real), os.W_OK) or not os.access(real, os.W_OK)
    if frozen and os.path.exists(f"{real}-wal") and os.path.exists(f"{real}-shm"):
        frozen = False  # SQLite reads the WAL read-only where both of its files are there already
    return f"file:{quote(real)}?{'immutable=1' if frozen else 'mode=ro'}"


@dataclass(frozen=True)
class MissionSummary:
    """One line of ``missionboard mission list``: a mission's current version, in brief."""

    id: str
    title: str
    owner: str
    status: str
    deadline: dt.date | None
    objectives: int
    version: int


_MISSION_SUMMARIES = """
SELECT m.id, m.title, m.owner, m.status, m.deadline, m.current_version,
       coalesce(json_array_length(v.document, '$.objectives'), 0)
FROM missions AS m
JOIN mission_versions AS v ON v.mission_id = m.id AND v.version = m.current_version
ORDER BY m.id
"""
_COUNTS = {
    "missions": "SELECT count(*) FROM missions",
    "projects": "SELECT count(*) FROM projects",
    "actors": "SELECT count(*) FROM actors",
    "participations": "SELECT count(*) FROM participations",
    "indicators": "SELECT count(*) FROM indicators",
    "observations": "SELECT count(*) FROM observations",
    "links": "SELECT count(*) FROM links",
    "decisions": "SELECT count(*) FROM decisions",
    "import runs": "SELECT count(*) FROM import_runs",
    "audit events": "SELECT count(*) FROM audit_events",
}
"""One statement per entry of ``COUNTED_TABLES`` (a test keeps the two in step)."""


class QuickReader:
    """A read-only connection to a current SQLite workspace; close it (or use ``with``) when done."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._connection = connection
        self.path = path

    @classmethod
    def open(cls, path: Path) -> QuickReader | None:
        """A reader of the SQLite workspace at ``path``, or None where the ordinary way must answer."""
        if not path.is_file():
            return None
        try:
            connection = sqlite3.connect(read_only_uri(str(path)), uri=True, isolation_level=None)
        except sqlite3.Error:
            return None
        try:
            connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS:d}")
            connection.execute("PRAGMA query_only=ON")
            heads = {row[0] for row in connection.execute("SELECT version_num FROM alembic_version")}
        except sqlite3.Error:  # not a database, no alembic_version: the ordinary way says what it is
            connection.close()
            return None
        if heads != SCHEMA_HEADS:
            connection.close()
            return None
        return cls(connection, path)

    def __enter__(self) -> QuickReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._connection.close()

    def schema(self) -> str:
        """The applied migration heads, as ``Workspace.revision`` writes them."""
        return ",".join(sorted(SCHEMA_HEADS))

    def mission_summaries(self) -> list[MissionSummary]:
        """Every mission's current version, by id."""
        with self._snapshot():
            rows = self._connection.execute(_MISSION_SUMMARIES).fetchall()
        return [
            MissionSummary(
                id=mission_id,
                title=title,
                owner=owner,
                status=status,
                deadline=dt.date.fromisoformat(deadline) if deadline else None,
                objectives=int(objectives),
                version=int(version),
            )
            for mission_id, title, owner, status, deadline, version, objectives in rows
        ]

    def record_counts(self) -> dict[str, int]:
        """Records per kind, in the order of ``COUNTED_TABLES``, all read from one snapshot."""
        with self._snapshot():
            return {
                name: int(self._connection.execute(query).fetchone()[0]) for name, query in _COUNTS.items()
            }

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """One read transaction: every statement inside sees the same committed state."""
        self._connection.execute("BEGIN")
        try:
            yield
        finally:
            self._connection.execute("COMMIT")
