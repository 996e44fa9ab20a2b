"""Decisions on projects: recording one, scheduling a gate, lodging and ruling on an appeal, and a
mission's gate calendar."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from missionboard.errors import InputError, Problem
from missionboard.services import decisions as decision_service
from missionboard.web.figures import clear_caches, visible_mission
from missionboard.web.rendering import check_csrf, redirect, render
from missionboard.web.security import workspace_of

router = APIRouter(include_in_schema=False)


@router.post("/projects/{project_id}/decisions")
async def project_decision_post(request: Request, project_id: int) -> Response:
    form = await request.form()
    return await run_in_threadpool(_decide, request, project_id, form)


def _decide(request: Request, project_id: int, form: FormData) -> Response:
    from missionboard.web.actions import decide

    account = check_csrf(request, form)
    met = {int(str(v)) for v in form.getlist("met") if str(v).isdigit()}
    decide(
        workspace_of(request),
        account,
        project_id,
        decision=str(form.get("decision", "")),
        rationale=str(form.get("rationale", "")).strip(),
        gate=str(form.get("gate", "")).strip() or None,
        met=met,
        plan=str(form.get("plan", "")).strip() or None,
        amount=str(form.get("amount", "")).strip() or None,
        currency=str(form.get("currency", "")).strip() or None,
    )
    clear_caches(request)
    return redirect(f"/projects/{project_id}", "decision")


@router.post("/projects/{project_id}/gates")
async def project_gate_post(request: Request, project_id: int) -> Response:
    form = await request.form()
    return await run_in_threadpool(_schedule_gate, request, project_id, form)


def _schedule_gate(request: Request, project_id: int, form: FormData) -> Response:
    from missionboard.web.actions import schedule_gate

    account = check_csrf(request, form)
    schedule_gate(
        workspace_of(request),
        account,
        project_id,
        name=str(form.get("name", "")).strip(),
        due=str(form.get("due", "")),
        criteria=str(form.get("criteria", "")).splitlines(),
        evidence=str(form.get("evidence", "")).splitlines(),
    )
    clear_caches(request)
    return redirect(f"/projects/{project_id}", "gate")


@router.post("/decisions/{decision_id}/appeals")
async def decision_appeal_post(request: Request, decision_id: int) -> Response:
    form = await request.form()
    return await run_in_threadpool(_appeal, request, decision_id, form)


def _appeal(request: Request, decision_id: int, form: FormData) -> Response:
    from missionboard.web.actions import lodge_appeal

    account = check_csrf(request, form)
    reason = str(form.get("reason", "")).strip()
    project_id = lodge_appeal(workspace_of(request), account, decision_id, reason=reason)
    return redirect(f"/projects/{project_id}", "appeal")


@router.post("/appeals/{appeal_id}/ruling")
async def appeal_ruling_post(request: Request, appeal_id: int) -> Response:
    form = await request.form()
    return await run_in_threadpool(_ruling, request, appeal_id, form)


def _ruling(request: Request, appeal_id: int, form: FormData) -> Response:
    from missionboard.web.actions import rule_appeal

    account = check_csrf(request, form)
    project_id = rule_appeal(
        workspace_of(request),
        account,
        appeal_id,
        outcome=str(form.get("outcome", "")),
        ruling=str(form.get("ruling", "")).strip(),
    )
    clear_caches(request)
    return redirect(f"/projects/{project_id}", "ruling")


@router.get("/missions/{mission_id}/gates", response_class=HTMLResponse)
def mission_gates_page(request: Request, mission_id: str, as_of: str = "") -> Response:
    """The mission's gate calendar: what is overdue, due, scheduled, decided or cancelled."""
    import datetime as dt

    current = visible_mission(request, mission_id)
    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise InputError(
            Problem("request", None, "as_of", f"'{as_of}' is not a date: write YYYY-MM-DD")
        ) from None
    calendar = decision_service.gate_calendar(workspace_of(request), mission_id, as_of=day)
    return render(request, "mission_gates.html", mission=current.mission, calendar=calendar.to_dict())
