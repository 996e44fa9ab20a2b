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
    cache: bool = True,
) -> PortfolioAnalysis:
    """Coverage, gaps, mixes, leverage, diversity and silos of a mission's portfolio (every project
    without ``mission_id`` or ``taxonomy``), counted by the one portfolio rule.

    A SQLite workspace keeps each finished analysis until anything it was computed from changes
    (``analytics.result_cache``): the same analysis of an unchanged workspace is read back, not
    computed again (``meta.result_cache`` says which). ``cache=False`` computes it whatever is kept.
    """
    from missionboard.analytics import result_cache  # light: no engine

    arguments = {
        "mission_id": mission_id,
        "taxonomy": taxonomy,
        "since": since,
        "threshold": threshold,
        "currency": currency,
        "max_text_projects": max_text_projects,
    }
    found = result_cache.lookup(workspace, arguments)
    if cache and found.result is not None:
        return found.result
    from missionboard.analytics import service  # scikit-learn, DuckDB: late

    if found.path is not None:
        # the shared themes' writes (new projects' themes, a new set) done first, as the analysis would do
        # them, once the arguments are known to be good: the analysis then writes nothing, and its result
        # can be kept
        from missionboard.analytics.theme_sets import settle_shared_themes

        service.check_arguments(
            workspace, mission_id, taxonomy=taxonomy, threshold=threshold, currency=currency
        )
        settle_shared_themes(workspace)
        found = result_cache.lookup(workspace, arguments)
        if cache and found.result is not None:
            return found.result
    result = service.analyze_portfolio(
        workspace,
        mission_id,
        taxonomy=taxonomy,
        since=since,
        threshold=threshold,
        currency=currency,
        max_text_projects=max_text_projects,
    )
    return result_cache.store(workspace, found, arguments, result)
