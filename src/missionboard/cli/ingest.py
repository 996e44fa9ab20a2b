"""``missionboard ingest FORMAT PATH…``, ``ingest runs`` and ``rates import|list``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from missionboard.cli import lazy
from missionboard.cli.context import app_context, console, errors, print_json
from missionboard.domain.records import INGEST_FORMATS, ImportRun, run_report
from missionboard.errors import InputError, MissionboardError

if TYPE_CHECKING:
    from missionboard.services import glance_admin
    from missionboard.services import ingest as service
else:
    glance_admin = lazy.module("missionboard.services.glance_admin")
    service = lazy.module("missionboard.services.ingest")

ingest_app = typer.Typer(
    help=f"Import portfolio files ({', '.join(INGEST_FORMATS)}) and list past imports.",
    no_args_is_help=True,
)
rates_app = typer.Typer(
    help="Exchange rates for a reporting currency (imported, never fetched).", no_args_is_help=True
)

FORMAT_HELP = {
    "csv": "Any agency export as CSV: columns matched by common names or by --mapping.",
    "xlsx": "Any agency export as an Excel workbook: columns matched by common names or by --mapping.",
    "iati": "IATI activity XML 2.01–2.03: files or folders.",
    "360giving": "360Giving grants: JSON package, CSV or XLSX.",
    "cordis": "CORDIS project and organization tables (CSV ';' or ',', or XLSX), or a folder of them.",
}


def _check_output(output: str) -> str:
    if output not in ("text", "json"):
        raise typer.BadParameter("must be 'text' or 'json'")
    return output


def _make_command(format: str) -> Callable[..., None]:
    tabular = format in ("csv", "xlsx")

    def command(
        ctx: typer.Context,
        paths: list[Path] = typer.Argument(..., help="Files or folders to import.", show_default=False),
        source: str | None = typer.Option(
            None,
            "--source",
            help="Source name projects are keyed by (default: the file name for csv/xlsx, else the format).",
            show_default=False,
        ),
        mapping: Path | None = typer.Option(
            None,
            "--mapping",
            help="YAML file naming columns, defaults and value translations.",
            hidden=not tabular,
        ),
        partners: Path | None = typer.Option(
            None,
            "--partners",
            help="Second file with one row per project and organisation.",
            hidden=not tabular,
        ),
        dry_run: bool = typer.Option(False, "--dry-run", help="Check everything, write nothing."),
        on_error: str = typer.Option(
            "fail",
            "--on-error",
            help="fail: abort at the first bad record, nothing written; skip: land the rest.",
        ),
        rejects: Path | None = typer.Option(
            None, "--rejects", help="CSV file receiving each rejected record with its reason."
        ),
        encoding: str | None = typer.Option(
            None, "--encoding", help="Text encoding of CSV files (default UTF-8), e.g. cp1252."
        ),
        output: str = typer.Option("text", "--format", help="text or json.", callback=_check_output),
    ) -> None:
        app = app_context(ctx)
        workspace = app.workspace(create=True)
        if not dry_run:
            app.long_write("import", {"format": format, "file": ", ".join(str(p) for p in paths)[:200]})
        kwargs: dict[str, Any] = {
            "source": source,
            "mapping": mapping,
            "partners": partners,
            "dry_run": dry_run,
            "on_error": on_error,
            "rejects": rejects,
            "user": app.user,
            "encoding": encoding,
        }
        try:
            if output == "json":
                run = service.ingest_files(workspace, format, list(paths), **kwargs)
            else:
                run = _with_progress(workspace, format, list(paths), kwargs)
        except InputError as exc:
            if output == "json":
                print_json({**run_report(getattr(exc, "run", _empty(format))), "failed": True})
                raise typer.Exit(2) from exc
            raise
        if output == "json":
            print_json(run_report(run))
        else:
            _render(run)

    command.__doc__ = FORMAT_HELP[format]
    return command


def _empty(format: str) -> ImportRun:
    import datetime as dt

    return ImportRun(format=format, started_at=dt.datetime.now(dt.UTC), user="unknown")


def _with_progress(workspace: Any, format: str, paths: list[Path], kwargs: dict[str, Any]) -> ImportRun:
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[records]} records"),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
    )
    with progress:
        task = progress.add_task(f"ingest {format}", total=None, records=0)

        def on_bytes(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        def on_records(count: int) -> None:
            progress.update(task, records=count)

        return service.ingest_files(
            workspace, format, paths, progress=on_records, progress_bytes=on_bytes, **kwargs
        )


def _render(run: ImportRun) -> None:
    title = (
        "Dry run: checked, nothing written"
        if run.dry_run
        else f"Imported {run.format} into source {run.source!r}"
    )
    table = Table(title=title, show_header=True)
    table.add_column("files", overflow="fold")
    for name in ("read", "inserted", "updated", "unchanged", "rejected", "seconds"):
        table.add_column(name, justify="right")
    table.add_row(
        "\n".join(f"{f.name} ({f.size:,} bytes)" for f in run.files),
        f"{run.read:,}",
        f"{run.inserted:,}",
        f"{run.updated:,}",
        f"{run.unchanged:,}",
        f"{run.rejected:,}",
        f"{run.seconds:.2f}",
    )
    console.print(table)
    if run.errors:
        shown = run.errors[:10]
        console.print(f"[yellow]{run.rejected} rejected[/yellow] (first {len(shown)}):")
        for error in shown:
            where = error["file"] if error["line"] is None else f"{error['file']}:{error['line']}"
            field = f" {error['field']}:" if error["field"] else ""
            console.print(f"  {where}:{field} {error['message']}", highlight=False, soft_wrap=True)


for _format in INGEST_FORMATS:
    ingest_app.command(_format, help=FORMAT_HELP[_format])(_make_command(_format))


@ingest_app.command("runs")
def runs(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", help="How many, newest first."),
    output: str = typer.Option("text", "--format", help="text or json.", callback=_check_output),
) -> None:
    """List past imports, newest first (--format json adds files, hashes, errors and seconds)."""
    app = app_context(ctx)
    found = glance_admin.import_run_list(
        app.settings, limit, lambda: service.list_runs(app.workspace(), limit=limit)
    )
    if output == "json":
        print_json([run_report(run, run_id) for run_id, run in found])
        return
    table = Table(title="Imports")
    for name in ("id", "started", "format", "source", "read", "ins", "upd", "same", "rej", "user"):
        numeric = name in ("id", "read", "ins", "upd", "same", "rej")
        table.add_column(name, justify="right" if numeric else "left", overflow="fold")
    for run_id, run in found:
        table.add_row(
            str(run_id),
            run.started_at.strftime("%Y-%m-%d %H:%M"),
            run.format,
            run.source or "",
            str(run.read),
            str(run.inserted),
            str(run.updated),
            str(run.unchanged),
            str(run.rejected),
            run.user,
        )
    console.print(table)


@rates_app.command("import")
def rates_import(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="CSV or XLSX: currency, reporting_currency, year, rate[, source]."),
    to: str | None = typer.Option(None, "--to", help="Reporting currency when the file has no such column."),
    output: str = typer.Option("text", "--format", help="text or json.", callback=_check_output),
) -> None:
    """Import exchange rates (all rows or none)."""
    app = app_context(ctx)
    if not path.is_file():
        raise MissionboardError(f"{path}: file not found")
    counts = service.import_rates(app.workspace(create=True), path, user=app.user, reporting_currency=to)
    if output == "json":
        print_json(counts)
    else:
        console.print(
            f"{counts['read']} rates read: {counts['inserted']} new, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged"
        )


@rates_app.command("list")
def rates_list(
    ctx: typer.Context,
    to: str | None = typer.Option(None, "--to", help="Only rates into this reporting currency."),
    output: str = typer.Option("text", "--format", help="text or json.", callback=_check_output),
) -> None:
    """List imported exchange rates."""
    app = app_context(ctx)
    currency = to.upper() if to else None
    rates = glance_admin.rate_list(
        app.settings, currency, lambda: service.list_rates(app.workspace(), reporting_currency=currency)
    )
    if output == "json":
        print_json([r.__dict__ for r in rates])
        return
    table = Table(title="Exchange rates (units of reporting currency per unit)")
    for name in ("currency", "reporting", "year", "rate", "source"):
        table.add_column(name)
    for rate in rates:
        table.add_row(
            rate.currency, rate.reporting_currency, str(rate.year), f"{rate.rate:.6g}", rate.source or ""
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the ingest and rates groups to the root app."""
    app.add_typer(ingest_app, name="ingest")
    app.add_typer(rates_app, name="rates")
