"""Monitoring commands: ``indicators import|list|show``, ``progress import``, ``decide``, ``decisions``,
``monitor``. Each parses its arguments, calls one service in ``missionboard.monitoring``, renders."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from missionboard import monitoring
from missionboard.cli.context import OutputFormat, app_context, console, print_json
from missionboard.errors import InputError, Problem

indicators_app = typer.Typer(
    help="Indicator observations: import series, list them, show one with its history."
)
progress_app = typer.Typer(help="Project progress: milestones, KPIs and spend.")


class DecisionChoice(StrEnum):
    CONTINUE = "continue"
    PIVOT = "pivot"
    SCALE = "scale"
    STOP = "stop"


STATUS_STYLE = {
    "achieved": "bold green",
    "on_track": "green",
    "at_risk": "yellow",
    "off_track": "red",
    "no_data": "dim",
}

RULES_HELP = "Project-health rules (YAML); default: the packaged rules (see docs/monitoring.md)."


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(indicators_app, name="indicators")
    app.add_typer(progress_app, name="progress")
    app.command("decide")(decide)
    app.command("decisions")(decisions)
    app.command("monitor")(monitor)


def _date(value: str | None, option: str = "--as-of") -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(Problem("", None, option, f"'{value}' is not a date: write YYYY-MM-DD")) from None


def _num(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}g}" if abs(value) < 1e4 else f"{value:,.0f}"


# --- indicators ---------------------------------------------------------------------------------


@indicators_app.command("import")
def indicators_import(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ..., help="CSV or XLSX, long (indicator, year|date, value …) or wide (years as columns)."
    ),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Import indicator observations; changed values become new revisions, the old ones are kept."""
    app = app_context(ctx)
    summary = monitoring.import_indicators(app.workspace(create=True), file, user=app.user)
    if format is OutputFormat.JSON:
        print_json(summary.to_dict())
        return
    console.print(
        f"{escape(summary.file)} ({summary.format} format): {summary.read} values read, "
        f"{summary.inserted} new, {summary.revised} revised, {summary.unchanged} unchanged"
        + (f", {summary.duplicates} duplicate rows ignored" if summary.duplicates else "")
        + f" — indicators {', '.join(summary.indicators)}"
        + (f" (created {', '.join(summary.indicators_created)})" if summary.indicators_created else ""),
        highlight=False,
        soft_wrap=True,
    )


@indicators_app.command("list")
def indicators_list(
    ctx: typer.Context, format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format")
) -> None:
    """List indicators with their unit and how many observations they have."""
    infos = monitoring.list_indicators(app_context(ctx).workspace())
    if format is OutputFormat.JSON:
        print_json([i.to_dict() for i in infos])
        return
    table = Table("id", "name", "unit", "observations", "years", "geographies", title="Indicators")
    for i in infos:
        years = f"{i.first_year}–{i.last_year}" if i.first_year else "—"
        geos = ", ".join(g or "(none)" for g in i.geographies[:4]) + (" …" if len(i.geographies) > 4 else "")
        table.add_row(escape(i.id), escape(i.name), escape(i.unit), str(i.observations), years, escape(geos))
    console.print(table)
    if not infos:
        console.print("no indicators yet: import observations with 'missionboard indicators import FILE'")


@indicators_app.command("show")
def indicators_show(
    ctx: typer.Context,
    indicator: str = typer.Argument(..., metavar="ID"),
    geography: str | None = typer.Option(
        None, "--geography", help="Which geography (default: the main one)."
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="Only values known on this date (YYYY-MM-DD)."),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Show an indicator's series with a sparkline, and how its values were revised."""
    detail = monitoring.show_indicator(
        app_context(ctx).workspace(), indicator, geography=geography, as_of=_date(as_of)
    )
    if format is OutputFormat.JSON:
        print_json(detail.to_dict())
        return
    info, series = detail.info, detail.series
    console.print(
        f"[bold]{escape(info.id)}[/bold] — {escape(info.name)} ({escape(info.unit)})",
        highlight=False,
        soft_wrap=True,
    )
    where = series.geography or "(no geography)"
    others = [g or "(none)" for g in series.geographies if g != series.geography]
    console.print(
        f"geography {escape(where)}" + (f"; also {escape(', '.join(others[:6]))}" if others else ""),
        highlight=False,
        soft_wrap=True,
    )
    if not series.values:
        console.print("no observations" + (" known then" if as_of else ""))
        return
    first, last = series.values[0], series.values[-1]
    console.print(
        f"{first.year} {_num(first.value)}  {detail.sparkline}  {last.year} {_num(last.value)}",
        highlight=False,
        soft_wrap=True,
    )
    table = Table("year", "value", "source", "revision")
    for v in series.values:
        revised = f"{v.revision} of {v.revisions}" if v.revisions > 1 else "1"
        table.add_row(str(v.date or v.year), _num(v.value, 6), escape(v.source or "—"), revised)
    console.print(table)


# --- progress -----------------------------------------------------------------------------------


@progress_app.command("import")
def progress_import(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ..., help="CSV or XLSX: project, kind, name, date, planned, actual, unit, completed, note."
    ),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Import milestones, KPI reports and spend reports for projects (all or nothing)."""
    app = app_context(ctx)
    summary = monitoring.import_progress(app.workspace(create=True), file, user=app.user)
    if format is OutputFormat.JSON:
        print_json(summary.to_dict())
        return
    kinds = ", ".join(f"{n} {k}" for k, n in summary.by_kind.items())
    console.print(
        f"{escape(summary.file)}: {summary.read} lines ({kinds}) for {len(summary.projects)} projects — "
        f"{summary.inserted} new, {summary.updated} updated, {summary.unchanged} unchanged",
        highlight=False,
        soft_wrap=True,
    )


# --- decisions ----------------------------------------------------------------------------------


def decide(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="SOURCE:SOURCE_ID or the numeric project id."),
    decision: DecisionChoice = typer.Option(..., "--decision", help="continue, pivot, scale or stop."),
    rationale: str = typer.Option(..., "--rationale", help="Why: kept with the decision for good."),
    by: str | None = typer.Option(None, "--by", help="Who decided (default: the acting user)."),
    rules: Path | None = typer.Option(None, "--rules", help=RULES_HELP),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Record a stage-gate decision; the evidence shown now (health, progress, objectives) is frozen into it."""
    app = app_context(ctx)
    record = monitoring.record_decision(
        app.workspace(), project, decision.value, rationale, by or app.user, rules=rules
    )
    if format is OutputFormat.JSON:
        print_json(record.model_dump(mode="json"))
        return
    label = f"{record.project[0]}:{record.project[1]}"
    console.print(
        f"recorded: [bold]{record.decision.value}[/bold] {escape(label)} by {escape(record.by)} "
        f"at {record.at:%Y-%m-%d %H:%M} UTC",
        highlight=False,
        soft_wrap=True,
    )
    flags = record.evidence.get("flags", [])
    for flag in flags:
        console.print(
            f"  evidence: {escape(flag['code'])} — {escape(flag['reason'])}", highlight=False, soft_wrap=True
        )
    for objective in record.evidence.get("objectives", []):
        if "status" in objective:
            console.print(
                f"  evidence: objective {escape(objective['mission'])}/{escape(objective['objective'])} "
                f"is {objective['status']}",
                highlight=False,
                soft_wrap=True,
            )


def decisions(
    ctx: typer.Context,
    mission: str | None = typer.Argument(None, help="Only decisions on projects linked to this mission."),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """List stage-gate decisions, newest first (the log is append-only)."""
    entries = monitoring.list_decisions(app_context(ctx).workspace(), mission)
    if format is OutputFormat.JSON:
        print_json([e.to_dict() for e in entries])
        return
    table = Table("#", "when", "project", "decision", "by", "rationale", "flags then", title="Decisions")
    for e in entries:
        d = e.decision
        flags = ", ".join(f["code"] for f in d.evidence.get("flags", [])) or "—"
        table.add_row(
            str(e.id),
            f"{d.at:%Y-%m-%d}",
            escape(f"{d.project[0]}:{d.project[1]}"),
            d.decision.value,
            escape(d.by),
            escape(d.rationale),
            flags,
        )
    console.print(table)
    if not entries:
        console.print(
            "no decisions yet: record one with 'missionboard decide PROJECT --decision … --rationale …'"
        )


# --- monitor ------------------------------------------------------------------------------------


def monitor(
    ctx: typer.Context,
    mission: str = typer.Argument(..., help="Mission id."),
    as_of: str | None = typer.Option(None, "--as-of", help="Judge with only the data known on this date."),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
    move: float | None = typer.Option(None, "--move", help="What-if: move this amount …"),
    source: str | None = typer.Option(None, "--from", help="… from this objective …"),
    target: str | None = typer.Option(None, "--to", help="… to this objective."),
    rules: Path | None = typer.Option(None, "--rules", help=RULES_HELP),
) -> None:
    """The mission board: objectives vs targets with forecasts, funding, flagged projects, decisions, suggestions."""
    given = [
        name for name, value in (("--move", move), ("--from", source), ("--to", target)) if value is not None
    ]
    if given and len(given) != 3:
        missing = [n for n in ("--move", "--from", "--to") if n not in given]
        raise InputError(Problem("", None, missing[0], "a what-if needs --move AMOUNT --from OBJ --to OBJ"))
    what_if = (float(move), str(source), str(target)) if len(given) == 3 else None  # type: ignore[arg-type]
    result = monitoring.monitor_mission(
        app_context(ctx).workspace(), mission, as_of=_date(as_of), move=what_if, rules=rules
    )
    data = result.to_dict()
    if format is OutputFormat.JSON:
        print_json(data)
        return
    _render(data)


def _render(data: dict[str, Any]) -> None:
    currency = data["currency"] or ""
    console.print(
        f"[bold]{escape(data['mission'])}[/bold] — {escape(data['title'])}   as of {data['as_of']}",
        highlight=False,
        soft_wrap=True,
    )
    table = Table(
        "objective",
        "indicator",
        "baseline → target",
        "latest",
        "path now",
        "status",
        "forecast (80 %)",
        "P(target)",
        "accel.",
        f"funding {currency}".strip(),
        title="Objectives",
    )
    for o in data["objectives"]:
        base, tgt, latest, fc = o["baseline"], o["target"], o["latest"], o["forecast"]
        path = (
            f"{_num(base['value'])} ({base['year']}) → {_num(tgt['value'])} ({tgt['year']})"
            if base and tgt
            else "—"
        )
        style = STATUS_STYLE.get(o["status"], "")
        forecast = f"{_num(fc['value'])} [{_num(fc['low'])}–{_num(fc['high'])}] {fc['year']}" if fc else "—"
        prob = f"{o['probability']:.0%}" if o["probability"] is not None else "—"
        accel = f"{o['required_acceleration']:.1f}×" if o["required_acceleration"] is not None else "—"
        share = o["funding"]["share"]
        funding = f"{_num(o['funding']['amount'])}" + (f" ({share:.0%})" if share is not None else "")
        table.add_row(
            escape(o["objective"]),
            escape(f"{o['indicator'] or '—'}" + (f" ({o['unit']})" if o["unit"] else "")),
            path,
            f"{_num(latest['value'])} ({latest['year']})" if latest else "—",
            f"{_num(o['expected'])}" if o["expected"] is not None else "—",
            f"[{style}]{o['status']}[/{style}]",
            forecast,
            prob,
            accel,
            funding,
        )
    console.print(table)
    for o in data["objectives"]:
        console.print(f"  {escape(o['objective'])}: {escape(o['reason'])}", highlight=False, soft_wrap=True)
        if o["status"] in ("off_track", "at_risk") and o["funding"]["projects"]:
            names = ", ".join(
                f"{p['project']} ({_num(p['amount'])})" if p["amount"] is not None else p["project"]
                for p in o["funding"]["projects"][:5]
            )
            more = len(o["funding"]["projects"]) - 5
            console.print(
                f"    behind it: {escape(names)}" + (f" and {more} more" if more > 0 else ""),
                highlight=False,
                soft_wrap=True,
            )
    if data["flagged_projects"]:
        console.print("\n[bold]Flagged projects[/bold]")
        for p in data["flagged_projects"]:
            console.print(f"  {escape(p['project'])} — {escape(p['title'])}", highlight=False, soft_wrap=True)
            for reason in p["reasons"]:
                console.print(f"    • {escape(reason)}", highlight=False, soft_wrap=True)
    if data["decisions"]:
        console.print("\n[bold]Recent decisions[/bold]")
        for d in data["decisions"][:10]:
            console.print(
                f"  {d['at'][:10]} {d['decision']:<8} {escape(d['project'])} by {escape(d['by'])}: "
                f"{escape(d['rationale'])}",
                highlight=False,
                soft_wrap=True,
            )
    if data["suggestions"]:
        console.print("\n[bold]Rebalancing suggestions[/bold]")
        for s in data["suggestions"]:
            console.print(
                f"  {escape(s['message'])}",
                highlight=False,
                soft_wrap=True,
            )
    if data["move"]:
        m = data["move"]
        console.print(
            f"\n[bold]What if[/bold] {_num(m['amount'])} {m['currency'] or ''} moves from "
            f"{escape(m['from'])} to {escape(m['to'])}",
            highlight=False,
            soft_wrap=True,
        )
        mix = Table("objective", "before", "share", "after", "share", "intended")
        for before, after in zip(m["before"], m["after"], strict=True):
            mix.add_row(
                escape(before["objective"]),
                _num(before["amount"]),
                f"{before['share']:.0%}" if before["share"] is not None else "—",
                _num(after["amount"]),
                f"{after['share']:.0%}" if after["share"] is not None else "—",
                f"{before['intended_share']:.0%}",
            )
        console.print(mix)
    for note in data["notes"]:
        console.print(f"[dim]note: {escape(note)}[/dim]", highlight=False, soft_wrap=True)
