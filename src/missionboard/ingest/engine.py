"""The shared import machinery: files → checked, de-duplicated records → one transaction → ImportRun.

``--on-error fail`` (default) aborts at the first bad record or file and leaves the workspace exactly
as it was; ``--on-error skip`` lands the good records and writes each rejected one, with its reason,
to the rejects file. ``dry_run`` does every check and every lookup, then rolls back.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import hashlib
import importlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from missionboard.domain.records import FILE_ENDINGS, ImportedFile, ImportRun
from missionboard.errors import DryRunFinished, InputError, Problem
from missionboard.ingest.base import (
    ColumnRecord,
    Meter,
    ReadOptions,
    Record,
    Rejection,
    Unread,
    normalize_name,
)
from missionboard.store import contents, portfolio
from missionboard.store.workspace import Session, Workspace

Reader = Callable[[list[Path], ReadOptions], Iterator[Record | ColumnRecord | Rejection | Unread]]

READERS: dict[str, str] = {  # every one of domain.records.INGEST_FORMATS
    "csv": "generic",
    "xlsx": "generic",
    "iati": "iati",
    "360giving": "threesixtygiving",
    "cordis": "cordis",
}
"""Format → the module in this package whose ``read(paths, options)`` reads it."""


def reader(format: str) -> Reader:
    module = importlib.import_module(f"missionboard.ingest.{READERS[format]}")
    read: Reader = module.read
    return read


DEFAULT_SOURCES = {"iati": "iati", "360giving": "360giving", "cordis": "cordis"}
ON_ERROR = ("fail", "skip")
BATCH = 5000
MAX_STORED_ERRORS = 1000
STAGE_IN_MEMORY = 50_000
"""Records read and checked before an import takes the write lock; larger imports hold it while reading the rest."""
LOOKUP_BATCH = 2000
"""Fingerprinted rows whose stored fingerprints are looked up together."""


def expand_paths(format: str, paths: list[Path], exclude: tuple[Path | None, ...] = ()) -> list[Path]:
    """Files named, with folders replaced by the files in them that this format reads (sorted);
    ``exclude`` (the partners and mapping files) is left out of folders."""
    if not paths:
        raise InputError("no file given")
    skip = {p.resolve() for p in exclude if p is not None}
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in FILE_ENDINGS[format]
                and not p.name.startswith(".")
                and p.resolve() not in skip
            )
            if not found:
                wanted = ", ".join(FILE_ENDINGS[format])
                raise InputError(Problem(str(path), None, "", f"folder holds no {wanted} files"))
            files.extend(found)
        elif not path.exists():
            raise InputError(Problem(str(path), None, "", "file not found"))
        else:
            files.append(path)
    return files


def describe(path: Path) -> ImportedFile:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return ImportedFile(name=path.name, sha256=digest.hexdigest(), size=path.stat().st_size)


def default_source(format: str, paths: list[Path]) -> str:
    if format in DEFAULT_SOURCES:
        return DEFAULT_SOURCES[format]
    return paths[0].stem.strip() or format


def _check_rejects_path(rejects: Path, workspace: Workspace, inputs: list[Path]) -> None:
    """The rejects file must be a new or ordinary file that is neither an input nor the workspace."""
    where = Problem(str(rejects), None, "--rejects", "")
    if not rejects.parent.is_dir():
        raise InputError(replace(where, message="cannot write the rejects file: no such folder"))
    if rejects.is_dir():
        raise InputError(replace(where, message="is a folder: name a file to write the rejected records to"))
    target = rejects.resolve()
    database = workspace.engine.url.database if workspace.is_sqlite else None
    protected = {Path(p).resolve() for p in inputs}
    if database and database != ":memory:" and not database.startswith("file:"):
        base = Path(database).resolve()
        protected |= {base, *(Path(f"{base}{suffix}") for suffix in ("-wal", "-shm", "-journal"))}
    if target in protected:
        raise InputError(
            replace(
                where, message="is the workspace or a file being imported: name another file for the rejects"
            )
        )


class RejectsWriter:
    """Rejected records with their reasons, as CSV (file, line, field, message, record).

    Written to a temporary file beside the target and renamed over it when the import ends, so the
    rejects of an earlier run stay whole until the new ones are.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._handle: TextIO | None = None
        self._writer: Any = None
        self._temporary: Path | None = None

    def _open(self) -> Any:
        assert self.path is not None
        self._temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self._handle = self._temporary.open("w", encoding="utf-8", newline="")
        writer = csv.writer(self._handle)
        writer.writerow(["file", "line", "field", "message", "record"])
        return writer

    def write(self, rejection: Rejection) -> None:
        if self.path is None:
            return
        if self._writer is None:
            self._writer = self._open()
        p = rejection.problem
        record = json.dumps(rejection.raw, ensure_ascii=False, default=str) if rejection.raw else ""
        self._writer.writerow([p.file, "" if p.line is None else p.line, p.field, p.message, record])

    def close(self) -> None:
        if self.path is None:
            return
        if self._writer is None:
            self._writer = self._open()
        assert self._handle is not None and self._temporary is not None
        self._handle.close()
        os.replace(self._temporary, self.path)


def run_import(
    workspace: Workspace,
    format: str,
    paths: list[Path],
    *,
    source: str | None = None,
    mapping: Path | None = None,
    partners: Path | None = None,
    dry_run: bool = False,
    on_error: str = "fail",
    rejects: Path | None = None,
    user: str = "unknown",
    progress: Callable[[int], None] | None = None,
    progress_bytes: Callable[[int, int], None] | None = None,
    encoding: str | None = None,
) -> ImportRun:
    """Import portfolio files of one format in one transaction and return what happened.

    The files are read and checked before the write transaction starts, so the workspace is locked
    only while the staged records are written.

    ``progress`` is called with the number of records read so far; ``progress_bytes`` with the bytes
    read so far and the total. Raises :class:`~missionboard.errors.InputError` (nothing written) when
    ``on_error`` is 'fail' and a record or file is bad. The use case is
    :func:`missionboard.services.ingest.ingest_files`.
    """
    format = format.lower()
    if format not in READERS:
        raise InputError(f"unknown format {format!r}: use one of {', '.join(READERS)}")
    if on_error not in ON_ERROR:
        raise InputError(f"--on-error must be 'fail' or 'skip', not {on_error!r}")
    if partners is not None and format not in ("csv", "xlsx"):
        raise InputError("--partners is for the csv and xlsx formats")
    if mapping is not None and format not in ("csv", "xlsx"):
        raise InputError("--mapping is for the csv and xlsx formats")
    files = expand_paths(format, [Path(p) for p in paths], exclude=(partners, mapping))
    for extra in (mapping, partners):
        if extra is not None and not Path(extra).is_file():
            raise InputError(Problem(str(extra), None, "", "file not found"))
    described = [describe(p) for p in files]
    if partners is not None:
        described.append(describe(Path(partners)))
    source = (source or default_source(format, files)).strip()
    if not source or len(source) > 200:
        raise InputError("--source must be 1 to 200 characters")
    total = sum(f.size for f in described)
    options = ReadOptions(
        source=source,
        mapping=mapping,
        partners=partners,
        encoding=encoding,
        meter=Meter(total, progress_bytes),
        extra={"format": format, "fingerprints": True},
    )
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    run = ImportRun(
        format=format, source=source, files=described, started_at=started, user=user, dry_run=dry_run
    )
    if rejects is not None:
        _check_rejects_path(rejects, workspace, [*files, *(p for p in (partners, mapping) if p is not None)])
    writer = RejectsWriter(rejects)
    # A bulk load creates millions of short-lived objects and no reference cycles worth collecting;
    # the cyclic collector's full passes over them cost a quarter of the CPU time, so it pauses.
    collecting = gc.isenabled()
    gc.disable()
    snapshot = ExitStack()
    try:
        # the first STAGE_IN_MEMORY records are read, checked and prepared with no lock on the workspace
        # (rows whose fingerprint is stored already are looked up in a read snapshot, and only counted);
        # a file that ends by then is written in one short transaction (other writers wait only for
        # that). Larger imports go on reading inside the transaction, in bounded memory.
        stored = _StoredHashes(source, snapshot.enter_context(workspace.reading()))
        items = _prepared(_looked_up(reader(format)(files, options), stored))
        staging = _Staging(items, run, on_error, writer, progress, source)
        staged: list[portfolio.Prepared] = []
        staging.read(staged.extend, limit=STAGE_IN_MEMORY)
        with workspace.transaction() as session:
            snapshot_holds = stored.enter(session)
            snapshot.close()
            run_id = portfolio.start_run(session, run)
            repository = portfolio.PortfolioRepository(
                session, user=user, import_run_id=run_id, normalize=normalize_name
            )
            expected = _expected_records(len(staged), staging.done, options.meter)
            with portfolio.bulk_load_settings(session), portfolio.deferred_indexes(session, expected):
                counts = _Counts()
                write = _Writer(session, repository, counts, stored)
                for start in range(0, len(staged), BATCH):
                    write(staged[start : start + BATCH])
                staged.clear()
                staging.read(write, limit=None)
                write(_recheck(staging, stored, snapshot_holds, counts))
                portfolio.refresh_key_statistics(session, counts.inserted)
            staging.finish()
            counts.unchanged += staging.skipped
            run.inserted, run.updated, run.unchanged = counts.inserted, counts.updated, counts.unchanged
            run.seconds = round(time.perf_counter() - clock, 3)
            if dry_run:
                raise DryRunFinished
            portfolio.finish_run(session, run_id, run)
    except DryRunFinished:
        pass
    except InputError as exc:
        # nothing was written: report what was read up to the failure, with no changes
        run.inserted = run.updated = run.unchanged = 0
        run.rejected = 1
        run.errors = [p.as_dict() for p in exc.problems]
        run.seconds = round(time.perf_counter() - clock, 3)
        exc.run = run  # type: ignore[attr-defined]
        raise
    finally:
        snapshot.close()
        writer.close()
        if collecting:
            gc.enable()
    if progress_bytes is not None:
        progress_bytes(total, total)
    if not dry_run and (run.inserted or run.updated):
        _refresh_analytics_snapshot(workspace)
    run.seconds = round(time.perf_counter() - clock, 3)
    return run


def _expected_records(staged: int, done: bool, meter: Meter | None) -> int:
    """About how many records an import will write: those staged, or where the files go on, as many
    more as the bytes still to read promise at the rate read so far."""
    if done or meter is None or meter.done <= 0:
        return staged
    return int(staged * max(meter.total, meter.done) / meter.done)


def _refresh_analytics_snapshot(workspace: Workspace) -> None:
    """Save the analytics snapshot of the portfolio just written, so the next analysis starts fast.

    The import is committed already: a snapshot that cannot be saved is only logged (analysis makes it).
    """
    from missionboard.analytics.loader import save_after_import

    try:
        save_after_import(workspace)
    except Exception as exc:  # never fail a committed import over a cache
        logging.getLogger(__name__).warning("analytics snapshot not saved after the import: %s", exc)


@dataclass(slots=True)
class Ready:
    """A record turned into column values, ready for the repository."""

    values: dict[str, Any]
    participations: list[Any]
    file: str
    line: int | None


@dataclass(slots=True)
class Unchanged:
    """A row whose fingerprint is the one its project was last written from: counted, never parsed.
    ``provisional`` where it was looked up in the snapshot before the import's transaction."""

    unread: Unread
    provisional: bool


def _ready(item: Record | ColumnRecord) -> Ready:
    """A record as column values with its content hash and the fingerprint of its row."""
    if isinstance(item, ColumnRecord):
        values, _ = portfolio.prepare_values(item.values, item.participations)
        ready = Ready(values, item.participations, item.file, item.line)
    else:
        values, participations = portfolio.prepare(item.project, item.participations)
        ready = Ready(values, list(participations), item.file, item.line)
    values["row_hash"] = item.row_hash
    return ready


def _prepared(
    items: Iterator[Record | ColumnRecord | Rejection | Unchanged],
) -> Iterator[Ready | Rejection | Unchanged]:
    for item in items:
        if isinstance(item, (Rejection, Unchanged)):
            yield item
        else:
            yield _ready(item)


class _StoredHashes:
    """The fingerprints stored for the import's source: looked up in a read snapshot until the import's
    transaction starts, and in that transaction from then on."""

    def __init__(self, source: str, snapshot: Session) -> None:
        self.source = source
        self.session = snapshot
        self.in_transaction = False
        self.version = contents.portfolio_version(snapshot)  # first read: it fixes the snapshot
        self.fresh = not contents.has_projects(snapshot, source)

    def enter(self, session: Session) -> bool:
        """Look up in the import's transaction from now on. Returns whether the snapshot still holds:
        no project was written since it was taken (every write of projects counts a portfolio version)."""
        holds = contents.portfolio_version(session) == self.version
        self.session, self.in_transaction = session, True
        self.fresh = not contents.has_projects(session, self.source)
        return holds

    def lookup(self, source_ids: list[str]) -> dict[str, str]:
        return {} if self.fresh else contents.row_hashes(self.session, self.source, source_ids)


def _looked_up(
    items: Iterator[Record | ColumnRecord | Rejection | Unread], stored: _StoredHashes
) -> Iterator[Record | ColumnRecord | Rejection | Unchanged]:
    """The reader's items in order, each fingerprinted row either parsed or, where its project was last
    written from the same row, ``Unchanged``. Rows are looked up LOOKUP_BATCH at a time."""
    pending: list[Unread] = []
    for item in items:
        if isinstance(item, Unread):
            pending.append(item)
            if len(pending) < LOOKUP_BATCH:
                continue
        if pending:
            yield from _resolved(pending, stored)
            pending = []
        if not isinstance(item, Unread):
            yield item
    if pending:
        yield from _resolved(pending, stored)


def _resolved(
    pending: list[Unread], stored: _StoredHashes
) -> Iterator[Record | ColumnRecord | Rejection | Unchanged]:
    found = stored.lookup([unread.source_id for unread in pending])
    provisional = not stored.in_transaction
    for unread in pending:
        if found.get(unread.source_id) == unread.row_hash:
            yield Unchanged(unread, provisional)
        else:
            yield unread.parse()


class _Writer:
    """Hands batches to the repository, then stores on each project the fingerprint of the row it was
    just written from (NULL for formats without one), so that no project keeps a stale fingerprint."""

    def __init__(
        self,
        session: Session,
        repository: portfolio.PortfolioRepository,
        counts: _Counts,
        stored: _StoredHashes,
    ) -> None:
        self.session = session
        self.repository = repository
        self.counts = counts
        self.stored = stored
        self.clear: dict[str, bool] = {}  # per source: whether rows without a fingerprint clear stored ones

    def __call__(self, batch: list[portfolio.Prepared]) -> None:
        if not batch:
            return
        self.counts.add(self.repository.upsert_prepared(batch))
        fresh, source = self.stored.fresh, self.stored.source
        rows: list[tuple[str, str, str | None]] = []
        for values, _ in batch:
            if fresh and values["source"] == source:
                continue  # inserted with its fingerprint
            digest = values["row_hash"]
            if digest is None and not self._clears(values["source"]):
                continue
            rows.append((values["source"], values["source_id"], digest))
        contents.set_row_hashes(self.session, rows)

    def _clears(self, source: str) -> bool:
        found = self.clear.get(source)
        if found is None:
            found = self.clear[source] = contents.has_row_hashes(self.session, source)
        return found


def _recheck(
    staging: _Staging, stored: _StoredHashes, snapshot_holds: bool, counts: _Counts
) -> list[portfolio.Prepared]:
    """The rows skipped on the snapshot's word: unchanged where no project was written since the
    snapshot, or where the transaction finds the same fingerprint; the others parsed now, to be written."""
    unread, staging.provisional = staging.provisional, []
    changed: list[Unread] = []
    if unread and not snapshot_holds:
        found = stored.lookup([u.source_id for u in unread])
        changed = [u for u in unread if found.get(u.source_id) != u.row_hash]
    counts.unchanged += len(unread) - len(changed)
    batch: list[portfolio.Prepared] = []
    for u in changed:
        item = u.parse()
        if isinstance(item, Rejection):
            staging.rejected(item)
        else:
            ready = _ready(item)
            batch.append((ready.values, ready.participations))
    return batch


@dataclass
class _Counts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, counts: Any) -> None:
        self.inserted += counts.inserted
        self.updated += counts.updated
        self.unchanged += counts.unchanged


class _Staging:
    """Reads an import's records in batches: rejections and duplicate ids are handled here, the rest
    handed on. ``read`` can stop after ``limit`` records and be called again to go on."""

    def __init__(
        self,
        items: Iterator[Ready | Rejection | Unchanged],
        run: ImportRun,
        on_error: str,
        writer: RejectsWriter,
        progress: Callable[[int], None] | None,
        source: str,
    ) -> None:
        self.items = items
        self.run = run
        self.on_error = on_error
        self.writer = writer
        self.progress = progress
        self.source = source
        self.seen: dict[tuple[str, str], tuple[str, int | None]] = {}
        self.errors: list[dict[str, Any]] = []
        self.done = False
        self.skipped = 0
        """Rows found unchanged by their fingerprint inside the import's transaction."""
        self.provisional: list[Unread] = []
        """Rows found unchanged in the snapshot before the transaction (see ``_recheck``)."""

    def rejected(self, rejection: Rejection) -> None:
        if self.on_error == "fail":
            raise InputError(rejection.problem)
        self.run.rejected += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(rejection.problem.as_dict())
        self.writer.write(rejection)

    def read(self, take: Callable[[list[portfolio.Prepared]], object], *, limit: int | None) -> None:
        """Hand batches of accepted records to ``take`` until the records end or ``limit`` were taken."""
        run = self.run
        batch: list[portfolio.Prepared] = []
        taken = 0
        # counted here and copied to the run (a validated model, slower to assign to) every thousand
        # records and when the loop ends, also by an error
        read = run.read
        try:
            while not self.done and (limit is None or taken < limit):
                item = next(self.items, None)
                if item is None:
                    self.done = True
                    break
                if isinstance(item, Rejection):
                    if item.is_record:
                        read += 1
                        run.read = read
                    self.rejected(item)
                elif isinstance(item, Unchanged):
                    read += 1
                    unread = item.unread
                    first = self.seen.get((self.source, unread.source_id))
                    if first is not None:
                        run.read = read
                        self._duplicate(unread.parse(), first)
                    else:
                        self.seen[(self.source, unread.source_id)] = (unread.file, unread.line)
                        if item.provisional:
                            self.provisional.append(unread)
                            taken += 1  # held in memory until the transaction: bounded like the rest
                        else:
                            self.skipped += 1
                else:
                    read += 1
                    values = item.values
                    key = (values["source"], values["source_id"])
                    first = self.seen.get(key)
                    if first is not None:
                        run.read = read
                        where = f"{first[0]}:{first[1]}" if first[1] is not None else first[0]
                        message = f"duplicate id {key[1]!r}: already read at {where}"
                        self.rejected(
                            Rejection(Problem(item.file, item.line, "id", message), raw=values["raw"])
                        )
                    else:
                        self.seen[key] = (item.file, item.line)
                        batch.append((values, item.participations))
                        taken += 1
                        if len(batch) >= BATCH:
                            take(batch)
                            batch = []
                if read % 1000 == 0:
                    run.read = read
                    if self.progress is not None:
                        self.progress(read)
        finally:
            run.read = read
        if batch:
            take(batch)

    def _duplicate(self, parsed: Record | ColumnRecord | Rejection, first: tuple[str, int | None]) -> None:
        """A row found unchanged whose id was read before: refused as any other repeated id."""
        if isinstance(parsed, Rejection):
            self.rejected(parsed)
            return
        ready = _ready(parsed)
        where = f"{first[0]}:{first[1]}" if first[1] is not None else first[0]
        message = f"duplicate id {ready.values['source_id']!r}: already read at {where}"
        self.rejected(Rejection(Problem(ready.file, ready.line, "id", message), raw=ready.values["raw"]))

    def finish(self) -> None:
        if self.progress is not None:
            self.progress(self.run.read)
        self.run.errors = self.errors
