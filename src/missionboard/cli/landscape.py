"""``missionboard landscape``: map whole public corpora to a taxonomy (in-process or on Apache Spark) and
analyse who else works on each mission objective."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from missionboard.cli import landscape_analyze, lazy
from missionboard.cli.context import OutputFormat, app_context, errors, print_json
from missionboard.cli.mapping import Device, Method
from missionboard.errors import NotFound

if TYPE_CHECKING:
    from missionboard.domain import mapping as goal_models
    from missionboard.services import landscape_map as job
    from missionboard.services import mapping as mapping_service
    from missionboard.services.landscape_map import Chunk, ChunkDone, Staged
else:
    # The job pulls in pyarrow and the classifier, the Spark engine pyspark: loaded when `map` runs.
    job = lazy.module("missionboard.services.landscape_map")
    mapping_service = lazy.module("missionboard.services.mapping")
    # the goal models (and pydantic under them) load when a command runs, not with the help
    goal_models = lazy.module("missionboard.domain.mapping")

landscape_app = typer.Typer(
    help="The landscape beyond the portfolio: map public corpora to missions, then analyse them.",
    no_args_is_help=True,
)


class Engine(StrEnum):
    LOCAL = "local"
    SPARK = "spark"


class CorpusReader(StrEnum):
    AUTO = "auto"
    OPENALEX = "openalex"
    CORDIS = "cordis"
    IATI = "iati"
    JSONL = "jsonl"
    PARQUET = "parquet"
    CSV = "csv"


def register(app: typer.Typer) -> None:
    """Add the ``landscape`` group to the root app."""
    landscape_app.command("map")(map_corpus)
    landscape_analyze.register(landscape_app)
    app.add_typer(landscape_app, name="landscape")


def map_corpus(
    ctx: typer.Context,
    taxonomy: str = typer.Option(
        ...,
        "--taxonomy",
        "-t",
        help="sdg, eu-missions, a taxonomy YAML file, or (with a workspace) mission:ID or an imported taxonomy.",
    ),
    input: list[Path] = typer.Option(
        ...,
        "--input",
        "-i",
        help="Files or folders (repeat the option): OpenAlex snapshot files, CORDIS exports, IATI XML, "
        "JSON lines, Parquet or CSV with id and text.",
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for the Parquet part files."),
    engine: Engine = typer.Option(
        Engine.LOCAL, "--engine", help="local: in this process; spark: a Spark job."
    ),
    master: str = typer.Option(
        "local[*]",
        "--master",
        help="Spark master: local[2], spark://host:7077, yarn, k8s://… (with --engine spark).",
    ),
    reader: CorpusReader = typer.Option(CorpusReader.AUTO, "--reader", help="Input format (auto: by file)."),
    method: Method = typer.Option(Method.ENSEMBLE, "--method", "-m", help="How to score (as classify)."),
    device: Device = typer.Option(Device.CPU, "--device", help="Where the embedding model runs."),
    chunk_size: int = typer.Option(
        50_000,
        "--chunk-size",
        min=1,
        help="Records per chunk: one Spark task, one part file, the unit of restart.",
    ),
    workers: int = typer.Option(
        0, "--workers", min=0, help="Local engine: worker processes (0: one per core for several chunks)."
    ),
    fresh: bool = typer.Option(
        False, "--fresh", help="Start over: discard an earlier run's output in the folder."
    ),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Map a public corpus to a taxonomy's goals, as classify does, into Parquet: id, labels and the
    source, title, year, organisations, countries, fields and amount_eur of each record.

    A run killed midway resumes where it stopped when the same command is run again: finished chunks
    are kept. Example: missionboard landscape map -t sdg -i works/ -o mapped/ --engine spark --master local[2]
    """
    app = app_context(ctx)
    workspace = None if Path(taxonomy).is_file() else app.optional_workspace()
    if workspace is None and taxonomy.startswith(goal_models.MISSION_PREFIX):
        raise NotFound(f"taxonomy {taxonomy!r} needs a workspace (--workspace) holding that mission")
    mapper = mapping_service.make_mapper(
        taxonomy, method=method.value, device=device.value, workspace=workspace
    )
    n_workers = workers or mapping_service.auto_workers(device.value, None, 1)
    with _progress(format) as progress:
        events = _events(progress, engine)
        report = job.map_corpus(
            input,
            output,
            mapper,
            engine=engine.value,
            master=master,
            reader=reader.value,
            chunk_rows=chunk_size,
            workers=n_workers,
            fresh=fresh,
            events=events,
        )
    if format == OutputFormat.JSON:
        print_json(report.to_dict())
        return
    _render(report)


def _progress(format: OutputFormat) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=False,
        disable=format != OutputFormat.TEXT or not errors.is_terminal,
    )


def _events(progress: Progress, engine: Engine) -> job.MapEvents:
    """Progress bars for reading and mapping; with Spark also one log line per finished partition."""
    reading = progress.add_task("reading", total=None)
    mapping = progress.add_task("mapping", total=None, visible=False)

    def staged(result: Staged, pending: list[Chunk]) -> None:
        progress.update(reading, total=result.read, completed=result.read)
        progress.update(mapping, total=sum(c.rows for c in pending), visible=True)
        if result.reused or len(pending) < len(result.chunks):
            errors.print(
                f"resuming: {len(result.chunks) - len(pending)} of {len(result.chunks)} chunks already mapped",
                highlight=False,
            )

    def chunk(done: ChunkDone) -> None:
        progress.advance(mapping, done.rows)
        if engine == Engine.SPARK:
            errors.print(
                f"partition {done.chunk}: {done.rows:,} records in {done.seconds:.1f} s "
                f"(python worker {done.pid}, peak {done.peak_rss_mb:.0f} MB)",
                highlight=False,
            )

    return job.MapEvents(read=lambda n: progress.advance(reading, n), staged=staged, chunk=chunk)


def _render(report: job.MapReport) -> None:
    errors.print(
        f"mapped {report.mapped:,} records ({report.labelled:,} with a goal) to {report.taxonomy} "
        f"with {report.method} on {report.engine} → {escape(report.output)} "
        f"[{report.chunks_mapped} of {report.chunks} chunks this run, {report.records_per_second:,.0f} records/s]",
        highlight=False,
    )
    if report.rejected or report.file_problems:
        errors.print(
            f"{report.rejected:,} records and {report.file_problems:,} files rejected; "
            f"see {escape(report.rejects or '')}",
            highlight=False,
        )
        for problem in report.problems[:5]:
            where = problem["file"] if problem["line"] is None else f"{problem['file']}:{problem['line']}"
            field = f"{problem['field']}: " if problem["field"] else ""
            errors.print(
                f"  {escape(str(where))}: {escape(field + str(problem['message']))}", highlight=False
            )
