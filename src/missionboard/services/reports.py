"""Reports for the command line and the web: an analysis's headline figures and tables (the terminal and
Markdown render the same ``ReportTable`` objects) and its charts, a consultation's printable report, and
tables as CSV or XLSX downloads whose text cells cannot run as formulas; and a mission's board paper
(the printable report's figures and charts) as Word and PowerPoint.

The rendering lives in ``reports/``; this is the door the interfaces use. The heavy libraries are imported
only when a report that needs them is asked for (matplotlib and networkx for the charts; Jinja, matplotlib
and WeasyPrint for the consultation report; python-docx and python-pptx for the board papers), so
start-up stays light.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from missionboard.analytics.result import PortfolioAnalysis
from missionboard.domain.consultations import Consultation, Synthesis
from missionboard.domain.missions import Mission
from missionboard.domain.numbers import compact
from missionboard.errors import MissionboardError
from missionboard.monitoring.objectives import ObjectiveStatus
from missionboard.reports.board import (
    DOCX_MEDIA_TYPE,
    PPTX_MEDIA_TYPE,
    BoardObjective,
    BoardPaper,
    board_charts,
    board_docx,
    board_pptx,
    forecast_text,
    status_words,
    year_value,
)
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
from missionboard.services.analytics import analyze_portfolio
from missionboard.services.missions import check_mission, get_mission
from missionboard.services.monitoring import monitor_mission
from missionboard.services.portfolio import mission_portfolio
from missionboard.services.story import mission_story
from missionboard.store.workspace import Workspace


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


def board_paper(workspace: Workspace, mission_id: str, *, as_of: dt.date | None = None) -> BoardPaper:
    """The board paper of a mission's current version: the printable report's figures (portfolio, each
    objective's status, probability, forecast and target as known on ``as_of``, the quality check, the
    contribution story's weak links, the analysis' headline) and its charts, ready for ``board_docx``
    and ``board_pptx``. ``NotFound`` for an unknown mission."""
    current = get_mission(workspace, mission_id)
    portfolio = mission_portfolio(workspace, mission_id)
    board = monitor_mission(workspace, mission_id, as_of=as_of)
    check = check_mission(workspace, current.mission)
    story = mission_story(workspace, mission_id, as_of=as_of)
    try:
        analysis: PortfolioAnalysis | None = analyze_portfolio(workspace, mission_id)
    except MissionboardError:  # as the report's analytics section: the paper goes on without it
        analysis = None
    served = {o.objective: o for o in portfolio.objectives}
    objectives = tuple(
        _board_objective(status, served[status.objective.id].projects, served[status.objective.id].money)
        if status.objective.id in served
        else _board_objective(status, 0, 0.0)
        for status in board.objectives
    )
    return BoardPaper(
        mission=mission_id,
        title=current.mission.title,
        statement=current.mission.statement,
        version=current.version,
        date=board.as_of,
        objectives=objectives,
        projects=portfolio.projects,
        money=round(portfolio.money, 2),  # as the report reads it, from the portfolio's JSON
        currency=portfolio.currency,
        portfolio_rule=portfolio.line(),
        quality_score=check.score,
        quality_verdict=check.verdict,
        weak_links=tuple(w.message for w in story.weak_links),
        headline=tuple(row for row in headline(analysis) if row[1] != "–") if analysis is not None else (),
        charts=board_charts(objectives, analysis),
    )


def _board_objective(status: ObjectiveStatus, projects: int, money: float) -> BoardObjective:
    """An objective's line, from the board's JSON figures (rounded as the report shows them)."""
    entry = status.to_dict()
    latest, forecast, target = entry["latest"], entry["forecast"], entry["target"]
    unit = f" {entry['unit']}" if entry["unit"] else ""
    return BoardObjective(
        objective=status.objective.id,
        title=status.objective.title,
        status=status_words(entry["status"]),
        probability=entry["probability"],
        latest=f"{compact(latest['value'])}{unit} ({latest['year']})" if latest else "—",
        forecast=forecast_text(forecast["value"], forecast["year"]) if forecast else "—",
        target=year_value(target["value"], target["year"]) if target else "—",
        projects=projects,
        money=money,
    )


__all__ = [
    "CSV_MEDIA_TYPE",
    "DOCX_MEDIA_TYPE",
    "PPTX_MEDIA_TYPE",
    "XLSX_MEDIA_TYPE",
    "BoardObjective",
    "BoardPaper",
    "ReportTable",
    "board_docx",
    "board_paper",
    "board_pptx",
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
