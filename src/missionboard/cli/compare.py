"""``missionboard compare``: all missions side by side, weakest first, as text, Markdown or JSON."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from missionboard.cli import lazy
from missionboard.cli.context import DocumentFormat, app_context, console, option_date, print_json

if TYPE_CHECKING:
    from missionboard.services import compare as service
else:
    service = lazy.module("missionboard.services.compare")


def register(app: typer.Typer) -> None:
    """Add this module's command to the root app."""
    app.command("compare")(compare)


def compare(
    ctx: typer.Context,
    output_format: DocumentFormat = typer.Option(
        DocumentFormat.TEXT, "--format", "-f", help="text, json or md."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Indicator values known on this date (YYYY-MM-DD)."
    ),
) -> None:
    """All missions side by side: where each objective stands between baseline and target, weakest first.

    Per mission: status, owning bodies, deadline, portfolio projects and money (the one portfolio rule)
    and the quality check's verdict. Per objective: the share of the way from baseline (0 %) to target
    (100 %) the latest observation covers, the monitoring board's status and probability of meeting the
    target, the trend of the last step (↑ improving, ↓ worsening, → flat) and the year of the last
    observation. Missions whose weakest objective is least likely to meet its target come first.

    Example: missionboard compare --format md
    """
    result = service.compare_missions(app_context(ctx).workspace(), as_of=option_date(as_of))
    if output_format is DocumentFormat.JSON:
        print_json(result.to_dict())
    elif output_format is DocumentFormat.MD:
        sys.stdout.write(result.to_markdown())
    else:
        from rich.markdown import Markdown  # markdown-it: only for this rendering

        console.print(Markdown(result.to_markdown()))
