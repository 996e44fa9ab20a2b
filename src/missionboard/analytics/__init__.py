"""Portfolio analytics: coverage, gaps, mixes, leverage, diversity, networks and dynamics."""

from missionboard.analytics.result import PortfolioAnalysis
from missionboard.analytics.service import analyze_portfolio, mission_taxonomy

__all__ = ["PortfolioAnalysis", "analyze_portfolio", "mission_taxonomy"]
