"""``missionboard learn``: a mission's learning log (notes on patterns, pivots, lessons, risks and
decisions) and its review rounds."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from missionboard.cli import lazy
from missionboard.cli.context import DocumentFormat, app_context, console, print_json
from missionboard.domain.learning import NoteKind, RoundComparison

if TYPE_CHECKING:
    from missionboard.services import glance_learning
    from missionboard.services import learning as service
else:
    glance_learning = lazy.module("missionboard.services.glance_learning")
    service = lazy.module("missionboard.services.learning")

learn_app = typer.Typer(
    help="The learning log of a mission: notes linked to what they are about, review rounds."
)
round_app = typer.Typer(help="Review rounds: named snapshots of a mission's board, compared two at a time.")
learn_app.add_typer(round_app, name="round")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(learn_app, name="learn")


@learn_app.command("add")
def add(
    ctx: typer.Context,
    mission: str = typer.Argument(..., metavar="MISSION", help="Mission id."),
    kind: NoteKind = typer.Option(..., "--kind", help="pattern, pivot, lesson, risk or decision_note."),
    text: str = typer.Option(..., "--text", help="The note (1 to 5000 characters)."),
    objective: list[str] = typer.Option(
        [], "--objective", help="An objective or outcome of the mission it is about (repeatable)."
    ),
    project: list[str] = typer.Option(
        [], "--project", help="A project it is about: SOURCE:SOURCE_ID or the numeric id (repeatable)."
    ),
    decision: list[int] = typer.Option([], "--decision", help="A decision id it is about (repeatable)."),
    round: str | None = typer.Option(None, "--round", help="The review round it belongs to, e.g. 2026-Q4."),
    output_format: DocumentFormat = typer.Option(
        DocumentFormat.TEXT, "--format", "-f", help="text, json or md."
    ),
) -> None:
    """Write a note in a mission's learning log, dated and signed by you.

    Example: missionboard learn add ocean --kind lesson --text "Prizes reach new actors" --objective litter
    """
    app = app_context(ctx)
    note = service.add_note(
        app.workspace(),
        mission,
        kind,
        text,
        user=app.user,
        round=round,
        objectives=objective,
        projects=project,
        decisions=decision,
    )
    if output_format is DocumentFormat.JSON:
        print_json(note.to_dict())
    elif output_format is DocumentFormat.MD:
        sys.stdout.write(service.notes_markdown(note.mission, [note]))
    else:
        console.print(
            f"note #{note.id} ({note.kind.value}) written in the learning log of '{escape(mission)}'"
        )


@learn_app.command("list")
def list_(
    ctx: typer.Context,
    mission: str = typer.Argument(..., metavar="MISSION", help="Mission id."),
    search: str | None = typer.Option(None, "--search", help="Words the note must contain (any case)."),
    kind: NoteKind | None = typer.Option(None, "--kind", help="Only notes of this kind."),
    round: str | None = typer.Option(None, "--round", help="Only notes of this review round."),
    about: str | None = typer.Option(
        None, "--about", help="Only notes about this objective, outcome, project or decision:ID."
    ),
    output_format: DocumentFormat = typer.Option(
        DocumentFormat.TEXT, "--format", "-f", help="text, json or md."
    ),
) -> None:
    """A mission's learning notes, newest first.

    Example: missionboard learn list ocean --search "fishing gear" --kind lesson
    """
    app = app_context(ctx)
    found = glance_learning.learning_notes(
        app.settings,
        mission,
        search=search,
        kind=kind,
        round=round,
        about=about,
        ordinary=lambda: service.notes(
            app.workspace(), mission, query=search, kind=kind, round=round, about=about
        ),
    )
    if output_format is DocumentFormat.JSON:
        print_json([note.to_dict() for note in found])
        return
    if output_format is DocumentFormat.MD:
        sys.stdout.write(glance_learning.notes_markdown(mission, found))
        return
    table = Table("#", "date", "kind", "author", "round", "note", "about", title=f"Learning log: {mission}")
    for note in found:
        table.add_row(
            str(note.id),
            f"{note.created_at:%Y-%m-%d}",
            note.kind.value,
            escape(note.author),
            escape(note.round or ""),
            escape(note.text),
            escape(", ".join(f"{link.kind.value} {link.label or link.target}" for link in note.links)),
        )
    console.print(table)
    if not found:
        console.print(
            "no notes found: write one with 'missionboard learn add MISSION --kind lesson --text …'"
        )


@round_app.command("close")
def close(
    ctx: typer.Context,
    mission: str = typer.Argument(..., metavar="MISSION", help="Mission id."),
    name: str = typer.Argument(..., metavar="NAME", help="The round's name, e.g. 2026-Q4."),
    output_format: DocumentFormat = typer.Option(DocumentFormat.TEXT, "--format", "-f", help="text or json."),
) -> None:
    """Close a review round: record now the portfolio and each objective's status and probability.

    Example: missionboard learn round close ocean 2026-Q4
    """
    app = app_context(ctx)
    closed = service.close_round(app.workspace(), mission, name, user=app.user)
    if output_format is DocumentFormat.JSON:
        print_json(closed.to_dict())
        return
    console.print(
        f"round '{escape(closed.name)}' of '{escape(mission)}' closed: {closed.projects} projects, "
        f"{closed.money:,.0f} {closed.currency or ''}".rstrip()
        + f", {len(closed.objectives)} objectives recorded"
    )


@round_app.command("compare")
def compare(
    ctx: typer.Context,
    mission: str = typer.Argument(..., metavar="MISSION", help="Mission id."),
    first: str = typer.Argument(..., metavar="A", help="The earlier round."),
    second: str = typer.Argument(..., metavar="B", help="The later round."),
    output_format: DocumentFormat = typer.Option(
        DocumentFormat.TEXT, "--format", "-f", help="text, json or md."
    ),
) -> None:
    """Compare two review rounds: each objective before and after, the portfolio, the notes of each.

    Example: missionboard learn round compare ocean 2026-Q3 2026-Q4 --format md
    """
    result = service.compare_rounds(app_context(ctx).workspace(), mission, first, second)
    if output_format is DocumentFormat.JSON:
        print_json(result.to_dict())
    elif output_format is DocumentFormat.MD:
        sys.stdout.write(service.comparison_markdown(result))
    else:
        _print_comparison(result)


def _print_comparison(result: RoundComparison) -> None:
    a, b = result.first, result.second
    console.print(
        f"projects {a.projects} → {b.projects} ({result.projects_change:+d}); "
        f"money {a.money:,.0f} → {b.money:,.0f}{' ' + b.currency if b.currency else ''} "
        f"({result.money_change:+,.0f})"
    )
    table = Table("objective", f"status {escape(a.name)}", f"status {escape(b.name)}", "probability")
    for o in result.objectives:
        table.add_row(
            escape(o.title),
            o.status_before or "—",
            o.status_after or "—",
            f"{_percent(o.probability_before)} → {_percent(o.probability_after)}",
        )
    console.print(table)
    console.print(
        f"notes: {len(result.notes_first)} in {escape(a.name)}, {len(result.notes_second)} in {escape(b.name)}"
    )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"
