"""The Spark engine: one task per chunk, run by ``mapInArrow`` on the executors' Python workers.

Each task reads its staged chunk, maps it with a Mapper its worker loaded once (and keeps for the
next tasks: Spark reuses Python workers), and commits its part file and marker itself, so a chunk
is finished the moment its task is, whatever becomes of the job. The output folder must therefore be
a path the driver and every executor see (local disk in local mode; NFS, ``/dbfs`` or a Unity
Catalog volume on a cluster).
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa

from missionboard.errors import NotAvailable
from missionboard.landscape.chunks import Chunk, ChunkDone, read_marker
from missionboard.landscape.classifier import ClassifierSetup, run_chunk

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

CHUNK_SCHEMA = "chunk int, rows long, staged string, output string, marker string"
DONE_SCHEMA = (
    "chunk int, rows long, labelled long, seconds double, engine string, pid long, "
    "peak_rss_mb double, model_loads int, finished string"
)
POLL_SECONDS = 0.5
LOCAL_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
_DONE_ARROW = pa.schema(
    [("chunk", pa.int32()), ("rows", pa.int64()), ("labelled", pa.int64()), ("seconds", pa.float64()),
     ("engine", pa.string()), ("pid", pa.int64()), ("peak_rss_mb", pa.float64()),
     ("model_loads", pa.int32()), ("finished", pa.string())]
)  # fmt: skip


def session(master: str = "local[*]", *, app_name: str = "missionboard landscape map") -> SparkSession:
    """A quiet Spark session whose Python workers run this interpreter (the venv's) in local mode.

    On a cluster (``yarn``, ``k8s://``, ``spark://``) the executors' Python is the cluster's: set
    ``PYSPARK_PYTHON`` (or ``spark.pyspark.python``) there to an environment with missionboard.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise NotAvailable(
            "the Spark engine needs pyspark: pip install 'missionboard[spark]' (and a Java runtime), "
            "or use --engine local"
        ) from exc
    # pyspark 4.x warns on every Arrow call that it has not been tested with pandas 3; mapInArrow uses no pandas.
    warnings.filterwarnings(
        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
    )
    if master.startswith("local"):
        os.environ["PYSPARK_PYTHON"] = sys.executable
        os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no warning about the host's name
    else:
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder: Any = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.python.worker.reuse", "true")
        .config("spark.log.level", "ERROR")
    )
    if master.startswith("local"):
        # The local JVM only hands out chunk names (the Python workers read and write the data): its
        # JIT's first tier is enough, and the session starts in about half the time (17-28 s against
        # 31-78 s on 2 loaded cores, measured).
        builder = builder.config("spark.driver.extraJavaOptions", LOCAL_JVM_OPTIONS)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return cast("SparkSession", spark)


def run_spark(
    setup: ClassifierSetup,
    chunks: list[Chunk],
    *,
    master: str = "local[*]",
    spark: SparkSession | None = None,
    on_chunk: Callable[[ChunkDone], None] | None = None,
) -> list[ChunkDone]:
    """Map the chunks as one Spark job (one partition, one task per chunk); ``on_chunk`` hears of each
    chunk as its marker appears, while the job runs."""
    if not chunks:
        return []
    spark = spark or session(master)
    rows = [(c.index, c.rows, c.staged, c.output, c.marker) for c in chunks]
    frame = spark.createDataFrame(spark.sparkContext.parallelize(rows, len(rows)), CHUNK_SCHEMA)
    mapped = frame.mapInArrow(partial(_map_partition, setup), DONE_SCHEMA)
    outcome: dict[str, Any] = {}

    def collect() -> None:
        try:
            outcome["rows"] = mapped.collect()
        except BaseException as exc:  # reported by the driver thread below
            outcome["error"] = exc

    worker = threading.Thread(target=collect, name="landscape-spark-job", daemon=True)
    worker.start()
    seen: set[int] = set()
    while worker.is_alive():
        worker.join(POLL_SECONDS)
        _report_new(chunks, seen, on_chunk)
    if "error" in outcome:
        error = outcome["error"]
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise RuntimeError(
            f"the Spark job failed ({message}); the finished chunks are kept: run the same command again "
            "to map the rest"
        ) from error
    _report_new(chunks, seen, on_chunk)
    return sorted((ChunkDone(**row.asDict()) for row in outcome["rows"]), key=lambda d: d.chunk)


def _report_new(chunks: list[Chunk], seen: set[int], on_chunk: Callable[[ChunkDone], None] | None) -> None:
    for chunk in chunks:
        if chunk.index not in seen and Path(chunk.marker).exists():
            seen.add(chunk.index)
            if on_chunk is not None:
                on_chunk(read_marker(chunk))


def _map_partition(setup: ClassifierSetup, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """A task: map the chunks this partition names (one), yielding what each marker says."""
    for batch in batches:
        for row in batch.to_pylist():
            chunk = Chunk(row["chunk"], row["rows"], row["staged"], row["output"], row["marker"])
            done = run_chunk(setup, chunk, "spark")
            yield pa.RecordBatch.from_pylist([done.to_dict()], schema=_DONE_ARROW)
