"""A columnar snapshot of the large portfolio tables, kept next to a SQLite workspace.

Decoding millions of SQLite rows is most of what loading costs. The snapshot keeps the columns the
loader reads from projects, actors and participations as uncompressed Arrow IPC files, which are
memory-mapped back into the very Arrow tables the loader would have read: nothing is decoded.

It lives in ``<database>.analytics/snapshot-<fingerprint>/``. The fingerprint hashes the
``data_versions`` counter that every writer of those tables bumps in its own transaction, the tables'
highest ids (a safety net for rows added some other way) and the loader's queries, so a snapshot is
never used once the data or the columns it was made from changed. A folder is written under a
temporary name and renamed when complete; one that cannot be read back as the manifest says is removed
and made again. Snapshots are saved by a child process (``save_snapshot``) that reads the database
through ADBC only: ADBC links its own copy of SQLite, which must not open the file in a process that
also holds the workspace's connections to it (closing it would drop their POSIX locks and can lose
their writes).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from missionboard.store.analytics import AnalyticsStore
from missionboard.store.workspace import Workspace

FORMAT = 1
"""Bumped when the folder layout changes: older snapshots are then ignored. (The whole portfolio's arrays,
``precomputed``, are an optional part with a version of their own: a snapshot saved without them is
analysed as before until the next import saves one with them.)"""
CHUNK_ROWS = 262_144
MANIFEST = "manifest.json"
PREFIX = "snapshot-"
TEMPORARY = "tmp-"
STALE_TEMPORARY_SECONDS = 3600.0

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # imported where tables are read or written: finding the folder needs no Arrow
    import pyarrow as pa

Tables: TypeAlias = "dict[str, pa.Table]"


@dataclass(frozen=True)
class Loaded:
    tables: Tables
    status: str
    """'fresh' (the snapshot was there) or 'built' (it was saved first)."""
    build_seconds: float | None = None
    path: Path | None = None
    """The snapshot's folder (where ``precomputed`` keeps the whole portfolio's arrays)."""


def folder(workspace: Workspace) -> Path | None:
    """Where a workspace's snapshots go; None for PostgreSQL and in-memory SQLite."""
    if not workspace.is_sqlite:
        return None
    database = workspace.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(f"{database}.analytics")


def fingerprint_of(found: tuple[Any, ...] | None, signature: str) -> str:
    """A digest that changes with every counted write to the portfolio tables and with ``signature``.

    ``found`` is the stamp the store reads (``AnalyticsStore.snapshot_stamp``: the portfolio's data
    version and the highest id of each table): through the workspace's session here, through ADBC in the
    process that saves a snapshot.
    """
    values = [int(value or 0) for value in (found or ())]
    stamp = json.dumps([FORMAT, values, signature])
    return hashlib.sha256(stamp.encode()).hexdigest()[:24]


def fingerprint(workspace: Workspace, signature: str) -> str:
    with workspace.reading() as session:
        found = AnalyticsStore(session).snapshot_stamp()
    return fingerprint_of(found, signature)


def load(workspace: Workspace, signature: str) -> Loaded | None:
    """The large tables from a fresh snapshot, saved first (in a child process) where it is missing or stale.

    ``signature`` names what the snapshot holds (the loader's queries): a change of columns makes older
    snapshots stale. None where the workspace has no snapshot folder or none could be saved (the portfolio
    changed while it was read, a read-only disk, no ADBC driver): the caller reads the database then.
    """
    root = folder(workspace)
    if root is None:
        return None
    stamp = fingerprint(workspace, signature)
    found = _open(root / f"{PREFIX}{stamp}", stamp)
    if found is not None:
        return Loaded(found, "fresh", path=root / f"{PREFIX}{stamp}")
    started = time.perf_counter()
    if not _save_in_child(workspace):
        return None
    stamp = fingerprint(workspace, signature)
    found = _open(root / f"{PREFIX}{stamp}", stamp)
    if found is None:
        return None
    return Loaded(found, "built", round(time.perf_counter() - started, 3), root / f"{PREFIX}{stamp}")


def save(workspace: Workspace, signature: str) -> bool:
    """Save the snapshot where it is missing or stale (after an import), without reading it back: whether
    one of the portfolio as it is now is there. An import needs only that: it is spared importing and
    mapping Arrow (0.15 s CPU and 80 MB of peak memory of a 100,000-row import, measured); a damaged
    folder is found and made again by ``load``."""
    root = folder(workspace)
    if root is None:
        return False
    if (root / f"{PREFIX}{fingerprint(workspace, signature)}" / MANIFEST).is_file():
        return True
    return _save_in_child(workspace) and (root / f"{PREFIX}{fingerprint(workspace, signature)}").is_dir()


def _save_in_child(workspace: Workspace) -> bool:
    database = str(workspace.engine.url.database)
    # a process of its own: ADBC brings a second copy of SQLite, which must not share this process with
    # the workspace's connections (closing a file drops every POSIX lock the process holds on it)
    done = subprocess.run(
        [sys.executable, "-m", "missionboard.analytics.save_snapshot", database],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        log.warning("analytics snapshot of %s not saved: %s", database, done.stderr.strip()[-2000:])
        return False
    return True


def save_consistent(
    database: str,
    stamp_now: Callable[[], str],
    read: Callable[[], Tables],
    derive: Callable[[Path, Tables], None] | None = None,
) -> str | None:
    """Save ``read()`` as the snapshot of ``database``, unless a write was committed while it was read.

    The fingerprint is taken before and after the read: the counter only grows, so equal fingerprints
    mean that no counted write came in between. ``derive(folder, tables)`` writes what is computed from
    the tables into the snapshot's folder before it is published (``precomputed``). Returns the
    fingerprint, or None when nothing was saved.
    """
    root = Path(f"{database}.analytics")
    stamp = stamp_now()
    if _open(root / f"{PREFIX}{stamp}", stamp) is not None:
        return stamp  # saved meanwhile by another process
    tables = read()
    if stamp_now() != stamp:
        log.info("analytics snapshot not saved: the portfolio changed while it was read")
        return None
    # what ``derive`` reads besides the tables (texts) must be of the same state: checked again last
    if not _save(root, stamp, tables, derive, lambda: stamp_now() == stamp):
        log.info("analytics snapshot not saved: the portfolio changed while it was derived")
        return None
    return stamp


def _open(path: Path, stamp: str) -> Tables | None:
    if not path.is_dir():
        return None
    import pyarrow as pa

    try:
        manifest = json.loads((path / MANIFEST).read_text())
        if manifest["format"] != FORMAT or manifest["fingerprint"] != stamp:
            raise ValueError("manifest does not match its folder")
        tables: Tables = {}
        for name, expected in manifest["tables"].items():
            with pa.memory_map(str(path / f"{name}.arrow")) as source:
                table = pa.ipc.open_file(source).read_all()
            if table.num_rows != expected["rows"] or table.schema.to_string() != expected["schema"]:
                raise ValueError(f"{name}.arrow does not hold what the manifest says")
            table.validate()
            tables[name] = table
        return tables
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException) as exc:
        log.warning("analytics snapshot %s is unreadable (%s): made again", path, exc)
        shutil.rmtree(path, ignore_errors=True)
        return None


def _save(
    root: Path,
    stamp: str,
    tables: Tables,
    derive: Callable[[Path, Tables], None] | None = None,
    current: Callable[[], bool] | None = None,
) -> bool:
    """Write the folder of ``stamp`` (published by a rename once complete); False where ``current()``
    says, before the rename, that the portfolio changed meanwhile (nothing is published then)."""
    import pyarrow as pa

    root.mkdir(exist_ok=True)
    temporary = root / f"{TEMPORARY}{uuid.uuid4().hex}"
    temporary.mkdir()
    try:
        manifest: dict[str, object] = {"format": FORMAT, "fingerprint": stamp, "tables": {}}
        for name, table in tables.items():
            with (
                pa.OSFile(str(temporary / f"{name}.arrow"), "wb") as sink,
                pa.ipc.new_file(sink, table.schema) as writer,
            ):
                writer.write_table(table, max_chunksize=CHUNK_ROWS)
            manifest["tables"][name] = {"rows": table.num_rows, "schema": table.schema.to_string()}  # type: ignore[index]
        if derive is not None:
            derive(temporary, tables)
        (temporary / MANIFEST).write_text(json.dumps(manifest, indent=1))
        if derive is not None and current is not None and not current():
            shutil.rmtree(temporary, ignore_errors=True)
            return False
        try:
            temporary.rename(root / f"{PREFIX}{stamp}")
        except OSError:
            if not (root / f"{PREFIX}{stamp}").is_dir():
                raise
            shutil.rmtree(temporary, ignore_errors=True)  # another process saved the same one first
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    _remove_others(root, keep=f"{PREFIX}{stamp}")
    return True


def _remove_others(root: Path, keep: str) -> None:
    """Remove stale snapshots, and temporary folders left by a crash (old enough not to be in use)."""
    now = time.time()
    for entry in root.iterdir():
        if entry.name == keep or not entry.is_dir():
            continue
        if entry.name.startswith(PREFIX) or (
            entry.name.startswith(TEMPORARY) and now - entry.stat().st_mtime > STALE_TEMPORARY_SECONDS
        ):
            shutil.rmtree(entry, ignore_errors=True)


def remove(workspace: Workspace) -> None:
    """Remove a workspace's snapshots (they are made again when needed)."""
    root = folder(workspace)
    if root is not None and root.is_dir():
        shutil.rmtree(root, ignore_errors=True)


def sizes(workspace: Workspace) -> int:
    """Bytes the workspace's snapshot folder holds."""
    root = folder(workspace)
    if root is None or not root.is_dir():
        return 0
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(root) for f in files)
