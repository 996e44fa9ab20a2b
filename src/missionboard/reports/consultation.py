"""The consultation report: a self-contained printable page (and its PDF) of a consultation's synthesis.

Purpose and participation, the themes with their quotes, the ratings by group with disagreements
highlighted, and the proposals with the objectives and SDGs they match. Charts are matplotlib SVG drawn
inline, so the page needs no other file and prints (and converts to PDF) as it is.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from missionboard.consultation.grouping import WEAK_MATCH, proposal_groups
from missionboard.consultation.synthesis import DISAGREEMENT, MIN_GROUP
from missionboard.domain.consultations import Consultation, RatingSummary, Synthesis
from missionboard.domain.missions import HelixType, Level, Mission
from missionboard.errors import ReportUnavailable

HELIX_LABELS = {
    HelixType.GOVERNMENT: "Government",
    HelixType.RESEARCH: "Research",
    HelixType.INDUSTRY: "Industry",
    HelixType.CIVIL_SOCIETY: "Civil society",
}
LEVEL_LABELS = {
    Level.LOCAL: "Local",
    Level.REGIONAL: "Regional",
    Level.NATIONAL: "National",
    Level.INTERNATIONAL: "International",
}
HELIX_COLOURS = {
    HelixType.GOVERNMENT: "#1b9e77",
    HelixType.RESEARCH: "#7570b3",
    HelixType.INDUSTRY: "#d95f02",
    HelixType.CIVIL_SOCIETY: "#e7298a",
}
LEVEL_COLOURS = ["#08519c", "#3182bd", "#6baed6", "#bdd7e7"]
DISAGREE = "#b2182b"
INK = "#1b1f24"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("missionboard.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["helix"] = lambda h: HELIX_LABELS.get(HelixType(h), str(h))
    env.filters["level"] = lambda lv: LEVEL_LABELS.get(Level(lv), str(lv))
    env.filters["mean"] = lambda v: "—" if v is None else f"{v:.1f}"
    env.filters["pct"] = lambda v: "—" if v is None else f"{v:.0%}"
    return env


# --- charts -----------------------------------------------------------------------------------------


def _svg(fig: Any) -> Markup:
    """A figure as an inline <svg> element (no XML prologue, text kept as text, stable ids)."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    start = text.find("<svg")
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", text[start:], flags=re.S)
    svg = re.sub(r'(<svg[^>]*?)\s(width|height)="[^"]*"', r"\1", svg, count=2)
    return Markup(svg.replace("<svg", '<svg class="chart" role="img"', 1))


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


CHART_STYLE = {"svg.fonttype": "none", "svg.hashsalt": "missionboard", "font.size": 9}
"""Text stays text (selectable, small), ids are stable between runs; set only while drawing these."""


def charts(synthesis: Synthesis) -> dict[str, Markup | None]:
    """Every chart of the report, as inline SVG (``None`` where there is nothing to draw)."""
    plt = _pyplot()
    with plt.rc_context(CHART_STYLE):
        return {
            "participation": participation_chart(synthesis),
            "levels": level_chart(synthesis),
            "themes": themes_chart(synthesis),
            "ratings": ratings_chart(synthesis.ratings),
        }


def participation_chart(synthesis: Synthesis) -> Markup | None:
    """Respondents per helix group, split by level."""
    groups = [h for h in HelixType if synthesis.by_helix.get(h)]
    if not groups or not synthesis.responses:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(groups) + 1.1))
    totals = [synthesis.by_helix.get(h, 0) for h in groups]
    ax.barh([HELIX_LABELS[h] for h in groups], totals, color=[HELIX_COLOURS[h] for h in groups])
    for y, value in enumerate(totals):
        ax.text(value, y, f" {value}", va="center", color=INK)
    ax.invert_yaxis()
    ax.set_xlabel("respondents")
    ax.set_title("Who responded (helix group)")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def level_chart(synthesis: Synthesis) -> Markup | None:
    levels = [lv for lv in Level if synthesis.by_level.get(lv)]
    if not levels:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(levels) + 1.1))
    values = [synthesis.by_level[lv] for lv in levels]
    ax.barh([LEVEL_LABELS[lv] for lv in levels], values, color=LEVEL_COLOURS[: len(levels)])
    for y, value in enumerate(values):
        ax.text(value, y, f" {value}", va="center", color=INK)
    ax.invert_yaxis()
    ax.set_xlabel("respondents")
    ax.set_title("Who responded (level)")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def themes_chart(synthesis: Synthesis) -> Markup | None:
    """Respondents per theme, stacked by helix group."""
    themes = synthesis.themes
    if not themes:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(themes) + 1.4))
    labels = [f"{n}. {t.label}" for n, t in enumerate(themes, start=1)]
    left = [0] * len(themes)
    for helix in HelixType:
        values = [t.by_helix.get(helix, 0) for t in themes]
        if any(values):
            ax.barh(labels, values, left=left, color=HELIX_COLOURS[helix], label=HELIX_LABELS[helix])
            left = [a + b for a, b in zip(left, values, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("respondents who raised the theme")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.set_title("Themes by helix group")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def ratings_chart(ratings: Sequence[RatingSummary]) -> Markup | None:
    """Each objective and criterion: every helix group's mean on the 1–5 scale; disagreements in red."""
    rows = [r for r in ratings if r.n]
    if not rows:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.0, 0.38 * len(rows) + 1.2))
    for y, row in enumerate(rows):
        means = [(h, g.mean) for h, g in row.by_helix.items() if g.mean is not None and g.n >= MIN_GROUP]
        if means:
            values = [m for _, m in means]
            ax.plot(
                [min(values), max(values)],
                [y, y],
                color=DISAGREE if row.disagreement else "#9aa3ad",
                linewidth=3 if row.disagreement else 1.5,
                zorder=1,
            )
        for helix, value in means:
            ax.scatter([value], [y], color=HELIX_COLOURS[helix], s=36, zorder=2)
    for helix in HelixType:
        ax.scatter([], [], color=HELIX_COLOURS[helix], label=HELIX_LABELS[helix], s=36)
    ax.set_yticks(range(len(rows)), [f"{_short(r.objective_title)} — {r.criterion}" for r in rows])
    for tick, row in zip(ax.get_yticklabels(), rows, strict=True):
        if row.disagreement:
            tick.set_color(DISAGREE)
            tick.set_fontweight("bold")
    ax.set_xlim(1, 5)
    ax.set_xticks([1, 2, 3, 4, 5])
    ax.invert_yaxis()
    ax.set_xlabel(f"mean by helix group (groups with {MIN_GROUP}+ answers)")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=4, fontsize=8, frameon=False)
    ax.grid(axis="x", color="#e1e4e8")
    return _svg(fig)


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


# --- the page ---------------------------------------------------------------------------------------


def render_consultation_html(consultation: Consultation, mission: Mission, synthesis: Synthesis) -> str:
    """The report as one HTML page with everything inline (styles and charts)."""
    objectives = {o.id: o for o in mission.objectives}
    themed = sum(t.size for t in synthesis.themes)
    return (
        _environment()
        .get_template("consultation.html")
        .render(
            consultation=consultation,
            mission=mission,
            synthesis=synthesis,
            objectives=objectives,
            helix_labels=HELIX_LABELS,
            level_labels=LEVEL_LABELS,
            helixes=list(HelixType),
            levels=list(Level),
            disagreements=[r for r in synthesis.ratings if r.disagreement],
            proposal_groups=proposal_groups(
                synthesis.proposals, [(o.id, o.title) for o in mission.objectives]
            ),
            weak_match=WEAK_MATCH,
            themed=themed,
            min_group=MIN_GROUP,
            disagreement_gap=DISAGREEMENT,
            charts=charts(synthesis),
        )
    )


def render_consultation_pdf(consultation: Consultation, mission: Mission, synthesis: Synthesis) -> bytes:
    """The same page as PDF (WeasyPrint); nothing is fetched: the page holds all it shows."""
    html = render_consultation_html(consultation, mission, synthesis)
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError) as exc:  # OSError: the Pango library is missing
        raise ReportUnavailable(f"PDF reports need WeasyPrint and the Pango library: {exc}") from exc
    fetcher = URLFetcher(allowed_protocols=set(), timeout=5)
    return bytes(HTML(string=html, url_fetcher=fetcher).write_pdf())
