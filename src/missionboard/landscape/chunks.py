"""The chunking and restart logic both engines share.

A run's output folder holds::

    part-00000.parquet …   the mapped chunks (OUTPUT_SCHEMA), what readers of the output see
    _staging/chunk-00000.parquet …   the records read, in chunks of a fixed size, waiting to be mapped
    _staging/_STAGED.json  written last: the staging is complete (inputs, reader, chunk rows)
    _done/chunk-00000.json a chunk is finished: written after its part file is in place
    _rejects.csv           the records and files that could not be read (file, line, field, message)
    _manifest.json         the run: taxonomy, method, engine, chunks, counts, started, finished

Names that start with ``_`` or ``.`` are skipped by Spark, pyarrow and pandas when they read the folder.
Every file is written under a hidden temporary name and renamed into place, so a run killed at any
moment leaves only whole files; a chunk counts as finished only once its marker exists, and a rerun
maps only the chunks without one. The same inputs always give the same chunks (the readers' order
is fixed), so a rerun's output is the same as an uninterrupted run's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from missionboard.errors import InputError, Problem
from missionboard.ingest.base import Rejection
from missionboard.landscape.records import LandscapeRecord, staged_table

FORMAT_VERSION = 1
STAGED = "_STAGED.json"
PROGRESS_STEP = 1000


@dataclass(frozen=True)
class Chunk:
    """One piece of the input: mapped by one task, written as one part file, the unit of restart."""

    index: int
    rows: int
    staged: str
    output: str
    marker: str

    def done(self) -> bool:
        return os.path.exists(self.marker)


@dataclass(frozen=True)
class Staged:
    """The outcome of reading the inputs: the chunks, and how many records were read and rejected."""

    chunks: list[Chunk]
    read: int
    rejected: int
    file_problems: int
    reused: bool
    """True when an earlier run's staging was complete and used as it was."""


class RunFolder:
    """The paths of one run's output folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.staging = root / "_staging"
        self.done = root / "_done"
        self.manifest = root / "_manifest.json"
        self.rejects = root / "_rejects.csv"

    def chunk(self, index: int, rows: int) -> Chunk:
        name = f"{index:05d}"
        return Chunk(
            index=index,
            rows=rows,
            staged=str(self.staging / f"chunk-{name}.parquet"),
            output=str(self.root / f"part-{name}.parquet"),
            marker=str(self.done / f"chunk-{name}.json"),
        )

    def read_manifest(self) -> dict[str, Any] | None:
        try:
            return dict(json.loads(self.manifest.read_text(encoding="utf-8")))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_atomically(self.manifest, json.dumps(manifest, indent=2, ensure_ascii=False).encode())

    def check(self, fingerprint: dict[str, Any], *, fresh: bool) -> None:
        """Refuse a folder holding another run (other inputs, taxonomy or method) unless ``fresh``,
        which clears it; a folder with other files than a run's is never touched."""
        if not self.root.exists():
            self.root.mkdir(parents=True)
            return
        if not self.root.is_dir():
            raise InputError(Problem(str(self.root), None, "--output", "is a file, not a folder"))
        manifest = self.read_manifest()
        if manifest is None:
            strangers = [p.name for p in self.root.iterdir() if not _ours(p.name)]
            if strangers:
                raise InputError(
                    Problem(str(self.root), None, "--output", f"the folder holds other files ({strangers[0]} …); "
                            "give an empty or new folder")
                )  # fmt: skip
        elif manifest.get("fingerprint") != fingerprint and not fresh:
            raise InputError(
                Problem(str(self.root), None, "--output", "holds a run with other inputs, taxonomy, method or "
                        "chunk size; give --fresh to start over there, or another folder")
            )  # fmt: skip
        if fresh:
            self.clear()

    def clear(self) -> None:
        """Remove everything a run wrote here (and nothing else)."""
        for path in self.root.iterdir():
            if _ours(path.name):
                shutil.rmtree(path) if path.is_dir() else path.unlink()


def stage(
    folder: RunFolder,
    records: Iterable[LandscapeRecord | Rejection],
    *,
    fingerprint: dict[str, Any],
    chunk_rows: int,
    on_record: Callable[[int], None] | None = None,
) -> Staged:
    """Write the records in chunks of ``chunk_rows`` under ``_staging`` (rejects to ``_rejects.csv``),
    unless a complete staging of the same inputs is there already."""
    marker = folder.staging / STAGED
    try:
        previous = json.loads(marker.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        previous = None
    if previous is not None and previous["fingerprint"] == fingerprint:
        chunks = [folder.chunk(i, rows) for i, rows in enumerate(previous["chunks"])]
        return Staged(chunks, previous["read"], previous["rejected"], previous["file_problems"], reused=True)
    from missionboard.ingest.engine import RejectsWriter  # the driver's alone: executors never stage

    if folder.staging.exists():
        shutil.rmtree(folder.staging)
    folder.staging.mkdir(parents=True)
    rejects = RejectsWriter(folder.rejects)
    sizes: list[int] = []
    buffer: list[LandscapeRecord] = []
    read = rejected = file_problems = 0

    def flush() -> None:
        chunk = folder.chunk(len(sizes), len(buffer))
        write_table_atomically(Path(chunk.staged), staged_table(buffer))
        sizes.append(len(buffer))
        buffer.clear()

    try:
        for item in records:
            if isinstance(item, Rejection):
                rejects.write(item)
                rejected += item.is_record
                file_problems += not item.is_record
                continue
            read += 1
            buffer.append(item)
            if on_record is not None and read % PROGRESS_STEP == 0:
                on_record(PROGRESS_STEP)
            if len(buffer) >= chunk_rows:
                flush()
        if buffer:
            flush()
        if on_record is not None and read % PROGRESS_STEP:
            on_record(read % PROGRESS_STEP)
    finally:
        rejects.close()
    summary = {"fingerprint": fingerprint, "chunks": sizes, "read": read, "rejected": rejected,
               "file_problems": file_problems}  # fmt: skip
    write_atomically(marker, json.dumps(summary).encode())
    chunks = [folder.chunk(i, rows) for i, rows in enumerate(sizes)]
    return Staged(chunks, read, rejected, file_problems, reused=False)


@dataclass(frozen=True)
class ChunkDone:
    """What a finished chunk's marker records: how many records, how long, and the worker that did it."""

    chunk: int
    rows: int
    labelled: int
    seconds: float
    engine: str
    pid: int
    peak_rss_mb: float
    model_loads: int
    """How many times this worker process had loaded the model when it finished the chunk: 1 where the
    model is loaded once per worker."""
    finished: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def commit(chunk: Chunk, table: pa.Table, *, engine: str, seconds: float, model_loads: int) -> ChunkDone:
    """Put a mapped chunk's part file in place, then its marker (so a marker always means a whole part)."""
    write_table_atomically(Path(chunk.output), table)
    labelled = sum(1 for labels in table.column("labels").to_pylist() if labels)
    done = ChunkDone(
        chunk=chunk.index,
        rows=table.num_rows,
        labelled=labelled,
        seconds=round(seconds, 3),
        engine=engine,
        pid=os.getpid(),
        peak_rss_mb=round(peak_rss_mb(), 1),
        model_loads=model_loads,
        finished=now(),
    )
    write_atomically(Path(chunk.marker), json.dumps(done.to_dict()).encode())
    return done


def read_marker(chunk: Chunk) -> ChunkDone:
    return ChunkDone(**json.loads(Path(chunk.marker).read_text(encoding="utf-8")))


def write_table_atomically(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, temporary, compression="zstd")
    os.replace(temporary, path)


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def input_fingerprint(paths: list[Path]) -> list[list[Any]]:
    """Each input file's path, size and modification time: a changed file means a new staging."""
    return [[str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns] for p in paths]


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def peak_rss_mb() -> float:
    """This process's peak resident memory (the Python worker's, on an executor)."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def elapsed(start: float) -> float:
    return time.perf_counter() - start


def _ours(name: str) -> bool:
    return name.startswith(("part-", ".")) or name in (
        "_staging",
        "_done",
        "_manifest.json",
        "_rejects.csv",
        "_SUCCESS",
    )
