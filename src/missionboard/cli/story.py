"""``missionboard story MISSION``: the contribution story of a mission, as prose, Markdown or JSON."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from missionboard.cli import lazy
from missionboard.cli.context import DocumentFormat, app_context, console, option_date, print_json

if TYPE_CHECKING:
    from missionboard.services import story as service
else:
    service = lazy.module("missionboard.services.story")


def register(app: typer.Typer) -> None:
    """Add this module's command to the root app."""
    app.command("story")(story)


def story(
    ctx: typer.Context,
    mission: str = typer.Argument(..., metavar="MISSION", help="Mission id."),
    output_format: DocumentFormat = typer.Option(
        DocumentFormat.TEXT, "--format", "-f", help="text, json or md."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Indicator values known on this date (YYYY-MM-DD)."
    ),
) -> None:
    """The contribution story: the logic walked from money and measures to outcomes to targets.

    For each objective: the projects and money behind it (the one portfolio rule), the measures and
    outcomes leading to it, the assumptions it rests on with their status and evidence, and its
    indicator's status; then where the chain is weak. A mission without a theory of change gets its
    story objective by objective.

    Example: missionboard story zero-emission-ferries --format md
    """
    result = service.mission_story(app_context(ctx).workspace(), mission, as_of=option_date(as_of))
    if output_format is DocumentFormat.JSON:
        print_json(result.to_dict())
    elif output_format is DocumentFormat.MD:
        sys.stdout.write(result.to_markdown())
    else:
        from rich.markdown import Markdown  # markdown-it: only for this rendering

        console.print(Markdown(result.to_markdown()))
