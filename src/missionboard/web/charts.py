"""Small server-rendered SVG charts: no JavaScript, print well, readable by screen readers (title + table).

Only numbers and escaped text go into the markup; presentation attributes (not inline styles) keep the
charts inside the app's Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape, unescape
from typing import Any

import jinja2
from markupsafe import Markup

from missionboard.domain.numbers import compact as compact_number
from missionboard.web import i18n
from missionboard.web.vocabulary import N_

INK = "#1b1f24"
MUTED = "#4f5863"
ACCENT = "#0b5cad"
TARGET = "#1d6b33"
BAND = "#b9d3ee"
GRID = "#d5dae0"
EDGE = "#9aa4ae"

GROUP_COLOURS = {
    "research": "#0b5cad",
    "industry": "#b35c00",
    "government": "#1d6b33",
    "civil_society": "#7a3e9d",
    "funder": "#12263f",
}
"""Node colours of the network chart by helix type (anything else: ``OTHER``)."""
OTHER = "#8a949e"

NO_DATA = N_("No data.")
TOO_LITTLE = N_("Not enough data for a chart.")
SHARE_OF = N_("Percentages: share of %(what)s.")
"""The words the charts write themselves, in the ``app`` catalogue."""


def _num(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN is no number


def compact(value: Any) -> str:
    """Any value a template holds, written as ``domain.numbers.compact`` writes numbers."""
    return compact_number(_num(value))


HUMAN_LABELS = {
    "rd_grant": "R&D grant",
    "civil_society": "Civil society",
    "pre_commercial_procurement": "Pre-commercial procurement",
    "public_procurement": "Public procurement",
    "challenge_prize": "Challenge prize",
    "innovation_voucher": "Innovation voucher",
    "tax_incentive": "Tax incentive",
    "equity": "Equity",
    "loan": "Loan",
    "government": "Government",
    "research": "Research",
    "industry": "Industry",
}
"""Codes the portfolio stores, in the words a reader expects (anything else: underscores become spaces)."""


def human(label: str) -> str:
    """A stored code as words: ``rd_grant`` → "R&D grant", ``other_public`` → "Other public",
    ``development`` → "Development"; names (with capitals or spaces) stay as they are."""
    known = HUMAN_LABELS.get(label.strip().lower())
    if known:
        return known
    if ("_" in label and (label == label.lower() or label.isupper())) or (
        label.isalpha() and label.islower()
    ):
        words = label.replace("_", " ").strip().lower()
        return words[:1].upper() + words[1:]
    return label


def said(language: str, message: str) -> str:
    """``message`` in ``language`` (the ``app`` catalogue): the words a chart writes itself."""
    return i18n.gettext(language, message, i18n.APP_DOMAIN)


def _word(language: str, label: str) -> str:
    """A bar's label in ``language`` where it is one of the catalogue's words (the ``human`` filter's
    words are listed escaped there: "R&amp;D grant"), else as it is."""
    if language == "en":
        return label
    key = escape(label, quote=False)
    found = said(language, key)
    return label if found == key else unescape(found)


def _none(language: str) -> Markup:
    return Markup(f'<p class="muted">{escape(said(language, NO_DATA))}</p>')


def wrapped(text: str, width: int = 26, lines: int = 2) -> list[str]:
    """``text`` in at most ``lines`` lines of about ``width`` characters, broken between words; the last
    line ends in "…" where the text is longer."""
    words, out, line = text.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if len(candidate) <= width or not line:
            line = candidate
        else:
            out.append(line)
            line = word
    out.append(line)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: width - 1].rstrip() + "…"
    return [x if len(x) <= width + 8 else x[: width + 7] + "…" for x in out]


def bars(
    rows: Sequence[dict[str, Any]],
    label: str,
    value: str,
    *,
    title: str,
    share: str | None = None,
    share_of: str | None = None,
    unit: str = "",
    unit_one: str = "",
    limit: int = 12,
    narrow: bool = False,
    language: str = "en",
) -> Markup:
    """Horizontal bars of ``value`` per ``label`` (with the share as a percentage where given, and what
    it is a share of). Labels are shown in words, wrapped on two lines, and whole on hover; the values
    get the room they need so that none is cut. ``narrow``: drawn for half a page's width, so that its
    text keeps a readable size there. ``unit_one``: the unit of a value of 1 ("1 project"), where it is
    not ``unit``. ``language``: of the words the chart writes itself."""
    items = [
        (
            _word(language, human(str(r.get(label) or "unknown"))),
            _num(r.get(value)) or 0.0,
            _num(r.get(share)) if share else None,
        )
        for r in rows[:limit]
    ]
    if not items:
        return _none(language)
    top = max(v for _, v, _ in items) or 1.0
    texts = [
        (compact(v) + (f" {unit_one if v == 1 and unit_one else unit}" if unit else ""))
        + (f" ({f * 100:.0f} %)" if f is not None else "")
        for _, v, f in items
    ]
    row_h, left, width = (34, 150, 200) if narrow else (34, 190, 520)
    room = 8 + 7 * max(len(t) for t in texts)  # about 7 px a character at 12 px
    height = row_h * len(items) + 8
    note = said(language, SHARE_OF) % {"what": share_of} if share_of and share else ""
    caption = f"{title}; {note[:1].lower()}{note[1:].rstrip('.')}" if note else title
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(caption)}" viewBox="0 0 {left + width + room} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet"><title>{escape(caption)}</title>'
    ]
    for i, ((name, number, _fraction), text) in enumerate(zip(items, texts, strict=True)):
        y = 4 + i * row_h
        w = max(1.0, width * number / top)
        lines = wrapped(name, 20 if narrow else 26)
        first = y + (15 if len(lines) == 1 else 10)
        spans = "".join(
            f'<tspan x="{left - 6}" y="{first + k * 13}">{escape(line)}</tspan>'
            for k, line in enumerate(lines)
        )
        parts.append(
            f"<g><title>{escape(name)}: {escape(text)}</title>"
            f'<text text-anchor="end" font-size="12" fill="{INK}">{spans}</text>'
            f'<rect x="{left}" y="{y + 6}" width="{w:.1f}" height="{row_h - 14}" fill="{ACCENT}" rx="2"></rect>'
            f'<text x="{left + w + 6:.1f}" y="{y + 20}" font-size="12" fill="{INK}">{escape(text)}</text></g>'
        )
    parts.append("</svg>")
    if share_of and share:
        parts.append(f'<p class="muted chart-note">{escape(note)}</p>')
    return Markup("".join(parts))


def columns(
    rows: Sequence[dict[str, Any]], label: str, value: str, *, title: str, language: str = "en"
) -> Markup:
    """Vertical columns, e.g. project starts per year."""
    items = [(str(r.get(label)), _num(r.get(value)) or 0.0) for r in rows]
    if not items:
        return _none(language)
    top = max(v for _, v in items) or 1.0
    width, height, bottom = 720, 180, 24
    step = width / len(items)
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height + bottom}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'
    ]
    for i, (name, number) in enumerate(items):
        h = (height - 16) * number / top
        x = i * step
        parts.append(
            f'<rect x="{x + 2:.1f}" y="{height - h:.1f}" width="{max(1.0, step - 4):.1f}" height="{h:.1f}" '
            f'fill="{ACCENT}"><title>{escape(name)}: {compact(number)}</title></rect>'
        )
        if len(items) <= 16 or i % max(1, len(items) // 12) == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{height + 16}" text-anchor="middle" font-size="11" '
                f'fill="{MUTED}">{escape(name)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def indicator(objective: dict[str, Any], series: Sequence[dict[str, Any]], *, language: str = "en") -> Markup:
    """An objective's indicator: observations, the target path from baseline to target, and the forecast band."""
    baseline = objective.get("baseline") or {}
    target = objective.get("target") or {}
    forecast = objective.get("forecast") or {}
    latest = objective.get("latest") or {}
    points = [
        (int(p["year"]), v)
        for p in series
        if p.get("year") is not None and (v := _num(p.get("value"))) is not None
    ]
    known: list[tuple[float, float]] = [(float(x), y) for x, y in points]
    for m in (baseline, target):
        if _num(m.get("year")) is not None and _num(m.get("value")) is not None:
            known.append((float(m["year"]), float(m["value"])))
    band = None
    if _num(forecast.get("year")) is not None and _num(forecast.get("low")) is not None:
        band = (
            float(forecast["year"]),
            float(forecast["low"]),
            float(forecast["high"]),
            _num(forecast.get("value")),
        )
        known += [(band[0], band[1]), (band[0], band[2])]
    if len(known) < 2:
        return Markup(f'<p class="muted">{escape(said(language, TOO_LITTLE))}</p>')
    xs = [x for x, _ in known]
    ys = [y for _, y in known]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min([*ys, 0.0]), max(ys)
    if x1 == x0:
        x1 = x0 + 1
    pad = (y1 - y0) * 0.08 or 1.0
    y0, y1 = y0 - (pad if y0 < 0 else 0), y1 + pad
    width, height, left, top, right, bottom = 640, 220, 48, 10, 12, 26

    def sx(x: float) -> float:
        return left + (width - left - right) * (x - x0) / (x1 - x0)

    def sy(y: float) -> float:
        return top + (height - top - bottom) * (1 - (y - y0) / (y1 - y0))

    title = f"{objective.get('title', '')}: {objective.get('indicator', '')} ({objective.get('unit', '')})"
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'
    ]
    for k in range(5):
        value = y0 + (y1 - y0) * k / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{sy(value):.1f}" y2="{sy(value):.1f}" stroke="{GRID}"></line>'
            f'<text x="{left - 4}" y="{sy(value) + 4:.1f}" text-anchor="end" font-size="10" fill="{MUTED}">'
            f"{escape(compact(value))}</text>"
        )
    step = max(1, round((x1 - x0) / 8))
    year = int(x0)
    while year <= x1:
        parts.append(
            f'<text x="{sx(year):.1f}" y="{height - 8}" text-anchor="middle" font-size="10" fill="{MUTED}">{year}</text>'
        )
        year += step
    if band is not None and latest and _num(latest.get("year")) is not None:
        lx, ly = float(latest["year"]), float(latest["value"])
        parts.append(
            f'<polygon points="{sx(lx):.1f},{sy(ly):.1f} {sx(band[0]):.1f},{sy(band[2]):.1f} '
            f'{sx(band[0]):.1f},{sy(band[1]):.1f}" fill="{BAND}" opacity="0.8"><title>forecast band '
            f"{compact(band[1])}–{compact(band[2])} in {int(band[0])}</title></polygon>"
        )
        if band[3] is not None:
            parts.append(
                f'<line x1="{sx(lx):.1f}" y1="{sy(ly):.1f}" x2="{sx(band[0]):.1f}" y2="{sy(band[3]):.1f}" '
                f'stroke="{ACCENT}" stroke-dasharray="2 3" stroke-width="1.5"></line>'
            )
    if _num(baseline.get("year")) is not None and _num(target.get("year")) is not None:
        parts.append(
            f'<line x1="{sx(float(baseline["year"])):.1f}" y1="{sy(float(baseline["value"])):.1f}" '
            f'x2="{sx(float(target["year"])):.1f}" y2="{sy(float(target["value"])):.1f}" stroke="{TARGET}" '
            f'stroke-width="2" stroke-dasharray="6 4"><title>target path</title></line>'
            f'<circle cx="{sx(float(target["year"])):.1f}" cy="{sy(float(target["value"])):.1f}" r="5" fill="{TARGET}">'
            f"<title>target {compact(target['value'])} in {int(float(target['year']))}</title></circle>"
        )
    if points:
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in sorted(points))
        parts.append(f'<polyline points="{path}" fill="none" stroke="{INK}" stroke-width="2"></polyline>')
        for x, y in points:
            parts.append(
                f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{INK}"><title>{x}: {compact(y)}</title></circle>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def network(
    nodes: Sequence[dict[str, Any]],
    edges: Sequence[dict[str, Any]],
    *,
    title: str,
    label: str = "name",
    degree: str = "degree",
    group: str | None = "helix",
    weight: str = "weight",
    unit: str = "collaborators",
    limit: int = 40,
    labelled: int = 10,
    language: str = "en",
) -> Markup:
    """A network as nodes and lines: the ``limit`` nodes of highest ``degree`` and the ``edges`` (dicts
    with ``u`` and ``v``, the nodes' ``label``, and a ``weight``) between them, placed by a spring layout
    with a fixed seed (the same data always gives the same drawing). Node size follows the degree, colour
    the ``group`` (helix type), the ``labelled`` largest are named in words, and each node's title gives
    its name and degree."""
    chosen = sorted(
        ((str(n.get(label) or "unknown"), _num(n.get(degree)) or 0.0, n) for n in nodes if n.get(label)),
        key=lambda item: (-item[1], item[0]),
    )[:limit]
    if not chosen:
        return _none(language)
    names = {name for name, _, _ in chosen}
    links: dict[tuple[str, str], float] = {}
    for e in edges:
        u, v = str(e.get("u")), str(e.get("v"))
        if u != v and u in names and v in names:
            key = (min(u, v), max(u, v))
            links[key] = links.get(key, 0.0) + max(_num(e.get(weight)) or 1.0, 0.0)
    position = _spring_layout([name for name, _, _ in chosen], links)
    width, height, pad = 760, 460, 70
    heaviest = max(links.values(), default=1.0) or 1.0
    biggest = max(d for _, d, _ in chosen) or 1.0

    def at(name: str) -> tuple[float, float]:
        x, y = position[name]
        return pad + (width - 2 * pad) * (x + 1) / 2, pad / 2 + (height - 1.5 * pad) * (y + 1) / 2

    groups = sorted({_group(n, group) for _, _, n in chosen})
    caption = (
        f"{title}; node size: {unit}"
        + ("; colour: " + ", ".join(human(g) for g in groups) if group else "")
        + (f"; the {len(chosen)} with most {unit}" if len(chosen) == limit else "")
    )
    parts = [
        f'<svg class="chart network" role="img" aria-label="{escape(caption)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet"><title>{escape(caption)}</title><g>'
    ]
    for (u, v), w in sorted(links.items()):
        (x1, y1), (x2, y2) = at(u), at(v)
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{EDGE}" '
            f'stroke-opacity="0.55" stroke-width="{0.6 + 2.4 * w / heaviest:.2f}"></line>'
        )
    parts.append("</g>")
    labels = []
    for rank, (name, value, node) in enumerate(chosen):
        x, y = at(name)
        radius = 4 + 12 * (value / biggest) ** 0.5
        kind = _group(node, group)
        colour = GROUP_COLOURS.get(kind, OTHER) if group else ACCENT
        what = f" ({human(kind)})" if group else ""
        parts.append(
            f'<circle class="node" cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{colour}" '
            f'fill-opacity="0.85" stroke="#fff" stroke-width="1">'
            f"<title>{escape(name)}{escape(what)}: {compact(value)} {escape(unit)}</title></circle>"
        )
        if rank < labelled:  # drawn after every node, so that no node hides a name
            labels.append(
                f'<text x="{x:.1f}" y="{y - radius - 4:.1f}" text-anchor="middle" font-size="11" fill="{INK}" '
                f'stroke="#fff" stroke-width="3" paint-order="stroke">{escape(wrapped(name, 34, 1)[0])}</text>'
            )
    parts += [*labels, "</svg>"]
    if group:
        keys = "".join(
            f'<li><svg width="12" height="12" aria-hidden="true"><circle cx="6" cy="6" r="5" '
            f'fill="{GROUP_COLOURS.get(g, OTHER)}"></circle></svg> {escape(_word(language, human(g)))}</li>'
            for g in groups
        )
        parts.append(f'<ul class="chart-legend">{keys}</ul>')
    return Markup("".join(parts))


def _in_language(draw: Callable[..., Markup]) -> Callable[..., Markup]:
    """``draw`` for the templates: it writes its own words in the page's language (``ui_language``)."""

    @jinja2.pass_context
    def drawn(context: jinja2.runtime.Context, *args: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("language", context.get("ui_language", "en"))
        return draw(*args, **kwargs)

    return drawn


TEMPLATE_GLOBALS: dict[str, Callable[..., Markup]] = {
    "bars": _in_language(bars),
    "columns": _in_language(columns),
    "indicator_chart": _in_language(indicator),
}
"""The charts as the templates call them: each in the language of the page it is drawn on."""

network_chart = _in_language(network)
"""The network chart for the templates that draw it (passed to them as ``network_chart``)."""


def _group(node: dict[str, Any], key: str | None) -> str:
    return str(node.get(key) or "unknown") if key else ""


def _spring_layout(names: list[str], links: dict[tuple[str, str], float]) -> dict[str, tuple[float, float]]:
    """Positions in [-1, 1]² from networkx's spring layout, seeded (the same network, the same picture);
    nodes without a line stand in a row along the bottom, so that they do not squeeze the rest."""
    import networkx as nx  # late: only the pages that draw a network pay for the import

    linked = sorted({name for pair in links for name in pair}, key=names.index)
    alone = [name for name in names if name not in set(linked)]
    found: dict[str, tuple[float, float]] = {}
    if len(linked) > 1:
        graph: nx.Graph[str] = nx.Graph()
        graph.add_nodes_from(linked)
        heaviest = max(links.values(), default=1.0) or 1.0
        graph.add_weighted_edges_from((u, v, 0.2 + w / heaviest) for (u, v), w in sorted(links.items()))
        spread = 2.0 / len(linked) ** 0.5
        placed = nx.spring_layout(graph, k=spread, seed=42, weight="weight", iterations=200)
        found = {name: (float(placed[name][0]), float(placed[name][1])) for name in linked}
    bottom = 1.0 if alone else None
    if found:
        xs, ys = [p[0] for p in found.values()], [p[1] for p in found.values()]
        top = 0.7 if alone else 1.0  # leave the bottom row to the nodes without a line
        found = {
            n: (_fit(x, min(xs), max(xs)), _fit(y, min(ys), max(ys), top)) for n, (x, y) in found.items()
        }
    for i, name in enumerate(alone):
        found[name] = (_fit(i + 0.5, 0, len(alone)) if len(alone) > 1 else 0.0, bottom or 1.0)
    return found


def _fit(value: float, low: float, high: float, top: float = 1.0) -> float:
    """``value`` from [low, high] to [-1, top] (the middle where low = high)."""
    if high == low:
        return (top - 1) / 2
    return -1 + (top + 1) * (value - low) / (high - low)
