"""All missions side by side as Markdown (``missionboard compare --format md``): one section per mission,
weakest first, and one table row per objective on the common scale.

Rendered from the comparison's JSON (``MissionComparison.to_dict()`` in ``services.compare``), so that
the Markdown says exactly what the JSON and the page say.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import JsonValue

__all__ = ["comparison_markdown", "percent"]

HEADER = "| Objective | Progress to target | Status | P(target met) | Trend | Last change | Owners |"
RULE = "|---|---:|---|---:|:-:|---:|---|"


def comparison_markdown(comparison: Mapping[str, JsonValue]) -> str:
    """The comparison as Markdown: a heading with its date, then each mission with its facts and a
    table of its objectives."""
    lines = [
        f"# Missions side by side (as of {comparison.get('as_of')})",
        "",
        "Weakest first: the mission whose weakest objective is least likely to meet its target leads. "
        "Progress is the share of the way from the baseline (0 %) to the target (100 %) that the latest "
        "observation covers.",
        "",
    ]
    missions = _items(comparison.get("missions"))
    if not missions:
        lines += ["No missions you may see.", ""]
    for number, mission in enumerate(missions, 1):
        lines += _mission(number, mission)
    return "\n".join(lines).rstrip("\n") + "\n"


def percent(value: JsonValue, digits: int = 0) -> str:
    """A share as a percentage ("42 %"), "—" when there is none."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—"
    return f"{value * 100:.{digits}f} %"


def _mission(number: int, mission: Mapping[str, JsonValue]) -> list[str]:
    owners = ", ".join(
        f"{_text(o.get('body'))} ({_text(o.get('role'))})" for o in _items(mission.get("owners"))
    )
    money = mission.get("money")
    currency = mission.get("currency")
    figures = f"{_text(mission.get('projects'))} projects"
    if isinstance(money, int | float) and currency:
        figures += f", {money:,.0f} {currency}"
    facts = [
        f"Status: {_text(mission.get('status'))}",
        f"Owners: {owners or '—'}",
        f"Deadline: {_text(mission.get('deadline'))}",
        f"Portfolio: {figures}",
    ]
    if mission.get("quality_verdict") is not None:
        facts.append(
            f"Quality: {_text(mission.get('quality_verdict'))} ({_text(mission.get('quality_score'))})"
        )
    lines = [
        f"## {number}. {_cell(mission.get('title'))} (`{_text(mission.get('id'))}`)",
        "",
        " · ".join(facts),
        "",
    ]
    objectives = _items(mission.get("objectives"))
    if not objectives:
        return [*lines, "No objectives.", ""]
    lines += [HEADER, RULE]
    lines += [
        "| "
        + " | ".join(
            [
                _cell(o.get("title")),
                percent(o.get("progress")),
                _text(o.get("status_label")),
                percent(o.get("probability")),
                _text(o.get("arrow")) or "—",
                _text(o.get("last_change")),
                _cell(", ".join(_text(b) for b in _list(o.get("owners")))) or "—",
            ]
        )
        + " |"
        for o in objectives
    ]
    return [*lines, "", f"*{_text(mission.get('portfolio'))}*", ""]


def _items(value: JsonValue) -> list[Mapping[str, JsonValue]]:
    return [item for item in _list(value) if isinstance(item, Mapping)]


def _list(value: JsonValue) -> Sequence[JsonValue]:
    return value if isinstance(value, list) else []


def _text(value: JsonValue) -> str:
    return "—" if value is None else str(value)


def _cell(value: JsonValue) -> str:
    """Text safe inside a Markdown table cell."""
    return _text(value).replace("|", "\\|").replace("\n", " ")
