"""The portfolio explorer: the project list with its filters and facets, its CSV and XLSX exports, and a
project's page (its links, health, gates and decisions as the caller may see them)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from missionboard.domain.mapping import mission_of_taxonomy
from missionboard.domain.missions import MissionVersion
from missionboard.errors import InputError, MissionboardError, Problem
from missionboard.services import accounts, explorer, reports
from missionboard.services import decisions as decision_service
from missionboard.services import missions as mission_service
from missionboard.services.accounts import Account, Role
from missionboard.store.workspace import Session
from missionboard.web import vocabulary
from missionboard.web.figures import current_missions
from missionboard.web.rendering import render
from missionboard.web.security import changes, require_account, workspace_of

router = APIRouter(include_in_schema=False)


XLSX_LIMIT = 100_000


def _refuse_hidden_goal(account: Account, view: explorer.ProjectFilter, hidden: set[str]) -> None:
    mission = mission_of_taxonomy(view.goal.rpartition("/")[0])
    if mission is not None and mission in hidden:
        account.require(mission, Role.VIEWER, "filter by this mission's goals")
    if view.mission and view.mission in hidden:
        account.require(view.mission, Role.VIEWER, "list this mission's portfolio")


def export_view(request: Request) -> tuple[explorer.ProjectFilter, set[str] | None]:
    """The explorer view to export, once the caller may see everything it filters by, and the missions
    whose links count in it (None: all)."""
    account = require_account(request)
    view = explorer.ProjectFilter.from_params(request.query_params)
    _refuse_hidden_goal(account, view, hidden_missions(request, account))
    visible = accounts.visible_missions(workspace_of(request), account)
    return view, None if visible is None else set(visible)


def hidden_missions(
    request: Request, account: Account, missions: Iterable[MissionVersion] | None = None
) -> set[str]:
    """Missions whose existence and links the account may not see (``missions``: every mission's current
    version, where the caller holds them already)."""
    if account.is_admin:
        return set()
    return {
        v.mission_id
        for v in (mission_service.list_missions(workspace_of(request)) if missions is None else missions)
        if not accounts.may_see(account, v)
    }


@router.get("/projects", response_class=HTMLResponse)
def explorer_page(request: Request) -> Response:
    account = require_account(request)
    workspace = workspace_of(request)
    try:
        view = explorer.ProjectFilter.from_params(request.query_params)
        problems: list[Problem] = []
    except InputError as exc:
        view, problems = explorer.ProjectFilter(), exc.problems
    written = changes(request)  # before the page's reads: what they show is at least this recent
    every_mission = current_missions(request)
    hidden = hidden_missions(request, account, every_mission)
    _refuse_hidden_goal(account, view, hidden)
    visible = accounts.visible_missions(workspace, account, every_mission)
    with workspace.reading() as session:
        try:
            page = _page(request, session, written, view, visible)
        except InputError as exc:  # e.g. a mission that does not exist: say so, show everything
            view, problems = explorer.ProjectFilter(), exc.problems
            page = _page(request, session, written, view, visible)
        summary = _view_summary(request, session, written, view, visible)
    facets = request.app.state.facets.get("facets", lambda: explorer.facets(workspace))
    if visible is not None:  # goals of hidden (or deleted) missions are not offered
        facets = dataclasses.replace(facets, goal=explorer.visible_goals(facets.goal, visible))
    return render(
        request,
        "explorer.html",
        view=view,
        page=page,
        summary=summary,
        facets=facets,
        problems=problems,
        sorts=list(explorer.SORTS),
        statuses=explorer.LINK_STATUSES,
        project_statuses=explorer.PROJECT_STATUSES,
        missions=[(v.mission_id, v.mission.title) for v in every_mission if v.mission_id not in hidden],
        per_page_choices=explorer.PER_PAGE_CHOICES,
        qs=lambda **changes: urlencode(view.params(**changes)),
    )


def _page(
    request: Request,
    session: Session,
    written: int,
    view: explorer.ProjectFilter,
    visible: Collection[str] | None,
) -> explorer.Page[explorer.ProjectSummary]:
    """The view's page; how many projects the view holds is counted once for all its pages and orders
    (kept as its charts are: 1.7 ms a page on 1M projects)."""
    key = ("count", *_view_key(written, view, visible))
    return explorer.query_projects(
        session,
        view,
        visible,
        matching=lambda: request.app.state.summaries.get(
            key, lambda: explorer.count_projects(session, view, visible)
        ),
    )


def _view_summary(
    request: Request,
    session: Session,
    written: int,
    view: explorer.ProjectFilter,
    visible: Collection[str] | None,
) -> explorer.ViewSummary:
    """The charts of the view, computed once for all its pages and orders while nothing is written: over
    a large selection they read every matching project (~1 s for 166,000 of 1M)."""
    summary: explorer.ViewSummary = request.app.state.summaries.get(
        _view_key(written, view, visible), lambda: explorer.view_summary(session, view, visible)
    )
    return summary


def _view_key(
    written: int, view: explorer.ProjectFilter, visible: Collection[str] | None
) -> tuple[object, ...]:
    """What a figure of the whole view is kept by: the workspace's count of writes read before the
    request's reads (so a figure is kept by a count no newer than what it read, and a kept one is exact:
    any write, here or in another process, makes the next request compute it afresh), the selection and
    the missions whose links count."""
    return (
        written,
        view.selection,
        None if visible is None else tuple(sorted(visible)),
    )


@router.get("/projects/export.csv")
def explorer_csv(request: Request) -> Response:
    view, visible = export_view(request)
    workspace = workspace_of(request)

    def lines() -> Iterator[str]:
        with workspace.reading() as session:
            rows = explorer.iter_projects(session, view, visible=visible)
            yield from reports.csv_chunks(explorer.EXPORT_COLUMNS, map(_export_row, rows))

    return StreamingResponse(
        lines(),
        media_type=reports.CSV_MEDIA_TYPE,
        headers={"content-disposition": 'attachment; filename="projects.csv"'},
    )


def _export_row(row: explorer.ProjectSummary) -> list[object]:
    values: Mapping[str, object] = row
    return [values[c] for c in explorer.EXPORT_COLUMNS]


@router.get("/projects/export.json")
def explorer_json(request: Request) -> Response:
    """The view's rows as a JSON array, with the columns of the CSV export."""
    view, visible = export_view(request)
    workspace = workspace_of(request)

    def chunks() -> Iterator[str]:
        with workspace.reading() as session:
            yield "["
            for i, row in enumerate(explorer.iter_projects(session, view, visible=visible)):
                values: Mapping[str, object] = row
                item = {c: values[c] for c in explorer.EXPORT_COLUMNS}
                yield ("," if i else "") + json.dumps(item, default=str, ensure_ascii=False)
            yield "]"

    return StreamingResponse(
        chunks(),
        media_type="application/json",
        headers={"content-disposition": 'attachment; filename="projects.json"'},
    )


@router.get("/projects/export.xlsx")
def explorer_xlsx(request: Request) -> Response:
    view, visible = export_view(request)
    with workspace_of(request).reading() as session:
        rows = explorer.iter_projects(session, view, visible=visible, limit=XLSX_LIMIT)
        data = reports.xlsx_bytes("projects", explorer.EXPORT_COLUMNS, map(_export_row, rows))
    return Response(
        data,
        media_type=reports.XLSX_MEDIA_TYPE,
        headers={"content-disposition": 'attachment; filename="projects.xlsx"'},
    )


@router.get("/projects/{ref}", response_class=HTMLResponse)
def project_page(request: Request, ref: str) -> Response:
    """One project, by its number; ``source:source_id`` (as the CLI prints it) or a source id redirects
    to it."""
    account = require_account(request)
    workspace = workspace_of(request)
    project_id = explorer.project_id_of(workspace, ref)
    if ref != str(project_id):
        return RedirectResponse(f"/projects/{project_id}", status_code=307)
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
        names=_mission_names(workspace, project, health),
        health=health,
        may_decide=may_decide,
        may_rule=account.is_admin or any(account.has(m, Role.OWNER) for m in missions),
        kinds=["continue", "pivot", "scale", "stop"],
        **_project_gates(workspace, project_id),
    )


def _mission_names(workspace: Any, project: Mapping[str, Any], health: Mapping[str, Any]) -> dict[str, str]:
    """The ids the page shows in words: each linked mission's taxonomy, id and objectives by title (the
    links the page lists are those the caller may see)."""
    shown = {mission_of_taxonomy(str(link["taxonomy"])) for link in project.get("links") or []}
    shown |= {str(m["mission"]) for m in health.get("missions") or []}
    names: dict[str, str] = {}
    for mission_id in sorted(m for m in shown if m):
        try:
            names |= vocabulary.mission_names(mission_service.get_mission(workspace, mission_id).mission)
        except MissionboardError:  # deleted since it was linked: its codes stay as they are
            continue
    return names


def _project_gates(workspace: Any, project_id: int) -> dict[str, Any]:
    """The project's gates and its decisions with their gates, criteria and appeals (no evidence: the
    page shows that, filtered, from ``project.decisions``)."""
    calendar = decision_service.project_gates(workspace, str(project_id))
    log = [e.to_dict(evidence=False) for e in decision_service.project_decisions(workspace, project_id)]
    return {"gates": calendar.to_dict()["gates"], "decision_log": log}


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
