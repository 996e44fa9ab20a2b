"""A choropleth world map as inline SVG: each country filled on a sequential scale of five classes, a
legend with the class limits, a title per country.

The boundaries are the world map bundled with ``pygal_maps_world`` (one group of paths per country, its
class the ISO 3166 alpha-2 code in lower case), read from the installed package once; nothing is fetched
from the network. Its 730 kB of curves are drawn as outlines simplified to the map's own resolution
(Douglas–Peucker within half a unit of a 2,475-unit-wide map, whole-unit coordinates), about a sixth of
the size and indistinguishable at any width a page gives it. The output carries presentation attributes only (the app's Content-Security-Policy
allows no inline styles) and escapes every text.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from lxml import etree
from markupsafe import Markup, escape
from pygal_maps_world.i18n import COUNTRIES  # the map's own English names, for countries without data

from missionboard.services.geography import CountryMap
from missionboard.web import i18n, vocabulary
from missionboard.web.charts import INK, MUTED, compact
from missionboard.web.vocabulary import N_

__all__ = [
    "CLASS_COLOURS",
    "NO_DATA",
    "choropleth_svg",
    "class_colours",
    "class_limits",
    "country_map_context",
]

CLASS_COLOURS = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
"""ColorBrewer YlGnBu, five classes: light to dark, none of them the grey of countries without data."""
NO_DATA = "#d9d9d9"
BORDER = "#ffffff"
ALIASES = {"UK": "gb", "EL": "gr"}
"""Codes EU sources use where ISO 3166 has GB and GR."""

WORDS: dict[str, str] = {
    "heading": N_("Money by country (%(unit)s)"),
    "none": N_("%(country)s: no projects"),
    "up to": N_("up to %(limit)s"),
    "no data": N_("no data"),
}
"""The map's own words, in English; ``choropleth_svg(words=…)`` gives them in the page's language."""
MONEY = N_("money")
PLACE_TITLE = N_("%(country)s: %(projects)s projects, %(money)s")
NEAR = 80.0
"""How far (map units) from a country's largest outline an outline still counts as its mainland."""
LEGEND_WIDTH = 440.0
LEGEND_HEIGHT = 420.0
"""The room the legend takes, in units of the whole world's map."""

_SVG = "{http://www.w3.org/2000/svg}"
TOLERANCE = 0.5
"""How far (in map units; the map is 2,475 wide) a simplified outline may stray from the bundled one."""
_PATH_TOKEN = re.compile(r"[MmLlHhVvCcSsQqTtZz]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_ARITY = {"m": 2, "l": 2, "h": 1, "v": 1, "c": 6, "s": 4, "q": 4, "t": 2}


@dataclass(frozen=True)
class _Country:
    code: str
    name: str
    paths: tuple[str, ...]
    """The ``d`` attribute of each of its paths."""
    box: tuple[float, float, float, float] | None = None
    """Where its mainland lies (x0, y0, x1, y1 in map units): its largest outline and the outlines near
    it, not far territories (French Guiana is not what a map of France's money should zoom to)."""


@dataclass(frozen=True)
class _World:
    view_box: str
    countries: tuple[_Country, ...]


def choropleth_svg(
    values: Mapping[str, float],
    titles: Mapping[str, str],
    *,
    legend_unit: str,
    words: Mapping[str, str] | None = None,
) -> Markup:
    """The world with each country in ``values`` (ISO alpha-2 code → value) filled by its class, others in
    grey, zoomed to the countries with data (with a margin, and a column on the left for the legend);
    ``titles`` (code → text) are the countries' tooltips (their name where missing); the legend gives each
    class's limits in ``legend_unit``. ``words``: the map's own words in the page's language (keys of
    :data:`WORDS`)."""
    world = _world()
    said = {**WORDS, **(words or {})}
    by_code = {_map_code(code): value for code, value in values.items()}
    text_by_code = {_map_code(code): text for code, text in titles.items()}
    limits = class_limits(list(by_code.values()))
    colours = class_colours(len(limits))
    view_box = _zoomed(world, set(by_code))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="choropleth" width="100%" viewBox="{view_box}" '
        f'role="img" aria-labelledby="choropleth-title">',
        f'<title id="choropleth-title">{escape(said["heading"] % {"unit": legend_unit})}</title>',
        f'<g class="countries" stroke="{BORDER}" stroke-width="0.6" stroke-linejoin="round">',
    ]
    for country in world.countries:
        value = by_code.get(country.code)
        fill = NO_DATA if value is None else colours[_class_of(value, limits)]
        title = text_by_code.get(country.code) or said["none"] % {"country": country.name}
        parts.append(f'<g class="country" data-country="{escape(country.code)}" fill="{fill}">')
        parts.append(f"<title>{escape(title)}</title>")
        parts.extend(f'<path d="{escape(d)}"/>' for d in country.paths)
        parts.append("</g>")
    parts.append("</g>")
    parts.append(_legend(limits, colours, legend_unit, view_box, world.view_box, said))
    parts.append("</svg>")
    return Markup("".join(parts))


def class_limits(values: Sequence[float]) -> list[float]:
    """The upper limit of each class (at most five, fewer when there are fewer distinct values): the
    quintiles of ``values`` rounded up to two significant digits, so the largest value is in the last."""
    if not values:
        return []
    ordered = sorted(values)
    n = len(ordered)
    classes = min(len(CLASS_COLOURS), len(set(ordered)))
    limits: list[float] = []
    for k in range(1, classes + 1):
        upper = _round_up(ordered[math.ceil(k * n / classes) - 1])
        if not limits or upper > limits[-1]:
            limits.append(upper)
    return limits


def class_colours(classes: int) -> tuple[str, ...]:
    """The colours of ``classes`` classes, spread over the scale from light to dark (one class: its
    middle)."""
    if classes <= 1:
        return CLASS_COLOURS[2:3] if classes else ()
    last = len(CLASS_COLOURS) - 1
    return tuple(CLASS_COLOURS[round(i * last / (classes - 1))] for i in range(classes))


def country_map_context(country_map: CountryMap, language: str = "en") -> dict[str, Any]:
    """What ``_map.html`` reads as ``country_map``: the map's figures (``CountryMap.to_dict``) and the map
    drawn (``svg``), money per country, each country's title its name, projects and money, in
    ``language``."""
    said = {key: i18n.gettext(language, text, i18n.APP_DOMAIN) for key, text in WORDS.items()}
    unit = country_map.currency or i18n.gettext(language, MONEY, i18n.APP_DOMAIN)
    values = {c.code: c.money for c in country_map.countries}
    titles = {
        c.code: i18n.gettext(language, PLACE_TITLE, i18n.APP_DOMAIN)
        % {
            "country": vocabulary.country_name(c.code, language) if language != "en" else c.name,
            "projects": f"{c.projects:,}",
            "money": f"{compact(c.money)} {unit}",
        }
        for c in country_map.countries
    }
    return {**country_map.to_dict(), "svg": choropleth_svg(values, titles, legend_unit=unit, words=said)}


# --- helpers -----------------------------------------------------------------------------------------


@functools.cache
def _world() -> _World:
    """The bundled world map, parsed once (780 kB of path data)."""
    source = resources.files("pygal_maps_world").joinpath("worldmap.svg").read_bytes()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(source, parser)  # a file of the installed package; parsed safely all the same
    countries = []
    for group in root.iter(f"{_SVG}g"):
        classes = group.get("class", "").split()
        if "country" not in classes:
            continue
        code = classes[0]
        drawn = [p.get("d", "") for p in group.iter(f"{_SVG}path") if p.get("d")]
        paths = tuple(_simplified(d) for d in drawn)
        box = _mainland([ring for d in drawn for ring in _rings(d)])
        countries.append(_Country(code, COUNTRIES.get(code, code.upper()), paths, box))
    return _World(root.get("viewBox", "0 0 2475 1388"), tuple(countries))


Point = tuple[float, float]


def _rings(d: str) -> list[list[Point]]:
    """The closed outlines a path draws, as the points its segments end on (a curve's control points are
    dropped: at this map's scale each curve spans a unit or two)."""
    tokens = _PATH_TOKEN.findall(d)
    rings: list[list[Point]] = []
    ring: list[Point] = []
    x = y = 0.0
    start: Point = (0.0, 0.0)
    command = "M"
    index = 0
    while index < len(tokens):
        if tokens[index].isalpha():
            command = tokens[index]
            index += 1
            if command in "zZ":
                if ring:
                    rings.append(ring)
                ring, (x, y) = [], start
                continue
        relative, kind = command.islower(), command.lower()
        args = [float(t) for t in tokens[index : index + _ARITY[kind]]]
        index += _ARITY[kind]
        if kind == "m":
            if ring:
                rings.append(ring)
            # the first moveto of a path is absolute even when written in lower case
            x, y = (x + args[0], y + args[1]) if relative and (rings or ring) else (args[0], args[1])
            start, ring = (x, y), [(x, y)]
            command = "l" if relative else "L"  # pairs after a moveto are linetos
            continue
        if kind == "h":
            x = x + args[0] if relative else args[0]
        elif kind == "v":
            y = y + args[0] if relative else args[0]
        else:
            x, y = (x + args[-2], y + args[-1]) if relative else (args[-2], args[-1])
        ring.append((x, y))
    if ring:
        rings.append(ring)
    return rings


def _douglas_peucker(points: list[Point], tolerance: float) -> list[Point]:
    """The points of ``points`` that keep the polyline within ``tolerance`` of the original."""
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        dx, dy = bx - ax, by - ay
        length = math.hypot(dx, dy)
        farthest, distance = -1, 0.0
        for k in range(first + 1, last):
            px, py = points[k]
            d = abs(dy * (px - ax) - dx * (py - ay)) / length if length else math.hypot(px - ax, py - ay)
            if d > distance:
                farthest, distance = k, d
        if distance > tolerance:
            keep[farthest] = True
            stack += [(first, farthest), (farthest, last)]
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def _simplified(d: str) -> str:
    """The outlines of path ``d`` simplified within TOLERANCE and written with whole-unit relative
    linetos; an island too small for whole units keeps one decimal."""
    out = []
    for ring in _rings(d):
        kept = _douglas_peucker(ring, TOLERANCE) if len(ring) > 2 else ring
        for digits in (0, 1):
            points = [(round(px, digits), round(py, digits)) for px, py in kept]
            points = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
            if len(points) >= 3:
                break
        if len(points) < 2:
            continue
        steps = " ".join(
            f"{_number(bx - ax)} {_number(by - ay)}" for (ax, ay), (bx, by) in itertools.pairwise(points)
        )
        out.append(f"M{_number(points[0][0])} {_number(points[0][1])}l{steps}z")
    return "".join(out)


def _number(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _map_code(code: str) -> str:
    upper = code.strip().upper()
    return ALIASES.get(upper, upper.lower())


def _class_of(value: float, limits: Sequence[float]) -> int:
    for index, upper in enumerate(limits):
        if value <= upper:
            return index
    return len(limits) - 1


def _round_up(value: float) -> float:
    """``value`` rounded up to two significant digits (0 stays 0)."""
    if value <= 0:
        return value
    step = 10 ** (math.floor(math.log10(value)) - 1)
    return float(math.ceil(round(value / step, 9)) * step)


def _limit(value: float) -> str:
    """A class limit as the legend prints it: 63 m, 2.6 bn, 440 k."""
    return compact(value).replace(".0 ", " ")


def _mainland(rings: Sequence[Sequence[Point]]) -> tuple[float, float, float, float] | None:
    """The box of the largest outline and of the outlines within NEAR of its centre."""
    boxes = [
        (min(x for x, _ in r), min(y for _, y in r), max(x for x, _ in r), max(y for _, y in r))
        for r in rings
        if r
    ]
    if not boxes:
        return None
    main = max(boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
    cx, cy = (main[0] + main[2]) / 2, (main[1] + main[3]) / 2
    near = [b for b in boxes if math.hypot((b[0] + b[2]) / 2 - cx, (b[1] + b[3]) / 2 - cy) <= NEAR]
    return (
        min(b[0] for b in near),
        min(b[1] for b in near),
        max(b[2] for b in near),
        max(b[3] for b in near),
    )


def _zoomed(world: _World, codes: set[str]) -> str:
    """The view box around the countries in ``codes`` (the whole world where none is on the map): their
    boxes with a margin, at least 1.4 times as wide as high, and a column on the left for the legend."""
    boxes = [c.box for c in world.countries if c.code in codes and c.box is not None]
    if not boxes:
        return world.view_box
    _x, _y, ww, wh = (float(v) for v in world.view_box.split())
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    margin = max(0.08 * max(x1 - x0, y1 - y0), 20.0)
    x0, y0, x1, y1 = x0 - margin, y0 - margin, x1 + margin, y1 + margin
    if x1 - x0 < 1.4 * (y1 - y0):
        grow = (1.4 * (y1 - y0) - (x1 - x0)) / 2
        x0, x1 = x0 - grow, x1 + grow
    column = LEGEND_WIDTH * (x1 - x0) / (ww - LEGEND_WIDTH)  # the legend's width at the zoomed scale
    x0 -= column
    scale = (x1 - x0) / ww
    if y1 - y0 < LEGEND_HEIGHT * scale:
        grow = (LEGEND_HEIGHT * scale - (y1 - y0)) / 2
        y0, y1 = y0 - grow, y1 + grow
    if x1 - x0 >= ww or y1 - y0 >= wh:
        return world.view_box
    return " ".join(_number(v) for v in (x0, y0, x1 - x0, y1 - y0))


def _legend(
    limits: Sequence[float],
    colours: Sequence[str],
    unit: str,
    view_box: str,
    world_box: str,
    said: Mapping[str, str],
) -> str:
    """The legend in the bottom-left corner (the Pacific on the whole world, the legend's column on a
    zoomed map), one swatch per class with its limits, drawn at the size it has on the whole world."""
    x, y, width, height = (float(v) for v in view_box.split())
    scale = width / float(world_box.split()[2])
    size, gap = 34, 12
    rows = len(limits) + 1  # the classes and "no data"
    top = height / scale - 40 - (rows + 1) * (size + gap)
    place = f'transform="translate({_number(x)} {_number(y)}) scale({scale:.4f})"'
    parts = [
        f'<rect x="20" y="{top - 10:.0f}" width="{LEGEND_WIDTH - 30:.0f}" '
        f'height="{(rows + 1) * (size + gap) + 20}" fill="#ffffff" fill-opacity="0.85" {place}/>'
        if scale < 1  # a zoomed map: land may lie under the legend
        else "",
        f'<g class="legend" font-family="sans-serif" font-size="30" fill="{INK}" {place}>',
        f'<text x="40" y="{top + size - 6:.0f}" font-weight="bold">'
        f"{escape(said['heading'] % {'unit': unit})}</text>",
    ]
    lower: float | None = None
    labels = []
    for upper in limits:
        labels.append(
            said["up to"] % {"limit": _limit(upper)}
            if lower is None
            else f"{_limit(lower)} – {_limit(upper)}"
        )
        lower = upper
    for index, (colour, label) in enumerate([*zip(colours, labels, strict=True), (NO_DATA, said["no data"])]):
        row = top + (index + 1) * (size + gap)
        parts.append(
            f'<rect x="40" y="{row:.0f}" width="{size}" height="{size}" fill="{colour}" stroke="{MUTED}" '
            'stroke-width="1"/>'
        )
        parts.append(f'<text x="{40 + size + 14}" y="{row + size - 8:.0f}">{escape(label)}</text>')
    parts.append("</g>")
    return "".join(parts)
