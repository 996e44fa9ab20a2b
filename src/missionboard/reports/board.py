"""Board papers: a mission's printable report as a Word document and a PowerPoint deck.

``BoardPaper`` holds the figures, already in words as the printable report (``GET /missions/{id}/report``)
shows them, and the charts as PNG; ``board_docx`` and ``board_pptx`` lay them out. The paper is
assembled by ``services.reports.board_paper`` from the mission, portfolio, monitoring, quality check,
contribution story and analysis use cases; this module only formats and lays out.

python-docx, python-pptx and matplotlib are imported inside the functions that need them, so that
importing ``BoardPaper`` (as the services do) stays light.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from missionboard.analytics.result import PortfolioAnalysis
from missionboard.domain.numbers import compact
from missionboard.domain.story import NO_WEAK_LINK

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
NO_FIGURE = "—"
"""What a cell says where there is no figure (as the printable report)."""
OBJECTIVE_HEADERS = (
    "Objective",
    "Status",
    "Probability",
    "Latest",
    "Forecast",
    "Target",
    "Projects",
    "Money",
)


# --- the paper --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardObjective:
    """One objective's line of the paper, its figures in the printable report's words."""

    objective: str
    title: str
    status: str
    """The monitoring status in words: 'on track', 'at risk', 'off track', 'achieved', 'no data'."""
    probability: float | None
    """P(target met in the target year), rounded as the board reports it."""
    latest: str
    forecast: str
    target: str
    projects: int
    """Portfolio projects serving the objective (the one portfolio rule)."""
    money: float
    """Their full money, in the paper's currency."""

    @property
    def probability_text(self) -> str:
        """'35 %', as the report prints the chance of reaching the target."""
        return percent(self.probability)

    def cells(self, currency: str | None) -> list[str]:
        """The row of the objectives table, in ``OBJECTIVE_HEADERS`` order."""
        return [
            self.title,
            self.status,
            self.probability_text,
            self.latest,
            self.forecast,
            self.target,
            f"{self.projects:,}",
            money_text(self.money, currency),
        ]


@dataclass(frozen=True)
class Chart:
    """A chart of the paper: its title and the picture as PNG."""

    name: str
    title: str
    png: bytes


@dataclass(frozen=True)
class BoardPaper:
    """What a board reads about a mission: the figures of its printable report, and its charts."""

    mission: str
    title: str
    statement: str
    version: int
    date: dt.date
    """The day the indicators were read (the monitoring board's 'as of')."""
    objectives: tuple[BoardObjective, ...]
    projects: int
    money: float
    currency: str | None
    portfolio_rule: str
    """The line saying which links make the portfolio and how money was converted."""
    quality_score: int
    quality_verdict: str
    weak_links: tuple[str, ...]
    headline: tuple[tuple[str, str, str], ...]
    """(label, value, unit) rows of the analysis' headline figures; empty where it could not run."""
    charts: tuple[Chart, ...]
    no_weak_link: str = NO_WEAK_LINK

    @property
    def money_text(self) -> str:
        return money_text(self.money, self.currency)

    @property
    def heading(self) -> str:
        return f"{self.title} — board paper"

    def summary(self) -> str:
        """One paragraph: the portfolio, where the objectives stand, the quality check and the weak links."""
        counts: dict[str, int] = {}
        for o in self.objectives:
            counts[o.status] = counts.get(o.status, 0) + 1
        standing = ", ".join(f"{n} {status}" for status, n in counts.items())
        weak = len(self.weak_links)
        return (
            f"{self.statement} As of {self.date.isoformat()}, the portfolio counts {self.projects:,} "
            f"project{'' if self.projects == 1 else 's'} with {self.money_text}. Of its "
            f"{len(self.objectives)} objective{'' if len(self.objectives) == 1 else 's'}: {standing or 'none'}. "
            f"The quality check scores the mission {self.quality_score}/100: {self.quality_verdict.rstrip('.')}. "
            f"The contribution story finds {weak or 'no'} weak link{'' if weak == 1 else 's'}."
        )


# --- words for figures, as the printable report writes them ------------------------------------------


def status_words(status: str | None) -> str:
    """'on_track' → 'on track' (None → 'unknown'), as the report's status labels."""
    return (status or "unknown").replace("_", " ")


def percent(value: float | None) -> str:
    """0.35 → '35 %' (None → '—')."""
    return NO_FIGURE if value is None else f"{value * 100:.0f} %"


def money_text(amount: float, currency: str | None) -> str:
    """'226,959,792 EUR', as the report's portfolio line."""
    return f"{amount:,.0f} {currency}" if currency else f"{amount:,.0f}"


def year_value(value: float | None, year: int | None) -> str:
    """A baseline or target as the report's objectives table writes it: '60.0 (2030)'."""
    return NO_FIGURE if value is None else f"{value} ({year})"


def forecast_text(value: float | None, year: int | None) -> str:
    """'59.2 by 2030', as the board's chart captions."""
    return NO_FIGURE if value is None else f"{compact(value)} by {year}"


# --- charts ------------------------------------------------------------------------------------------


def board_charts(
    objectives: Sequence[BoardObjective], analysis: PortfolioAnalysis | None
) -> tuple[Chart, ...]:
    """The paper's charts: each objective's chance of reaching its target, and the analysis' coverage
    by objective (budget share against declared weight); a chart with no data is left out."""
    # matplotlib is imported here (through the project's charts, which choose its Agg backend): only the
    # papers' charts need it
    from missionboard.reports import charts

    out: list[Chart] = []
    figure = _probability_chart(objectives)
    if figure is not None:
        out.append(Chart("probability", "Chance of reaching each target", _png(figure)))
    coverage = charts.coverage_chart(analysis) if analysis is not None else None
    if coverage is not None:
        out.append(Chart("coverage", "Funding by objective", _png(coverage)))
    return tuple(out)


def _probability_chart(objectives: Sequence[BoardObjective]) -> Any:
    import matplotlib.pyplot as plt

    from missionboard.reports.charts import COLOURS

    rows = [o for o in objectives if o.probability is not None]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(rows) + 1.5))
    values = [(o.probability or 0) * 100 for o in rows]
    ax.barh([o.title for o in rows], values, color=COLOURS[: len(rows)])
    for position, (o, value) in enumerate(zip(rows, values, strict=True)):
        ax.text(min(value + 1, 90), position, f"{o.probability_text} · {o.status}", va="center", fontsize=8)
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.set_xlabel("chance of reaching the target in the target year (%)")
    ax.set_title("Objectives: chance of reaching the target")
    return fig


def _png(figure: Any) -> bytes:
    import matplotlib.pyplot as plt

    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120)
    plt.close(figure)
    return buffer.getvalue()


# --- Word --------------------------------------------------------------------------------------------


def board_docx(paper: BoardPaper) -> bytes:
    """The paper as a Word document: title, date, summary, objectives, portfolio, weak links, charts and
    the portfolio rule as a footnote line."""
    # python-docx is imported here: only the Word paper needs it
    from docx import Document
    from docx.shared import Cm, Pt

    document = Document()
    document.core_properties.title = paper.heading
    document.add_heading(paper.heading, level=0)
    document.add_paragraph(f"{paper.date.isoformat()} · mission {paper.mission}, version {paper.version}")
    document.add_paragraph(paper.summary())

    document.add_heading("Objectives", level=1)
    _docx_table(document, OBJECTIVE_HEADERS, [o.cells(paper.currency) for o in paper.objectives])

    document.add_heading("Portfolio", level=1)
    _docx_table(
        document,
        ("Figure", "Value", "Unit"),
        [
            ["Projects", f"{paper.projects:,}", "projects"],
            ["Money", f"{paper.money:,.0f}", paper.currency or NO_FIGURE],
            ["Quality check", f"{paper.quality_score}/100", paper.quality_verdict],
            *([label.strip(), value, unit] for label, value, unit in paper.headline),
        ],
    )

    document.add_heading("Where the chain is weak", level=1)
    for message in paper.weak_links or (paper.no_weak_link,):
        document.add_paragraph(message, style="List Bullet")

    for chart in paper.charts:
        document.add_heading(chart.title, level=1)
        document.add_picture(io.BytesIO(chart.png), width=Cm(16))

    footnote = document.add_paragraph(paper.portfolio_rule)
    for run in footnote.runs:
        run.font.size = Pt(8)
        run.italic = True
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_table(document: Any, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Light Grid Accent 1"
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = header
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value


# --- PowerPoint --------------------------------------------------------------------------------------


def board_pptx(paper: BoardPaper) -> bytes:
    """The paper as a deck: a title slide, the summary, the objectives table, one slide per chart and the
    weak links."""
    # python-pptx is imported here: only the deck needs it
    from pptx import Presentation
    from pptx.util import Inches, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    deck.core_properties.title = paper.heading
    title_layout, content_layout, title_only = (
        deck.slide_layouts[0],
        deck.slide_layouts[1],
        deck.slide_layouts[5],
    )

    slide = deck.slides.add_slide(title_layout)
    slide.shapes.title.text = paper.title
    slide.placeholders[1].text = f"Board paper · {paper.date.isoformat()} · version {paper.version}"

    slide = deck.slides.add_slide(content_layout)
    slide.shapes.title.text = "Summary"
    body = slide.placeholders[1].text_frame
    body.text = paper.summary()
    body.paragraphs[0].font.size = Pt(18)
    rule = body.add_paragraph()
    rule.text = paper.portfolio_rule
    rule.font.size = Pt(11)

    slide = deck.slides.add_slide(title_only)
    slide.shapes.title.text = "Objectives"
    rows = [o.cells(paper.currency) for o in paper.objectives]
    shape = slide.shapes.add_table(
        len(rows) + 1,
        len(OBJECTIVE_HEADERS),
        Inches(0.4),
        Inches(1.6),
        Inches(12.5),
        Inches(0.4) * (len(rows) + 1),
    )
    for column, header in enumerate(OBJECTIVE_HEADERS):
        _pptx_cell(shape.table.cell(0, column), header, Pt(12))
    for line, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            _pptx_cell(shape.table.cell(line, column), value, Pt(11))

    for chart in paper.charts:
        slide = deck.slides.add_slide(title_only)
        slide.shapes.title.text = chart.title
        slide.shapes.add_picture(io.BytesIO(chart.png), Inches(2.2), Inches(1.5), height=Inches(5.6))

    slide = deck.slides.add_slide(content_layout)
    slide.shapes.title.text = "Where the chain is weak"
    body = slide.placeholders[1].text_frame
    for n, message in enumerate(paper.weak_links or (paper.no_weak_link,)):
        paragraph = body.paragraphs[0] if n == 0 else body.add_paragraph()
        paragraph.text = message
        paragraph.font.size = Pt(14)

    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def _pptx_cell(cell: Any, value: str, size: Any) -> None:
    cell.text = value
    for paragraph in cell.text_frame.paragraphs:
        paragraph.font.size = size
