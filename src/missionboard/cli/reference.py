"""Write ``docs/cli-reference.md`` from the command tree itself: ``python -m missionboard.cli.reference``.

Every command and sub-command of ``missionboard`` gets a section with its help, its usage line, its
arguments and options as its ``--help`` shows them (help text, type, default) and, where it prints
JSON, the keys of what it prints. ``--check`` writes nothing and exits 1 when the page is stale.

The JSON keys are declared here, in ``JSON_OUTPUT``, not found by running every command: that would
need a workspace holding every kind of data (projects, embeddings, indicators, gates, consultations …),
minutes to build, and a page whose keys changed with the data (a key left out when a list is empty).
The declaration is kept true by ``tests/cli/test_cli_reference.py``, which runs the commands it can
run on a small workspace and compares the keys they print with the ones declared here; and a command
that prints JSON but has no declaration stops the generator.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import typer
import typer.core
import typer.main

from missionboard.cli.app import app as root_app
from missionboard.errors import MissionboardError
from missionboard.services.analytics import SECTIONS

PAGE = Path(__file__).resolve().parents[3] / "docs" / "cli-reference.md"
"""Where the page lives in a source checkout."""

REGENERATE = "python -m missionboard.cli.reference"


@dataclass(frozen=True)
class JsonOutput:
    """What a command prints as JSON: its shape, the keys it always has, and the ones it may add."""

    shape: str
    keys: tuple[str, ...]
    optional: tuple[str, ...] = ()
    when: str = "--format json"
    """The option that asks for JSON (``--format json``, ``--json``), or ``always``."""
    note: str = ""

    @property
    def all_keys(self) -> tuple[str, ...]:
        return self.keys + self.optional


_OBJECT = "one object"
_LIST = "a list of objects"

_RUN_REPORT = (
    "format",
    "source",
    "files",
    "read",
    "inserted",
    "updated",
    "unchanged",
    "rejected",
    "errors",
    "seconds",
    "user",
    "started_at",
    "dry_run",
)
_IMPORT = JsonOutput(_OBJECT, _RUN_REPORT, optional=("failed",))
_CONSULTATION = (
    "id",
    "mission_id",
    "mission_version",
    "title",
    "purpose",
    "opens_on",
    "closes_on",
    "audience",
    "language",
    "questions",
    "status",
    "created_by",
    "created_at",
    "closed_at",
)
_ACCOUNT = ("username", "display_name", "is_admin", "is_active", "roles")
_GATES = ("mission", "as_of", "due_soon_days", "counts", "gates")
_APPEAL = ("id", "decision_id", "by", "reason", "lodged_at", "outcome", "ruled_by", "ruling", "ruled_at")
_INDICATOR = ("id", "name", "unit", "source", "observations", "first_year", "last_year", "geographies")
_DECISION = (
    "project",
    "decision",
    "rationale",
    "evidence",
    "by",
    "at",
    "gate",
    "criteria",
    "plan",
    "amount",
    "currency",
    "on",
)

JSON_OUTPUT: dict[str, JsonOutput] = {
    "info": JsonOutput(_OBJECT, ("url", "schema", "counts", "in_use"), when="--json"),
    "classify": JsonOutput("JSON lines, one object per input text", ("id", "labels"), when="always"),
    "map": JsonOutput(
        _OBJECT,
        (
            "taxonomy",
            "method",
            "projects",
            "scored",
            "unchanged",
            "embedded",
            "proposed",
            "updated",
            "withdrawn",
            "decisions_kept",
            "retrained",
            "seconds",
            "goals",
        ),
        optional=("plan",),
    ),
    "review": JsonOutput(
        _LIST,
        (
            "link_id",
            "project_id",
            "project_title",
            "project_text",
            "taxonomy",
            "goal",
            "goal_title",
            "score",
            "uncertainty",
            "evidence",
            "definition",
        ),
        note="`definition` is null, or the goal's definition: `counts` and `does_not_count` (lists of "
        "text) and `hard_negatives` (a list of `text`, `belongs_to`; `belongs_to` may be null).",
    ),
    "themes": JsonOutput(
        _OBJECT,
        ("k", "projects", "without_theme", "scope", "taxonomy", "themes", "thin", "theme_set"),
    ),
    "similar": JsonOutput(_OBJECT, ("project", "similar")),
    "duplicates": JsonOutput(_LIST, ("similarity", "a", "b")),
    "analyze": JsonOutput(_OBJECT, SECTIONS, optional=("charts",)),
    "landscape map": JsonOutput(
        _OBJECT,
        (
            "output",
            "taxonomy",
            "method",
            "engine",
            "master",
            "reader",
            "chunks",
            "chunks_skipped",
            "chunks_mapped",
            "read",
            "rejected",
            "file_problems",
            "mapped",
            "labelled",
            "seconds",
            "records_per_second",
            "peak_worker_rss_mb",
            "started",
            "finished",
            "rejects",
            "problems",
        ),
    ),
    "landscape analyze": JsonOutput(_OBJECT, ("mission", "analyzed", "run", "thin", "objectives")),
    "decide": JsonOutput(_OBJECT, _DECISION),
    "decisions": JsonOutput(
        _LIST,
        (
            "id",
            "project",
            "title",
            "decision",
            "rationale",
            "by",
            "at",
            "on",
            "gate",
            "criteria",
            "plan",
            "amount",
            "currency",
            "standing",
            "appeals",
            "evidence",
        ),
    ),
    "learn add": JsonOutput(
        _OBJECT, ("id", "mission", "kind", "text", "author", "created_at", "round", "links")
    ),
    "learn list": JsonOutput(
        _LIST, ("id", "mission", "kind", "text", "author", "created_at", "round", "links")
    ),
    "learn round close": JsonOutput(
        _OBJECT, ("mission", "name", "closed_by", "closed_at", "projects", "money", "currency", "objectives")
    ),
    "learn round compare": JsonOutput(
        _OBJECT, ("mission", "first", "second", "portfolio", "objectives", "notes_first", "notes_second")
    ),
    "compare": JsonOutput(
        _OBJECT,
        ("as_of", "missions"),
        note="Each of `missions` is `{id, title, status, owner, owners, deadline, currency, projects, money, "
        "portfolio, quality_score, quality_verdict, weakest_probability, objectives}`; each objective "
        "`{id, title, unit, baseline, target, target_year, latest, last_change, progress, status, "
        "status_label, probability, trend, arrow, owners}`.",
    ),
    "story": JsonOutput(
        _OBJECT,
        (
            "mission",
            "title",
            "as_of",
            "currency",
            "projects",
            "money",
            "portfolio",
            "has_logic",
            "objectives",
            "outcomes",
            "measures",
            "assumptions",
            "weak_links",
        ),
        note="Each of `weak_links` is `{kind, subject, message, depending}`, `kind` one of "
        "`no_project_or_measure`, `outcome_without_measure`, `failing_assumption`, `untested_assumption`, "
        "`off_track`, `no_data`, `no_owner`.",
    ),
    "monitor": JsonOutput(
        _OBJECT,
        (
            "mission",
            "title",
            "as_of",
            "currency",
            "portfolio",
            "funding_total",
            "objectives",
            "flagged_projects",
            "health",
            "decisions",
            "suggestions",
            "released",
            "move",
            "notes",
        ),
    ),
    "mission list": JsonOutput(_LIST, ("id", "title", "deadline", "objectives", "version", "status")),
    "mission show": JsonOutput(
        _OBJECT,
        (
            "version",
            "id",
            "title",
            "challenge",
            "statement",
            "owner",
            "start",
            "deadline",
            "geography",
            "currency",
            "status",
            "public",
            "objectives",
            "stakeholders",
            "programmes",
            "tags",
            "solutions",
            "governance",
            "measures",
            "logic",
        ),
    ),
    "mission history": JsonOutput(
        f"{_LIST}, one per version",
        ("version", "author", "at", "comment", "origin"),
        note="With `--diff A B`: one object with the keys `mission`, `from`, `to`, `changes`, `diff`.",
    ),
    "mission check": JsonOutput(
        _OBJECT, ("mission", "score", "verdict", "criteria", "findings", "relabelling")
    ),
    "ingest csv": _IMPORT,
    "ingest xlsx": _IMPORT,
    "ingest iati": _IMPORT,
    "ingest 360giving": _IMPORT,
    "ingest cordis": _IMPORT,
    "ingest runs": JsonOutput(_LIST, (*_RUN_REPORT, "id")),
    "rates import": JsonOutput(_OBJECT, ("read", "inserted", "updated", "unchanged")),
    "rates list": JsonOutput(_LIST, ("currency", "reporting_currency", "year", "rate", "source")),
    "taxonomy list": JsonOutput(_LIST, ("code", "title", "kind", "goals", "children")),
    "taxonomy show": JsonOutput(_OBJECT, ("code", "title", "description", "goals")),
    "indicators import": JsonOutput(
        _OBJECT,
        (
            "file",
            "format",
            "read",
            "inserted",
            "revised",
            "unchanged",
            "duplicates",
            "indicators_created",
            "indicators",
            "import_run",
            "seconds",
        ),
    ),
    "indicators list": JsonOutput(_LIST, _INDICATOR),
    "indicators show": JsonOutput(_OBJECT, (*_INDICATOR, "geography", "sparkline", "series", "history")),
    "progress import": JsonOutput(
        _OBJECT,
        (
            "file",
            "read",
            "inserted",
            "updated",
            "unchanged",
            "by_kind",
            "projects",
            "import_run",
            "seconds",
        ),
    ),
    "gate add": JsonOutput(_OBJECT, ("project", "name", "due", "criteria", "evidence", "set_by", "set_at")),
    "gate list": JsonOutput(_OBJECT, _GATES),
    "gate calendar": JsonOutput(_OBJECT, _GATES),
    "appeal lodge": JsonOutput(_OBJECT, _APPEAL),
    "appeal rule": JsonOutput(_OBJECT, _APPEAL),
    "consult open": JsonOutput(_OBJECT, _CONSULTATION),
    "consult list": JsonOutput(_LIST, (*_CONSULTATION, "counts")),
    "consult show": JsonOutput(_OBJECT, (*_CONSULTATION, "counts")),
    "consult invite": JsonOutput(_LIST, ("invitation", "label", "link")),
    "consult export": JsonOutput(_OBJECT, ("consultation", "responses")),
    "consult synthesise": JsonOutput(
        _OBJECT,
        (
            "consultation_id",
            "mission_id",
            "responses",
            "hidden",
            "by_helix",
            "by_level",
            "themes",
            "proposals",
            "ratings",
            "generated_at",
        ),
    ),
    "users add": JsonOutput(_OBJECT, _ACCOUNT),
    "users list": JsonOutput(_LIST, _ACCOUNT),
    "users set-role": JsonOutput(_OBJECT, _ACCOUNT),
}
"""The JSON each command prints, by command path (without ``missionboard``): top-level keys, in order.

For a list, the keys of each of its objects."""


@dataclass(frozen=True)
class Param:
    """An argument or option as ``--help`` shows it: its names and metavar, and its help with extras."""

    names: str
    help: str
    flags: tuple[str, ...] = ()
    """The option's flags (``--format``, ``-f``); empty for an argument."""


@dataclass(frozen=True)
class CommandDoc:
    """One command of the tree, with what its ``--help`` says."""

    path: tuple[str, ...]
    help: str
    usage: str
    arguments: tuple[Param, ...]
    options: tuple[Param, ...]
    subcommands: tuple[str, ...] = ()
    json: JsonOutput | None = None

    @property
    def name(self) -> str:
        """The command path without the program name: ``mission show``; empty for the root."""
        return " ".join(self.path[1:])

    @property
    def title(self) -> str:
        return " ".join(self.path)

    @property
    def prints_json(self) -> bool:
        return any(_asks_for_json(option) for option in self.options)


def commands(app: typer.Typer = root_app) -> list[CommandDoc]:
    """Every command of ``app``, depth first in the order ``--help`` lists them, root first."""
    root = typer.main.get_command(app)
    return list(_walk(root, ("missionboard",), None))


def check_json(docs: Sequence[CommandDoc]) -> list[str]:
    """What is wrong between the tree and ``JSON_OUTPUT``: a JSON command without keys, or keys for
    a command that does not exist or prints no JSON."""
    problems: list[str] = []
    by_name = {doc.name: doc for doc in docs}
    for doc in docs:
        if doc.prints_json and doc.name not in JSON_OUTPUT:
            problems.append(
                f"'{doc.title}' prints JSON but JSON_OUTPUT in missionboard/cli/reference.py "
                "declares no keys for it"
            )
    for name, output in JSON_OUTPUT.items():
        declared = by_name.get(name)
        if declared is None:
            problems.append(f"JSON_OUTPUT names 'missionboard {name}', which is no command")
        elif output.when != "always" and not declared.prints_json:
            problems.append(f"JSON_OUTPUT names 'missionboard {name}', which has no {output.when}")
    return problems


def render(docs: Sequence[CommandDoc]) -> str:
    """The Markdown page: one section per command; a MissionboardError where ``check_json`` finds a
    problem (the page would not tell the truth)."""
    problems = check_json(docs)
    if problems:
        raise MissionboardError("; ".join(problems))
    lines = [
        "# Command reference",
        "",
        f"<!-- Generated from the commands' own help by `{REGENERATE}`; do not edit by hand. -->",
        "",
        "Every command with its arguments and options as `missionboard COMMAND --help` shows them, "
        "and the top-level keys of the JSON it prints. What holds for every command (exit codes, "
        "errors as JSON, read-only workspaces) is in [the command line](cli.md).",
        "",
    ]
    for doc in docs:
        lines.extend(_section(doc))
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the page (or with ``--check``, say whether it is up to date); 0 when done or current."""
    parser = argparse.ArgumentParser(
        prog=REGENERATE, description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--output", type=Path, default=PAGE, help=f"where to write (default: {PAGE})")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the page is stale")
    args = parser.parse_args(argv)
    try:
        text = render(commands())
    except MissionboardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    output: Path = args.output
    current = output.read_text(encoding="utf-8") if output.is_file() else None
    if args.check:
        if current != text:
            print(f"{output} is out of date: run '{REGENERATE}'", file=sys.stderr)
            return 1
        return 0
    if current != text:
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output}")
    return 0


# --- helpers --------------------------------------------------------------------------------------


def _walk(
    command: typer.core.TyperCommand | typer.core.TyperGroup | object,
    path: tuple[str, ...],
    parent: typer.Context | None,
) -> Iterator[CommandDoc]:
    assert isinstance(command, (typer.core.TyperCommand, typer.core.TyperGroup))
    ctx = typer.Context(command, info_name=path[-1], parent=parent)
    params = [p for p in command.get_params(ctx) if p.name != "help"]
    arguments: list[Param] = []
    options: list[Param] = []
    for param in params:
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, help_text = record
        if param.param_type_name == "argument":
            arguments.append(Param(names, help_text))
        else:
            flags = (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ()))
            options.append(Param(names, help_text, tuple(flags)))
    subcommands: list[str] = []
    if isinstance(command, typer.core.TyperGroup):
        subcommands = [
            name
            for name in command.list_commands(ctx)
            if not getattr(command.get_command(ctx, name), "hidden", False)
        ]
    doc = CommandDoc(
        path=path,
        help=(command.help or "").strip(),
        usage=" ".join((*path, *command.collect_usage_pieces(ctx))),
        arguments=tuple(arguments),
        options=tuple(options),
        subcommands=tuple(subcommands),
        json=JSON_OUTPUT.get(" ".join(path[1:])),
    )
    yield doc
    if isinstance(command, typer.core.TyperGroup):
        for name in subcommands:
            yield from _walk(command.get_command(ctx, name), (*path, name), ctx)


def _asks_for_json(option: Param) -> bool:
    """``--json``, or a ``--format`` whose choices or help name json."""
    if "--json" in option.flags:
        return True
    return "--format" in option.flags and "json" in f"{option.names} {option.help}".lower()


def _section(doc: CommandDoc) -> list[str]:
    lines = [f"## `{doc.title}`", ""]
    if doc.help:
        lines += [_text(doc.help), ""]
    lines += ["```", doc.usage, "```", ""]
    if doc.arguments:
        lines += _table("argument", doc.arguments)
    if doc.options:
        lines += _table("option", doc.options)
    if doc.subcommands:
        links = ", ".join(f"[`{name}`](#{_anchor(f'{doc.title} {name}')})" for name in doc.subcommands)
        lines += [f"Commands: {links}.", ""]
    if doc.json is not None:
        asked = "always" if doc.json.when == "always" else f"with `{doc.json.when}`"
        keys = ", ".join(f"`{key}`" for key in doc.json.keys)
        lines += [f"JSON output ({asked}): {doc.json.shape}; keys {keys}."]
        if doc.json.optional:
            lines[-1] += " It may add " + ", ".join(f"`{key}`" for key in doc.json.optional) + "."
        if doc.json.note:
            lines[-1] += " " + doc.json.note
        lines += [""]
    return lines


def _table(kind: str, params: Sequence[Param]) -> list[str]:
    lines = [f"| {kind} | description |", "|---|---|"]
    for param in params:
        lines.append(f"| `{_cell(param.names)}` | {_cell(_text(param.help))} |")
    return [*lines, ""]


def _text(text: str) -> str:
    """Help text as Markdown: paragraphs kept, characters Markdown would take as markup escaped."""
    paragraphs: list[str] = []
    for block in text.replace("\b", "").split("\n\n"):
        prose, _, example = " ".join(block.split()).partition("Example:")
        if prose.strip():
            paragraphs.append(_escape(prose.strip()))
        if example.strip():
            paragraphs.append(f"Example: `{example.strip()}`")
    return "\n\n".join(paragraphs)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("<", "\\<").replace("*", "\\*")


def _cell(text: str) -> str:
    """Text inside a table cell: pipes escaped, paragraphs joined."""
    return text.replace("|", "\\|").replace("\n\n", " ")


def _anchor(title: str) -> str:
    """GitHub's anchor of a ``## `missionboard mission show` `` heading."""
    kept = "".join(c for c in title.lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


if __name__ == "__main__":
    sys.exit(main())
