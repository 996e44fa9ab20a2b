"""Monitoring commands: ``indicators import|list|show``, ``progress import``, ``gate add|list|calendar``,
``decide``, ``decisions``, ``appeal lodge|rule``, ``monitor``. Each parses its arguments, calls one service
in ``missionboard.services.monitoring`` or ``missionboard.services.decisions``, renders."""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Column, Table

from missionboard.cli import lazy
from missionboard.cli.context import OutputFormat, app_context, console, option_date, print_json
from missionboard.errors import InputError, Problem

if TYPE_CHECKING:
    from pydantic import JsonValue

    from missionboard.services import decisions as decision_service
    from missionboard.services import glance_monitoring, monitoring
else:
    decision_service = lazy.module("missionboard.services.decisions")
    glance_monitoring = lazy.module("missionboard.services.glance_monitoring")
    monitoring = lazy.module("missionboard.services.monitoring")

indicators_app = typer.Typer(
    help="Indicator observations: import series, list them, show one with its history."
)
progress_app = typer.Typer(help="Project progress: milestones, KPIs and spend.")
gate_app = typer.Typer(
    help="Stage-gates: schedule a project's gates (date, go/no-go criteria, evidence), list them, "
    "and a mission's gate calendar."
)
appeal_app = typer.Typer(help="Appeals against stage-gate decisions: lodge one, rule on it.")


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
    app.add_typer(gate_app, name="gate")
    app.add_typer(appeal_app, name="appeal")
    app.command("decide")(decide)
    app.command("decisions")(decisions)
    app.command("monitor")(monitor)


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
    app = app_context(ctx)
    infos = glance_monitoring.indicator_list(
        app.settings, lambda: monitoring.list_indicators(app.workspace())
    )
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
        app_context(ctx).workspace(), indicator, geography=geography, as_of=option_date(as_of)
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
    gate: str | None = typer.Option(None, "--gate", help="The gate it is taken at (see 'gate list')."),
    met: str | None = typer.Option(
        None, "--met", help="The gate's criteria that were met, by number: '1,3', 'all' or 'none'."
    ),
    plan: str | None = typer.Option(None, "--plan", help="A pivot's new plan (default: the rationale)."),
    amount: str | None = typer.Option(None, "--amount", help="Money a scale adds to the budget."),
    currency: str | None = typer.Option(
        None, "--currency", help="Currency of --amount (default and only choice: the budget's)."
    ),
    on: str | None = typer.Option(None, "--on", help="When it takes effect, YYYY-MM-DD (default today)."),
    by: str | None = typer.Option(None, "--by", help="Who decided (default: the acting user)."),
    rules: Path | None = typer.Option(None, "--rules", help=RULES_HELP),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Record a stage-gate decision; the evidence shown now (health, progress, objectives) is frozen into it.

    A stop terminates the project on --on and releases the budget not yet paid to the mission; a pivot
    records its plan; a scale adds --amount to the budget. The same outcome at the same gate twice, or any
    decision on a stopped project, is refused (exit 2).

    Example: missionboard decide nordic:P17 --gate G2 --met 1,2 --decision stop --rationale "No pilot"
    """
    app = app_context(ctx)
    record = decision_service.record_decision(
        app.workspace(),
        project,
        decision.value,
        rationale,
        by or app.user,
        rules=rules,
        gate=gate,
        met=_met(met),
        plan=plan,
        amount=amount,
        currency=currency,
        on=option_date(on, "--on"),
    )
    if format is OutputFormat.JSON:
        print_json(record.model_dump(mode="json"))
        return
    label = f"{record.project[0]}:{record.project[1]}"
    console.print(
        f"recorded: [bold]{record.decision.value}[/bold] {escape(label)}"
        + (f" at gate {escape(record.gate)}" if record.gate else "")
        + f" by {escape(record.by)} at {record.at:%Y-%m-%d %H:%M} UTC",
        highlight=False,
        soft_wrap=True,
    )
    for result in record.criteria:
        mark = "met" if result.met else "not met"
        console.print(f"  criterion {mark}: {escape(result.criterion)}", highlight=False, soft_wrap=True)
    if record.plan:
        console.print(f"  new plan: {escape(record.plan)}", highlight=False, soft_wrap=True)
    if record.amount is not None:
        what = "released to the mission" if record.decision.value == "stop" else "added to the budget"
        console.print(
            f"  {record.amount:,.0f} {record.currency or ''} {what}", highlight=False, soft_wrap=True
        )
    for flag in _evidence_items(record.evidence, "flags"):
        console.print(
            f"  evidence: {escape(str(flag['code']))} — {escape(str(flag['reason']))}",
            highlight=False,
            soft_wrap=True,
        )
    for objective in _evidence_items(record.evidence, "objectives"):
        if "status" in objective:
            console.print(
                f"  evidence: objective {escape(str(objective['mission']))}/"
                f"{escape(str(objective['objective']))} is {objective['status']}",
                highlight=False,
                soft_wrap=True,
            )


def _evidence_items(evidence: Mapping[str, JsonValue], key: str) -> list[dict[str, JsonValue]]:
    """The entries under ``key`` (``flags``, ``objectives``) of a decision's evidence document."""
    found = evidence.get(key, [])
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def _met(value: str | None) -> set[int] | str:
    """'1,3' → {1, 3}; 'none' → {}; 'all' stays 'all' (every criterion of the gate)."""
    if value is None or value.strip().lower() in ("", "none"):
        return set()
    if value.strip().lower() == "all":
        return "all"
    try:
        return {int(part) for part in value.replace(" ", "").split(",") if part}
    except ValueError:
        raise InputError(
            Problem("", None, "--met", f"'{value}' is not a list of criterion numbers such as 1,3")
        ) from None


def decisions(
    ctx: typer.Context,
    mission: str | None = typer.Argument(None, help="Only decisions on projects linked to this mission."),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """List stage-gate decisions, newest first (the log is append-only), with their gates and appeals."""
    app = app_context(ctx)
    entries = glance_monitoring.decision_log(
        app.settings, mission, lambda: decision_service.list_decisions(app.workspace(), mission)
    )
    if format is OutputFormat.JSON:
        print_json([e.to_dict() for e in entries])
        return
    table = Table(
        "#", "on", "project", "gate", "decision", "by", "rationale", "appeal", "flags then", title="Decisions"
    )
    for e in entries:
        d = e.decision
        flags = ", ".join(str(f["code"]) for f in _evidence_items(d.evidence, "flags")) or "—"
        appeal = "—"
        if e.appeals:
            last = e.appeals[-1]
            appeal = f"#{last.id} {last.outcome or 'open'}"
        table.add_row(
            str(e.id),
            f"{d.on or d.at.date()}",
            escape(f"{d.project[0]}:{d.project[1]}"),
            escape(d.gate or "—"),
            d.decision.value + ("" if e.standing else " (overturned)"),
            escape(d.by),
            escape(d.rationale),
            appeal,
            flags,
        )
    console.print(table)
    if not entries:
        console.print(
            "no decisions yet: record one with 'missionboard decide PROJECT --decision … --rationale …'"
        )


# --- gates and appeals --------------------------------------------------------------------------


@gate_app.command("add")
def gate_add(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="SOURCE:SOURCE_ID or the numeric project id."),
    name: str = typer.Option(..., "--name", help="The gate's name, unique per project, e.g. G1."),
    date: str = typer.Option(..., "--date", help="When the gate is held, YYYY-MM-DD."),
    criterion: list[str] = typer.Option(
        ..., "--criterion", help="A go/no-go criterion set at award (repeat for each)."
    ),
    evidence: list[str] = typer.Option(
        [], "--evidence", help="Evidence the project must bring to the gate (repeat for each)."
    ),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Schedule a stage-gate for a project: its date, go/no-go criteria and the evidence required.

    Example: missionboard gate add nordic:P17 --name G1 --date 2026-06-30 --criterion "Pilot running"
    """
    app = app_context(ctx)
    day = option_date(date, "--date")
    assert day is not None
    gate = decision_service.schedule_gate(
        app.workspace(), project, name, day, criterion, evidence, user=app.user
    )
    if format is OutputFormat.JSON:
        print_json(gate.model_dump(mode="json"))
        return
    console.print(
        f"scheduled: gate {escape(gate.name)} for {escape(':'.join(gate.project))} on {gate.due} "
        f"with {len(gate.criteria)} criteria",
        highlight=False,
        soft_wrap=True,
    )


@gate_app.command("list")
def gate_list(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="SOURCE:SOURCE_ID or the numeric project id."),
    as_of: str | None = typer.Option(None, "--as-of", help="Where the gates stood on this date."),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """List one project's gates with their criteria and where each stands."""
    app = app_context(ctx)
    day = option_date(as_of)
    gates = glance_monitoring.project_gates(
        app.settings,
        project,
        day,
        lambda: decision_service.project_gates(app.workspace(), project, as_of=day),
    )
    _render_gates(gates, format)


@gate_app.command("calendar")
def gate_calendar(
    ctx: typer.Context,
    mission: str = typer.Argument(..., help="Mission id."),
    as_of: str | None = typer.Option(None, "--as-of", help="Where the gates stood on this date."),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """A mission's gate calendar: what is overdue, due soon, scheduled, decided or cancelled."""
    app = app_context(ctx)
    day = option_date(as_of)
    calendar = glance_monitoring.gate_calendar(
        app.settings,
        mission,
        day,
        lambda: decision_service.gate_calendar(app.workspace(), mission, as_of=day),
    )
    _render_gates(calendar, format)


def _render_gates(calendar: glance_monitoring.GateCalendar, format: OutputFormat) -> None:
    if format is OutputFormat.JSON:
        print_json(calendar.to_dict())
        return
    counts = ", ".join(f"{n} {state}" for state, n in calendar.counts().items() if n)
    table = Table("due", "state", "project", "gate", "criteria", "evidence required", "decision")
    for g in calendar.gates:
        decided = g.decision
        table.add_row(
            g.due.isoformat(),
            g.state.value,
            escape(g.project),
            escape(g.name),
            escape("; ".join(g.criteria)),
            escape("; ".join(g.evidence) or "—"),
            f"{decided.decision} on {decided.on.isoformat()} ({decided.criteria_met}/{decided.criteria} met)"
            if decided
            else "—",
        )
    title = f"Gates of {calendar.mission}" if calendar.mission else "Gates"
    console.print(f"[bold]{escape(title)}[/bold] as of {calendar.as_of}: {counts or 'none'}", highlight=False)
    if calendar.gates:
        console.print(table)


@appeal_app.command("lodge")
def appeal_lodge(
    ctx: typer.Context,
    decision: int = typer.Argument(..., help="The decision's number (see 'missionboard decisions')."),
    reason: str = typer.Option(..., "--reason", help="Why the decision should be overturned."),
    by: str | None = typer.Option(None, "--by", help="Who appeals (default: the acting user)."),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Lodge an appeal against a decision; it stays open until ruled on."""
    app = app_context(ctx)
    appeal = decision_service.lodge_appeal(app.workspace(), decision, reason, user=by or app.user)
    if format is OutputFormat.JSON:
        print_json(appeal.model_dump(mode="json"))
        return
    console.print(
        f"lodged: appeal against decision #{appeal.decision_id} by {escape(appeal.by)}",
        highlight=False,
        soft_wrap=True,
    )


@appeal_app.command("rule")
def appeal_rule(
    ctx: typer.Context,
    appeal: int = typer.Argument(
        ..., help="The appeal's number (see 'missionboard decisions --format json')."
    ),
    outcome: str = typer.Option(..., "--outcome", help="upheld or overturned."),
    ruling: str = typer.Option(..., "--ruling", help="The reasons for the ruling."),
    by: str | None = typer.Option(
        None, "--by", help="Who rules (not who decided; default: the acting user)."
    ),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Rule on an appeal: upheld keeps the decision; overturned undoes what it did to the project."""
    app = app_context(ctx)
    result = decision_service.rule_appeal(app.workspace(), appeal, outcome, ruling, user=by or app.user)
    if format is OutputFormat.JSON:
        print_json(result.model_dump(mode="json"))
        return
    console.print(
        f"ruled: decision #{result.decision_id} {result.outcome.value if result.outcome else ''} "
        f"by {escape(result.ruled_by or '')}",
        highlight=False,
        soft_wrap=True,
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
    effect: list[str] = typer.Option(
        [],
        "--effect",
        help="What-if: your assumed effect, OBJECTIVE=VALUE in the indicator's unit per million of the "
        "reporting currency (repeatable); without one no effect is assumed — none is estimated for you.",
    ),
    projects: bool = typer.Option(
        False,
        "--projects",
        help="Text: after the summary, list the projects behind each objective, the flagged projects with "
        "their flags and the recent decisions (JSON always holds them).",
    ),
    rules: Path | None = typer.Option(None, "--rules", help=RULES_HELP),
) -> None:
    """The mission board: objectives vs targets with forecasts, funding, suggestions and a what-if first;
    the projects, their flags and the recent decisions with --projects.

    Example: missionboard monitor clean-air --move 2000000 --from emissions --to renewables --effect renewables=0.5
    """
    given = [
        name for name, value in (("--move", move), ("--from", source), ("--to", target)) if value is not None
    ]
    if given and len(given) != 3:
        missing = [n for n in ("--move", "--from", "--to") if n not in given]
        raise InputError(Problem("", None, missing[0], "a what-if needs --move AMOUNT --from OBJ --to OBJ"))
    what_if = (float(move), str(source), str(target)) if len(given) == 3 else None  # type: ignore[arg-type]
    result = monitoring.monitor_mission(
        app_context(ctx).workspace(),
        mission,
        as_of=option_date(as_of),
        move=what_if,
        rules=rules,
        effects=_effects(effect),
    )
    data = result.to_dict()
    if format is OutputFormat.JSON:
        print_json(data)
        return
    _render(data, projects=projects)


def _effects(given: list[str]) -> dict[str, float]:
    """Parse repeated ``--effect OBJECTIVE=VALUE`` options."""
    effects: dict[str, float] = {}
    for item in given:
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or not name.strip() or not math.isfinite(number):
            raise InputError(Problem("", None, "--effect", f"write OBJECTIVE=NUMBER, not '{item}'"))
        if name.strip() in effects:
            raise InputError(Problem("", None, "--effect", f"'{name.strip()}' is given twice"))
        effects[name.strip()] = number
    return effects


def _render(data: dict[str, Any], *, projects: bool) -> None:
    """The board as text: the summary first (the mission, its portfolio, objectives, suggestions, the
    what-if), then the per-project lists with ``--projects``, else one line saying how many there are."""
    _say(f"[bold]{escape(data['mission'])}[/bold] — {escape(data['title'])}   as of {data['as_of']}")
    _print_portfolio(data)
    _print_objectives(data["objectives"], data["currency"] or "")
    _print_suggestions(data["suggestions"])
    _print_what_if(data["move"])
    for note in data["notes"]:
        _say(f"[dim]note: {escape(note)}[/dim]")
    if projects:
        _print_objective_projects(data["objectives"], data["currency"] or "")
        _print_flagged(data["flagged_projects"])
        _print_decisions(data["decisions"])
    else:
        _say(f"\n{_projects_hint(data)}")


def _say(text: str) -> None:
    """One line of the board, wrapped by the terminal rather than cut."""
    console.print(text, highlight=False, soft_wrap=True)


# --- monitor: the summary -------------------------------------------------------------------------


def _print_portfolio(data: dict[str, Any]) -> None:
    """The portfolio's figures: projects and funding, the money stopped projects released, health."""
    count = len(_portfolio_projects(data))
    money = " ".join(filter(None, [_num(data["funding_total"]), data["currency"]]))
    _say(
        f"[bold]Portfolio[/bold] {_plural(count, 'project')}, {money} of funding over "
        f"{_plural(len(data['objectives']), 'objective')}"
    )
    released = data.get("released") or {}
    if released.get("projects"):
        stopped = len(released["projects"])
        _say(
            f"[bold]Released[/bold] {_num(released['amount'])} {released.get('currency') or ''} by {stopped} "
            f"stopped project{'s' if stopped != 1 else ''}: "
            + ", ".join(f"{escape(o)} {_num(v)}" for o, v in released["by_objective"].items())
        )
    health = data.get("health")
    if health:
        _say(
            f"[bold]Health[/bold] in the mission's time: {health['judged']} judged, {health['flagged']} "
            f"flagged, {health['unmonitored']} unmonitored; {health['before_mission']['count']} ended "
            "before the mission began (not judged)"
        )


def _print_objectives(objectives: list[dict[str, Any]], currency: str) -> None:
    """The objectives table, then under each objective its reason, path choice and regional targets."""
    console.print(_objectives_table(objectives, currency))
    for o in objectives:
        _say(f"  {escape(o['objective'])}: {escape(o['reason'])}")
        if o.get("path_choice"):
            _say(f"    path: {escape(o['path_choice'])}")
        for region in o.get("regions", []):
            _say(f"    {_region_line(region)}")


def _objectives_table(objectives: list[dict[str, Any]], currency: str) -> Table:
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
    for o in objectives:
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
    return table


def _region_line(r: dict[str, Any]) -> str:
    """A regional target under its objective: its path, latest value, status, forecast and reason."""
    base, tgt, latest, fc = r["baseline"], r["target"], r["latest"], r["forecast"]
    style = STATUS_STYLE.get(r["status"], "")
    parts = [
        f"{_num(base['value'])} ({base['year']}) → " if base else "",
        f"{_num(tgt['value'])} ({tgt['year']})" if tgt else "",
        f", latest {_num(latest['value'])} ({latest['year']})" if latest else "",
        f", forecast {_num(fc['value'])} [{_num(fc['low'])}–{_num(fc['high'])}] {fc['year']}" if fc else "",
    ]
    return f"region {escape(r['region'])}: {''.join(parts)} [{style}]{r['status']}[/{style}] — {escape(r['reason'])}"


def _print_suggestions(suggestions: list[dict[str, Any]]) -> None:
    if suggestions:
        _say("\n[bold]Rebalancing suggestions[/bold]")
        for s in suggestions:
            _say(f"  {escape(s['message'])}")


def _print_what_if(move: dict[str, Any] | None) -> None:
    """The funding mix before and after a ``--move``, and each objective's forecast before → after."""
    if not move:
        return
    _say(
        f"\n[bold]What if[/bold] {_num(move['amount'])} {move['currency'] or ''} moves from "
        f"{escape(move['from'])} to {escape(move['to'])}"
    )
    mix = Table("objective", "before", "share", "after", "share", "intended")
    for before, after in zip(move["before"], move["after"], strict=True):
        mix.add_row(
            escape(before["objective"]),
            _num(before["amount"]),
            f"{before['share']:.0%}" if before["share"] is not None else "—",
            _num(after["amount"]),
            f"{after['share']:.0%}" if after["share"] is not None else "—",
            f"{before['intended_share']:.0%}",
        )
    console.print(mix)
    for o in move.get("outcomes", []):
        _say(f"  {escape(o['objective'])}: {_outcome_line(o)}")


def _outcome_line(o: dict[str, Any]) -> str:
    """The forecast before → after a what-if move, with the assumption it rests on beside it."""
    if o["probability_after"] is None:
        return f"forecast unchanged — {escape(o['assumption'])}"
    before = f"{_num(o['forecast_before'])}, P {o['probability_before']:.0%} {o['status_before']}"
    after = f"{_num(o['forecast_after'])}, P {o['probability_after']:.0%} {o['status_after']}"
    return f"forecast {o['year']}: {before} → {after} ({escape(o['assumption'])})"


def _projects_hint(data: dict[str, Any]) -> str:
    """The one line that stands for the per-project lists when ``--projects`` is not given."""
    count = len(_portfolio_projects(data))
    if not count:
        return "no projects in the portfolio"
    decisions = len(data["decisions"])
    return (
        f"{_plural(count, 'project')} in the portfolio ({len(data['flagged_projects']):,} with flags): "
        "--projects lists them with their flags"
        + (f" and the {_plural(decisions, 'recent decision')}" if decisions else "")
    )


# --- monitor: the projects (--projects) -----------------------------------------------------------


def _print_objective_projects(objectives: list[dict[str, Any]], currency: str) -> None:
    """A table per objective of the projects behind it, largest share of funding first."""
    _say("\n[bold]Projects[/bold] behind each objective (a project linked to several counts a share of each)")
    for o in objectives:
        rows = o["funding"]["projects"]
        if not rows:
            _say(f"  {escape(o['objective'])}: no projects")
            continue
        table = Table(
            Column("project", no_wrap=True),  # an id is looked up whole, so the title wraps instead
            "title",
            Column("link", no_wrap=True),
            Column(f"funding {currency}".strip(), justify="right", no_wrap=True),
            title=f"{o['objective']} ({o['status']}): {_plural(len(rows), 'project')}",
        )
        for p in rows:
            table.add_row(
                escape(p["project"]),
                escape(p["title"] or "—"),
                p["link_status"],
                _num(p["amount"]) if p["amount"] is not None else "—",
            )
        console.print(table)


def _print_flagged(flagged: list[dict[str, Any]]) -> None:
    if flagged:
        _say(f"\n[bold]Flagged projects[/bold] ({len(flagged):,})")
        for p in flagged:
            _say(f"  {escape(p['project'])} — {escape(p['title'])}")
            for reason in p["reasons"]:
                _say(f"    • {escape(reason)}")


def _print_decisions(decisions: list[dict[str, Any]]) -> None:
    if decisions:
        _say("\n[bold]Recent decisions[/bold]")
        for d in decisions:
            _say(
                f"  {d['at'][:10]} {d['decision']:<8} {escape(d['project'])} by {escape(d['by'])}: "
                f"{escape(d['rationale'])}"
            )


# --- monitor: helpers -----------------------------------------------------------------------------


def _portfolio_projects(data: dict[str, Any]) -> set[str]:
    """The projects in the mission's portfolio: every project behind one of its objectives."""
    return {p["project"] for o in data["objectives"] for p in o["funding"]["projects"]}


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
