"""Portfolio analytics: coverage, gaps, mixes, leverage, diversity, networks and dynamics.

The public names are imported on first use, so that a process that only needs the loader (an import
asking for a snapshot) does not import the whole analysis stack (scikit-learn, SciPy, DuckDB).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from missionboard.domain.mapping import mission_taxonomy

if TYPE_CHECKING:
    from missionboard.analytics.result import PortfolioAnalysis
    from missionboard.analytics.service import analyze_portfolio

__all__ = ["PortfolioAnalysis", "analyze_portfolio", "mission_taxonomy"]


def __getattr__(name: str) -> Any:
    if name == "PortfolioAnalysis":
        from missionboard.analytics.result import PortfolioAnalysis

        return PortfolioAnalysis
    if name == "analyze_portfolio":
        from missionboard.analytics import service

        return getattr(service, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
