"""The JSON API under /api/v1: the same services and the same authorisation as the pages.

Scripts authenticate with ``Authorization: Bearer TOKEN``; a browser session may call it too, sending
its CSRF token in ``X-CSRF-Token`` on every write. Lists are paginated with ``page`` and ``per_page``
and say whether their ``total`` is exact.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Annotated, Any, Literal, Protocol

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, Response, UploadFile
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from pydantic import BaseModel, Field

from missionboard.domain.mapping import mission_of_taxonomy
from missionboard.domain.missions import Mission, MissionVersion
from missionboard.domain.portfolio_rule import DEFAULT_RULE
from missionboard.domain.records import IngestFormat
from missionboard.errors import InputError, Problem
from missionboard.services import accounts, explorer
from missionboard.services import analytics as analytics_service
from missionboard.services import compare as compare_service
from missionboard.services import decisions as decision_service
from missionboard.services import missions as mission_service
from missionboard.services import monitoring as monitoring_service
from missionboard.services import story as story_service
from missionboard.services.accounts import Account, Role
from missionboard.services.missions import mission_document, parse_mission
from missionboard.store.workspace import Workspace
from missionboard.web import actions
from missionboard.web.api_models import (
    AccountList,
    AccountOut,
    AnalyticsOut,
    AuditPage,
    CompareOut,
    DecisionsOut,
    GateCalendarOut,
    ImportRefused,
    ImportReport,
    ImportRunList,
    LinkPage,
    MemberList,
    MissionDiffOut,
    MissionList,
    MissionVersionOut,
    MonitorOut,
    PortfolioOut,
    ProjectDecisions,
    ProjectDetail,
    ProjectPage,
    QualityOut,
    ReviewedLink,
    StoryOut,
    VersionList,
)
from missionboard.web.figures import clear_caches, portfolio_figures
from missionboard.web.responses import COMMON, errors
from missionboard.web.security import caller, check_api_csrf, require_account, workspace_of

bearer = HTTPBearer(
    auto_error=False, description="An API token from the account page or `missionboard users token`"
)


class ApiRoute(APIRoute):
    """A route of the API: it answers its ``response_model`` (``web.api_models``) with exactly the keys the
    route returned, so a key a route leaves out stays out instead of coming back as null."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        options["response_model_exclude_unset"] = True
        super().__init__(path, endpoint, **options)


router = APIRouter(
    dependencies=[Depends(bearer), Depends(check_api_csrf)], responses=errors(*COMMON), route_class=ApiRoute
)

MissionId = Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_.-]{0,79}$")]
RowId = Annotated[int, Path(ge=1, le=2**62)]
ProjectRef = Annotated[
    str,
    Path(
        max_length=1000,
        description="The project's number, SOURCE:SOURCE_ID as the CLI prints it, or a source id",
    ),
]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
PerPage = Annotated[int, Query(ge=1, le=500)]


def _clear(request: Request, mission_id: str | None = None) -> None:
    clear_caches(request, mission_id)


def _version_dict(version: MissionVersion, *, with_mission: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": version.mission_id,
        "version": version.version,
        "author": version.author,
        "created_at": version.created_at.isoformat(),
        "comment": version.comment,
    }
    if with_mission:
        data["mission"] = mission_document(version.mission)
    return data


def _visible(request: Request, mission_id: str) -> MissionVersion:
    current = mission_service.get_mission(workspace_of(request), mission_id)
    if not current.mission.public:
        require_account(request).require(mission_id, Role.VIEWER, "view this mission")
    return current


def _visible_missions(request: Request, account: Account | None) -> list[str] | None:
    """Mission ids whose links the caller may read; None means all (admins)."""
    visible = accounts.visible_missions(workspace_of(request), account)
    return None if visible is None else sorted(visible)


# --- who am I ---------------------------------------------------------------------------------------


@router.get("/me", summary="The account behind the token or session", response_model=AccountOut)
def me(request: Request) -> dict[str, Any]:
    return require_account(request).as_dict()


# --- missions ----------------------------------------------------------------------------------------


@router.get(
    "/missions",
    summary="Missions the caller may see, with their portfolios' sizes and money",
    response_model=MissionList,
)
def list_missions(request: Request) -> dict[str, Any]:
    account = caller(request).account
    workspace = workspace_of(request)
    visible = [v for v in mission_service.list_missions(workspace) if accounts.may_see(account, v)]
    portfolios = {v.mission_id: portfolio_figures(request, v) for v in visible}
    items = []
    for version in visible:
        m = version.mission
        items.append(
            {
                **_version_dict(version, with_mission=False),
                "title": m.title,
                "status": m.status.value,
                "public": m.public,
                "deadline": m.deadline.isoformat() if m.deadline else None,
                "objectives": len(m.objectives),
                "portfolio_size": portfolios[m.id]["projects"],
                "portfolio_money": portfolios[m.id]["money"],
                "portfolio": portfolios[m.id]["portfolio"],
            }
        )
    if account is None and not items:
        require_account(request)
    return {"items": items, "total": len(items), "portfolio_rule": DEFAULT_RULE.describe()}


@router.post(
    "/missions",
    status_code=201,
    summary="Create a mission (workspace admins)",
    responses=errors(403),
    response_model=MissionVersionOut,
)
def create_mission(request: Request, mission: Mission) -> dict[str, Any]:
    account = require_account(request)
    account.require_admin("create missions")
    version = mission_service.create_mission(
        workspace_of(request), mission, user=account.username, origin="api"
    )
    _clear(request, mission.id)
    return _version_dict(version)


@router.get(
    "/missions/{mission_id}",
    summary="One mission (current version or ?version=N)",
    responses=errors(403, 404),
    response_model=MissionVersionOut,
)
def get_mission(
    request: Request,
    response: Response,
    mission_id: MissionId,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> dict[str, Any]:
    _visible(request, mission_id)
    found = mission_service.get_mission(workspace_of(request), mission_id, version)
    response.headers["etag"] = f'"{found.version}"'  # send it back as If-Match to refuse a stale edit
    return _version_dict(found)


def _base_version(request: Request, stated: int | None = None) -> int | None:
    """The version an edit started from: ``If-Match: "N"`` (the ``etag`` of GET /missions/ID) or the body's
    ``base_version``; None when the client states neither (the edit then applies to whatever is latest)."""
    if "if-match" not in request.headers:
        return stated
    header = request.headers["if-match"].strip().removeprefix("W/").strip('"')
    if header == "*":  # any version: the edit applies to whatever is latest
        return stated
    if not (header.isascii() and header.isdigit() and len(header) <= 9 and int(header) >= 1):
        raise InputError(Problem("request", None, "If-Match", 'must be a mission version, e.g. "3"'))
    return int(header)


@router.put(
    "/missions/{mission_id}",
    summary='Save a new version of a mission (editors, owners, admins); If-Match: "N" refuses a stale edit',
    responses=errors(403, 404, 409),
    response_model=MissionVersionOut,
)
def put_mission(
    request: Request, mission_id: MissionId, mission: Mission, comment: str = ""
) -> dict[str, Any]:
    account = require_account(request)
    mission_service.get_mission(workspace_of(request), mission_id)
    account.require(mission_id, Role.EDITOR, "edit this mission")
    if mission.id != mission_id:
        raise InputError(Problem("request", None, "id", f"must stay '{mission_id}' (the id cannot change)"))
    version = mission_service.save_mission(
        workspace_of(request),
        mission,
        user=account.username,
        origin="api",
        comment=comment[:2000],
        base_version=_base_version(request),
    )
    _clear(request, mission_id)
    return _version_dict(version)


class MissionYaml(BaseModel):
    yaml: str = Field(description="The mission in the YAML format of `missionboard mission import`")
    comment: str = ""
    base_version: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000_000,
        description="The version this edit started from: refused with 409 if a newer one was saved since",
    )


@router.put(
    "/missions/{mission_id}/yaml",
    summary="Save a new version from YAML text (editors, owners, admins)",
    responses=errors(403, 404, 409),
    response_model=MissionVersionOut,
)
def put_mission_yaml(request: Request, mission_id: MissionId, body: MissionYaml) -> dict[str, Any]:
    account = require_account(request)
    mission_service.get_mission(workspace_of(request), mission_id)
    account.require(mission_id, Role.EDITOR, "edit this mission")
    mission = parse_mission(body.yaml, "<request>")
    if mission.id != mission_id:
        raise InputError(Problem("<request>", None, "mission.id", f"must stay '{mission_id}'"))
    version = mission_service.save_mission(
        workspace_of(request),
        mission,
        user=account.username,
        origin="api",
        comment=body.comment[:2000],
        base_version=_base_version(request, body.base_version),
    )
    _clear(request, mission_id)
    return _version_dict(version)


@router.delete(
    "/missions/{mission_id}",
    status_code=204,
    summary="Delete a mission (owners, admins)",
    responses=errors(403, 404),
)
def delete_mission(request: Request, mission_id: MissionId) -> Response:
    account = require_account(request)
    mission_service.get_mission(workspace_of(request), mission_id)
    account.require(mission_id, Role.OWNER, "delete this mission")
    mission_service.delete_mission(workspace_of(request), mission_id, user=account.username)
    accounts.forget_mission(workspace_of(request), mission_id, by=account.username)
    _clear(request, mission_id)
    return Response(status_code=204)


@router.get(
    "/missions/{mission_id}/check",
    summary="The mission's quality check",
    responses=errors(403, 404),
    response_model=QualityOut,
)
def check_mission(request: Request, mission_id: MissionId) -> dict[str, Any]:
    _visible(request, mission_id)
    return mission_service.check_mission(workspace_of(request), mission_id).to_dict()


@router.get(
    "/missions/{mission_id}/history",
    summary="Every version of a mission",
    responses=errors(403, 404),
    response_model=VersionList,
)
def mission_history(request: Request, mission_id: MissionId) -> dict[str, Any]:
    _visible(request, mission_id)
    versions = mission_service.mission_history(workspace_of(request), mission_id)
    return {"items": [_version_dict(v, with_mission=False) for v in versions], "total": len(versions)}


@router.get(
    "/missions/{mission_id}/diff",
    summary="Differences between two versions",
    responses=errors(403, 404),
    response_model=MissionDiffOut,
)
def mission_diff(
    request: Request,
    mission_id: MissionId,
    a: Annotated[int | None, Query(ge=1, le=1_000_000, alias="from")] = None,
    b: Annotated[int | None, Query(ge=1, le=1_000_000, alias="to")] = None,
) -> dict[str, Any]:
    _visible(request, mission_id)
    return mission_service.diff_versions(workspace_of(request), mission_id, a, b).to_dict()


class MemberRole(BaseModel):
    role: Literal["owner", "editor", "reviewer", "viewer", "none"]


@router.put(
    "/missions/{mission_id}/members/{username}",
    summary="Give a user a role on a mission (owners, admins)",
    responses=errors(403, 404),
    response_model=AccountOut,
)
def set_member(
    request: Request, mission_id: MissionId, username: Annotated[str, Path(max_length=100)], body: MemberRole
) -> dict[str, Any]:
    account = require_account(request)
    mission_service.get_mission(workspace_of(request), mission_id)
    account.require(mission_id, Role.OWNER, "manage this mission's members")
    return accounts.set_role(
        workspace_of(request), username, mission_id, body.role, by=account.username
    ).as_dict()


@router.get(
    "/missions/{mission_id}/members",
    summary="Who holds which role on a mission (owners, admins)",
    responses=errors(403, 404),
    response_model=MemberList,
)
def list_members(request: Request, mission_id: MissionId) -> dict[str, Any]:
    account = require_account(request)
    mission_service.get_mission(workspace_of(request), mission_id)
    account.require(mission_id, Role.OWNER, "see this mission's members")
    members = accounts.mission_members(workspace_of(request), mission_id)
    return {"items": [{"username": u, "role": r.value} for u, r in members]}


class SectionResult(Protocol):
    """A service result the API answers with its JSON form (``PortfolioAnalysis``, ``MonitorResult``)."""

    def to_dict(self) -> dict[str, Any]: ...


def _section(
    request: Request, mission_id: str, section: Callable[[Workspace, str], SectionResult]
) -> dict[str, Any]:
    _visible(request, mission_id)
    return section(workspace_of(request), mission_id).to_dict()


@router.get(
    "/missions/{mission_id}/portfolio",
    summary="The mission's portfolio: projects per objective and money, by the one portfolio rule",
    responses=errors(403, 404),
    response_model=PortfolioOut,
)
def mission_portfolio(request: Request, mission_id: MissionId) -> dict[str, Any]:
    current = _visible(request, mission_id)
    found = dict(portfolio_figures(request, current))
    found.pop("line", None)
    return found


@router.get(
    "/missions/{mission_id}/analytics",
    summary="Portfolio analytics of a mission (where installed)",
    responses=errors(403, 404, 501),
    response_model=AnalyticsOut,
)
def mission_analytics(request: Request, mission_id: MissionId) -> dict[str, Any]:
    return _section(request, mission_id, analytics_service.analyze_portfolio)


@router.get(
    "/missions/{mission_id}/monitoring",
    summary="Monitoring of a mission's objectives (where installed)",
    responses=errors(403, 404, 501),
    response_model=MonitorOut,
)
def mission_monitoring(request: Request, mission_id: MissionId) -> dict[str, Any]:
    return _section(request, mission_id, monitoring_service.monitor_mission)


@router.get(
    "/missions/{mission_id}/story",
    summary="The mission's contribution story: each pathway from money and measures to targets, and its weak links",
    responses=errors(403, 404),
    response_model=StoryOut,
)
def mission_story(request: Request, mission_id: MissionId) -> dict[str, Any]:
    return _section(request, mission_id, story_service.mission_story)


@router.get(
    "/compare",
    summary="All missions the caller may see side by side: each objective between baseline and target, "
    "its status and probability, weakest first",
    response_model=CompareOut,
)
def compare_missions(request: Request, as_of: dt.date | None = None) -> dict[str, Any]:
    visible = accounts.visible_missions(workspace_of(request), caller(request).account)
    return compare_service.compare_missions(workspace_of(request), visible=visible, as_of=as_of).to_dict()


# --- projects ----------------------------------------------------------------------------------------


@router.get(
    "/projects",
    summary="Query projects with search, facets, sorting and pagination",
    responses=errors(403, 422),
    response_model=ProjectPage,
)
def list_projects(
    request: Request,
    q: Annotated[str, Query(max_length=500)] = "",
    funder: Annotated[str, Query(max_length=500)] = "",
    programme: Annotated[str, Query(max_length=500)] = "",
    instrument: Annotated[str, Query(max_length=500)] = "",
    stage: Annotated[str, Query(max_length=500)] = "",
    region: Annotated[str, Query(max_length=500)] = "",
    goal: Annotated[str, Query(max_length=500, description="TAXONOMY/GOAL, e.g. sdg/7")] = "",
    mission: Annotated[
        str,
        Query(
            max_length=200,
            description="A mission id: only its portfolio, the projects its card counts (the portfolio rule)",
        ),
    ] = "",
    status: Annotated[str, Query(pattern="^(|planned|active|completed|terminated|unknown)$")] = "",
    link_status: Annotated[str, Query(pattern="^(|proposed|accepted|rejected|unlinked)$")] = "",
    sort: Annotated[str, Query(pattern="^(id|title|funder|start|budget)$")] = "id",
    desc: bool = False,
    page: PageNo = 1,
    per_page: PerPage = 50,
) -> dict[str, Any]:
    account = require_account(request)
    view = explorer.ProjectFilter.from_params(request.query_params)
    goal_mission = mission_of_taxonomy(view.goal.rpartition("/")[0])
    allowed = _visible_missions(request, account)
    if goal_mission is not None and allowed is not None and goal_mission not in allowed:
        account.require(goal_mission, Role.VIEWER, "filter by this mission's goals")
    if view.mission and allowed is not None and view.mission not in allowed:
        account.require(view.mission, Role.VIEWER, "list this mission's portfolio")
    with workspace_of(request).reading() as session:
        return explorer.query_projects(session, view, allowed).as_dict()


@router.get(
    "/projects/{project_id}",
    summary="One project with its actors, links and decisions",
    responses=errors(403, 404),
    response_model=ProjectDetail,
)
def get_project(request: Request, project_id: ProjectRef) -> explorer.ProjectRecord:
    account = require_account(request)
    row_id = explorer.project_id_of(workspace_of(request), project_id)
    allowed = _visible_missions(request, account)
    with workspace_of(request).reading() as session:
        return explorer.project_detail(session, row_id, missions=allowed)


class DecisionIn(BaseModel):
    decision: Literal["continue", "pivot", "scale", "stop"]
    rationale: str = Field(min_length=1, max_length=5000)
    gate: str | None = Field(None, max_length=200, description="The gate it is taken at")
    met: list[Annotated[int, Field(ge=1, le=1000)]] = Field(
        default_factory=list, max_length=1000, description="Numbers (from 1) of the gate's criteria met"
    )
    plan: str | None = Field(None, max_length=5000, description="A pivot's new plan")
    amount: Annotated[float, Field(gt=0, lt=1e15)] | None = Field(None, description="Money a scale adds")
    currency: str | None = Field(None, pattern=r"^[A-Za-z]{3}$")


@router.post(
    "/projects/{project_id}/decisions",
    status_code=201,
    summary="Record a stage-gate decision (a stop terminates the project and releases its unpaid budget)",
    responses=errors(403, 404, 409, 422, 501),
    response_model=DecisionsOut,
)
def post_decision(request: Request, project_id: ProjectRef, body: DecisionIn) -> dict[str, Any]:
    account = require_account(request)
    row_id = explorer.project_id_of(workspace_of(request), project_id)
    actions.decide(
        workspace_of(request),
        account,
        row_id,
        decision=body.decision,
        rationale=body.rationale,
        gate=body.gate,
        met=set(body.met),
        plan=body.plan,
        amount=str(body.amount) if body.amount is not None else None,
        currency=body.currency,
    )
    _clear(request)
    allowed = _visible_missions(request, account)
    with workspace_of(request).reading() as session:
        return {"decisions": explorer.project_detail(session, row_id, missions=allowed)["decisions"]}


# --- stage-gates and appeals ------------------------------------------------------------------------


class GateIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    due: dt.date
    criteria: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(min_length=1, max_length=50)
    evidence: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        default_factory=list, max_length=50
    )


@router.get(
    "/missions/{mission_id}/gates",
    summary="A mission's gate calendar: what is overdue, due, scheduled, decided or cancelled",
    responses=errors(403, 404),
    response_model=GateCalendarOut,
)
def get_mission_gates(
    request: Request, mission_id: MissionId, as_of: dt.date | None = None
) -> dict[str, Any]:
    _visible(request, mission_id)
    calendar = decision_service.gate_calendar(workspace_of(request), mission_id, as_of=as_of)
    return calendar.to_dict()


@router.get(
    "/projects/{project_id}/gates",
    summary="One project's gates",
    responses=errors(403, 404),
    response_model=GateCalendarOut,
)
def get_project_gates(
    request: Request, project_id: ProjectRef, as_of: dt.date | None = None
) -> dict[str, Any]:
    require_account(request)
    row_id = explorer.project_id_of(workspace_of(request), project_id)
    calendar = decision_service.project_gates(workspace_of(request), str(row_id), as_of=as_of)
    return calendar.to_dict()


@router.post(
    "/projects/{project_id}/gates",
    status_code=201,
    summary="Schedule a stage-gate for a project (date, go/no-go criteria, evidence required)",
    responses=errors(403, 404, 422, 501),
    response_model=GateCalendarOut,
)
def post_gate(request: Request, project_id: ProjectRef, body: GateIn) -> dict[str, Any]:
    account = require_account(request)
    row_id = explorer.project_id_of(workspace_of(request), project_id)
    actions.schedule_gate(
        workspace_of(request),
        account,
        row_id,
        name=body.name,
        due=body.due.isoformat(),
        criteria=body.criteria,
        evidence=body.evidence,
    )
    calendar = decision_service.project_gates(workspace_of(request), str(row_id))
    return calendar.to_dict()


class AppealIn(BaseModel):
    reason: str = Field(min_length=1, max_length=5000)


class RulingIn(BaseModel):
    outcome: Literal["upheld", "overturned"]
    ruling: str = Field(min_length=1, max_length=5000)


def _project_decisions(request: Request, project_id: int) -> dict[str, Any]:
    entries = decision_service.project_decisions(workspace_of(request), project_id)
    return {"project_id": project_id, "decisions": [e.to_dict(evidence=False) for e in entries]}


@router.post(
    "/decisions/{decision_id}/appeals",
    status_code=201,
    summary="Lodge an appeal against a decision (editors of a mission the project serves)",
    responses=errors(403, 404, 409, 422),
    response_model=ProjectDecisions,
)
def post_appeal(request: Request, decision_id: RowId, body: AppealIn) -> dict[str, Any]:
    account = require_account(request)
    project_id = actions.lodge_appeal(workspace_of(request), account, decision_id, reason=body.reason)
    return _project_decisions(request, project_id)


@router.post(
    "/appeals/{appeal_id}/ruling",
    summary="Rule on an appeal: upheld or overturned (owners, not who decided)",
    responses=errors(403, 404, 409, 422),
    response_model=ProjectDecisions,
)
def post_ruling(request: Request, appeal_id: RowId, body: RulingIn) -> dict[str, Any]:
    account = require_account(request)
    project_id = actions.rule_appeal(
        workspace_of(request), account, appeal_id, outcome=body.outcome, ruling=body.ruling
    )
    _clear(request)
    return _project_decisions(request, project_id)


# --- links -------------------------------------------------------------------------------------------


@router.get(
    "/links",
    summary="Links between projects and goals; by_uncertainty gives the review order",
    responses=errors(403),
    response_model=LinkPage,
)
def list_links(
    request: Request,
    taxonomy: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query(pattern="^(proposed|accepted|rejected)$")] = None,
    project_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    goal: Annotated[str | None, Query(max_length=100)] = None,
    by_uncertainty: bool = False,
    page: PageNo = 1,
    per_page: PerPage = 50,
) -> dict[str, Any]:
    account = require_account(request)
    allowed = _visible_missions(request, account)
    taxonomies = None
    if taxonomy is not None:
        mission = mission_of_taxonomy(taxonomy)
        if mission is not None and allowed is not None and mission not in allowed:
            account.require(mission, Role.VIEWER, "see this mission's links")
    elif allowed is not None:
        with workspace_of(request).reading() as session:
            every = explorer.link_taxonomies(session)
        taxonomies = [t for t in every if mission_of_taxonomy(t) in (None, *allowed)]
    with workspace_of(request).reading() as session:
        return explorer.query_links(
            session,
            taxonomy=taxonomy,
            taxonomies=taxonomies,
            status=status,
            project_id=project_id,
            goal=goal,
            by_uncertainty=by_uncertainty,
            page=page,
            per_page=per_page,
        ).as_dict()


class ReviewIn(BaseModel):
    action: Literal["accept", "reject", "reassign"]
    goal: str | None = Field(
        default=None, max_length=100, description="For reassign: the goal to move the link to"
    )


@router.post(
    "/links/{link_id}/review",
    summary="Accept, reject or re-assign a link (reviewers)",
    responses=errors(403, 404, 501),
    response_model=ReviewedLink,
)
def review_link(request: Request, link_id: RowId, body: ReviewIn) -> dict[str, Any]:
    account = require_account(request)
    link = actions.review(workspace_of(request), account, link_id, action=body.action, goal=body.goal)
    _clear(request)
    return link


# --- imports -----------------------------------------------------------------------------------------


@router.get(
    "/imports",
    summary="Past import runs, newest first (admins)",
    responses=errors(403),
    response_model=ImportRunList,
)
def list_imports(request: Request, page: PageNo = 1, per_page: PerPage = 50) -> dict[str, Any]:
    require_account(request).require_admin("see import runs")
    with workspace_of(request).reading() as session:
        items = explorer.import_runs(session, page=page, per_page=per_page)
    return {"items": items, "page": page, "per_page": per_page}


@router.post(
    "/imports",
    summary="Import a file (admins); dry_run=true reports without writing",
    responses=errors(403, 501),
    response_model=ImportReport | ImportRefused,
)
async def post_import(
    request: Request,
    file: Annotated[UploadFile, File(description="CSV, XLSX, IATI XML, 360Giving JSON or CORDIS file")],
    format: Annotated[
        IngestFormat | None,
        Form(description="Default: from the file name"),
    ] = None,
    dry_run: Annotated[bool, Form()] = True,
    on_error: Annotated[Literal["fail", "skip"], Form()] = "fail",
    source: Annotated[str, Form(max_length=200)] = "",
) -> dict[str, Any]:
    from starlette.concurrency import run_in_threadpool

    content = await file.read()
    name = file.filename or "upload"

    def run() -> dict[str, Any]:
        account = require_account(request)
        account.require_admin("import files")
        report, token = actions.import_upload(
            workspace_of(request),
            account,
            name=name,
            content=content,
            staged="",
            format=format or actions.guess_format(name),
            source=source or None,
            on_error=on_error,
            dry_run=dry_run,
        )
        if dry_run and token:
            actions.discard_upload(token)  # the API has no confirm step: nothing will use the copy
        if not dry_run:
            _clear(request)
        return json.loads(json.dumps(report, default=str))  # type: ignore[no-any-return]

    return await run_in_threadpool(run)


# --- audit -------------------------------------------------------------------------------------------


@router.get(
    "/audit",
    summary="The audit log, newest first (admins)",
    responses=errors(403),
    response_model=AuditPage,
)
def list_audit(
    request: Request,
    entity: Annotated[str, Query(max_length=100)] = "",
    entity_id: Annotated[str, Query(max_length=300)] = "",
    actor: Annotated[str, Query(max_length=200)] = "",
    action: Annotated[str, Query(max_length=100)] = "",
    page: PageNo = 1,
    per_page: PerPage = 50,
) -> dict[str, Any]:
    require_account(request).require_admin("browse the audit log")
    with workspace_of(request).reading() as session:
        return explorer.audit_events(
            session,
            entity=entity,
            entity_id=entity_id,
            actor=actor,
            action=action,
            page=page,
            per_page=per_page,
        ).as_dict()


# --- users -------------------------------------------------------------------------------------------


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)
    display_name: str = Field(default="", max_length=200)
    admin: bool = False


@router.get("/users", summary="Every account (admins)", responses=errors(403), response_model=AccountList)
def list_users(request: Request) -> dict[str, Any]:
    require_account(request).require_admin("list users")
    return {"items": [u.as_dict() for u in accounts.list_users(workspace_of(request))]}


@router.post(
    "/users",
    status_code=201,
    summary="Add an account (admins)",
    responses=errors(403),
    response_model=AccountOut,
)
def create_user(request: Request, body: UserIn) -> dict[str, Any]:
    account = require_account(request)
    account.require_admin("add users")
    return accounts.create_user(
        workspace_of(request),
        body.username,
        body.password,
        admin=body.admin,
        display_name=body.display_name,
        by=account.username,
    ).as_dict()
