"""The contribution story of a mission: its logic walked from money and measures to the targets.

The figures come from the other use cases, so that the story says what every view says: the portfolio
(``services.portfolio``, the one portfolio rule) and the monitoring board (``services.monitoring``).
"""

from __future__ import annotations

import datetime as dt

from missionboard.domain.story import (
    ContributionStory,
    IndicatorStatus,
    ObjectiveMoney,
    RegionalStatus,
    build_story,
)
from missionboard.services.monitoring import monitor_mission
from missionboard.services.portfolio import mission_portfolio, outcome_projects
from missionboard.store.workspace import Workspace

__all__ = ["ContributionStory", "mission_story"]


def mission_story(
    workspace: Workspace, mission_id: str, *, as_of: dt.date | None = None
) -> ContributionStory:
    """The contribution story of the mission's current version: per objective the money and projects
    behind it, its measures, outcomes and assumptions, its indicator's status (as known on ``as_of``),
    and where the chain is weak."""
    portfolio = mission_portfolio(workspace, mission_id)
    linked = outcome_projects(workspace, mission_id)
    board = monitor_mission(workspace, mission_id, as_of=as_of)
    return build_story(
        board.mission,
        money=[ObjectiveMoney(o.objective, o.projects, o.money) for o in portfolio.objectives],
        outcome_projects=linked,
        indicators=[
            IndicatorStatus(
                objective=s.objective.id,
                status=s.status,
                probability=s.probability,
                latest_value=s.latest.value if s.latest else None,
                latest_year=s.latest.year if s.latest else None,
                source=s.latest.source if s.latest else None,
                regions=tuple(
                    RegionalStatus(
                        region=r.region,
                        status=r.status,
                        probability=r.assessed.probability,
                        target=r.assessed.objective.target.value if r.assessed.objective.target else None,
                        target_year=r.assessed.objective.target.year if r.assessed.objective.target else None,
                    )
                    for r in s.regions
                ),
            )
            for s in board.objectives
        ],
        as_of=board.as_of,
        currency=portfolio.currency,
        projects=portfolio.projects,
        total_money=portfolio.money,
        portfolio=portfolio.line(),
    )
