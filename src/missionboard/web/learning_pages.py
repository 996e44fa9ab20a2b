"""The learning log of a mission: its notes (searchable, by kind), writing a note, and review rounds
compared."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from missionboard.domain.learning import NoteKind
from missionboard.services import learning as learning_service
from missionboard.services.accounts import Role
from missionboard.web import vocabulary
from missionboard.web.figures import visible_mission
from missionboard.web.rendering import check_csrf, redirect, render
from missionboard.web.security import workspace_of

router = APIRouter(include_in_schema=False)

REFS = re.compile(r"[\s,;]+")
"""What separates the project references typed into the note form."""


@router.get("/missions/{mission_id}/learning", response_class=HTMLResponse)
def learning_page(
    request: Request, mission_id: str, q: str = "", kind: str = "", round: str = ""
) -> Response:
    """The mission's notes, newest first, filtered by words, kind and round; and its review rounds."""
    current = visible_mission(request, mission_id)
    workspace = workspace_of(request)
    found = learning_service.notes(
        workspace, mission_id, query=q or None, kind=kind or None, round=round or None
    )
    return render(
        request,
        "learning.html",
        mission=current.mission,
        names=vocabulary.mission_names(current.mission),
        learning_notes=[note.to_dict() for note in found],
        learning_rounds=[r.to_dict() for r in learning_service.review_rounds(workspace, mission_id)],
        kinds=[k.value for k in NoteKind],
        filters={"q": q, "kind": kind, "round": round},
        comparison=None,
    )


@router.post("/missions/{mission_id}/learning")
async def learning_post(request: Request, mission_id: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_add_note, request, mission_id, form)


def _add_note(request: Request, mission_id: str, form: FormData) -> Response:
    account = check_csrf(request, form)
    visible_mission(request, mission_id)
    account.require(mission_id, Role.EDITOR, "write in the learning log")
    learning_service.add_note(
        workspace_of(request),
        mission_id,
        str(form.get("kind", "")),
        str(form.get("text", "")),
        user=account.username,
        round=str(form.get("round", "")).strip() or None,
        objectives=[str(v) for v in form.getlist("objective") if str(v).strip()],
        projects=[ref for ref in REFS.split(str(form.get("projects", ""))) if ref],
    )
    return redirect(f"/missions/{mission_id}/learning", "note")


@router.get("/missions/{mission_id}/learning/compare", response_class=HTMLResponse)
def learning_compare_page(request: Request, mission_id: str, a: str = "", b: str = "") -> Response:
    """Two review rounds side by side: each objective before and after, the portfolio, the notes."""
    current = visible_mission(request, mission_id)
    workspace = workspace_of(request)
    comparison = learning_service.compare_rounds(workspace, mission_id, a, b)
    return render(
        request,
        "learning.html",
        mission=current.mission,
        names=vocabulary.mission_names(current.mission),
        learning_notes=[],
        learning_rounds=[r.to_dict() for r in learning_service.review_rounds(workspace, mission_id)],
        kinds=[k.value for k in NoteKind],
        filters={"q": "", "kind": "", "round": ""},
        comparison=comparison.to_dict(),
    )
