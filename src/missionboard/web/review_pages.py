"""The review queue: a mission's proposed links, most uncertain first, with the project's own text and the
evidence marked in it; reviewed one by one or, after a confirmation, a ticked set at once. Reviewers comment
on links; editors, owners and admins assign the queue (or one goal's part of it) to a reviewer, who finds
it under "Assigned to you"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from missionboard.domain.evidence import ClosestSentence, closest_sentence
from missionboard.domain.mapping import GoalDefinition, mission_of_taxonomy, mission_taxonomy, project_text_of
from missionboard.domain.missions import Mission, MissionVersion
from missionboard.errors import InputError, Problem
from missionboard.services import accounts, explorer
from missionboard.services import missions as mission_service
from missionboard.services import review as review_service
from missionboard.services.accounts import RANK, Account, Role
from missionboard.services.review import ReviewAssignment
from missionboard.web import i18n, vocabulary
from missionboard.web.figures import clear_caches, visible_mission
from missionboard.web.highlight import mark_evidence
from missionboard.web.rendering import check_csrf, language, redirect, render
from missionboard.web.security import require_account, workspace_of
from missionboard.web.vocabulary import N_

router = APIRouter(include_in_schema=False)

BULK_LIMIT = 100
"""At most this many links in one bulk review (a page shows 20)."""


def reviewable_missions(request: Request, account: Account) -> list[MissionVersion]:
    return [
        v
        for v in mission_service.list_missions(workspace_of(request))
        if account.has(v.mission_id, Role.REVIEWER)
    ]


INDICATOR = N_("Indicator: %(name)s.")
KEYWORDS = N_("Keywords: %(words)s.")
LEADS_TO = N_("Leads to: %(goals)s.")
"""The words of a goal's definition on the review card, in the ``app`` catalogue."""


@dataclass(frozen=True)
class GoalCard:
    """What a reviewer needs to know of a goal: its title and what it means, and (``scope``, where the
    mission file gives one) what counts, what does not, and hard negatives."""

    id: str
    kind: str  # objective or outcome
    title: str
    definition: str
    scope: GoalDefinition | None = None


def goal_cards(mission: Mission, language: str = "en") -> dict[str, GoalCard]:
    """The goals a mission's links can point at, objectives then outcomes, with their definitions (the
    words around them in ``language``)."""

    def said(message: str, **values: str) -> str:
        return i18n.gettext(language, message, i18n.APP_DOMAIN) % values

    cards: dict[str, GoalCard] = {}
    for o in mission.objectives:
        parts = [o.description or "", said(INDICATOR, name=o.indicator.name) if o.indicator else ""]
        if o.keywords:
            parts.append(said(KEYWORDS, words=", ".join(o.keywords)))
        cards[o.id] = GoalCard(o.id, "objective", o.title, " ".join(p for p in parts if p), o.definition)
    for outcome in mission.outcomes:
        leads = [t.title for t in (mission.objective(i) or mission.outcome(i) for i in outcome.leads_to) if t]
        parts = [outcome.description or "", said(LEADS_TO, goals="; ".join(leads)) if leads else ""]
        if outcome.keywords:
            parts.append(said(KEYWORDS, words=", ".join(outcome.keywords)))
        cards[outcome.id] = GoalCard(
            outcome.id, "outcome", outcome.title, " ".join(p for p in parts if p), outcome.definition
        )
    return cards


@router.get("/review", response_class=HTMLResponse)
def review_page(
    request: Request, mission: str = "", status: str = "proposed", page: int = 1, goal: str = ""
) -> Response:
    account = require_account(request)
    workspace = workspace_of(request)
    choices = reviewable_missions(request, account)
    if not mission and choices:
        mission = choices[0].mission_id
    current = None
    links = None
    texts: dict[int, tuple[str, str]] = {}
    progress = None
    if mission:
        current = visible_mission(request, mission)
        account.require(mission, Role.REVIEWER, "review links")
        with workspace.reading() as session:
            links = explorer.query_links(
                session,
                taxonomy=mission_taxonomy(mission),
                status=status or None,
                goal=goal or None,
                by_uncertainty=True,
                page=max(1, page),
                per_page=20,
            )
            texts = explorer.project_texts(session, {int(link["project_id"]) for link in links.rows})
            progress = explorer.review_progress(session, mission_taxonomy(mission))
    may_assign = bool(mission) and account.has(mission, Role.EDITOR)
    titles = {v.mission_id: v.mission.title for v in choices}
    return render(
        request,
        "review.html",
        choices=choices,
        selected=mission,
        current=current,
        links=links,
        status=status,
        goal=goal,
        query=urlencode({"mission": mission, "status": status, **({"goal": goal} if goal else {})}),
        texts=texts,
        progress=progress,
        goals=goal_cards(current.mission, language(request)) if current else {},
        closest=_closest_sentences(links.rows, texts) if links else {},
        marked=mark_evidence,
        comments=review_service.comments(workspace, [int(link["id"]) for link in links.rows])
        if links
        else {},
        comment_limit=review_service.COMMENT_LIMIT,
        assigned=[
            a
            for a in review_service.assignments(workspace, assignee=account.username)
            if a.mission_id in titles
        ],
        titles=titles,
        queue_url=assigned_queue,
        may_assign=may_assign,
        reviewers=_reviewers(request, mission) if may_assign else [],
        queue_assignments=review_service.assignments(workspace, mission_id=mission) if may_assign else [],
    )


def _closest_sentences(
    rows: list[explorer.LinkRecord], texts: dict[int, tuple[str, str]]
) -> dict[int, ClosestSentence]:
    """Per link on the page, the sentence of its project's text closest to the goal (where the evidence
    points at one)."""
    out: dict[int, ClosestSentence] = {}
    for link in rows:
        title, abstract = texts.get(link["project_id"], (link.get("project_title", ""), ""))
        found = closest_sentence(project_text_of(title, abstract), link["evidence"])
        if found is not None:
            out[int(link["id"])] = found
    return out


def assigned_queue(assignment: ReviewAssignment) -> str:
    """The address of an assigned queue: the mission's, narrowed to the goal where one is set."""
    query = {"mission": assignment.mission_id, **({"goal": assignment.goal} if assignment.goal else {})}
    return f"/review?{urlencode(query)}"


def _reviewers(request: Request, mission_id: str) -> list[str]:
    """The mission's members who may review its links: a queue can be assigned to them."""
    members = accounts.mission_members(workspace_of(request), mission_id)
    return [name for name, role in members if RANK[role] >= RANK[Role.REVIEWER]]


@router.post("/review/bulk")
async def review_bulk_post(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_review_bulk, request, form)


def _review_bulk(request: Request, form: FormData) -> Response:
    """Accept or reject the links ticked on a page: first a page that lists them and asks to confirm,
    then (``confirm=1``) one review per link, each authorised and recorded in the audit log."""
    from missionboard.web.actions import review_many, reviewable_link

    account = check_csrf(request, form)
    action = str(form.get("action", ""))
    if action not in ("accept", "reject"):
        raise InputError(Problem("request", None, "action", "a bulk review accepts or rejects"))
    ids = []
    for raw in form.getlist("link"):
        if not str(raw).isdigit():
            raise InputError(Problem("request", None, "link", f"not a link number: {str(raw)[:40]!r}"))
        ids.append(int(str(raw)))
    ids = list(dict.fromkeys(ids))[:BULK_LIMIT]
    if not ids:
        raise InputError(Problem("request", None, "link", "tick the links to review first"))
    back = _safe_back(str(form.get("back", "")))
    if form.get("confirm") != "1":
        chosen = [reviewable_link(workspace_of(request), account, i) for i in ids]
        return render(
            request,
            "review_confirm.html",
            action=action,
            links=_titled(workspace_of(request), chosen),
            names=_goal_names(workspace_of(request), {link["taxonomy"] for link in chosen}),
            back=back,
        )
    review_many(workspace_of(request), account, ids, action=action)
    clear_caches(request)
    return redirect(back, "reviewed_many")


def _safe_back(back: str) -> str:
    return back if back.startswith("/") and not back.startswith("//") else "/review"


@router.post("/review/assignments")
async def assign_post(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_assign, request, form)


def _assign(request: Request, form: FormData) -> Response:
    """Assign the mission's queue (or one goal's) to one of its reviewers: editors, owners and admins."""
    from missionboard.web.actions import assign_queue

    account = check_csrf(request, form)
    mission = str(form.get("mission", ""))
    assign_queue(
        workspace_of(request),
        account,
        mission,
        assignee=str(form.get("assignee", "")).strip(),
        goal=str(form.get("goal", "")).strip() or None,
    )
    return redirect(f"/review?{urlencode({'mission': mission})}", "assigned")


@router.post("/review/assignments/{assignment_id}/finish")
async def finish_post(request: Request, assignment_id: int) -> Response:
    form = await request.form()
    return await run_in_threadpool(_finish, request, assignment_id, form)


def _finish(request: Request, assignment_id: int, form: FormData) -> Response:
    """Mark an assigned queue done: its assignee, or the mission's editors, owners and admins."""
    from missionboard.web.actions import finish_assignment

    account = check_csrf(request, form)
    finish_assignment(workspace_of(request), account, assignment_id)
    return redirect(_safe_back(str(form.get("back", ""))), "assignment_done")


@router.post("/review/{link_id}/comments")
async def comment_post(request: Request, link_id: int) -> Response:
    form = await request.form()
    return await run_in_threadpool(_comment, request, link_id, form)


def _comment(request: Request, link_id: int, form: FormData) -> Response:
    """Comment on a link of the queue: reviewers of its mission."""
    from missionboard.web.actions import comment_on_link

    account = check_csrf(request, form)
    comment_on_link(workspace_of(request), account, link_id, text=str(form.get("text", "")))
    return redirect(_safe_back(str(form.get("back", ""))), "commented")


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
    return redirect(_safe_back(back), "reviewed")


def _titled(workspace: Any, links: list[explorer.LinkRecord]) -> list[explorer.LinkRecord]:
    """The links with their project's title (the confirmation lists projects by title, not number)."""
    with workspace.reading() as session:
        texts = explorer.project_texts(session, {link["project_id"] for link in links})
    return [
        {**link, "project_title": texts[link["project_id"]][0]} if link["project_id"] in texts else link
        for link in links
    ]


def _goal_names(workspace: Any, taxonomies: set[str]) -> dict[str, str]:
    """The goals of the missions among ``taxonomies`` by title (other taxonomies' goals keep their code)."""
    names: dict[str, str] = {}
    for taxonomy in sorted(taxonomies):
        mission_id = mission_of_taxonomy(taxonomy)
        if mission_id is not None:
            names |= vocabulary.mission_names(mission_service.get_mission(workspace, mission_id).mission)
    return names
