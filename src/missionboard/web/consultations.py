"""Consultation pages: owners run a consultation, participants respond, anyone with a role reads the synthesis.

Two sides, with different rules:

- **Owner pages** (``/missions/{id}/consultations``, ``/consultations/{id}/…``) need a login. Reading (the
  list, the status page, the synthesis and its PDF) needs the viewer role on the mission; every write (open,
  invite, close, moderate, import, adopt) needs the editor role and the session's CSRF token, and is
  audited by the consultation service.
- **Participation pages** (``/c/{id}``) need no login and show nothing but the consultation itself. They
  work without JavaScript, in the consultation's language (or the one the participant switches to), and
  carry a double-submit CSRF token (a random cookie echoed in the form), as the login form does.
  Participants see their own response again, download or erase it, with the receipt code they were given.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from missionboard.domain.consultations import (
    ANSWERABLE,
    LANGUAGES,
    MAX_TEXT,
    Answer,
    Audience,
    Consultation,
    ConsultationStatus,
    Invitation,
    Proposal,
    ProposalKind,
    ProposalOutcome,
    Question,
    QuestionKind,
    Rating,
    Submission,
    Synthesis,
    default_questions,
)
from missionboard.domain.missions import HelixType, Level, MissionVersion
from missionboard.errors import AlreadyResponded, InputError, NotAvailable, NotFound, Problem, RateLimited
from missionboard.services import consultations as service
from missionboard.services import missions as mission_service
from missionboard.services import reports
from missionboard.services.accounts import Account, Role
from missionboard.services.consultations import closest_objective, proposal_groups
from missionboard.web import forms, i18n
from missionboard.web.figures import HEAVY, clear_caches
from missionboard.web.rendering import check_csrf, language, redirect, render
from missionboard.web.security import (
    CSRF_FIELD,
    client_address,
    require_account,
    same_secret,
    workspace_of,
)
from missionboard.web.vocabulary import N_

router = APIRouter(include_in_schema=False)

PARTICIPANT_CSRF_COOKIE = "mb_consult_csrf"
HONEYPOT_FIELD = "website"
"""A field people never see (hidden by CSS, skipped by screen readers and the keyboard); bots fill it in."""
RESPONSES_PER_PAGE = 50
IMPORT_LIMIT = 20 * 1024 * 1024
FORM_ENVELOPE = 1024 * 1024
"""Room for the form's other fields and multipart boundaries around an imported file."""
MESSAGES = {  # English; the page shows them in the user's language (the ``app`` catalogue)
    "opened": N_("Consultation opened."),
    "drafted": N_("Draft saved: participants cannot respond until you open it."),
    "closed": N_("Consultation closed: it accepts no more responses."),
    "hidden": N_("Response hidden: it no longer counts in the synthesis."),
    "unhidden": N_("Response shown again: it counts in the synthesis."),
    "erased": N_("Response erased."),
    "answered": N_("Answer saved: participants read it once the report-back is published."),
    "published": N_("Report-back published: participants see it on the consultation's page."),
}
SCALE = (1, 2, 3, 4, 5)
OPEN_PROPOSALS = 12
"""Up to this many proposals shown, every group is open; above, groups start folded so the page stays scannable."""


# --- helpers -------------------------------------------------------------------------------------


def _consultation(request: Request, consultation_id: str) -> Consultation:
    return service.get_consultation(workspace_of(request), consultation_id)


def _may_read(request: Request, consultation: Consultation) -> Account:
    """Owner pages are for the mission's members (viewer or higher) and admins, even on public missions:
    responses are participants' words, not published content."""
    account = require_account(request)
    account.require(consultation.mission_id, Role.VIEWER, "see this mission's consultations")
    return account


def _may_write(account: Account, consultation: Consultation, doing: str) -> None:
    account.require(consultation.mission_id, Role.EDITOR, doing)


def _owner_page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """``render`` with this module's flash messages."""
    msg = request.query_params.get("msg", "")
    if msg in MESSAGES:
        context.setdefault("message", i18n.gettext(language(request), MESSAGES[msg], i18n.APP_DOMAIN))
    return render(request, name, status_code=status_code, **context)


def _mission_of(request: Request, consultation: Consultation) -> MissionVersion:
    """The mission version put to consultation: what participants rate and the synthesis maps to."""
    return service.consultation_mission(workspace_of(request), consultation.id)


def _counts(responses: list[Any]) -> dict[str, Any]:
    shown = [r for r in responses if not r.hidden]
    return {
        "total": len(responses),
        "hidden": len(responses) - len(shown),
        "by_helix": Counter(r.helix.value for r in shown),
        "by_level": Counter(r.level.value for r in shown),
        "by_channel": Counter(r.channel.value for r in shown),
        "by_language": Counter(r.language for r in shown),
    }


def _fingerprint(responses: list[Any]) -> str:
    """Changes whenever a response is added, erased, hidden, shown or adopted: the synthesis cache key."""
    digest = hashlib.sha256()
    for r in responses:
        digest.update(f"{r.id}:{int(r.hidden)}:{','.join(map(str, r.adopted))};".encode())
    return digest.hexdigest()


def synthesis_of(request: Request, consultation: Consultation) -> Synthesis:
    """The synthesis, cached until the responses change (clustering embeds every text, which takes a while).

    The key holds a fingerprint of the responses, so a new, hidden, erased or adopted response is seen
    at once without clearing any other cache."""
    workspace = workspace_of(request)
    key = ("consultation", consultation.id, _fingerprint(service.list_responses(workspace, consultation.id)))

    def compute() -> Synthesis:
        with HEAVY:
            return service.synthesise(workspace, consultation.id)

    result: Synthesis = request.app.state.cache.get(key, compute)
    return result


def _link(request: Request, consultation_id: str, token: str) -> str:
    return _public_url(request, f"/c/{consultation_id}?{urlencode({'t': token})}")


# --- owner: list and open ------------------------------------------------------------------------


@router.get("/missions/{mission_id}/consultations", response_class=HTMLResponse)
def consultations_page(request: Request, mission_id: str) -> Response:
    account = require_account(request)
    current = mission_service.get_mission(workspace_of(request), mission_id)
    account.require(mission_id, Role.VIEWER, "see this mission's consultations")
    workspace = workspace_of(request)
    listed = service.list_consultations(workspace, mission_id)
    counts = {c.id: _counts(service.list_responses(workspace, c.id)) for c in listed}
    return _owner_page(
        request,
        "consult_list.html",
        mission=current.mission,
        version=current,
        consultations=listed,
        counts=counts,
        may_write=account.has(mission_id, Role.EDITOR),
    )


def _new_form_values() -> dict[str, Any]:
    today = dt.date.today()
    defaults = {q.id: q for q in default_questions()}
    return {
        "title": "",
        "purpose": "",
        "opens_on": today.isoformat(),
        "closes_on": (today + dt.timedelta(days=28)).isoformat(),
        "audience": Audience.INVITED.value,
        "language": "en",
        "questions": {
            qid: {"on": True, "prompt": q.prompt, "required": False} for qid, q in defaults.items()
        },
    }


def _new_page(
    request: Request,
    current: MissionVersion,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return _owner_page(
        request,
        "consult_new.html",
        status_code=status_code,
        mission=current.mission,
        version=current,
        values=values,
        errors=errors or {},
        defaults=default_questions(),
        languages=[(code, i18n.LANGUAGE_NAMES[code]) for code in LANGUAGES],
    )


@router.get("/missions/{mission_id}/consultations/new", response_class=HTMLResponse)
def new_consultation_page(request: Request, mission_id: str) -> Response:
    account = require_account(request)
    current = mission_service.get_mission(workspace_of(request), mission_id)
    account.require(mission_id, Role.EDITOR, "open a consultation")
    return _new_page(request, current, _new_form_values())


@router.post("/missions/{mission_id}/consultations/new")
async def new_consultation_post(request: Request, mission_id: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_open, request, mission_id, form)


def _posted_date(form: FormData, name: str, errors: dict[str, str]) -> dt.date | None:
    text = str(form.get(name, "")).strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors[name] = "give a date as YYYY-MM-DD"
        return None


def _open(request: Request, mission_id: str, form: FormData) -> Response:
    account = check_csrf(request, form)
    account.require(mission_id, Role.EDITOR, "open a consultation")
    workspace = workspace_of(request)
    current = mission_service.get_mission(workspace, mission_id)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        key: str(form.get(key, "")).strip()
        for key in ("title", "purpose", "opens_on", "closes_on", "audience", "language")
    }
    values["questions"] = {}
    values["draft"] = form.get("draft") == "on"
    questions: list[Question] = []
    for default in default_questions():
        on = form.get(f"q.{default.id}") == "on"
        prompt = str(form.get(f"q.{default.id}.prompt", "")).strip() or default.prompt
        required = form.get(f"q.{default.id}.required") == "on"
        values["questions"][default.id] = {"on": on, "prompt": prompt, "required": required}
        if on:
            questions.append(Question(id=default.id, kind=default.kind, prompt=prompt, required=required))
    for name in ("title", "purpose"):
        if not values[name]:
            errors[name] = "required"
    opens_on = _posted_date(form, "opens_on", errors)
    closes_on = _posted_date(form, "closes_on", errors)
    if opens_on and closes_on and closes_on < opens_on:
        errors["closes_on"] = "must not come before the opening date"
    if values["audience"] not in {a.value for a in Audience}:
        errors["audience"] = "choose invited or public"
    if values["language"] not in LANGUAGES:
        errors["language"] = f"choose one of {', '.join(LANGUAGES)}"
    if not questions:
        errors["questions"] = "ask at least one question"
    if errors or opens_on is None or closes_on is None:
        return _new_page(request, current, values, errors, status_code=422)
    try:
        created = service.open_consultation(
            workspace,
            mission_id=mission_id,
            title=values["title"],
            purpose=values["purpose"],
            opens_on=opens_on,
            closes_on=closes_on,
            audience=Audience(values["audience"]),
            language=values["language"],
            questions=questions,
            user=account.username,
            open_now=form.get("draft") != "on",
        )
    except InputError as exc:
        errors["form"] = str(exc)
        return _new_page(request, current, values, errors, status_code=422)
    return redirect(f"/consultations/{created.id}", "opened" if form.get("draft") != "on" else "drafted")


# --- owner: one consultation ---------------------------------------------------------------------


def _admin_page(
    request: Request,
    consultation: Consultation,
    account: Account,
    *,
    new_links: list[tuple[str, str]] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    message: str = "",
) -> HTMLResponse:
    workspace = workspace_of(request)
    current = _mission_of(request, consultation)
    responses = service.list_responses(workspace, consultation.id)
    may_write = account.has(consultation.mission_id, Role.EDITOR)
    invitations = service.list_invitations(workspace, consultation.id) if may_write else []
    return _owner_page(
        request,
        "consult_admin.html",
        status_code=status_code,
        consultation=consultation,
        mission=current.mission,
        version=current,
        counts=_counts(responses),
        invitations=invitations,
        new_links=new_links or [],
        errors=errors or {},
        may_write=may_write,
        accepting=consultation.accepts_responses(dt.date.today()),
        today=dt.date.today(),
        public_link=f"{str(request.base_url).rstrip('/')}/c/{consultation.id}",
        helixes=[h.value for h in HelixType],
        **({"message": message} if message else {}),
    )


@router.get("/consultations/{consultation_id}", response_class=HTMLResponse)
def consultation_page(request: Request, consultation_id: str) -> Response:
    consultation = _consultation(request, consultation_id)
    account = _may_read(request, consultation)
    return _admin_page(request, consultation, account)


@router.post("/consultations/{consultation_id}/invitations")
async def invitations_post(request: Request, consultation_id: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_invite, request, consultation_id, form)


def _invite(request: Request, consultation_id: str, form: FormData) -> Response:
    account = check_csrf(request, form)
    consultation = _consultation(request, consultation_id)
    _may_write(account, consultation, "invite participants")
    labels = [line.strip() for line in str(form.get("labels", "")).splitlines() if line.strip()]
    count = str(form.get("count", "")).strip()
    if not labels and count:
        labels = [""] * forms.whole_number(count, default=0, highest=500)
    if not labels:
        return _admin_page(
            request,
            consultation,
            account,
            errors={"labels": "give one label per line (who gets the link), or a number of links"},
            status_code=422,
        )
    helix_text = str(form.get("helix", "")).strip()
    helix = HelixType(helix_text) if helix_text in {h.value for h in HelixType} else None
    created = service.create_invitations(
        workspace_of(request), consultation_id, labels, user=account.username, helix=helix
    )
    links = [(invitation.label, _link(request, consultation_id, token)) for invitation, token in created]
    return _admin_page(request, consultation, account, new_links=links)


@router.post("/consultations/{consultation_id}/start")
async def start_post(request: Request, consultation_id: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_start, request, consultation_id, form)


def _start(request: Request, consultation_id: str, form: FormData) -> Response:
    account = check_csrf(request, form)
    consultation = _consultation(request, consultation_id)
    _may_write(account, consultation, "open this consultation")
    service.start_consultation(workspace_of(request), consultation_id, user=account.username)
    return redirect(f"/consultations/{consultation_id}", "opened")


@router.post("/consultations/{consultation_id}/close")
async def close_post(request: Request, consultation_id: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_close, request, consultation_id, form)


def _close(request: Request, consultation_id: str, form: FormData) -> Response:
    account = check_csrf(request, form)
    consultation = _consultation(request, consultation_id)
    _may_write(account, consultation, "close this consultation")
    service.close_consultation(workspace_of(request), consultation_id, user=account.username)
    return redirect(f"/consultations/{consultation_id}", "closed")


# --- owner: responses and moderation -------------------------------------------------------------


@router.get("/consultations/{consultation_id}/responses", response_class=HTMLResponse)
def responses_page(request: Request, consultation_id: str, show: str = "all", page: int = 1) -> Response:
    consultation = _consultation(request, consultation_id)
    account = _may_read(request, consultation)
    _may_write(account, consultation, "moderate responses")
    return _responses(request, consultation, show=show, page=page)


def _responses(
    request: Request,
    consultation: Consultation,
    *,
    show: str = "all",
    page: int = 1,
    errors: dict[int, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    current = _mission_of(request, consultation)
    everything = service.list_responses(workspace_of(request), consultation.id)
    chosen = {
        "hidden": [r for r in everything if r.hidden],
        "shown": [r for r in everything if not r.hidden],
    }.get(show, everything)
    pages = max(1, -(-len(chosen) // RESPONSES_PER_PAGE))
    page = min(max(1, page), pages)
    start = (page - 1) * RESPONSES_PER_PAGE
    return _owner_page(
        request,
        "consult_responses.html",
        status_code=status_code,
        consultation=consultation,
        mission=current.mission,
        version=current,
        objectives={o.id: o.title for o in current.mission.objectives},
        prompts={q.id: q.prompt for q in consultation.questions},
        responses=chosen[start : start + RESPONSES_PER_PAGE],
        total=len(chosen),
        counts=_counts(everything),
        show=show if show in ("hidden", "shown") else "all",
        page=page,
        pages=pages,
        errors=errors or {},
    )


@router.post("/consultations/{consultation_id}/responses/{response_id}/{action}")
async def moderate_post(request: Request, consultation_id: str, response_id: int, action: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_moderate, request, consultation_id, response_id, action, form)


def _moderate(
    request: Request, consultation_id: str, response_id: int, action: str, form: FormData
) -> Response:
    account = check_csrf(request, form)
    consultation = _consultation(request, consultation_id)
    _may_write(account, consultation, "moderate responses")
    workspace = workspace_of(request)
    reason = str(form.get("reason", "")).strip()
    back = f"/consultations/{consultation_id}/responses"
    show = str(form.get("show", "all"))
    page = forms.whole_number(form.get("page"), default=1, highest=1_000_000, lowest=1)
    query = {"show": show, "page": page}
    if action in ("hide", "unhide"):
        if not reason:
            return _responses(
                request,
                consultation,
                show=show,
                page=page,
                errors={response_id: f"give a reason to {action} this response (it goes in the audit log)"},
                status_code=422,
            )
        act = service.hide_response if action == "hide" else service.unhide_response
        act(workspace, consultation_id, response_id, reason=reason, user=account.username)
        done = "hidden" if action == "hide" else "unhidden"
    elif action == "erase":
        if form.get("confirm") != "on":
            return _responses(
                request,
                consultation,
                show=show,
                page=page,
                errors={response_id: "tick the box to confirm: erasing cannot be undone"},
                status_code=422,
            )
        service.erase_response(workspace, consultation_id, response_id=response_id, user=account.username)
        done = "erased"
    else:
        raise NotFound(f"no action '{action}' on responses (hide, unhide or erase)")
    return redirect(f"{back}?{urlencode({**query, 'msg': done})}#response-{response_id}")


# --- owner: synthesis, adoption, report, export, import ------------------------------------------


@router.get("/consultations/{consultation_id}/synthesis", response_class=HTMLResponse)
def synthesis_page(
    request: Request, consultation_id: str, kind: str = "", objective: str = "", adopted: str = ""
) -> Response:
    """Themes, ratings and proposals; proposals can be narrowed by kind, closest objective and whether
    they are adopted (plain GET parameters, so the filter works without JavaScript)."""
    consultation = _consultation(request, consultation_id)
    account = _may_read(request, consultation)
    current = _mission_of(request, consultation)
    synthesis = synthesis_of(request, consultation)
    titles = {o.id: o.title for o in current.mission.objectives}
    proposals = [
        p
        for p in synthesis.proposals
        if (not kind or p.kind.value == kind)
        and (not objective or closest_objective(p, titles) == ("" if objective == "none" else objective))
        and (not adopted or p.adopted == (adopted == "yes"))
    ]
    return _owner_page(
        request,
        "consult_synthesis.html",
        consultation=consultation,
        mission=current.mission,
        version=current,
        synthesis=synthesis,
        proposals=proposals,
        proposal_groups=proposal_groups(proposals, list(titles.items())),
        open_groups=len(proposals) <= OPEN_PROPOSALS or bool(kind or objective or adopted),
        filters={"kind": kind, "objective": objective, "adopted": adopted},
        objectives=[(o.id, o.title) for o in current.mission.objectives],
        groups=[h.value for h in HelixType],
        levels=[lv.value for lv in Level],
        may_adopt=account.has(consultation.mission_id, Role.EDITOR),
    )


@router.post("/consultations/{consultation_id}/adopt")
async def adopt_post(request: Request, consultation_id: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_adopt, request, consultation_id, form)


def _adopt(request: Request, consultation_id: str, form: FormData) -> Response:
    account = check_csrf(request, form)
    consultation = _consultation(request, consultation_id)
    _may_write(account, consultation, "adopt proposals into the mission")
    try:
        response_id = int(str(form.get("response_id", "")))
        index = int(str(form.get("index", "")))
    except ValueError as exc:
        raise InputError(Problem("form", None, "response_id", "must name a response and a proposal")) from exc
    comment = (
        f"Adopted from consultation '{consultation.title}' ({consultation.id}), "
        f"response #{response_id}, proposal {index + 1}"
    )
    extra = str(form.get("comment", "")).strip()
    saved = service.adopt_proposal(
        workspace_of(request),
        consultation_id,
        response_id,
        index,
        user=account.username,
        comment=f"{comment}: {extra}" if extra else comment,
    )
    clear_caches(request, consultation.mission_id)
    return redirect(f"/missions/{saved.mission_id}/history", "saved")


@router.get("/consultations/{consultation_id}/report-back", response_class=HTMLResponse)
def report_back_page(request: Request, consultation_id: str) -> Response:
    """The organisers' page: every proposal with what became of it, answer forms, and the summary to
    publish once the consultation is closed."""
    consultation = _consultation(request, consultation_id)
    account = _may_read(request, consultation)
    return _owner_page(
        request,
        "consult_report_back.html",
        consultation=consultation,
        mission=_mission_of(request, consultation).mission,
        report=service.report_back(workspace_of(request), consultation_id),
        outcomes=[o.value for o in ANSWERABLE if o is not ProposalOutcome.ADOPTED],
        may_answer=account.has(consultation.mission_id, Role.EDITOR),
        public_link=_public_url(request, f"/c/{consultation_id}/outcome"),
    )


@router.post("/consultations/{consultation_id}/answers")
async def answer_post(request: Request, consultation_id: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_answer, request, consultation_id, form)


def _answer(request: Request, consultation_id: str, form: FormData) -> Response:
    account = check_csrf(request, form)
    consultation = _consultation(request, consultation_id)
    _may_write(account, consultation, "answer proposals")
    try:
        response_id = int(str(form.get("response_id", "")))
        index = int(str(form.get("index", "")))
    except ValueError as exc:
        raise InputError(Problem("form", None, "response_id", "must name a response and a proposal")) from exc
    service.answer_proposal(
        workspace_of(request),
        consultation_id,
        response_id,
        index,
        str(form.get("outcome", "")),
        str(form.get("reason", "")),
        user=account.username,
    )
    return redirect(f"/consultations/{consultation_id}/report-back#p-{response_id}-{index}", "answered")


@router.post("/consultations/{consultation_id}/report-back")
async def report_back_post(request: Request, consultation_id: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_publish, request, consultation_id, form)


def _publish(request: Request, consultation_id: str, form: FormData) -> Response:
    account = check_csrf(request, form)
    consultation = _consultation(request, consultation_id)
    _may_write(account, consultation, "report back to participants")
    service.publish_report_back(
        workspace_of(request), consultation_id, str(form.get("summary", "")), user=account.username
    )
    return redirect(f"/consultations/{consultation_id}/report-back", "published")


def _public_url(request: Request, path: str) -> str:
    """The address participants use: the configured public base URL, else this request's."""
    base = str(getattr(request.app.state.config, "public_base_url", "") or "").rstrip("/")
    return (base or str(request.base_url).rstrip("/")) + path


@router.get("/consultations/{consultation_id}/report.pdf")
def report_pdf(request: Request, consultation_id: str) -> Response:
    consultation = _consultation(request, consultation_id)
    _may_read(request, consultation)
    current = _mission_of(request, consultation)
    synthesis = synthesis_of(request, consultation)
    with HEAVY:
        try:
            pdf = reports.render_consultation_pdf(consultation, current.mission, synthesis)
        except ImportError as exc:  # the report's own libraries are imported only now
            raise NotAvailable(f"the consultation report is not installed: {exc}") from exc
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{consultation_id}-report.pdf"'},
    )


@router.get("/consultations/{consultation_id}/export.{fmt}")
def export(request: Request, consultation_id: str, fmt: str) -> Response:
    consultation = _consultation(request, consultation_id)
    account = _may_read(request, consultation)
    _may_write(account, consultation, "export responses")
    if fmt not in ("csv", "json"):
        raise NotFound(f"no export as '{fmt}' (csv or json)")
    text = service.export_responses(workspace_of(request), consultation_id, fmt)
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    return Response(
        text,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="{consultation_id}-responses.{fmt}"'},
    )


def may_import(request: Request) -> None:
    """Whether the caller may import responses into the consultation the path names: checked from the
    headers before the upload is read (see web/limits.py)."""
    consultation_id = request.url.path.split("/")[2]
    _may_write(require_account(request), _consultation(request, consultation_id), "import responses")


@router.post("/consultations/{consultation_id}/import")
async def import_post(request: Request, consultation_id: str) -> Response:
    form = await request.form()
    upload = form.get("file")
    content = await upload.read(IMPORT_LIMIT + 1) if isinstance(upload, UploadFile) else b""
    name = upload.filename if isinstance(upload, UploadFile) and upload.filename else "responses.csv"
    return await run_in_threadpool(_import, request, consultation_id, form, name, content)


def _import(request: Request, consultation_id: str, form: FormData, name: str, content: bytes) -> Response:
    account = check_csrf(request, form)
    consultation = _consultation(request, consultation_id)
    _may_write(account, consultation, "import responses")
    if not content:
        raise InputError(Problem(name, None, "file", "choose a CSV file to import"))
    if len(content) > IMPORT_LIMIT:
        raise InputError(Problem(name, None, "file", f"is larger than {IMPORT_LIMIT // (1024 * 1024)} MB"))
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name)[-100:] or "responses.csv"
    with tempfile.TemporaryDirectory(prefix="mb-consult-") as folder:
        path = Path(folder) / safe  # the service's messages then name the file the user uploaded
        path.write_bytes(content)
        count = service.import_responses(workspace_of(request), consultation_id, path, user=account.username)
    return _admin_page(request, consultation, account, message=f"Imported {count} responses from {name}.")


# --- participation -------------------------------------------------------------------------------


def _participant_csrf(request: Request) -> str:
    return request.cookies.get(PARTICIPANT_CSRF_COOKIE) or secrets.token_urlsafe(24)


def _check_participant_csrf(request: Request, form: FormData) -> bool:
    cookie = request.cookies.get(PARTICIPANT_CSRF_COOKIE, "")
    sent = str(form.get(CSRF_FIELD, ""))
    return same_secret(sent, cookie)


def client_key(request: Request) -> str:
    """What tells public senders apart: the client's address (the service stores only a keyed hash)."""
    return client_address(request)


def _public(
    request: Request,
    consultation: Consultation | None,
    lang: str,
    name: str,
    *,
    status_code: int = 200,
    token: str = "",
    csrf: str = "",
    switchable: bool = True,
    **context: Any,
) -> HTMLResponse:
    """A participation page in ``lang``; sets the participant CSRF cookie when the page carries a form.

    ``switchable=False`` leaves out the language switch (a page that cannot be fetched again, such as
    the receipt shown after sending)."""
    switch = [(code, i18n.LANGUAGE_NAMES[code], _switch_url(request, code, token)) for code in LANGUAGES]
    context.update(
        consultation=consultation, lang=lang, token=token, csrf=csrf, switch=switch if switchable else []
    )
    response: HTMLResponse = i18n.templates(lang).TemplateResponse(
        request, name, context, status_code=status_code
    )
    response.headers["content-language"] = lang
    if csrf:
        response.set_cookie(
            PARTICIPANT_CSRF_COOKIE,
            csrf,
            httponly=True,
            samesite="strict",
            secure=request.app.state.config.secure_cookies,
            max_age=6 * 3600,
            path="/c/",
        )
    return response


def _switch_url(request: Request, lang: str, token: str) -> str:
    params = {"lang": lang, **({"t": token} if token else {})}
    return f"{request.url.path}?{urlencode(params)}"


def _language(request: Request, consultation: Consultation | None, posted: str = "") -> str:
    default = consultation.language if consultation else "en"
    return i18n.pick(posted or request.query_params.get("lang"), default)


def _open_consultation(request: Request, consultation_id: str) -> Consultation | None:
    """The consultation as participants may see it: drafts do not exist for them."""
    try:
        consultation = service.get_consultation(workspace_of(request), consultation_id)
    except NotFound:
        return None
    return None if consultation.status is ConsultationStatus.DRAFT else consultation


def _not_found(request: Request, lang: str) -> HTMLResponse:
    return _public(request, None, lang, "consult_public_message.html", status_code=404, reason="not_found")


def _gate(
    request: Request, consultation: Consultation, lang: str, token: str
) -> tuple[HTMLResponse | None, Invitation | None]:
    """The page to show instead of the form where this participant may not respond now, else the
    invitation they hold (None for public consultations)."""

    def refuse(reason: str, status_code: int) -> tuple[HTMLResponse, None]:
        page = _public(
            request, consultation, lang, "consult_public_message.html", status_code=status_code, reason=reason
        )
        return page, None

    today = dt.date.today()
    if not consultation.accepts_responses(today):
        if consultation.status is ConsultationStatus.CLOSED or today > consultation.closes_on:
            published = service.report_back(workspace_of(request), consultation.id).published
            page = _public(
                request,
                consultation,
                lang,
                "consult_public_message.html",
                status_code=410,
                reason="closed",
                outcome=published,
            )
            return page, None
        return refuse("not_yet", 403)
    if consultation.audience is not Audience.INVITED:
        return None, None
    if not token:
        return refuse("invitation", 403)
    try:
        return None, service.check_invitation(workspace_of(request), consultation.id, token)
    except AlreadyResponded:
        return refuse("used", 409)
    except NotFound:
        return refuse("bad_token", 403)


def _anchors(consultation: Consultation, mission: MissionVersion) -> dict[str, str]:
    """The element each error links to from the summary at the top (the first option of a group)."""
    anchors = {
        "helix": f"helix-{next(iter(HelixType)).value}",
        "level": f"level-{next(iter(Level)).value}",
        "consent": "consent",
        "form": "response-form",
    }
    for question in consultation.questions:
        if question.kind is QuestionKind.TEXT:
            anchors[f"answer.{question.id}"] = f"answer-{question.id}"
        elif question.kind is QuestionKind.PROPOSAL:
            anchors[f"proposal.{question.id}.text"] = f"proposal-{question.id}-text"
        else:
            for objective in mission.mission.objectives:
                anchors[f"rating.{objective.id}.importance"] = f"rating-{objective.id}-importance-none"
    return anchors


def _form_context(consultation: Consultation, mission: MissionVersion) -> dict[str, Any]:
    return {
        "mission": mission.mission,
        "objectives": mission.mission.objectives,
        "questions": consultation.questions,
        "helixes": [h.value for h in HelixType],
        "levels": [lv.value for lv in Level],
        "scale": SCALE,
        "max_text": MAX_TEXT,
        "honeypot": HONEYPOT_FIELD,
        "default_prompts": {q.id: q.prompt for q in default_questions()},
        "anchors": _anchors(consultation, mission),
    }


@router.get("/c/{consultation_id}/outcome", response_class=HTMLResponse)
def outcome_page(request: Request, consultation_id: str) -> Response:
    """What was done with the input, once the organisers published it: for everyone who took part or
    was invited (the invitation links lead here once the consultation is closed)."""
    consultation = _open_consultation(request, consultation_id)
    lang = _language(request, consultation)
    if consultation is None:
        return _not_found(request, lang)
    report = service.report_back(workspace_of(request), consultation_id)
    if not report.published:
        return _public(
            request, consultation, lang, "consult_public_message.html", status_code=404, reason="no_outcome"
        )
    return _public(
        request,
        consultation,
        lang,
        "consult_public_outcome.html",
        report=report,
        adopted=report.of(ProposalOutcome.ADOPTED),
        considered=report.of(ProposalOutcome.CONSIDERED),
        declined=report.of(ProposalOutcome.DECLINED),
        open_count=report.count(ProposalOutcome.OPEN),
    )


@router.get("/c/{consultation_id}", response_class=HTMLResponse)
def participate_page(request: Request, consultation_id: str, t: str = "") -> Response:
    consultation = _open_consultation(request, consultation_id)
    lang = _language(request, consultation)
    if consultation is None:
        return _not_found(request, lang)
    refused, invitation = _gate(request, consultation, lang, t)
    if refused is not None:
        return refused
    preset = {"helix": invitation.helix.value} if invitation and invitation.helix else {}
    return _public(
        request,
        consultation,
        lang,
        "consult_public_form.html",
        token=t,
        csrf=_participant_csrf(request),
        values=preset,
        errors={},
        problems=[],
        **_form_context(consultation, _mission_of(request, consultation)),
    )


@router.post("/c/{consultation_id}")
async def participate_post(request: Request, consultation_id: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_respond, request, consultation_id, form)


def _read_submission(
    consultation: Consultation, mission: MissionVersion, form: FormData, lang: str
) -> tuple[Submission | None, dict[str, str], dict[str, str], list[str]]:
    """The submission in a posted form, the values to show again, per-field error codes, and the form
    field each of the submission's proposals came from (to place the service's messages)."""
    values: dict[str, str] = {str(k): str(v) for k, v in form.items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    helix = values.get("helix", "")
    level = values.get("level", "")
    if helix not in {h.value for h in HelixType}:
        errors["helix"] = "choose_group"
    if level not in {lv.value for lv in Level}:
        errors["level"] = "choose_level"
    answers: list[Answer] = []
    proposals: list[Proposal] = []
    proposal_fields: list[str] = []
    ratings: list[Rating] = []
    for question in consultation.questions:
        if question.kind is QuestionKind.TEXT:
            text = values.get(f"answer.{question.id}", "").strip()
            if len(text) > MAX_TEXT:
                errors[f"answer.{question.id}"] = "too_long"
            elif text:
                answers.append(Answer(question_id=question.id, text=text))
            elif question.required:
                errors[f"answer.{question.id}"] = "required"
        elif question.kind is QuestionKind.PROPOSAL:
            text = values.get(f"proposal.{question.id}.text", "").strip()
            kind = values.get(f"proposal.{question.id}.kind", ProposalKind.SOLUTION.value)
            if len(text) > MAX_TEXT:
                errors[f"proposal.{question.id}.text"] = "too_long"
            elif text:
                proposals.append(
                    Proposal(
                        kind=ProposalKind(kind)
                        if kind in {k.value for k in ProposalKind}
                        else ProposalKind.SOLUTION,
                        text=text,
                    )
                )
                proposal_fields.append(f"proposal.{question.id}.text")
            elif question.required:
                errors[f"proposal.{question.id}.text"] = "required"
        elif question.kind is QuestionKind.RATING:
            for objective in mission.mission.objectives:
                scores: dict[str, int | None] = {}
                for criterion in ("importance", "ambition"):
                    raw = values.get(f"rating.{objective.id}.{criterion}", "")
                    scores[criterion] = int(raw) if raw in {str(s) for s in SCALE} else None
                if scores["importance"] is not None or scores["ambition"] is not None:
                    ratings.append(Rating(objective_id=objective.id, **scores))
                elif question.required:
                    errors[f"rating.{objective.id}.importance"] = "required"
    if values.get("consent") != "on":
        errors["consent"] = "consent"
    if errors:
        return None, values, errors, proposal_fields
    submission = Submission(
        helix=HelixType(helix),
        level=Level(level),
        consent=True,
        language=lang,
        answers=answers,
        ratings=ratings,
        proposals=proposals,
    )
    return submission, values, errors, proposal_fields


def _problem_field(field: str, proposal_fields: list[str]) -> str:
    """The form field a service problem is about (``answers.views`` → ``answer.views``, ``proposals[0]`` → …)."""
    if field.startswith("answers."):
        return "answer." + field.removeprefix("answers.")
    found = re.fullmatch(r"proposals\[(\d+)\]", field)
    if found and int(found.group(1)) < len(proposal_fields):
        return proposal_fields[int(found.group(1))]
    if field.startswith("ratings."):
        return f"rating.{field.removeprefix('ratings.')}.importance"
    return field if field in ("helix", "level", "consent") else ""


def _respond(request: Request, consultation_id: str, form: FormData) -> Response:
    consultation = _open_consultation(request, consultation_id)
    lang = _language(request, consultation, str(form.get("lang", "")))
    if consultation is None:
        return _not_found(request, lang)
    token = str(form.get("t", ""))
    refused, _invitation = _gate(request, consultation, lang, token)
    if refused is not None:
        return refused
    mission = _mission_of(request, consultation)
    if not _check_participant_csrf(request, form):
        # The page was open for hours (the token's cookie expired) or came from elsewhere: show the form
        # again with what they wrote and a fresh token, so nobody loses a long answer. Consent is left
        # for them to tick again: a page from elsewhere must not give it on their behalf.
        kept = {str(k): str(v) for k, v in form.items() if isinstance(v, str) and k != "consent"}
        return _public(
            request,
            consultation,
            lang,
            "consult_public_form.html",
            status_code=403,
            token=token,
            csrf=secrets.token_urlsafe(24),
            values=kept,
            errors={"form": "csrf"},
            problems=[],
            **_form_context(consultation, mission),
        )
    submission, values, errors, proposal_fields = _read_submission(consultation, mission, form, lang)
    problems: list[tuple[str, str]] = []
    if str(form.get(HONEYPOT_FIELD, "")):
        submission, errors = None, {**errors, "form": "spam"}
    if submission is not None:
        try:
            response, receipt = service.submit_response(
                workspace_of(request),
                consultation.id,
                submission,
                token=token or None,
                client_key=client_key(request) if consultation.audience is Audience.PUBLIC else None,
            )
        except RateLimited as exc:
            limited = _public(
                request, consultation, lang, "consult_public_message.html", status_code=429, reason="limited"
            )
            limited.headers["retry-after"] = str(exc.retry_after)
            return limited
        except AlreadyResponded:
            return _public(
                request, consultation, lang, "consult_public_message.html", status_code=409, reason="used"
            )
        except InputError as exc:
            for p in exc.problems:
                field = _problem_field(p.field, proposal_fields)
                if p.code and field and field not in errors:  # a problem the page words in `lang`
                    errors[field] = p.code
                else:
                    problems.append((field, p.message))
        else:
            return _public(
                request,
                consultation,
                lang,
                "consult_public_receipt.html",
                switchable=False,
                receipt=receipt,
                response=response,
                mine_url=f"/c/{consultation.id}/mine?{urlencode({'lang': lang})}",
            )
    csrf = _participant_csrf(request)
    return _public(
        request,
        consultation,
        lang,
        "consult_public_form.html",
        status_code=422,
        token=token,
        csrf=csrf,
        values=values,
        errors=errors,
        problems=problems,
        **_form_context(consultation, mission),
    )


# --- participation: my response ------------------------------------------------------------------


@router.get("/c/{consultation_id}/mine", response_class=HTMLResponse)
def mine_page(request: Request, consultation_id: str) -> Response:
    consultation = _open_consultation(request, consultation_id)
    lang = _language(request, consultation)
    if consultation is None:
        return _not_found(request, lang)
    return _public(
        request,
        consultation,
        lang,
        "consult_public_mine.html",
        csrf=_participant_csrf(request),
        data=None,
        error="",
    )


@router.post("/c/{consultation_id}/mine")
async def mine_post(request: Request, consultation_id: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_mine, request, consultation_id, form)


def _mine(request: Request, consultation_id: str, form: FormData) -> Response:
    import json

    consultation = _open_consultation(request, consultation_id)
    lang = _language(request, consultation, str(form.get("lang", "")))
    if consultation is None:
        return _not_found(request, lang)
    csrf = _participant_csrf(request)
    if not _check_participant_csrf(request, form):
        return _public(
            request, consultation, lang, "consult_public_message.html", status_code=403, reason="csrf"
        )
    receipt = str(form.get("receipt", "")).strip()
    action = str(form.get("action", "view"))
    workspace = workspace_of(request)

    def again(error: str, status_code: int) -> HTMLResponse:
        return _public(
            request,
            consultation,
            lang,
            "consult_public_mine.html",
            status_code=status_code,
            csrf=csrf,
            data=None,
            error=error,
            receipt=receipt,
        )

    if not receipt:
        return again("missing", 422)
    try:
        data = service.personal_data(workspace, consultation_id, receipt).to_dict()
    except NotFound:
        return again("unknown", 404)
    if action == "download":
        return Response(
            json.dumps(data, indent=2, ensure_ascii=False, default=str),
            media_type="application/json",
            headers={"content-disposition": f'attachment; filename="{consultation_id}-my-response.json"'},
        )
    if action == "erase":
        if form.get("confirm") != "on":
            return _public(
                request,
                consultation,
                lang,
                "consult_public_mine.html",
                status_code=422,
                csrf=csrf,
                data=data,
                error="confirm",
                receipt=receipt,
            )
        service.erase_response(workspace, consultation_id, receipt=receipt, user=service.PARTICIPANT)
        return _public(request, consultation, lang, "consult_public_message.html", reason="erased")
    return _public(
        request,
        consultation,
        lang,
        "consult_public_mine.html",
        csrf=csrf,
        data=data,
        error="",
        receipt=receipt,
        data_json=json.dumps(data, indent=2, ensure_ascii=False, default=str),
    )


__all__ = ["client_key", "router", "synthesis_of"]
