"""Small server-rendered SVG charts: no JavaScript, print well, readable by screen readers (title + table).

Only numbers and escaped text go into the markup; presentation attributes (not inline styles) keep the
charts inside the app's Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from markupsafe import Markup

INK = "#1b1f24"
MUTED = "#4f5863"
ACCENT = "#0b5cad"
TARGET = "#1d6b33"
BAND = "#b9d3ee"
GRID = "#d5dae0"


def _num(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN is no number


def compact(value: Any) -> str:
    number = _num(value)
    if number is None:
        return "—"
    for limit, suffix in ((1e9, " bn"), (1e6, " m"), (1e3, " k")):
        if abs(number) >= limit:
            return f"{number / limit:,.1f}{suffix}"
    return f"{number:,.2f}".rstrip("0").rstrip(".") if not number.is_integer() else f"{number:,.0f}"


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
    """A stored code as words: ``rd_grant`` → "R&D grant", ``other_public`` → "Other public"."""
    known = HUMAN_LABELS.get(label.strip().lower())
    if known:
        return known
    if "_" in label and (label == label.lower() or label.isupper()):
        words = label.replace("_", " ").strip().lower()
        return words[:1].upper() + words[1:]
    return label


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
    limit: int = 12,
) -> Markup:
    """Horizontal bars of ``value`` per ``label`` (with the share as a percentage where given, and what
    it is a share of). Labels are shown in words, wrapped on two lines, and whole on hover; the values
    get the room they need so that none is cut."""
    items = [
        (
            human(str(r.get(label) or "unknown")),
            _num(r.get(value)) or 0.0,
            _num(r.get(share)) if share else None,
        )
        for r in rows[:limit]
    ]
    if not items:
        return Markup('<p class="muted">No data.</p>')
    top = max(v for _, v, _ in items) or 1.0
    texts = [
        (compact(v) + (f" {unit}" if unit else "")) + (f" ({f * 100:.0f} %)" if f is not None else "")
        for _, v, f in items
    ]
    row_h, left, width = 34, 190, 520
    room = 8 + 7 * max(len(t) for t in texts)  # about 7 px a character at 12 px
    height = row_h * len(items) + 8
    caption = f"{title}" + (f"; percentages: share of {share_of}" if share_of and share else "")
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(caption)}" viewBox="0 0 {left + width + room} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet"><title>{escape(caption)}</title>'
    ]
    for i, ((name, number, _fraction), text) in enumerate(zip(items, texts, strict=True)):
        y = 4 + i * row_h
        w = max(1.0, width * number / top)
        lines = wrapped(name)
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
        parts.append(f'<p class="muted chart-note">Percentages: share of {escape(share_of)}.</p>')
    return Markup("".join(parts))


def columns(rows: Sequence[dict[str, Any]], label: str, value: str, *, title: str) -> Markup:
    """Vertical columns, e.g. project starts per year."""
    items = [(str(r.get(label)), _num(r.get(value)) or 0.0) for r in rows]
    if not items:
        return Markup('<p class="muted">No data.</p>')
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


def indicator(objective: dict[str, Any], series: Sequence[dict[str, Any]]) -> Markup:
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
        return Markup('<p class="muted">Not enough data for a chart.</p>')
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
