"""The ``missionboard`` command: global options, command groups, and one-line error reporting."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import typer
from rich.markup import escape

from missionboard import __version__
from missionboard.cli import (
    analyze,
    compare,
    consult,
    demo,
    ingest,
    landscape,
    learning,
    mapping,
    mission,
    monitor,
    report,
    story,
    web,
    workspace,
)
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


_opened_url: str | None = None
"""The workspace URL the running command names, for error messages (shown without its password)."""


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
    read_only: bool = typer.Option(
        False,
        "--read-only",
        help="Open the workspace for reading only (reading commands work, writes exit 2). "
        "A SQLite file this process may not write is opened so without it.",
    ),
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
    ctx.obj = AppContext(settings=settings, read_only=read_only)
    global _opened_url
    _opened_url = settings.url()


for module in (
    workspace,
    mission,
    demo,
    ingest,
    mapping,
    analyze,
    monitor,
    story,
    compare,
    report,
    learning,
    landscape,
    consult,
    web,
):
    module.register(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point: an error the user can act on → one line and its ``exit_code`` (2 for every one today);
    tracebacks only with --debug.

    That line goes to stderr; with ``--format json`` (or ``info --json``) it is one JSON object on
    stdout instead: ``{"error": "…", "kind": "WorkspaceBusy"}``. A database error that escapes a command
    (busy, read-only, full) is reported the same way, as the workspace error it stands for.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("MISSIONBOARD_DEBUG", "") not in ("", "0")
    try:
        app(args=args, prog_name="missionboard", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except Exception as exc:
        error = _user_error(exc)
        if error is None or debug:
            raise
        _report(error, as_json=_wants_json(args))
        return error.exit_code
    return 0


def _user_error(exc: BaseException) -> MissionboardError | None:
    """The MissionboardError ``exc`` is, or the workspace error a database error stands for (busy,
    read-only, full); None for anything else (a bug)."""
    if isinstance(exc, MissionboardError):
        return exc
    # the store (and SQLAlchemy) is imported only here and by commands that open a workspace
    from missionboard.store.workspace import safe_url, workspace_error

    return workspace_error(exc, "(unknown)" if _opened_url is None else safe_url(_opened_url))


def _wants_json(args: Sequence[str]) -> bool:
    """Whether the command line asks for JSON output (``--format json``, ``-f json``, ``info --json``)."""
    for i, arg in enumerate(args):
        if arg in ("--format=json", "-fjson", "--json"):
            return True
        if arg in ("--format", "-f") and i + 1 < len(args) and args[i + 1] == "json":
            return True
    return False


def _report(error: MissionboardError, *, as_json: bool) -> None:
    message = " ".join(str(error).split())
    if as_json:
        sys.stdout.write(
            json.dumps({"error": message, "kind": type(error).__name__}, ensure_ascii=False) + "\n"
        )
        return
    errors.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)


def run() -> None:
    sys.exit(main())
