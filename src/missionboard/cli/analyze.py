"""``missionboard analyze [MISSION]``: what a mission's portfolio really is, in one report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from missionboard.cli import lazy
from missionboard.cli.context import DocumentFormat, app_context, console, print_json

if TYPE_CHECKING:
    from missionboard.services import analytics, reports
else:
    analytics = lazy.module("missionboard.services.analytics")
    reports = lazy.module("missionboard.services.reports")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("analyze")(analyze)


def analyze(
    ctx: typer.Context,
    mission: str | None = typer.Argument(
        None, metavar="[MISSION]", help="Mission id; omit for the whole portfolio."
    ),
    taxonomy: str | None = typer.Option(
        None, "--taxonomy", "-t", help="Goals to cover (default: the mission's objectives, 'mission:<id>')."
    ),
    since: int | None = typer.Option(None, "--since", help="Only projects active in or after this year."),
    output_format: DocumentFormat = typer.Option(
        DocumentFormat.TEXT, "--format", "-f", help="text, json or md."
    ),
    charts: Path | None = typer.Option(None, "--charts", help="Write charts (PNG and SVG) into this folder."),
    threshold: float | None = typer.Option(
        None,
        "--threshold",
        help="Override the portfolio rule for this analysis: count proposed links from this score "
        "(default: the rule's 0.5; an override is reported with every figure).",
    ),
    currency: str | None = typer.Option(
        None,
        "--currency",
        help="Reporting currency (default: the mission's, else the one most exchange rates convert to).",
    ),
    max_text_projects: int = typer.Option(
        20_000,
        "--max-text-projects",
        help="Look for near-duplicate projects among at most this many (themes are the workspace's shared ones).",
    ),
) -> None:
    """Coverage and gaps, instrument/stage/helix mix, geography, timeline, leverage, diversity, silos.

    Counts a mission's portfolio by the one rule every view uses: links accepted, or proposed with a
    score of at least 0.5 (flagged as proposed); rejected never. Amounts are converted with the
    workspace's exchange rates only (direct, inverse or cross); anything without a rate is reported apart.
    """
    workspace = app_context(ctx).workspace()
    result = analytics.analyze_portfolio(
        workspace,
        mission,
        taxonomy=taxonomy,
        since=since,
        threshold=threshold,
        currency=currency,
        max_text_projects=max_text_projects,
    )
    written: list[Path] = []
    if charts is not None:
        written = reports.write_charts(result, charts)
    if output_format is DocumentFormat.JSON:
        data = result.to_dict()
        if charts is not None:
            data["charts"] = [str(p) for p in written]
        print_json(data)
    elif output_format is DocumentFormat.MD:
        names = [p.name for p in written if p.suffix == ".png"]
        sys.stdout.write(reports.markdown(result, names) + "\n")
    else:
        _render_text(result)
        if written:
            console.print(f"wrote {len(written)} chart files to {charts}", highlight=False)


def _render_text(analysis: analytics.PortfolioAnalysis) -> None:
    # a report written to a file or a pipe gets room for its widest table; a terminal keeps its width
    previous = console.width
    if not console.is_terminal:
        console.width = max(previous, 140)
    try:
        _render_tables(analysis)
    finally:
        console.width = previous


def _render_tables(analysis: analytics.PortfolioAnalysis) -> None:
    console.print(f"[bold]{escape(reports.title(analysis))}[/bold]")
    console.print(f"Scope: {escape(reports.scope_text(analysis))}", highlight=False)
    console.print(escape(reports.portfolio_line(analysis)), highlight=False)
    head = Table(title="Headline figures", show_header=True, title_justify="left")
    head.add_column("Figure")
    head.add_column("Value", justify="right")
    head.add_column("Unit")
    for label, value, unit in reports.headline(analysis):
        head.add_row(escape(label), value, escape(unit))
    console.print(head)
    for report in reports.report_tables(analysis):
        table = Table(
            title=report.title, caption=escape(report.note), title_justify="left", caption_justify="left"
        )
        for column in report.columns:
            if column.numeric:  # figures never break across lines
                table.add_column(
                    column.header, justify="right", no_wrap=True, min_width=min(len(column.header), 12)
                )
            else:
                table.add_column(column.header, overflow="fold", min_width=8)
        for cells in report.cells():
            table.add_row(*(escape(c) for c in cells))
        console.print(table)
