"""Reports for the command line and the web: an analysis's headline figures and tables (the terminal and
Markdown render the same ``ReportTable`` objects) and its charts, a consultation's printable report, and
tables as CSV or XLSX downloads whose text cells cannot run as formulas.

The rendering lives in ``reports/``; this is the door the interfaces use. The heavy libraries are imported
only when a report that needs them is asked for (matplotlib and networkx for the charts; Jinja, matplotlib
and WeasyPrint for the consultation report), so start-up stays light.
"""

from __future__ import annotations

from pathlib import Path

from missionboard.analytics.result import PortfolioAnalysis
from missionboard.domain.consultations import Consultation, Synthesis
from missionboard.domain.missions import Mission
from missionboard.reports.spreadsheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, csv_chunks, xlsx_bytes
from missionboard.reports.summary import (
    ReportTable,
    headline,
    markdown,
    portfolio_line,
    report_tables,
    scope_text,
    title,
)


def write_charts(analysis: PortfolioAnalysis, directory: Path) -> list[Path]:
    """Write each chart of an analysis that has data, as PNG and SVG into ``directory``; returns the
    files written."""
    # matplotlib and networkx are imported here: only the charts need them
    from missionboard.reports.charts import write_charts as write

    return write(analysis, directory)


def render_consultation_pdf(consultation: Consultation, mission: Mission, synthesis: Synthesis) -> bytes:
    """The consultation's printable report (purpose, participation, themes, ratings by group, proposals)
    as PDF; ``ReportUnavailable`` where WeasyPrint or the Pango library is missing."""
    # Jinja, matplotlib and the synthesis' thresholds are imported here: only the report needs them
    from missionboard.reports.consultation import render_consultation_pdf as render

    return render(consultation, mission, synthesis)


__all__ = [
    "CSV_MEDIA_TYPE",
    "XLSX_MEDIA_TYPE",
    "ReportTable",
    "csv_chunks",
    "headline",
    "markdown",
    "portfolio_line",
    "render_consultation_pdf",
    "report_tables",
    "scope_text",
    "title",
    "write_charts",
    "xlsx_bytes",
]
