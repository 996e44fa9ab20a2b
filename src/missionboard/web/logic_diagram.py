"""A mission's theory of change as a server-rendered SVG: measures, outcomes and objectives as boxes in
columns, arrows for ``leads_to`` and for the targets a measure names, and what rests on a failing
assumption drawn with a red dashed border. No JavaScript; presentation attributes only (the app's
Content-Security-Policy allows no inline styles); every text escaped.

Columns run left to right: the measures, then the outcomes by how many steps they are from an
objective (farthest first), then the objectives — so every arrow points to the right.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from missionboard.domain.missions import AssumptionStatus, Mission

BOX_WIDTH = 190
COLUMN_GAP = 70
ROW_GAP = 16
LINE_HEIGHT = 15
PADDING = 10
CHARS_PER_LINE = 26
MAX_LINES = 4
MARGIN = 12
HEADING = 22
COLUMN_TITLES = {"measure": "Measures", "outcome": "Outcomes", "objective": "Objectives"}
FILLS = {"measure": "#e3eefa", "outcome": "#fdf3d8", "objective": "#e2f2e6"}
INK = "#1b1f24"
EDGE = "#4f5863"
FAILING = "#c62828"


@dataclass(frozen=True)
class Box:
    """One node of the diagram, placed."""

    id: str
    kind: str
    """measure, outcome or objective."""
    lines: tuple[str, ...]
    x: int
    y: int
    height: int
    failing: tuple[str, ...]
    """The failing assumptions it rests on."""


def logic_svg(mission: Mission) -> Markup:
    """The diagram of the mission's measures, outcomes and objectives (empty markup when it has neither
    measures nor outcomes: there is no logic to draw)."""
    if not mission.outcomes and not mission.measures:
        return Markup("")
    boxes = _layout(mission)
    width = max(b.x for b in boxes.values()) + BOX_WIDTH + MARGIN
    height = max(b.y + b.height for b in boxes.values()) + MARGIN
    title = f"Theory of change of {mission.title}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart logic-diagram" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="logic-title logic-desc">',
        f'<title id="logic-title">{escape(title)}</title>',
        f'<desc id="logic-desc">{escape(" ".join(logic_chain(mission)))}</desc>',
        "<defs>"
        f'<marker id="logic-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="{EDGE}"/>'
        "</marker></defs>",
    ]
    parts.extend(_headings(boxes))
    parts.extend(_arrows(mission, boxes))
    parts.extend(_box(b) for b in boxes.values())
    parts.append("</svg>")
    return Markup("\n".join(parts))


def logic_chain(mission: Mission) -> list[str]:
    """The diagram as sentences, for screen readers and for the page's text version of the chain."""
    names = {o.id: o.title for o in mission.objectives} | {o.id: o.title for o in mission.outcomes}
    lines = [
        f"Measure '{m.title}' works towards {_names(m.objectives, names)}."
        for m in mission.measures
        if m.objectives
    ]
    lines += [
        f"Outcome '{o.title}' leads to {_names(o.leads_to, names)}." for o in mission.outcomes if o.leads_to
    ]
    lines += [
        f"Assumption '{a.text}' is failing: {_names(_failing_reach(mission, a.about), names)} rest on it."
        for a in mission.assumptions
        if a.status is AssumptionStatus.FAILING
    ]
    return lines


# --- helpers -------------------------------------------------------------------------------------


def _layout(mission: Mission) -> dict[str, Box]:
    """Every measure, outcome and objective as a box in its column, stacked top-down. Columns are laid
    out right to left: the objectives in the mission's order, then each column sorted by where its
    arrows point (the mean height of their targets), so that few arrows cross a box."""
    depth = _depths(mission)
    deepest = max(depth.values(), default=0)
    columns: list[list[tuple[str, str, str, list[str]]]] = [[] for _ in range(deepest + 2)]
    columns[0] = [(m.id, "measure", m.title, list(m.objectives)) for m in mission.measures]
    for o in mission.outcomes:
        columns[1 + deepest - depth[o.id]].append((o.id, "outcome", o.title, list(o.leads_to)))
    columns[-1] = [(o.id, "objective", o.title, []) for o in mission.objectives]
    columns = [c for c in columns if c]
    failing = _failing(mission)
    boxes: dict[str, Box] = {}
    for index in reversed(range(len(columns))):
        y = MARGIN + HEADING
        x = MARGIN + index * (BOX_WIDTH + COLUMN_GAP)
        for node_id, kind, title, _ in sorted(columns[index], key=lambda n: _aim(n[3], boxes)):
            lines = _wrap(title)
            height = 2 * PADDING + LINE_HEIGHT * len(lines)
            boxes[node_id] = Box(node_id, kind, lines, x, y, height, tuple(failing.get(node_id, [])))
            y += height + ROW_GAP
    return boxes


def _aim(targets: list[str], boxes: dict[str, Box]) -> float:
    """The mean height of the boxes ``targets`` name (placed already); nothing placed: the bottom."""
    heights = [boxes[t].y + boxes[t].height / 2 for t in targets if t in boxes]
    return sum(heights) / len(heights) if heights else float("inf")


def _headings(boxes: dict[str, Box]) -> list[str]:
    columns: dict[int, str] = {}
    for box in boxes.values():
        columns.setdefault(box.x, box.kind)
    return [
        f'<text class="logic-heading" x="{x}" y="{MARGIN + 12}" font-size="12" font-weight="bold" '
        f'fill="{EDGE}">{COLUMN_TITLES[kind]}</text>'
        for x, kind in sorted(columns.items())
    ]


def _depths(mission: Mission) -> dict[str, int]:
    """Per outcome: the most steps of ``leads_to`` from it to an objective (1 when it leads to one)."""
    outcomes = {o.id: o for o in mission.outcomes}
    found: dict[str, int] = {}

    def depth(node: str) -> int:
        if node not in outcomes:
            return 0
        if node not in found:
            found[node] = 1  # the reader refuses circles; this only guards the recursion
            found[node] = 1 + max((depth(n) for n in outcomes[node].leads_to), default=0)
        return found[node]

    for node in outcomes:
        depth(node)
    return found


def _failing(mission: Mission) -> dict[str, list[str]]:
    """Per outcome or objective: the texts of the failing assumptions it rests on."""
    found: dict[str, list[str]] = {}
    for a in mission.assumptions:
        if a.status is AssumptionStatus.FAILING:
            for node in _failing_reach(mission, a.about):
                found.setdefault(node, []).append(a.text)
    return found


def _failing_reach(mission: Mission, about: list[str]) -> list[str]:
    return list(dict.fromkeys([*about, *mission.downstream(list(about))]))


def _arrows(mission: Mission, boxes: dict[str, Box]) -> list[str]:
    edges = [(m.id, t) for m in mission.measures for t in m.objectives]
    edges += [(o.id, t) for o in mission.outcomes for t in o.leads_to]
    out = []
    for source, target in edges:
        a, b = boxes.get(source), boxes.get(target)
        if a is None or b is None:
            continue
        x1, y1 = a.x + BOX_WIDTH, a.y + a.height // 2
        x2, y2 = b.x, b.y + b.height // 2
        if x2 <= x1:  # the same column: cannot happen with the layout above, but never draw backwards
            continue
        out.append(
            f'<line class="logic-edge" x1="{x1}" y1="{y1}" x2="{x2 - 2}" y2="{y2}" stroke="{EDGE}" '
            f'stroke-width="1.2" marker-end="url(#logic-arrow)"/>'
        )
    return out


def _box(box: Box) -> str:
    stroke = (
        f'stroke="{FAILING}" stroke-width="2" stroke-dasharray="6 4"'
        if box.failing
        else f'stroke="{EDGE}" stroke-width="1"'
    )
    label = f"{box.kind.capitalize()}: {' '.join(box.lines)}"
    if box.failing:
        label += " — rests on a failing assumption: " + "; ".join(box.failing)
    text = "".join(
        f'<tspan x="{box.x + PADDING}" y="{box.y + PADDING + LINE_HEIGHT * (i + 1) - 3}">{escape(line)}</tspan>'
        for i, line in enumerate(box.lines)
    )
    return (
        f'<g class="logic-node logic-{box.kind}{" logic-failing" if box.failing else ""}" '
        f'data-id="{escape(box.id)}"><title>{escape(label)}</title>'
        f'<rect class="box" x="{box.x}" y="{box.y}" width="{BOX_WIDTH}" height="{box.height}" rx="4" '
        f'fill="{FILLS[box.kind]}" {stroke}/>'
        f'<text font-size="12" fill="{INK}">{text}</text></g>'
    )


def _wrap(title: str) -> tuple[str, ...]:
    lines = textwrap.wrap(title, CHARS_PER_LINE) or [title]
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], lines[MAX_LINES - 1][: CHARS_PER_LINE - 1] + "…"]
    return tuple(lines)


def _names(ids: list[str], names: dict[str, str]) -> str:
    quoted = [f"'{names.get(i, i)}'" for i in ids]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
