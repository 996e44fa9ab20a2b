"""A mission's landscape page: who else works on each objective, where our money is thin."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from missionboard.services import landscape as landscape_service
from missionboard.web.figures import visible_mission
from missionboard.web.rendering import render
from missionboard.web.security import workspace_of

router = APIRouter(include_in_schema=False)


@router.get("/missions/{mission_id}/landscape", response_class=HTMLResponse)
def landscape_page(request: Request, mission_id: str) -> Response:
    """Per objective: the landscape's activity, the most active organisations outside the portfolio,
    newcomers, and the portfolio's share; how to compute it where it has not been."""
    current = visible_mission(request, mission_id)
    found = landscape_service.mission_landscape(workspace_of(request), mission_id)
    return render(request, "landscape.html", mission=current.mission, landscape=found.to_dict())
