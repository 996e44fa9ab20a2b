"""``missionboard mission …``: missions as code — validate, import, export, list, show, history, check."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from missionboard.cli import lazy
from missionboard.cli.context import (
    OutputFormat,
    app_context,
    console,
    errors,
    print_json,
    write_atomically,
    write_stdout,
)
from missionboard.errors import InputError, WorkspaceError

if TYPE_CHECKING:
    from missionboard.domain.history import MissionDiff
    from missionboard.domain.missions import Mission
    from missionboard.domain.quality import QualityReport
    from missionboard.services import glance, glance_missions
    from missionboard.services import missions as service
else:
    glance = lazy.module("missionboard.services.glance")
    glance_missions = lazy.module("missionboard.services.glance_missions")
    service = lazy.module("missionboard.services.missions")

mission_app = typer.Typer(help="Define missions as versioned YAML, check their quality, see their history.")


def register(app: typer.Typer) -> None:
    app.add_typer(mission_app, name="mission")


@mission_app.command("validate")
def validate(files: list[Path] = typer.Argument(..., help="Mission YAML files.")) -> None:
    """Check that mission files are well-formed; print every problem with file:line and field."""
    failed = 0
    for path, result in service.validate_files(files):
        if isinstance(result, InputError):
            failed += 1
            for problem in result.problems:
                errors.print(f"[red]✗[/red] {problem}", highlight=False, soft_wrap=True)
        else:
            console.print(f"[green]✓[/green] {path}: mission '{result.id}' is valid", highlight=False)
    if failed:
        raise typer.Exit(2)


@mission_app.command("import")
def import_(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="Mission YAML files."),
    comment: str = typer.Option("", "--comment", "-m", help="Why this change (kept in the history)."),
) -> None:
    """Import or update missions (all files in one transaction); a changed mission gets a new version."""
    app = app_context(ctx)
    outcomes = service.import_missions(app.workspace(create=True), files, user=app.user, comment=comment)
    for outcome in outcomes:
        state = f"version {outcome.version}" if outcome.changed else f"unchanged (version {outcome.version})"
        console.print(f"{outcome.file}: mission '{outcome.mission_id}' {state}", highlight=False)


@mission_app.command("export")
def export(
    ctx: typer.Context,
    mission_id: str = typer.Argument(..., metavar="ID"),
    version: int | None = typer.Option(
        None, "--version", "-v", help="An earlier version (default: current)."
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Write to this file instead of stdout, atomically: on failure it keeps what it held.",
    ),
) -> None:
    """Print a mission as YAML (importing it again gives the same mission).

    Nothing is written until the whole export is ready, so a failed export prints nothing.
    Example: missionboard mission export school-meals --output school-meals.yaml
    """
    app = app_context(ctx)
    text = glance_missions.mission_yaml(
        app.settings,
        mission_id,
        version,
        lambda: service.export_mission(app.workspace(), mission_id, version),
    )
    if output:
        write_atomically(output, text)
        errors.print(f"wrote {output}", highlight=False)
    else:
        write_stdout(text)


@mission_app.command("list")
def list_(ctx: typer.Context, format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format")) -> None:
    """List the workspace's missions."""
    app = app_context(ctx)
    summaries = glance.mission_summaries(app.settings, lambda: service.mission_summaries(app.workspace()))
    if format == OutputFormat.JSON:
        print_json(
            [
                {
                    "id": s.id,
                    "title": s.title,
                    "deadline": s.deadline,
                    "objectives": s.objectives,
                    "version": s.version,
                    "status": s.status,
                }
                for s in summaries
            ]
        )
        return
    table = Table("id", "title", "owner", "deadline", "objectives", "version", title="Missions")
    for s in summaries:
        table.add_row(
            escape(s.id),
            escape(s.title),
            escape(s.owner),
            str(s.deadline or "—"),
            str(s.objectives),
            str(s.version),
        )
    console.print(table)
    if not summaries:
        console.print("no missions yet: write one as YAML and run 'missionboard mission import FILE'")


@mission_app.command("show")
def show(
    ctx: typer.Context,
    mission_id: str = typer.Argument(..., metavar="ID"),
    version: int | None = typer.Option(
        None, "--version", "-v", help="An earlier version (default: current)."
    ),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Show a mission as a tree: challenge → mission → objectives with their targets."""
    app = app_context(ctx)
    current = glance_missions.mission_version(
        app.settings, mission_id, version, lambda: service.get_mission(app.workspace(), mission_id, version)
    )
    if format == OutputFormat.JSON:
        print_json({"version": current.version, **json.loads(current.mission.model_dump_json())})
        return
    console.print(_tree(current.mission, current.version))


def _tree(mission: Mission, version: int) -> Tree:
    tree = Tree(f"[bold]Challenge:[/bold] {mission.challenge.title}")
    node = tree.add(
        f"[bold]{mission.title}[/bold] ({mission.id}, v{version}, {mission.status})\n"
        f"{mission.statement}\nowner: {mission.owner} · {mission.start or '?'} → {mission.deadline or 'no deadline'}"
        f" · {mission.geography or 'no geography'}"
    )
    for o in mission.objectives:
        if o.is_measurable:
            assert o.indicator and o.baseline and o.target
            target = (
                f"{o.indicator.name}: {o.baseline.value:g} ({o.baseline.year}) → {o.target.value:g} "
                f"({o.target.year}) {o.indicator.unit}, {o.direction}"
            )
        else:
            target = "[yellow]not measurable[/yellow]"
        node.add(f"[bold]{o.id}[/bold] {o.title}\n{target}")
    if mission.solutions:
        solutions = node.add("[bold]Solutions under consideration[/bold]")
        for solution in mission.solutions:
            solutions.add(escape(solution))
    return tree


@mission_app.command("history")
def history(
    ctx: typer.Context,
    mission_id: str = typer.Argument(..., metavar="ID"),
    diff: tuple[int, int] | None = typer.Option(
        None, "--diff", help="Show the differences between two versions: A B."
    ),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Every version of a mission: who, when, why; with --diff A B, what changed between two versions."""
    app = app_context(ctx)

    def diff_of(old: int, new: int) -> MissionDiff:
        return glance_missions.mission_diff(
            app.settings,
            mission_id,
            old,
            new,
            lambda: service.diff_versions(app.workspace(), mission_id, old, new),
        )

    if diff is not None:
        result = diff_of(diff[0], diff[1])
        if format == OutputFormat.JSON:
            print_json(result.to_dict())
            return
        if not result.changes:
            console.print(f"versions {diff[0]} and {diff[1]} are the same")
        for change in result.changes:
            console.print(str(change), highlight=False, markup=False)
        if result.unified:
            console.print()
            sys.stdout.write(result.unified)
        return
    versions = glance_missions.mission_history(
        app.settings, mission_id, lambda: service.mission_history(app.workspace(), mission_id)
    )
    if format == OutputFormat.JSON:
        print_json(
            [
                {
                    "version": v.version,
                    "author": v.author,
                    "at": v.created_at,
                    "comment": v.comment,
                    "origin": v.origin,
                }
                for v in versions
            ]
        )
        return
    table = Table("version", "when", "who", "from", "comment", "changes", title=f"History of {mission_id}")
    previous = None
    for v in versions:
        changes = "created"
        if previous is not None:
            found = diff_of(previous, v.version).changes
            changes = "; ".join(str(c) for c in found[:3]) + (
                f" (+{len(found) - 3} more)" if len(found) > 3 else ""
            )
        table.add_row(
            str(v.version),
            f"{v.created_at:%Y-%m-%d %H:%M} UTC",
            escape(v.author),
            escape(v.origin),
            escape(v.comment),
            escape(changes),
        )
        previous = v.version
    console.print(table)


@mission_app.command("diff")
def diff_(
    ctx: typer.Context,
    mission_id: str = typer.Argument(..., metavar="ID"),
    old: int | None = typer.Argument(None, help="Older version (default: the one before NEW)."),
    new: int | None = typer.Argument(None, help="Newer version (default: the current one)."),
) -> None:
    """A readable diff between two versions of a mission."""
    app = app_context(ctx)
    result = glance_missions.mission_diff(
        app.settings,
        mission_id,
        old,
        new,
        lambda: service.diff_versions(app.workspace(), mission_id, old, new),
    )
    for change in result.changes:
        console.print(str(change), highlight=False, markup=False)
    sys.stdout.write(result.unified)


@mission_app.command("check")
def check(
    ctx: typer.Context,
    target: str = typer.Argument(
        ..., metavar="ID|FILE", help="A mission id in the workspace, or a mission YAML file."
    ),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Judge a mission against OECD/Mazzucato criteria; findings come with evidence and a suggestion.

    Exits 0 even with findings; non-zero only when the mission cannot be read.
    """
    path = Path(target)
    app = app_context(ctx)
    if path.suffix.lower() in (".yaml", ".yml") or path.is_file():
        mission = service.read_mission(path)
        try:
            workspace = app.workspace()
        except WorkspaceError:
            workspace = None
        report = service.check_mission(workspace, mission)
    else:
        report = service.check_mission(app.workspace(), target)
    if format == OutputFormat.JSON:
        print_json(report.to_dict())
    else:
        render_report(report)


def render_report(report: QualityReport) -> None:
    from missionboard.domain.quality import Severity  # with the quality rules: only commands that check

    style = {Severity.CRITICAL: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
    console.print(
        f"[bold]{report.mission}[/bold]: score {report.score}/100 — {report.verdict}", highlight=False
    )
    summary = report.to_dict()["criteria"]
    console.print("  " + "  ".join(f"{name}: {state}" for name, state in summary.items()), highlight=False)
    for f in report.findings:
        console.print(
            f"  [{style[f.severity]}]{f.severity:<8}[/] {f.criterion}: {f.message}\n"
            f"           evidence: {f.evidence}\n           suggestion: {f.suggestion}",
            highlight=False,
        )


@mission_app.command("schema")
def schema(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
) -> None:
    """Print the JSON Schema of the mission file format."""
    text = json.dumps(service.mission_schema(), indent=2) + "\n"
    if output:
        write_atomically(output, text)
    else:
        write_stdout(text)
