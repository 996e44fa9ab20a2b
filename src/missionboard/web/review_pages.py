"""The review queue: a mission's proposed links, most uncertain first, accepted or rejected one by one."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from missionboard.domain.mapping import mission_of_taxonomy, mission_taxonomy
from missionboard.domain.missions import MissionVersion
from missionboard.services import explorer
from missionboard.services import missions as mission_service
from missionboard.services.accounts import Account, Role
from missionboard.web.figures import clear_caches, visible_mission
from missionboard.web.rendering import check_csrf, redirect, render
from missionboard.web.security import require_account, workspace_of

router = APIRouter(include_in_schema=False)


def reviewable_missions(request: Request, account: Account) -> list[MissionVersion]:
    return [
        v
        for v in mission_service.list_missions(workspace_of(request))
        if account.has(v.mission_id, Role.REVIEWER)
    ]


@router.get("/review", response_class=HTMLResponse)
def review_page(request: Request, mission: str = "", status: str = "proposed", page: int = 1) -> Response:
    account = require_account(request)
    choices = reviewable_missions(request, account)
    if not mission and choices:
        mission = choices[0].mission_id
    current = None
    links = None
    if mission:
        current = visible_mission(request, mission)
        account.require(mission, Role.REVIEWER, "review links")
        with workspace_of(request).reading() as session:
            links = explorer.query_links(
                session,
                taxonomy=mission_taxonomy(mission),
                status=status or None,
                by_uncertainty=True,
                page=max(1, page),
                per_page=20,
            )
    return render(
        request,
        "review.html",
        choices=choices,
        selected=mission,
        current=current,
        links=links,
        status=status,
    )


@router.post("/review/{link_id}")
async def review_post(request: Request, link_id: int) -> Response:
    form = await request.form()
    return await run_in_threadpool(_review, request, link_id, form)


def _review(request: Request, link_id: int, form: FormData) -> Response:
    from missionboard.web.actions import review

    account = check_csrf(request, form)
    link = review(
        workspace_of(request),
        account,
        link_id,
        action=str(form.get("action", "")),
        goal=str(form.get("goal", "")) or None,
    )
    clear_caches(request)
    mission = mission_of_taxonomy(link["taxonomy"]) or ""
    back = str(form.get("back", "")) or f"/review?{urlencode({'mission': mission})}"
    return redirect(back if back.startswith("/") and not back.startswith("//") else "/review", "reviewed")
