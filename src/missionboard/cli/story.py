"""``missionboard story MISSION``: the contribution story of a mission, as prose, Markdown or JSON."""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from typing import TYPE_CHECKING

import typer

from missionboard.cli import lazy
from missionboard.cli.context import app_context, console, print_json
from missionboard.errors import InputError, Problem

if TYPE_CHECKING:
    from missionboard.services import story as service
else:
    service = lazy.module("missionboard.services.story")


class StoryFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MD = "md"


def register(app: typer.Typer) -> None:
    """Add this module's command to the root app."""
    app.command("story")(story)


def story(
    ctx: typer.Context,
    mission: str = typer.Argument(..., metavar="MISSION", help="Mission id."),
    output_format: StoryFormat = typer.Option(StoryFormat.TEXT, "--format", "-f", help="text, json or md."),
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
    result = service.mission_story(app_context(ctx).workspace(), mission, as_of=_date(as_of))
    if output_format is StoryFormat.JSON:
        print_json(result.to_dict())
    elif output_format is StoryFormat.MD:
        sys.stdout.write(result.to_markdown())
    else:
        from rich.markdown import Markdown  # markdown-it: only for this rendering

        console.print(Markdown(result.to_markdown()))


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(Problem("", None, "--as-of", f"'{value}' is not a date: write YYYY-MM-DD")) from None
