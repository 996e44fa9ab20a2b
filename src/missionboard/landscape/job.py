"""``landscape map`` as a use case: read the corpus into chunks, map the chunks not yet finished with
the chosen engine, and record the run in ``_manifest.json``.

Both engines share everything but the loop over chunks (``local.run_local``, ``spark.run_spark``):
the same staging, the same chunks, the same task (``classifier.run_chunk``), the same markers.
"""

from __future__ import annotations

import csv
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from missionboard.errors import InputError, Problem
from missionboard.landscape import readers
from missionboard.landscape.chunks import (
    FORMAT_VERSION,
    Chunk,
    ChunkDone,
    RunFolder,
    Staged,
    input_fingerprint,
    now,
    read_marker,
    stage,
)
from missionboard.landscape.classifier import ClassifierSetup
from missionboard.mapping.classifier import Mapper

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ENGINES = ("local", "spark")
DEFAULT_CHUNK_ROWS = 50_000
SHOWN_PROBLEMS = 20


@dataclass
class MapEvents:
    """What a front end hears while a run goes on (all optional)."""

    read: Callable[[int], None] | None = None
    """Records read while staging (called every thousand records, and at the end)."""
    staged: Callable[[Staged, list[Chunk]], None] | None = None
    """The staging is done: all chunks, and those still to map."""
    chunk: Callable[[ChunkDone], None] | None = None
    """A chunk is finished (its part file and marker are in place)."""


@dataclass(frozen=True)
class MapReport:
    """One run of ``landscape map``: what was read, rejected, mapped, and by what."""

    output: str
    taxonomy: str
    method: str
    engine: str
    master: str | None
    reader: str
    chunks: int
    chunks_skipped: int
    chunks_mapped: int
    read: int
    rejected: int
    file_problems: int
    mapped: int
    labelled: int
    seconds: float
    records_per_second: float
    peak_worker_rss_mb: float
    started: str
    finished: str
    rejects: str | None = None
    problems: list[dict[str, object]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def map_corpus(
    inputs: list[Path],
    output: Path,
    mapper: Mapper,
    *,
    engine: str = "local",
    master: str = "local[*]",
    reader: str = "auto",
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    workers: int = 1,
    fresh: bool = False,
    spark: SparkSession | None = None,
    events: MapEvents | None = None,
) -> MapReport:
    """Map every record of ``inputs`` to ``mapper``'s goals into Parquet part files under ``output``.

    A rerun of the same command (same inputs, reader, chunk size and classifier) maps only the chunks
    an earlier run did not finish; ``fresh`` starts over.
    """
    if engine not in ENGINES:
        raise InputError(Problem("", None, "--engine", f"unknown engine {engine!r}: use local or spark"))
    if reader not in readers.FORMATS:
        raise InputError(
            Problem("", None, "--reader", f"unknown reader {reader!r}: use {', '.join(readers.FORMATS)}")
        )
    if chunk_rows < 1:
        raise InputError(Problem("", None, "--chunk-size", "must be at least 1"))
    events = events or MapEvents()
    if spark is not None:  # a session given (a notebook's) runs where it was started
        master = spark.sparkContext.master or master
    started, clock = now(), time.perf_counter()
    files = readers.expand(inputs, reader)
    setup = ClassifierSetup.of(mapper)
    fingerprint = {
        "version": FORMAT_VERSION,
        "inputs": input_fingerprint(files),
        "reader": reader,
        "chunk_rows": chunk_rows,
        "classifier": setup.key,
    }
    folder = RunFolder(output)
    folder.check(fingerprint, fresh=fresh)
    manifest: dict[str, Any] = {
        "taxonomy": mapper.taxonomy.code,
        "method": mapper.method,
        "engine": engine,
        "master": master if engine == "spark" else None,
        "reader": reader,
        "inputs": [str(p) for p in files],
        "chunk_rows": chunk_rows,
        "fingerprint": fingerprint,
        "started": started,
        "finished": None,
    }
    previous = folder.read_manifest() if not fresh else None
    staged = _finished_staging(folder, previous, fingerprint)
    if staged is None:
        folder.write_manifest(manifest)
        staged = stage(folder, readers.read(files, reader), fingerprint=fingerprint, chunk_rows=chunk_rows,
                       on_record=events.read)  # fmt: skip
    pending = [c for c in staged.chunks if not c.done()]
    if events.staged is not None:
        events.staged(staged, pending)
    if engine == "spark":
        from missionboard.landscape.spark import run_spark  # pyspark is an optional extra

        run_spark(setup, pending, master=master, spark=spark, on_chunk=events.chunk)
    else:
        from missionboard.landscape.local import run_local

        run_local(setup, pending, workers=workers, on_chunk=events.chunk)
    markers = [read_marker(c) for c in staged.chunks]
    mapped = sum(m.rows for m in markers)
    seconds = time.perf_counter() - clock
    report = MapReport(
        output=str(output),
        taxonomy=mapper.taxonomy.code,
        method=mapper.method,
        engine=engine,
        master=manifest["master"],
        reader=reader,
        chunks=len(staged.chunks),
        chunks_skipped=len(staged.chunks) - len(pending),
        chunks_mapped=len(pending),
        read=staged.read,
        rejected=staged.rejected,
        file_problems=staged.file_problems,
        mapped=mapped,
        labelled=sum(m.labelled for m in markers),
        seconds=round(seconds, 3),
        records_per_second=round(sum(c.rows for c in pending) / seconds, 1) if seconds > 0 else 0.0,
        peak_worker_rss_mb=max(
            (m.peak_rss_mb for m in markers if m.chunk in {c.index for c in pending}), default=0.0
        ),
        started=started,
        finished=now(),
        rejects=str(folder.rejects)
        if folder.rejects.exists() and staged.rejected + staged.file_problems
        else None,
        problems=_first_problems(folder.rejects),
    )
    if folder.staging.exists():
        shutil.rmtree(folder.staging)  # every chunk is mapped: the staged texts are no longer needed
    for leftover in [*output.glob(".part-*.tmp"), *folder.done.glob(".*.tmp")]:
        leftover.unlink(missing_ok=True)  # written by a task that was killed before it could rename it
    manifest.update(
        {
            "finished": report.finished,
            "chunks": [m.to_dict() for m in markers],
            "counts": {
                "read": report.read,
                "rejected": report.rejected,
                "file_problems": report.file_problems,
                "mapped": report.mapped,
                "labelled": report.labelled,
            },
            "chunk_sizes": [c.rows for c in staged.chunks],
            "this_run": {
                "chunks_skipped": report.chunks_skipped,
                "chunks_mapped": report.chunks_mapped,
                "seconds": report.seconds,
                "records_per_second": report.records_per_second,
            },
        }
    )
    folder.write_manifest(manifest)
    return report


def _finished_staging(
    folder: RunFolder, previous: dict[str, Any] | None, fingerprint: dict[str, Any]
) -> Staged | None:
    """The chunks of a finished earlier run of the same job (its staging removed), else None."""
    if not previous or previous.get("fingerprint") != fingerprint or not previous.get("finished"):
        return None
    chunks = [folder.chunk(i, rows) for i, rows in enumerate(previous.get("chunk_sizes", []))]
    if not all(c.done() and Path(c.output).exists() for c in chunks):
        return None
    counts = previous["counts"]
    return Staged(chunks, counts["read"], counts["rejected"], counts["file_problems"], reused=True)


def _first_problems(rejects: Path) -> list[dict[str, object]]:
    if not rejects.exists():
        return []
    problems: list[dict[str, object]] = []
    with rejects.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            line = int(row["line"]) if row["line"] else None
            problems.append(Problem(row["file"], line, row["field"], row["message"]).as_dict())
            if len(problems) >= SHOWN_PROBLEMS:
                break
    return problems
