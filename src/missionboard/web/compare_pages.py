"""``/missions/compare``: every mission the caller may see side by side, weakest first, each objective a
bar on the common scale from baseline (0 %) to target (100 %)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from missionboard.errors import InputError, LoginRequired, Problem
from missionboard.services import accounts
from missionboard.services.compare import compare_missions
from missionboard.services.geography import money_by_country
from missionboard.web.choropleth import country_map_context
from missionboard.web.rendering import language, render
from missionboard.web.security import caller, workspace_of

router = APIRouter(include_in_schema=False)

BAR_WIDTH = 200
"""Pixels of the bar from baseline to target; values beyond either end are drawn to the end and marked."""


@router.get("/missions/compare", response_class=HTMLResponse)
def compare_page(request: Request, as_of: str | None = None, map_mission: str | None = None) -> Response:
    account = caller(request).account
    workspace = workspace_of(request)
    visible = accounts.visible_missions(workspace, account)
    if account is None and not visible:
        raise LoginRequired("log in first")
    comparison = compare_missions(workspace, visible=visible, as_of=_date(as_of))
    # the map of money by country (``_map.html``): every visible mission's portfolio together, or one
    country_map = money_by_country(workspace, visible=visible, mission_id=map_mission or None)
    return render(
        request,
        "compare.html",
        comparison=comparison,
        bar_width=BAR_WIDTH,
        country_map=country_map_context(country_map, language(request)),
    )


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(Problem("", None, "as_of", f"'{value}' is not a date: write YYYY-MM-DD")) from None
