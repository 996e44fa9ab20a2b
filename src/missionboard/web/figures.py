"""A mission as the pages and the API show it: the mission if the caller may see it, and its figures
(tree, portfolio, quality check, analytics, monitoring), cached per process and dropped after a write."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fastapi import Request

from missionboard.domain.missions import MissionVersion
from missionboard.errors import LoginRequired, MissionboardError
from missionboard.services import analytics as analytics_service
from missionboard.services import explorer
from missionboard.services import missions as mission_service
from missionboard.services import monitoring as monitoring_service
from missionboard.services.accounts import Role
from missionboard.services.portfolio import MissionPortfolio, read_portfolio
from missionboard.store.workspace import Workspace
from missionboard.web.queries import Stamped
from missionboard.web.security import SAFE_METHODS, caller, changes, workspace_of


def clear_caches(request: Request, mission_id: str | None = None) -> None:
    """After a write: figures of the mission it changed are recomputed now, others refreshed in the background."""
    cache = request.app.state.cache
    if mission_id is not None:
        cache.drop(lambda key: isinstance(key, tuple) and len(key) > 1 and key[1] == mission_id)
    cache.drop(lambda key: isinstance(key, tuple) and key[0] == "tree")
    cache.expire()
    request.app.state.facets.expire()


def current_mission(request: Request, mission_id: str) -> MissionVersion:
    """The mission's current version as the workspace holds it for this request: for a read, kept while
    nothing is written (no query, where reading it was 11 % of a web worker's time under load); a request
    that writes reads it afresh, so that what it reads after its own write is that write's result."""
    workspace = workspace_of(request)

    def read() -> MissionVersion:
        return mission_service.get_mission(workspace, mission_id)

    if request.method.upper() not in SAFE_METHODS:
        return read()
    missions: Stamped = request.app.state.missions
    return missions.get(changes(request), ("mission", mission_id), read)


def current_missions(request: Request) -> list[MissionVersion]:
    """Every mission's current version, as ``services.missions.list_missions`` (kept like ``current_mission``)."""
    workspace = workspace_of(request)
    if request.method.upper() not in SAFE_METHODS:
        return mission_service.list_missions(workspace)
    missions: Stamped = request.app.state.missions
    kept = missions.get(changes(request), "all", lambda: tuple(mission_service.list_missions(workspace)))
    return list(kept)


def visible_mission(request: Request, mission_id: str, version: int | None = None) -> MissionVersion:
    """The mission, if the caller may see it: public missions for anyone, others for members and admins."""
    current = current_mission(request, mission_id)
    account = caller(request).account
    if not current.mission.public:
        if account is None:
            raise LoginRequired("log in to see this mission")
        account.require(mission_id, Role.VIEWER, "view this mission")
    return (
        current
        if version is None
        else mission_service.get_mission(workspace_of(request), mission_id, version)
    )


def cached(request: Request, key: Any, compute: Any) -> Any:
    return request.app.state.cache.get(key, compute)


def _checked(request: Request, mission_id: str) -> dict[str, Any]:
    with HEAVY:
        return mission_service.check_mission(workspace_of(request), mission_id).to_dict()


def quality(request: Request, mission_id: str) -> dict[str, Any]:
    return cached(  # type: ignore[no-any-return]
        request,
        ("check", mission_id),
        lambda: _checked(request, mission_id),
    )


def _analytics(workspace: Workspace, mission_id: str) -> dict[str, Any]:
    return analytics_service.analyze_portfolio(workspace, mission_id).to_dict()


def _monitoring(workspace: Workspace, mission_id: str) -> dict[str, Any]:
    return monitoring_service.monitor_mission(workspace, mission_id).to_dict()


SECTIONS: dict[str, Callable[[Workspace, str], dict[str, Any]]] = {
    "analytics": _analytics,
    "monitoring": _monitoring,
}
"""The slow sections of a mission page: each a service's result as the templates read it."""


HEAVY = threading.Lock()
"""The slow figures (quality check, analytics, monitoring) are computed one at a time per process: they are
CPU-bound, so running them side by side gains nothing and would only slow every other request."""


def section(request: Request, mission_id: str, key: str) -> dict[str, Any]:
    """Analytics or monitoring results for a mission (cached a while)."""
    function = SECTIONS[key]
    workspace = workspace_of(request)

    def compute() -> dict[str, Any]:
        try:
            with HEAVY:
                result = function(workspace, mission_id)
        except MissionboardError as exc:
            return {"error": str(exc)}
        out: dict[str, Any] = {"result": result}
        if key == "monitoring":
            out["series"] = _indicator_series(workspace, result)
            out["status_rule"] = _status_rule()
        return out

    return cached(request, (key, mission_id), compute)  # type: ignore[no-any-return]


def _status_rule() -> dict[str, float]:
    """The probability thresholds the board's statuses follow (the rules the board was judged with)."""
    rules = monitoring_service.status_rules()
    return {"on_track": rules.on_track_probability, "at_risk": rules.at_risk_probability}


def _indicator_series(workspace: Any, result: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each objective's observed series, for its chart."""
    series: dict[str, list[dict[str, Any]]] = {}
    for objective in result.get("objectives") or []:
        ident = objective.get("indicator")
        if not ident:
            continue
        try:
            detail = monitoring_service.show_indicator(
                workspace, ident, geography=objective.get("geography") or None
            ).to_dict()
        except MissionboardError:
            continue
        series[str(objective.get("objective"))] = list(detail.get("series") or [])
    return series


def insights(request: Request, mission_id: str) -> dict[str, Any]:
    return {key: section(request, mission_id, key) for key in SECTIONS}


def tree_data(request: Request, current: MissionVersion, limit: int = 5) -> dict[str, Any]:
    """The mission tree's figures: links per objective, the strongest projects, portfolio size, decisions."""
    return _tree_data(request.app.state.cache, workspace_of(request), current, limit)


def _tree_data(cache: Any, workspace: Any, current: MissionVersion, limit: int = 5) -> dict[str, Any]:
    mission_id = current.mission_id
    mission = current.mission
    objectives = [o.id for o in mission.objectives]

    def compute() -> dict[str, Any]:
        # the portfolio is read once for every figure of it: its size and per-objective counts were read
        # by queries of their own (1.3 of 9 CPU s of a first view at 1M projects, measured)
        found = _portfolio(cache, workspace, current)
        with workspace.reading() as session:
            return {
                "counts": explorer.objective_links(session, mission, found),
                "tops": {o: explorer.top_projects(session, mission, o, limit=limit) for o in objectives},
                "size": found.projects,
                "decisions": explorer.mission_decisions(session, mission, limit=limit * 4),
                "portfolio": _portfolio_figures(cache, workspace, current),
            }

    return cache.get(("tree", mission_id, current.version, limit), compute)  # type: ignore[no-any-return]


def prewarm(app: Any) -> None:
    """Fill the caches the first visitors would otherwise wait for: facet values and each mission tree."""
    workspace = app.state.workspace
    app.state.facets.get("facets", lambda: explorer.facets(workspace))
    for version in mission_service.list_missions(workspace):
        _tree_data(app.state.cache, workspace, version)


def portfolio_figures(request: Request, current: MissionVersion) -> dict[str, Any]:
    """The mission's portfolio as every view reports it (``services.portfolio``): projects, money in the
    reporting currency, the rule and the conversion, per objective."""
    return _portfolio_figures(request.app.state.cache, workspace_of(request), current)


def _portfolio_figures(cache: Any, workspace: Any, current: MissionVersion) -> dict[str, Any]:
    def compute() -> dict[str, Any]:
        found = _portfolio(cache, workspace, current)
        return {**found.to_dict(), "line": found.line()}

    key = ("tree", current.mission_id, current.version, "portfolio")
    return cache.get(key, compute)  # type: ignore[no-any-return]


def _portfolio(cache: Any, workspace: Any, current: MissionVersion) -> MissionPortfolio:
    """The mission's portfolio as ``read_portfolio`` reads it, kept for the card, the tree and the report."""

    def compute() -> MissionPortfolio:
        with workspace.reading() as session:
            return read_portfolio(session, current.mission)

    key = ("tree", current.mission_id, current.version, "portfolio read")
    return cache.get(key, compute)  # type: ignore[no-any-return]
