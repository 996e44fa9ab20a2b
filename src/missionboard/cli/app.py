"""The ``missionboard`` command: global options, command groups, and one-line error reporting."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from missionboard import __version__
from missionboard.cli import analyze, consult, demo, ingest, mapping, mission, monitor, web, workspace
from missionboard.cli.context import AppContext, errors
from missionboard.errors import MissionboardError
from missionboard.settings import Settings

app = typer.Typer(
    name="missionboard",
    help="Run mission-oriented innovation policy: define missions, ingest portfolios, map, analyse, monitor.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"missionboard {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    workspace: Path | None = typer.Option(
        None,
        "--workspace",
        "-w",
        help="SQLite workspace file (env MISSIONBOARD_WORKSPACE).",
        show_default=False,
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="Database URL, e.g. postgresql+psycopg://host/db (env MISSIONBOARD_DATABASE_URL).",
    ),
    user: str | None = typer.Option(None, "--user", help="Who is acting, for history and audit."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    overrides: dict[str, object] = {"debug": debug}
    if workspace is not None:
        overrides["workspace"] = workspace
        overrides["database_url"] = None
    if database_url is not None:
        overrides["database_url"] = database_url
    if user is not None:
        overrides["user"] = user
    settings = Settings().model_copy(update=overrides)
    ctx.obj = AppContext(settings=settings)


for module in (workspace, mission, demo, ingest, mapping, analyze, monitor, consult, web):
    module.register(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point: MissionboardError → one line on stderr and exit code 2; tracebacks only with --debug."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("MISSIONBOARD_DEBUG", "") not in ("", "0")
    try:
        app(args=args, prog_name="missionboard", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except MissionboardError as exc:
        if debug:
            raise
        errors.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        return 2
    return 0


def run() -> None:
    sys.exit(main())
