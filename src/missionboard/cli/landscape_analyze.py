"""``missionboard landscape analyze``: per mission objective, who works on it outside the portfolio."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from missionboard.cli import lazy
from missionboard.cli.context import DocumentFormat, app_context, console, print_json
from missionboard.domain.landscape import (
    CURRENCY,
    DEFAULT_MIN_SCORE,
    DEFAULT_RECENT_YEARS,
    DEFAULT_TOP,
    MissionLandscape,
)

if TYPE_CHECKING:
    from missionboard.services import landscape as service
else:
    service = lazy.module("missionboard.services.landscape")


def register(app: typer.Typer) -> None:
    """Add ``analyze`` to the ``landscape`` group."""
    app.command("analyze")(analyze)


def analyze(
    ctx: typer.Context,
    mission: str = typer.Option(..., "--mission", help="Mission id."),
    input: Path = typer.Option(..., "--input", "-i", help="The --output folder of 'landscape map'."),
    taxonomy: str | None = typer.Option(
        None, "--taxonomy", "-t", help="The taxonomy the landscape was mapped with (default: mission:ID)."
    ),
    min_score: float = typer.Option(
        DEFAULT_MIN_SCORE, "--min-score", min=0.0, max=1.0, help="A label counts from this score on."
    ),
    recent_years: int = typer.Option(
        DEFAULT_RECENT_YEARS,
        "--recent-years",
        min=1,
        help="Years up to the landscape's latest that count as recent (growth, newcomers).",
    ),
    top: int = typer.Option(
        DEFAULT_TOP, "--top", min=1, help="Organisations and fields kept per objective and list."
    ),
    output_format: DocumentFormat = typer.Option(
        DocumentFormat.TEXT, "--format", "-f", help="text, json or md."
    ),
) -> None:
    """Sum up a mapped landscape per objective of a mission: activity by year, organisation, country and
    field, the most active organisations outside the portfolio, the portfolio's share, growth and
    newcomers. The result replaces the mission's previous landscape in the workspace.

    Example: missionboard landscape analyze --mission ocean --input mapped/
    """
    app = app_context(ctx)
    found = service.analyze_landscape(
        app.workspace(),
        mission,
        input,
        user=app.user,
        taxonomy=taxonomy,
        min_score=min_score,
        recent_years=recent_years,
        top=top,
    )
    if output_format is DocumentFormat.JSON:
        print_json(found.to_dict())
    elif output_format is DocumentFormat.MD:
        sys.stdout.write(found.to_markdown())
    else:
        _render(found)


def _render(found: MissionLandscape) -> None:
    run = found.run
    assert run is not None  # an analysis always records its run
    console.print(
        f"landscape of '{escape(found.mission)}': {run.records:,} of {run.records_read:,} records "
        f"({run.files} {'file' if run.files == 1 else 'files'} in {escape(run.input)}) count for an objective; "
        f"{run.money:,.0f} {CURRENCY}; latest year {run.latest_year or '–'}",
        highlight=False,
    )
    table = Table(
        "objective",
        "records",
        f"money ({CURRENCY})",
        "growth",
        "organisations",
        "outside portfolio",
        "newcomers",
        "portfolio projects",
        f"portfolio money ({CURRENCY})",
        "money share",
        title=f"Landscape: {found.mission}",
    )
    for o in found.objectives:
        table.add_row(
            escape(o.title or o.objective),
            f"{o.records:,}",
            f"{o.money:,.0f}",
            _growth(o.growth),
            f"{o.organisations:,}",
            f"{o.outside_portfolio:,}",
            f"{o.newcomer_count:,}",
            f"{o.portfolio_projects:,}",
            f"{o.portfolio_money:,.0f}",
            _share(o.money_share) + (" thin" if o.thin else ""),
        )
    console.print(table)
    for o in found.objectives:
        outside = o.not_in_portfolio()
        if not outside:
            continue
        most = Table("organisation", "records", f"money ({CURRENCY})", "first year", "newcomer")
        most.title = f"{o.title or o.objective}: most active outside the portfolio"
        for org in outside:
            most.add_row(
                escape(org.name),
                f"{org.records:,}",
                f"{org.money:,.0f}",
                str(org.first_year or "–"),
                "yes" if org.newcomer else "",
            )
        console.print(most)
    if run.records == 0:
        console.print(
            "no record counts for an objective: was the corpus mapped with "
            f"'landscape map --taxonomy {escape(run.taxonomy)}'? (--min-score {run.min_score:g})",
            highlight=False,
        )


def _growth(value: float | None) -> str:
    return "–" if value is None else f"{value:+.0%}"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"
