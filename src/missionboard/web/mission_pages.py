"""Mission pages: the list, a mission's tree, its slow sections and printable report, the editor (form
and YAML), history, members, creating and deleting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from missionboard.domain.missions import Direction, Mission, MissionStatus, MissionVersion
from missionboard.domain.portfolio_rule import DEFAULT_RULE
from missionboard.domain.story import NO_WEAK_LINK
from missionboard.errors import EditConflict, InputError, LoginRequired, NotAvailable, Problem
from missionboard.services import accounts, explorer, learning
from missionboard.services import missions as mission_service
from missionboard.services.accounts import Role
from missionboard.services.missions import dump_mission, parse_mission
from missionboard.services.story import mission_story
from missionboard.web import charts, forms, vocabulary
from missionboard.web.figures import (
    SECTIONS,
    clear_caches,
    insights,
    portfolio_figures,
    quality,
    section,
    tree_data,
    visible_mission,
)
from missionboard.web.logic_diagram import logic_chain, logic_svg
from missionboard.web.rendering import check_csrf, redirect, render
from missionboard.web.security import caller, require_account, workspace_of

router = APIRouter(include_in_schema=False)


EVERY_ROW = 1_000_000
"""The printable report is the complete record: its lists stop here (in practice, never)."""


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
        names=vocabulary.mission_names(current.mission),
        diagram=logic_svg(current.mission) if current.mission.logic else "",
        chain=logic_chain(current.mission) if current.mission.logic else [],
    )


@router.get("/missions/{mission_id}/story", response_class=HTMLResponse)
def mission_story_page(request: Request, mission_id: str) -> Response:
    """The contribution story: the logic walked from money and measures to the targets, and the diagram."""
    current = visible_mission(request, mission_id)
    return render(
        request,
        "story.html",
        version=current,
        mission=current.mission,
        story=mission_story(workspace_of(request), mission_id),
        no_weak_link=NO_WEAK_LINK,
        diagram=logic_svg(current.mission),
        chain=logic_chain(current.mission),
    )


@router.get("/missions/{mission_id}/story.md")
def mission_story_markdown(request: Request, mission_id: str) -> Response:
    """The contribution story as Markdown, as ``missionboard story MISSION --format md`` prints it."""
    visible_mission(request, mission_id)
    return Response(
        mission_story(workspace_of(request), mission_id).to_markdown(),
        media_type="text/markdown; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{mission_id}-story.md"'},
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
        network_chart=charts.network_chart,
        names=vocabulary.mission_names(current.mission),
    )


@router.get("/missions/{mission_id}/report", response_class=HTMLResponse)
def mission_report(request: Request, mission_id: str) -> Response:
    current = visible_mission(request, mission_id)
    with workspace_of(request).reading() as session:  # the report lists every decision, not the latest
        decisions = explorer.mission_decisions(session, current.mission, limit=EVERY_ROW)
    return render(
        request,
        "report.html",
        version=current,
        mission=current.mission,
        **{**tree_data(request, current, limit=10), "decisions": decisions},
        network_chart=charts.network_chart,
        names=vocabulary.mission_names(current.mission),
        check=quality(request, mission_id),
        insights=insights(request, mission_id),
        story=mission_story(workspace_of(request), mission_id),
        no_weak_link=NO_WEAK_LINK,
        learning_notes=[note.to_dict() for note in learning.notes(workspace_of(request), mission_id)],
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
