"""Administration: users and their roles, the audit log, and the API's documentation page."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from missionboard.errors import Forbidden, InputError, Problem
from missionboard.services import accounts, explorer
from missionboard.services import missions as mission_service
from missionboard.web.rendering import check_csrf, redirect, render
from missionboard.web.security import require_account, workspace_of

router = APIRouter(include_in_schema=False)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request) -> Response:
    require_account(request).require_admin("manage users")
    return render(request, "admin_users.html", users=accounts.list_users(workspace_of(request)), error="")


@router.post("/admin/users")
async def users_post(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_users, request, form)


def _users(request: Request, form: FormData) -> Response:
    account = check_csrf(request, form)
    account.require_admin("manage users")
    workspace = workspace_of(request)
    action = str(form.get("action", "create"))
    username = str(form.get("username", "")).strip()
    try:
        if action == "create":
            accounts.create_user(
                workspace,
                username,
                str(form.get("password", "")),
                admin=form.get("admin") == "on",
                display_name=str(form.get("display_name", "")).strip(),
                by=account.username,
            )
        elif action in ("make_admin", "remove_admin"):
            if username == account.username:
                raise Forbidden("you cannot change your own admin rights")
            accounts.set_admin(workspace, username, action == "make_admin", by=account.username)
        elif action in ("disable", "enable"):
            if username == account.username:
                raise Forbidden("you cannot disable yourself")
            accounts.set_active(workspace, username, action == "enable", by=account.username)
        elif action == "role":
            mission_id = str(form.get("mission", "")).strip()
            role = str(form.get("role", ""))
            if role not in (
                "",
                "none",
            ):  # a role on a mission that does not exist would wait for one to be made
                mission_service.get_mission(workspace, mission_id)
            accounts.set_role(workspace, username, mission_id, role, by=account.username)
        else:
            raise InputError(Problem("request", None, "action", f"unknown action {action!r}"))
    except InputError as exc:
        return render(
            request, "admin_users.html", status_code=422, users=accounts.list_users(workspace), error=str(exc)
        )
    return redirect("/admin/users", "user")


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, entity: str = "", entity_id: str = "", actor: str = "", action: str = "", page: int = 1
) -> Response:
    require_account(request).require_admin("browse the audit log")
    with workspace_of(request).reading() as session:
        events = explorer.audit_events(
            session, entity=entity, entity_id=entity_id, actor=actor, action=action, page=max(1, page)
        )
    filters = {"entity": entity, "entity_id": entity_id, "actor": actor, "action": action}
    return render(
        request,
        "admin_audit.html",
        events=events,
        filters=filters,
        qs=lambda **changes: urlencode({k: v for k, v in {**filters, **changes}.items() if v}),
    )


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    schema = request.app.openapi()
    return render(request, "api_docs.html", schema=schema)
