"""The ``missionboard`` command: global options, command groups, and one-line error reporting.

Each command lives in a module of ``missionboard.cli`` (listed in ``COMMANDS``) that is imported only
when the command runs or shows its help: ``missionboard mission list`` loads ``cli/mission.py`` and what
it needs, and ``missionboard --help`` loads none of them (it lists their one-line summaries from
``COMMANDS``; ``tests/cli/test_startup.py`` keeps that table equal to the commands themselves).
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import sys
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import typer
import typer.core
import typer.main
from rich.markup import escape

from missionboard import __version__
from missionboard.cli.context import AppContext, errors
from missionboard.errors import MissionboardError

if TYPE_CHECKING:
    from typer import _click


class Listed(NamedTuple):
    """A top-level command as ``missionboard --help`` lists it: its module, and its one-line summary
    (the first paragraph of its help)."""

    module: str
    summary: str


COMMANDS: dict[str, Listed] = {
    "init": Listed("workspace", "Create an empty workspace (or bring an existing one's schema up to date)."),
    "info": Listed(
        "workspace",
        "Count what the workspace holds, and say who else has it open (web server, imports, commands).",
    ),
    "demo": Listed(
        "demo", "Build a deterministic demo workspace: missions, a 3,000-project portfolio, indicators."
    ),
    "classify": Listed(
        "mapping",
        'Map texts to a taxonomy\'s goals; prints {"id", "labels": [{"goal", "score", "evidence"}]} per line.',
    ),
    "map": Listed(
        "mapping", "Propose links from the portfolio's projects to goals; analysts' decisions are kept."
    ),
    "review": Listed(
        "mapping",
        "Review proposed links, most uncertain first: accept (a), reject (r), re-assign (g), skip (s), quit (q).",
    ),
    "themes": Listed(
        "mapping",
        "The workspace's shared themes (the ones 'analyze' uses), labelled by their distinctive terms.",
    ),
    "similar": Listed("mapping", "The projects whose descriptions are closest to this one."),
    "duplicates": Listed(
        "mapping", "Near-duplicate project pairs (the same work funded twice is a silo signal)."
    ),
    "analyze": Listed(
        "analyze",
        "Coverage and gaps, instrument/stage/helix mix, geography, timeline, leverage, diversity, silos.",
    ),
    "decide": Listed(
        "monitor",
        "Record a stage-gate decision; the evidence shown now (health, progress, objectives) is frozen into it.",
    ),
    "decisions": Listed(
        "monitor",
        "List stage-gate decisions, newest first (the log is append-only), with their gates and appeals.",
    ),
    "monitor": Listed(
        "monitor",
        "The mission board: objectives vs targets with forecasts, funding, suggestions and a what-if first;\n"
        "the projects, their flags and the recent decisions with --projects.",
    ),
    "story": Listed(
        "story", "The contribution story: the logic walked from money and measures to outcomes to targets."
    ),
    "compare": Listed(
        "compare",
        "All missions side by side: where each objective stands between baseline and target, weakest first.",
    ),
    "report": Listed(
        "report", "A mission's board paper: the printable report's figures and charts as Word or PowerPoint."
    ),
    "serve": Listed("web", "Serve the web app and the JSON API (docs at /api/docs)."),
    "mission": Listed(
        "mission", "Define missions as versioned YAML, check their quality, see their history."
    ),
    "ingest": Listed(
        "ingest", "Import portfolio files (csv, xlsx, iati, 360giving, cordis) and list past imports."
    ),
    "rates": Listed("ingest", "Exchange rates for a reporting currency (imported, never fetched)."),
    "taxonomy": Listed(
        "mapping", "Taxonomies of goals to map projects to: built-in, missions, your own YAML."
    ),
    "indicators": Listed(
        "monitor", "Indicator observations: import series, list them, show one with its history."
    ),
    "progress": Listed("monitor", "Project progress: milestones, KPIs and spend."),
    "gate": Listed(
        "monitor",
        "Stage-gates: schedule a project's gates (date, go/no-go criteria, evidence), list them, "
        "and a mission's gate calendar.",
    ),
    "appeal": Listed("monitor", "Appeals against stage-gate decisions: lodge one, rule on it."),
    "learn": Listed(
        "learning",
        "The learning log of a mission: notes linked to what they are about, review rounds.",
    ),
    "landscape": Listed(
        "landscape",
        "The landscape beyond the portfolio: map public corpora to missions, then analyse them.",
    ),
    "consult": Listed(
        "consult",
        "Consultations: ask stakeholders and citizens about a mission, moderate, synthesise, adopt proposals.",
    ),
    "users": Listed("web", "Accounts of the web app and API: add, list, give roles, make API tokens."),
}
"""Every top-level command, in the order ``--help`` lists it (commands, then groups, each in the order
their modules register them): the module of ``missionboard.cli`` whose ``register(app)`` adds it."""

MODULES = (
    "workspace",
    "mission",
    "demo",
    "ingest",
    "mapping",
    "analyze",
    "monitor",
    "story",
    "compare",
    "report",
    "learning",
    "landscape",
    "consult",
    "web",
)
"""Every command module, in the order they register their commands when all are loaded."""


class _Commands(MutableMapping[str, "_click.Command"]):
    """The top-level commands by name, each module imported and registered the first time one of its
    commands is looked up. A name missing from ``COMMANDS`` (a command added since) loads every module."""

    def __init__(self, given: Mapping[str, _click.Command]) -> None:
        self._built: dict[str, _click.Command] = dict(given)
        self._loaded: set[str] = set()
        self._removed: set[str] = set()

    def __getitem__(self, name: str) -> _click.Command:
        if name in self._removed:
            raise KeyError(name)
        if name not in self._built:
            listed = COMMANDS.get(name)
            for module in (listed.module,) if listed is not None else MODULES:
                self._load(module)
        return self._built[name]

    def __setitem__(self, name: str, command: _click.Command) -> None:
        self._built[name] = command
        self._removed.discard(name)

    def __delitem__(self, name: str) -> None:
        self[name]  # a KeyError for a name that is no command
        self._built.pop(name, None)
        self._removed.add(name)

    def __iter__(self) -> Iterator[str]:
        names = dict.fromkeys([*COMMANDS, *self._built])
        return iter([name for name in names if name not in self._removed])

    def __len__(self) -> int:
        return len(list(iter(self)))

    def summaries(self) -> dict[str, _click.Command]:
        """Every command as ``--help`` lists it: the ones built so far as they are, the others as a
        stand-in that carries only the summary from ``COMMANDS``."""
        return {
            name: self._built[name]
            if name in self._built
            else typer.core.TyperCommand(name=name, help=COMMANDS[name].summary)
            for name in self
        }

    def _load(self, module: str) -> None:
        if module in self._loaded:
            return
        self._loaded.add(module)
        part = typer.Typer()
        importlib.import_module(f"missionboard.cli.{module}").register(part)
        for name, command in typer.main.get_group(part).commands.items():
            self._built.setdefault(name, command)


class LazyGroup(typer.core.TyperGroup):
    """The root command group; its commands are those of ``_Commands``."""

    def __init__(self, *, commands: Mapping[str, _click.Command] | None = None, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _Commands(commands or {})

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return list(self.commands)

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        """The help, listing each command by its summary without importing its module."""
        listing = copy.copy(self)
        listing.commands = self._lazy().summaries()
        typer.core.TyperGroup.format_help(listing, ctx, formatter)

    def _lazy(self) -> _Commands:
        assert isinstance(self.commands, _Commands)
        return self.commands


app = typer.Typer(
    name="missionboard",
    help="Run mission-oriented innovation policy: define missions, ingest portfolios, map, analyse, monitor.",
    cls=LazyGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


_opened: AppContext | None = None
"""The context of the running command, whose workspace URL error messages name (without its password)."""


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
    ctx.obj = AppContext(overrides=overrides, read_only=read_only)
    global _opened
    _opened = ctx.obj


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

    url = None if _opened is None else _opened.url_if_read()
    return workspace_error(exc, "(unknown)" if url is None else safe_url(url))


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
