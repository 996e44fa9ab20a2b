"""Analytics use cases: a mission's (or the whole) portfolio read as one ``PortfolioAnalysis``.

The analysis engine pulls in scikit-learn, SciPy and DuckDB, which the command line's other commands and
the web app's other pages do not need: it is imported inside the function, on first use. The result's
types (``analytics.result``) are plain pydantic models and load no engine.
"""

from __future__ import annotations

from missionboard.analytics.result import KEYS as SECTIONS
from missionboard.analytics.result import (
    AnalyticsMission,
    AnalyticsScope,
    Figure,
    Json,
    Number,
    PortfolioAnalysis,
    PortfolioBasis,
    PortfolioRuleOut,
    Section,
    Table,
)
from missionboard.store.workspace import Workspace

__all__ = [
    "SECTIONS",
    "AnalyticsMission",
    "AnalyticsScope",
    "Figure",
    "Json",
    "Number",
    "PortfolioAnalysis",
    "PortfolioBasis",
    "PortfolioRuleOut",
    "Section",
    "Table",
    "analyze_portfolio",
]
"""``SECTIONS``: the top-level keys of an analysis, in order (pure data; importing it loads no engine).
The models describe the result (``PortfolioAnalysis``) and its parts; the API answers them."""


def analyze_portfolio(
    workspace: Workspace,
    mission_id: str | None = None,
    *,
    taxonomy: str | None = None,
    since: int | None = None,
    threshold: float | None = None,
    currency: str | None = None,
    max_text_projects: int = 20_000,
) -> PortfolioAnalysis:
    """Coverage, gaps, mixes, leverage, diversity and silos of a mission's portfolio (every project
    without ``mission_id`` or ``taxonomy``), counted by the one portfolio rule."""
    from missionboard.analytics.service import analyze_portfolio as analyze  # scikit-learn, DuckDB: late

    return analyze(
        workspace,
        mission_id,
        taxonomy=taxonomy,
        since=since,
        threshold=threshold,
        currency=currency,
        max_text_projects=max_text_projects,
    )
