"""Server-rendered pages. Each handler reads, checks who may do what, calls one service, renders.

Handlers that change something take a posted form, check its CSRF token against the session, authorise
the caller on the server, and redirect (303) to a page that shows the result.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from missionboard.domain.mapping import mission_of_taxonomy, mission_taxonomy
from missionboard.domain.missions import Direction, Mission, MissionStatus, MissionVersion
from missionboard.domain.portfolio_rule import DEFAULT_RULE
from missionboard.errors import (
    CsrfFailed,
    EditConflict,
    Forbidden,
    InputError,
    LoginRequired,
    MissionboardError,
    NotAvailable,
    Problem,
)
from missionboard.missionfile import dump_mission, parse_mission
from missionboard.reports import spreadsheets
from missionboard.services import accounts, explorer
from missionboard.services import analytics as analytics_service
from missionboard.services import decisions as decision_service
from missionboard.services import missions as mission_service
from missionboard.services import monitoring as monitoring_service
from missionboard.services.accounts import Account, Role
from missionboard.services.portfolio import read_portfolio
from missionboard.store.workspace import Workspace
from missionboard.web import forms
from missionboard.web.actions import FORMATS
from missionboard.web.app import templates
from missionboard.web.security import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    caller,
    client_address,
    require_account,
    same_secret,
    workspace_of,
)

router = APIRouter(include_in_schema=False)

MESSAGES = {
    "saved": "Saved.",
    "unchanged": "Nothing changed, so no new version was written.",
    "created": "Created.",
    "deleted": "Deleted.",
    "reviewed": "Review recorded.",
    "role": "Role updated.",
    "token": "Token revoked.",
    "user": "User updated.",
    "imported": "Import finished.",
    "decision": "Decision recorded.",
    "gate": "Gate scheduled.",
    "appeal": "Appeal lodged.",
    "ruling": "Appeal ruled on.",
    "password": "Password changed.",
}
XLSX_LIMIT = 100_000
NEW_MISSION = """mission:
  id: my-mission
  title: A bold, measurable mission title
  challenge: The societal challenge it answers
  statement: By 2030, reach a measurable target in a given place.
  owner: Agency or person accountable
  deadline: 2030-12-31
  objectives:
    - id: first-objective
      title: What must change
      indicator: {id: my-indicator, name: What is measured, unit: unit}
      baseline: {value: 100, year: 2024}
      target: {value: 50, year: 2030}
"""


# --- helpers -------------------------------------------------------------------------------------


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    who = caller(request)
    context.setdefault("me", who.account)
    context.setdefault("csrf", who.csrf)
    context.setdefault("message", MESSAGES.get(request.query_params.get("msg", ""), ""))
    context.setdefault("path", request.url.path)
    response: HTMLResponse = templates.TemplateResponse(request, name, context, status_code=status_code)
    return response


def redirect(url: str, msg: str | None = None) -> RedirectResponse:
    if msg:
        url += ("&" if "?" in url else "?") + urlencode({"msg": msg})
    return RedirectResponse(url, status_code=303)


def check_csrf(request: Request, form: FormData) -> Account:
    """The logged-in account, once the form's CSRF token matches its session."""

    who = caller(request)
    if who.account is None:
        raise LoginRequired("log in first")
    sent = str(form.get(CSRF_FIELD, ""))
    if who.via != "session" or not same_secret(sent, who.csrf):
        raise CsrfFailed("the form's security token is missing or out of date; reload the page and try again")
    return who.account


def clear_caches(request: Request, mission_id: str | None = None) -> None:
    """After a write: figures of the mission it changed are recomputed now, others refreshed in the background."""
    cache = request.app.state.cache
    if mission_id is not None:
        cache.drop(lambda key: isinstance(key, tuple) and len(key) > 1 and key[1] == mission_id)
    cache.drop(lambda key: isinstance(key, tuple) and key[0] == "tree")
    cache.expire()
    request.app.state.facets.expire()


def visible_mission(request: Request, mission_id: str, version: int | None = None) -> MissionVersion:
    """The mission, if the caller may see it: public missions for anyone, others for members and admins."""
    current = mission_service.get_mission(workspace_of(request), mission_id)
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


def _refuse_hidden_goal(account: Account, view: explorer.ProjectFilter, hidden: set[str]) -> None:
    mission = mission_of_taxonomy(view.goal.rpartition("/")[0])
    if mission is not None and mission in hidden:
        account.require(mission, Role.VIEWER, "filter by this mission's goals")


def export_view(request: Request) -> tuple[explorer.ProjectFilter, set[str] | None]:
    """The explorer view to export, once the caller may see everything it filters by, and the missions
    whose links count in it (None: all)."""
    account = require_account(request)
    view = explorer.ProjectFilter.from_params(request.query_params)
    _refuse_hidden_goal(account, view, hidden_missions(request, account))
    visible = accounts.visible_missions(workspace_of(request), account)
    return view, None if visible is None else set(visible)


def hidden_missions(request: Request, account: Account) -> set[str]:
    """Missions whose existence and links the account may not see."""
    if account.is_admin:
        return set()
    return {
        v.mission_id
        for v in mission_service.list_missions(workspace_of(request))
        if not accounts.may_see(account, v)
    }


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


# --- logging in ----------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    import secrets

    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, "login.html", next=_safe_next(next), login_csrf=token, error="")
    _set_login_cookie(request, response, token)
    return response


def _set_login_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.config.secure_cookies,
        max_age=3600,
    )


def _safe_next(target: str) -> str:
    """Only same-site paths: never redirect a login to another host."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.post("/login")
async def login_post(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_login, request, form)


def _login(request: Request, form: FormData) -> Response:

    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    sent = str(form.get(CSRF_FIELD, ""))
    if not same_secret(sent, cookie):
        raise CsrfFailed("the login form's security token is missing or out of date; reload the page")
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    next_url = _safe_next(str(form.get("next", "/")))
    try:
        account = accounts.authenticate(
            workspace_of(request), username, password, address=client_address(request)
        )
    except accounts.AuthenticationFailed as exc:
        status = 429 if isinstance(exc, accounts.TooManyAttempts) else 401
        response = render(
            request,
            "login.html",
            status_code=status,
            next=next_url,
            login_csrf=cookie,
            error=str(exc),
            username=username,
        )
        if isinstance(exc, accounts.TooManyAttempts):
            response.headers["retry-after"] = str(exc.retry_after)
        return response
    secret, _csrf = accounts.start_session(workspace_of(request), account)
    done = redirect(next_url)
    done.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=request.app.state.config.secure_cookies,
        max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
    )
    done.delete_cookie(LOGIN_CSRF_COOKIE)
    return done


@router.post("/logout")
async def logout_post(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_logout, request, form)


def _logout(request: Request, form: FormData) -> Response:
    check_csrf(request, form)
    accounts.end_session(workspace_of(request), request.cookies.get(SESSION_COOKIE, ""))
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


# --- missions ------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def missions_page(request: Request) -> Response:
    account = caller(request).account
    workspace = workspace_of(request)
    visible = [v for v in mission_service.list_missions(workspace) if accounts.may_see(account, v)]
    if account is None and not visible:
        raise LoginRequired("log in first")
    portfolios = {v.mission_id: portfolio_figures(request, v) for v in visible}
    statuses = {v.mission_id: section(request, v.mission_id, "monitoring") for v in visible}
    return render(
        request,
        "missions.html",
        missions=visible,
        sizes={m: p["projects"] for m, p in portfolios.items()},
        portfolios=portfolios,
        portfolio_rule=DEFAULT_RULE.describe(),
        statuses=statuses,
    )


@router.get("/missions/new", response_class=HTMLResponse)
def new_mission_page(request: Request) -> Response:
    require_account(request).require_admin("create missions")
    return render(request, "mission_new.html", text=NEW_MISSION, problems=[])


@router.post("/missions/new")
async def new_mission_post(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_new_mission, request, form)


def _new_mission(request: Request, form: FormData) -> Response:
    account = check_csrf(request, form)
    account.require_admin("create missions")
    text = str(form.get("yaml", ""))
    workspace = workspace_of(request)
    try:
        mission = parse_mission(text, "<editor>")
        mission_service.create_mission(
            workspace, mission, user=account.username, origin="web", comment="created in the web app"
        )
    except InputError as exc:
        return render(request, "mission_new.html", status_code=422, text=text, problems=exc.problems)
    clear_caches(request, mission.id)
    return redirect(f"/missions/{mission.id}", "created")


def tree_data(request: Request, current: MissionVersion, limit: int = 5) -> dict[str, Any]:
    """The mission tree's figures: links per objective, the strongest projects, portfolio size, decisions."""
    return _tree_data(request.app.state.cache, workspace_of(request), current, limit)


def _tree_data(cache: Any, workspace: Any, current: MissionVersion, limit: int = 5) -> dict[str, Any]:
    mission_id = current.mission_id
    mission = current.mission
    objectives = [o.id for o in mission.objectives]

    def compute() -> dict[str, Any]:
        with workspace.reading() as session:
            return {
                "counts": explorer.objective_links(session, mission),
                "tops": {o: explorer.top_projects(session, mission, o, limit=limit) for o in objectives},
                "size": explorer.portfolio_size(session, mission),
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
        with workspace.reading() as session:
            found = read_portfolio(session, current.mission)
        return {**found.to_dict(), "line": found.line()}

    key = ("tree", current.mission_id, current.version, "portfolio")
    return cache.get(key, compute)  # type: ignore[no-any-return]


@router.get("/missions/{mission_id}", response_class=HTMLResponse)
def mission_page(request: Request, mission_id: str) -> Response:
    current = visible_mission(request, mission_id)
    return render(
        request,
        "mission.html",
        version=current,
        mission=current.mission,
        **tree_data(request, current),
        account=caller(request).account,
    )


@router.get("/missions/{mission_id}/insights", response_class=HTMLResponse)
def mission_insights(request: Request, mission_id: str, fragment: bool = False, part: str = "") -> Response:
    """The slow sections: quality check, analytics, monitoring (all, or one ``part`` for the page's fragments)."""
    current = visible_mission(request, mission_id)
    if part not in ("", "quality", "analytics", "monitoring"):
        raise InputError(Problem("query", None, "part", "must be quality, analytics or monitoring"))
    if not fragment:
        part = ""  # the full page shows every section
    template = f"_{part}.html" if part else ("_insights.html" if fragment else "insights.html")
    return render(
        request,
        template,
        mission=current.mission,
        insights={key: section(request, mission_id, key) for key in SECTIONS if part in ("", key)},
        check=quality(request, mission_id) if part in ("", "quality") else None,
    )


@router.get("/missions/{mission_id}/report", response_class=HTMLResponse)
def mission_report(request: Request, mission_id: str) -> Response:
    current = visible_mission(request, mission_id)
    return render(
        request,
        "report.html",
        version=current,
        mission=current.mission,
        **tree_data(request, current, limit=10),
        check=quality(request, mission_id),
        insights=insights(request, mission_id),
    )


@router.get("/missions/{mission_id}/report.pdf")
def mission_report_pdf(request: Request, mission_id: str) -> Response:
    """The printable report as PDF (WeasyPrint; only the app's own stylesheets are read, nothing fetched)."""
    html = bytes(mission_report(request, mission_id).body).decode("utf-8")
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError) as exc:  # OSError: the Pango library is missing
        raise NotAvailable(f"PDF reports need WeasyPrint and the Pango library: {exc}") from exc
    here = Path(__file__).parent
    html = html.replace('href="/static/', 'href="static/').replace('src="/static/', 'src="static/')
    fetcher = URLFetcher(allowed_protocols={"file"}, timeout=5)
    pdf = HTML(string=html, base_url=here.as_uri() + "/", url_fetcher=fetcher).write_pdf()
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{mission_id}-report.pdf"'},
    )


@router.get("/missions/{mission_id}/export.yaml")
def mission_yaml(request: Request, mission_id: str, version: int | None = None) -> Response:
    visible_mission(request, mission_id)
    text = mission_service.export_mission(workspace_of(request), mission_id, version)
    return Response(
        text,
        media_type="application/yaml; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{mission_id}.yaml"'},
    )


def _editor(
    request: Request,
    current: MissionVersion,
    *,
    status_code: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    text: str | None = None,
    problems: list[Problem] | None = None,
    tab: str = "form",
) -> HTMLResponse:
    values = values or forms.form_values(current.mission)
    if not values["objectives"] or any(values["objectives"][-1].get(k) for k in forms.OBJECTIVE_FIELDS):
        values["objectives"].append({name: "" for name in (*forms.OBJECTIVE_FIELDS, "orig")})
    return render(
        request,
        "mission_edit.html",
        status_code=status_code,
        version=current,
        mission=current.mission,
        values=values,
        errors=errors or {},
        text=text if text is not None else dump_mission(current.mission),
        problems=problems or [],
        tab=tab,
        statuses=[s.value for s in MissionStatus],
        directions=[d.value for d in Direction],
    )


@router.get("/missions/{mission_id}/edit", response_class=HTMLResponse)
def mission_edit_page(request: Request, mission_id: str) -> Response:
    current = visible_mission(request, mission_id)
    require_account(request).require(mission_id, Role.EDITOR, "edit this mission")
    return _editor(request, current)


@router.post("/missions/{mission_id}/edit")
async def mission_edit_post(request: Request, mission_id: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_edit_form, request, mission_id, form)


def _edit_form(request: Request, mission_id: str, form: FormData) -> Response:
    account = check_csrf(request, form)
    account.require(mission_id, Role.EDITOR, "edit this mission")
    current = mission_service.get_mission(workspace_of(request), mission_id)
    rows = forms.whole_number(form.get("rows"), default=0, highest=200)
    values = forms.posted_values(form, min(rows, 200))
    mission, errors = forms.mission_from_form(current.mission, values)
    if mission is not None and mission.id != mission_id:
        mission, errors = None, {forms.FORM_ERROR: "the mission id cannot change"}
    if mission is None:
        if forms.FORM_ERROR in errors and "deadline" in errors[forms.FORM_ERROR]:
            errors["deadline"] = errors.pop(forms.FORM_ERROR)
        return _editor(request, current, status_code=422, values=values, errors=errors)
    try:
        return _save_edit(request, current, mission, account.username, form)
    except (EditConflict, InputError) as exc:
        status = 409 if isinstance(exc, EditConflict) else 422
        return _editor(
            request, current, status_code=status, values=values, errors={forms.FORM_ERROR: str(exc)}
        )


def _save_edit(
    request: Request, current: MissionVersion, mission: Mission, user: str, form: FormData
) -> Response:
    """Store an edit from the form or the YAML tab; a new version only when something changed, and none
    when another was saved since the editor opened (``base_version``): ``EditConflict``."""
    base = None
    if "base_version" in form:  # the editor's forms always send it; a script's post may not
        base = forms.whole_number(form.get("base_version"), default=0, highest=1_000_000_000)
        if base < 1:
            raise InputError(
                Problem("<editor>", None, "base_version", "must be the version the edit started from")
            )
    saved = mission_service.save_mission(
        workspace_of(request),
        mission,
        user=user,
        origin="web",
        comment=str(form.get("comment", "")),
        base_version=base,
    )
    clear_caches(request, mission.id)
    return redirect(f"/missions/{mission.id}", "saved" if saved.version != current.version else "unchanged")


@router.post("/missions/{mission_id}/yaml")
async def mission_yaml_post(request: Request, mission_id: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_edit_yaml, request, mission_id, form)


def _edit_yaml(request: Request, mission_id: str, form: FormData) -> Response:
    account = check_csrf(request, form)
    account.require(mission_id, Role.EDITOR, "edit this mission")
    current = mission_service.get_mission(workspace_of(request), mission_id)
    text = str(form.get("yaml", ""))
    try:
        mission = parse_mission(text, "<editor>")
        if mission.id != mission_id:
            raise InputError(
                Problem("<editor>", None, "mission.id", f"must stay '{mission_id}' (the id cannot change)")
            )
    except InputError as exc:
        return _editor(request, current, status_code=422, text=text, problems=exc.problems, tab="yaml")
    try:
        return _save_edit(request, current, mission, account.username, form)
    except EditConflict as exc:
        problem = Problem("<editor>", None, "", str(exc))
        return _editor(request, current, status_code=409, text=text, problems=[problem], tab="yaml")
    except InputError as exc:
        return _editor(request, current, status_code=422, text=text, problems=exc.problems, tab="yaml")


@router.post("/missions/{mission_id}/delete")
async def mission_delete_post(request: Request, mission_id: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_delete, request, mission_id, form)


def _delete(request: Request, mission_id: str, form: FormData) -> Response:
    account = check_csrf(request, form)
    account.require(mission_id, Role.OWNER, "delete this mission")
    mission_service.delete_mission(workspace_of(request), mission_id, user=account.username)
    accounts.forget_mission(workspace_of(request), mission_id, by=account.username)
    clear_caches(request, mission_id)
    return redirect("/", "deleted")


@router.get("/missions/{mission_id}/history", response_class=HTMLResponse)
def mission_history_page(
    request: Request, mission_id: str, a: int | None = None, b: int | None = None
) -> Response:
    current = visible_mission(request, mission_id)
    workspace = workspace_of(request)
    versions = mission_service.mission_history(workspace, mission_id)
    diff = None
    if len(versions) > 1 or (a is not None and b is not None):
        diff = mission_service.diff_versions(workspace, mission_id, a, b)
    return render(
        request,
        "mission_history.html",
        version=current,
        mission=current.mission,
        versions=versions,
        diff=diff,
    )


@router.get("/missions/{mission_id}/members", response_class=HTMLResponse)
def mission_members_page(request: Request, mission_id: str) -> Response:
    current = visible_mission(request, mission_id)
    require_account(request).require(mission_id, Role.OWNER, "manage this mission's members")
    members = accounts.mission_members(workspace_of(request), mission_id)
    return render(
        request,
        "mission_members.html",
        mission=current.mission,
        members=members,
        roles=[r.value for r in Role],
    )


@router.post("/missions/{mission_id}/members")
async def mission_members_post(request: Request, mission_id: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_members, request, mission_id, form)


def _members(request: Request, mission_id: str, form: FormData) -> Response:
    account = check_csrf(request, form)
    account.require(mission_id, Role.OWNER, "manage this mission's members")
    mission_service.get_mission(workspace_of(request), mission_id)
    accounts.set_role(
        workspace_of(request),
        str(form.get("username", "")).strip(),
        mission_id,
        str(form.get("role", "")),
        by=account.username,
    )
    return redirect(f"/missions/{mission_id}/members", "role")


# --- portfolio -----------------------------------------------------------------------------------


@router.get("/projects", response_class=HTMLResponse)
def explorer_page(request: Request) -> Response:
    account = require_account(request)
    workspace = workspace_of(request)
    try:
        view = explorer.ProjectFilter.from_params(request.query_params)
        problems: list[Problem] = []
    except InputError as exc:
        view, problems = explorer.ProjectFilter(), exc.problems
    hidden = hidden_missions(request, account)
    _refuse_hidden_goal(account, view, hidden)
    visible = accounts.visible_missions(workspace, account)
    with workspace.reading() as session:
        page = explorer.query_projects(session, view, visible)
    facets = request.app.state.facets.get("facets", lambda: explorer.facets(workspace))
    if visible is not None:  # goals of hidden (or deleted) missions are not offered
        facets = dataclasses.replace(facets, goal=explorer.visible_goals(facets.goal, visible))
    return render(
        request,
        "explorer.html",
        view=view,
        page=page,
        facets=facets,
        problems=problems,
        sorts=list(explorer.SORTS),
        statuses=explorer.LINK_STATUSES,
        per_page_choices=explorer.PER_PAGE_CHOICES,
        qs=lambda **changes: urlencode(view.params(**changes)),
    )


@router.get("/projects/export.csv")
def explorer_csv(request: Request) -> Response:
    view, visible = export_view(request)
    workspace = workspace_of(request)

    def lines() -> Iterator[str]:
        with workspace.reading() as session:
            rows = explorer.iter_projects(session, view, visible=visible)
            yield from spreadsheets.csv_chunks(explorer.EXPORT_COLUMNS, map(_export_row, rows))

    return StreamingResponse(
        lines(),
        media_type=spreadsheets.CSV_MEDIA_TYPE,
        headers={"content-disposition": 'attachment; filename="projects.csv"'},
    )


def _export_row(row: dict[str, Any]) -> list[Any]:
    return [row[c] for c in explorer.EXPORT_COLUMNS]


@router.get("/projects/export.xlsx")
def explorer_xlsx(request: Request) -> Response:
    view, visible = export_view(request)
    with workspace_of(request).reading() as session:
        rows = explorer.iter_projects(session, view, visible=visible, limit=XLSX_LIMIT)
        data = spreadsheets.xlsx_bytes("projects", explorer.EXPORT_COLUMNS, map(_export_row, rows))
    return Response(
        data,
        media_type=spreadsheets.XLSX_MEDIA_TYPE,
        headers={"content-disposition": 'attachment; filename="projects.xlsx"'},
    )


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project_page(request: Request, project_id: int) -> Response:
    account = require_account(request)
    workspace = workspace_of(request)
    visible = accounts.visible_missions(workspace, account)  # the rest leave no trace on the page
    with workspace.reading() as session:
        project = explorer.project_detail(session, project_id, missions=visible)
        missions = explorer.projects_missions(session, project_id)
    health = _project_health(workspace, project_id)
    if "evidence" in health:
        health["evidence"] = explorer.visible_evidence(health["evidence"], visible)
        health["missions"] = _health_by_mission(health["evidence"])
    may_decide = account.is_admin or any(account.has(m, Role.EDITOR) for m in missions)
    return render(
        request,
        "project.html",
        project=project,
        health=health,
        may_decide=may_decide,
        may_rule=account.is_admin or any(account.has(m, Role.OWNER) for m in missions),
        kinds=["continue", "pivot", "scale", "stop"],
        **_project_gates(workspace, project_id),
    )


def _project_gates(workspace: Any, project_id: int) -> dict[str, Any]:
    """The project's gates and its decisions with their gates, criteria and appeals (no evidence: the
    page shows that, filtered, from ``project.decisions``)."""
    calendar = decision_service.project_gates(workspace, str(project_id))
    log = [e.to_dict(evidence=False) for e in decision_service.project_decisions(workspace, project_id)]
    return {"gates": calendar.to_dict()["gates"], "decision_log": log}


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


def _project_health(workspace: Any, project_id: int) -> dict[str, Any]:
    """Health flags and progress as monitoring judges them today (what a decision would freeze)."""
    import datetime as dt

    try:
        evidence = decision_service.project_evidence(
            workspace, project_id, as_of=dt.datetime.now(dt.UTC).date()
        )
    except MissionboardError as exc:
        return {"error": str(exc)}
    return {"evidence": evidence}


def _health_by_mission(evidence: dict[str, Any]) -> list[dict[str, Any]]:
    """The project's health as each (visible) mission judges it, in its own time: one entry per mission,
    read from the evidence's objectives (which carry their mission's judgement)."""
    found: dict[str, dict[str, Any]] = {}
    for objective in evidence.get("objectives") or []:
        mission = str(objective.get("mission", ""))
        if mission not in found and isinstance(objective.get("health"), dict):
            found[mission] = {"mission": mission, **objective["health"]}
    return list(found.values())


# --- review --------------------------------------------------------------------------------------


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


# --- import --------------------------------------------------------------------------------------


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request) -> Response:
    require_account(request).require_admin("import files")
    return render(
        request,
        "import.html",
        report=None,
        staged="",
        formats=FORMATS,
    )


@router.post("/import")
async def import_post(request: Request) -> Response:
    form = await request.form()
    upload = form.get("file")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    name = upload.filename if isinstance(upload, UploadFile) and upload.filename else ""
    return await run_in_threadpool(_import, request, form, name, content)


def _import(request: Request, form: FormData, name: str, content: bytes) -> Response:
    from missionboard.web.actions import guess_format, import_upload

    account = check_csrf(request, form)
    account.require_admin("import files")
    staged = str(form.get("staged", ""))
    confirm = form.get("confirm") == "1"
    report, staged = import_upload(
        workspace_of(request),
        account,
        name=name,
        content=content,
        staged=staged,
        format=str(form.get("format", "")) or guess_format(name),
        source=str(form.get("source", "")).strip() or None,
        on_error=str(form.get("on_error", "fail")),
        dry_run=not confirm,
    )
    if confirm:
        clear_caches(request)
    return render(
        request,
        "import.html",
        report=report,
        staged="" if confirm else staged,
        confirmed=confirm,
        format=str(form.get("format", "")) or guess_format(name),
        on_error=str(form.get("on_error", "fail")),
        source=str(form.get("source", "")),
        formats=FORMATS,
    )


# --- account and admin -----------------------------------------------------------------------------


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request) -> Response:
    account = require_account(request)
    tokens = accounts.list_tokens(workspace_of(request), account.username)
    return render(request, "account.html", tokens=tokens, new_token="")


@router.post("/account/tokens")
async def account_token_post(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_new_token, request, form)


def _new_token(request: Request, form: FormData) -> Response:
    account = check_csrf(request, form)
    expires = str(form.get("expires", "")).strip()
    token = accounts.create_token(
        workspace_of(request),
        account.username,
        str(form.get("name", "")).strip()[:100] or "script",
        by=account.username,
        expires_at=accounts.parse_expiry(expires) if expires else None,
        read_only=form.get("read_only") == "1",
    )
    tokens = accounts.list_tokens(workspace_of(request), account.username)
    return render(request, "account.html", tokens=tokens, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
async def account_revoke_post(request: Request, token_id: int) -> Response:
    form = await request.form()
    return await run_in_threadpool(_revoke, request, token_id, form)


def _revoke(request: Request, token_id: int, form: FormData) -> Response:
    account = check_csrf(request, form)
    accounts.revoke_token(workspace_of(request), account.username, token_id, by=account.username)
    return redirect("/account", "token")


@router.post("/account/password")
async def account_password_post(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_password, request, form)


def _password(request: Request, form: FormData) -> Response:
    account = check_csrf(request, form)
    workspace = workspace_of(request)
    accounts.authenticate(
        workspace, account.username, str(form.get("current", "")), address=client_address(request)
    )
    accounts.set_password(workspace, account.username, str(form.get("new", "")), by=account.username)
    response = redirect("/login", "password")
    response.delete_cookie(SESSION_COOKIE)
    return response


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
