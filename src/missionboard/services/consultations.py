"""Consultation use cases: open, invite, respond, moderate, erase, export/import, synthesise, adopt.

State rules live here (is the consultation open, is this invitation unused, is this client flooding);
who may call what (owner, participant) is the web layer's job. Every write is one transaction and
audited; the audit log never holds what a participant wrote, nor an invitation's label.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import JsonValue, ValidationError

from missionboard.consultation.grouping import closest_objective as closest_objective  # for the interfaces
from missionboard.consultation.grouping import proposal_groups as proposal_groups
from missionboard.domain.consultations import (
    ANSWERABLE,
    LANGUAGES,
    MAX_REASON,
    MAX_SUMMARY,
    MAX_TEXT,
    REPEATED,
    Answer,
    Audience,
    Channel,
    Consultation,
    ConsultationStatus,
    Invitation,
    Proposal,
    ProposalAnswer,
    ProposalKind,
    ProposalOutcome,
    Question,
    QuestionKind,
    Rating,
    ReportBack,
    Response,
    Submission,
    Synthesis,
    default_questions,
    repeated_fields,
    reported_proposals,
    submission_problems,
)
from missionboard.domain.missions import HelixType, Level, Mission, MissionVersion, Objective
from missionboard.domain.spreadsheets import protected, unprotected
from missionboard.errors import AlreadyResponded as AlreadyResponded  # re-exported: tests use service.X
from missionboard.errors import InputError, NotFound, Problem
from missionboard.errors import NotAcceptingResponses as NotAcceptingResponses
from missionboard.errors import RateLimited as RateLimited
from missionboard.missionfile import mission_document
from missionboard.store import audit
from missionboard.store.consultations import ConsultationStore, StoredResponse
from missionboard.store.missions import MissionStore
from missionboard.store.workspace import Workspace

# --- limits ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FloodLimits:
    """How many public responses are accepted before ``RateLimited``: per client key per hour, and per
    consultation per minute (all clients together)."""

    per_client_per_hour: int = 5
    per_consultation_per_minute: int = 30


FLOOD_LIMITS = FloodLimits()
LOG_KEPT = dt.timedelta(days=1)
"""Flood-limit log entries older than this are deleted: they are needed for an hour, not for the record."""

RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
"""No 0/O, 1/I/L or U: a receipt is read off a screen and typed back."""

PARTICIPANT = "participant"
"""The actor recorded for what participants do (they have no account, and we don't want their name)."""


# --- helpers ---------------------------------------------------------------------------------------


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _sender_key(secret: str | None, client: str | None) -> str | None:
    """A keyed hash of who sent a public response (e.g. their address), for the flooding limits.

    The key is the consultation's own secret, the same for every web worker; closing the consultation
    erases the secret and every such hash, so nothing kept afterwards can be traced to a sender.
    """
    if not client or not secret:
        return None
    return hmac.new(bytes.fromhex(secret), client.encode(), hashlib.sha256).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _new_receipt() -> str:
    chars = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def normalise_receipt(receipt: str) -> str:
    """What is hashed: upper case, without dashes or spaces, so 'abcd efgh…' finds 'ABCD-EFGH-…'."""
    return re.sub(r"[^A-Z0-9]", "", receipt.upper())


def slugify(text: str, taken: set[str] | None = None, limit: int = 60) -> str:
    """A short identifier from a title, made unique against ``taken``."""
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-") or "item"
    taken = taken or set()
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _document(consultation: Consultation) -> dict[str, Any]:
    return dict(consultation.model_dump(mode="json"))


def _set_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, [], {}, "")}


# --- consultations ---------------------------------------------------------------------------------


def open_consultation(
    ws: Workspace,
    *,
    mission_id: str,
    title: str,
    purpose: str,
    opens_on: dt.date,
    closes_on: dt.date,
    audience: Audience | str,
    language: str = "en",
    questions: Sequence[Question] | None = None,
    consultation_id: str | None = None,
    user: str,
    open_now: bool = True,
    now: dt.datetime | None = None,
) -> Consultation:
    """Put the mission's current version to consultation (as a draft when ``open_now`` is false)."""
    with ws.transaction() as session:
        store = ConsultationStore(session)
        version = MissionStore(session).get(mission_id)
        taken = store.ids()
        if consultation_id is not None and consultation_id in taken:
            raise InputError(Problem("", None, "id", f"a consultation '{consultation_id}' already exists"))
        cid = consultation_id or slugify(title, taken)
        try:
            consultation = Consultation(
                id=cid,
                mission_id=mission_id,
                mission_version=version.version,
                title=title,
                purpose=purpose,
                opens_on=opens_on,
                closes_on=closes_on,
                audience=Audience(audience),
                language=language,
                questions=list(questions) if questions is not None else default_questions(),
                status=ConsultationStatus.OPEN if open_now else ConsultationStatus.DRAFT,
                created_by=user,
                created_at=now or _now(),
            )
        except ValueError as exc:
            raise _input_error(exc) from None
        store.add(consultation, client_secret=secrets.token_hex(32))
        audit.record(
            session,
            actor=user,
            action="consultation.open" if open_now else "consultation.create",
            entity="consultation",
            entity_id=consultation.id,
            after=_document(consultation),
        )
        return consultation


def _input_error(exc: ValueError, file: str = "", line: int | None = None, prefix: str = "") -> InputError:
    """A pydantic error as problems naming each field."""
    if isinstance(exc, ValidationError):
        problems = []
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(Problem(file, line, f"{prefix}{field}" if field else prefix.rstrip("."), message))
        return InputError(problems)
    return InputError(Problem(file, line, prefix.rstrip("."), str(exc)))


def start_consultation(ws: Workspace, consultation_id: str, *, user: str) -> Consultation:
    """Open a draft consultation for responses."""
    with ws.transaction() as session:
        store = ConsultationStore(session)
        consultation = store.get(consultation_id, lock=True)
        if consultation.status != ConsultationStatus.DRAFT:
            raise InputError(
                Problem(
                    "",
                    None,
                    "status",
                    f"consultation '{consultation_id}' is {consultation.status.value}, not a draft",
                )
            )
        started = store.set_status(consultation_id, ConsultationStatus.OPEN)
        audit.record(
            session,
            actor=user,
            action="consultation.start",
            entity="consultation",
            entity_id=consultation_id,
            before={"status": "draft"},
            after={"status": "open"},
        )
        return started


def get_consultation(ws: Workspace, consultation_id: str) -> Consultation:
    with ws.reading() as session:
        return ConsultationStore(session).get(consultation_id)


def list_consultations(ws: Workspace, mission_id: str | None = None) -> list[Consultation]:
    """Consultations, newest first (optionally of one mission)."""
    with ws.reading() as session:
        return ConsultationStore(session).list(mission_id)


def close_consultation(
    ws: Workspace, consultation_id: str, *, user: str, now: dt.datetime | None = None
) -> Consultation:
    """Stop accepting responses (closing a closed consultation changes nothing)."""
    with ws.transaction() as session:
        store = ConsultationStore(session)
        consultation = store.get(consultation_id, lock=True)
        if consultation.status == ConsultationStatus.CLOSED:
            return consultation
        before = consultation.status.value
        closed_at = now or _now()
        closed = store.close(consultation_id, closed_at)
        audit.record(
            session,
            actor=user,
            action="consultation.close",
            entity="consultation",
            entity_id=consultation_id,
            before={"status": before},
            after={"status": "closed", "closed_at": closed_at.isoformat()},
        )
        return closed


def consultation_mission(ws: Workspace, consultation_id: str) -> MissionVersion:
    """The mission version that was put to consultation."""
    with ws.reading() as session:
        consultation = ConsultationStore(session).get(consultation_id)
        return MissionStore(session).get(consultation.mission_id, consultation.mission_version)


def response_counts(ws: Workspace, consultation_id: str) -> dict[str, int]:
    """Responses received, hidden, and invitations sent/used: what the owner's overview shows."""
    with ws.reading() as session:
        store = ConsultationStore(session)
        store.require(consultation_id)
        by_hidden, by_used = store.counts(consultation_id)
    return {
        "responses": by_hidden.get(False, 0) + by_hidden.get(True, 0),
        "hidden": by_hidden.get(True, 0),
        "invitations": by_used.get(False, 0) + by_used.get(True, 0),
        "invitations_used": by_used.get(True, 0),
    }


# --- invitations -----------------------------------------------------------------------------------


def create_invitations(
    ws: Workspace,
    consultation_id: str,
    labels: Sequence[str],
    *,
    user: str,
    helix: HelixType | str | None = None,
) -> list[tuple[Invitation, str]]:
    """One invitation per label; returns each with its secret token (link: ``/c/{cid}?t={token}``).

    Only the token's SHA-256 is stored, so a lost link cannot be shown again: make a new one.
    """
    if not labels:
        raise InputError(Problem("", None, "labels", "name at least one invitation (a label per person)"))
    for n, label in enumerate(labels):
        if len(label) > 200:
            raise InputError(Problem("", None, f"labels[{n}]", "is longer than 200 characters"))
    try:
        helix_value = HelixType(helix) if helix else None
    except ValueError:
        raise InputError(
            Problem("", None, "helix", f"'{helix}' is not one of {', '.join(h.value for h in HelixType)}")
        ) from None
    now = _now()
    with ws.transaction() as session:
        store = ConsultationStore(session)
        consultation = store.get(consultation_id)
        if consultation.audience != Audience.INVITED:
            raise InputError(
                Problem("", None, "audience", "this consultation is public: share its link instead")
            )
        if consultation.status == ConsultationStatus.CLOSED:
            raise InputError(Problem("", None, "status", f"consultation '{consultation_id}' is closed"))
        tokens = [secrets.token_urlsafe(24) for _ in labels]
        invitations = store.add_invitations(
            consultation_id,
            [(_sha256(token), label.strip()) for token, label in zip(tokens, labels, strict=True)],
            helix=helix_value.value if helix_value else None,
            created_at=now,
        )
        audit.record(
            session,
            actor=user,
            action="consultation.invite",
            entity="consultation",
            entity_id=consultation_id,
            after={"invitations": [i.id for i in invitations], "helix": helix_value},
        )
        return list(zip(invitations, tokens, strict=True))


def invitation_link(consultation_id: str, token: str, base_url: str = "") -> str:
    return f"{base_url.rstrip('/')}/c/{consultation_id}?t={token}"


def list_invitations(ws: Workspace, consultation_id: str) -> list[Invitation]:
    with ws.reading() as session:
        store = ConsultationStore(session)
        store.require(consultation_id)
        return store.invitations(consultation_id)


def _invitation_by_token(store: ConsultationStore, consultation_id: str, token: str) -> Invitation:
    invitation = store.invitation_by_token(consultation_id, _sha256(token))
    if invitation is None:
        raise NotFound("this invitation link is not valid: check that you copied all of it")
    return invitation


def _already_responded() -> AlreadyResponded:
    return AlreadyResponded(
        Problem(
            "", None, "token", "this invitation has already been used: each invitation allows one response"
        )
    )


def check_invitation(ws: Workspace, consultation_id: str, token: str) -> Invitation:
    """The invitation behind a link, if it may still be used."""
    with ws.reading() as session:
        store = ConsultationStore(session)
        store.require(consultation_id)
        invitation = _invitation_by_token(store, consultation_id, token)
        if invitation.used_at is not None:
            raise _already_responded()
        return invitation


# --- responses -------------------------------------------------------------------------------------


def build_submission(data: Mapping[str, Any]) -> Submission:
    """A Submission from plain data (a form, JSON), with errors as InputError naming each field."""
    try:
        return Submission.model_validate(data)
    except ValidationError as exc:
        raise _input_error(exc) from None


def _check_accepting(consultation: Consultation, today: dt.date) -> None:
    if consultation.accepts_responses(today):
        return
    if consultation.status is ConsultationStatus.DRAFT:
        message = "is not open for responses yet"
    elif consultation.status is ConsultationStatus.CLOSED:
        message = "is closed: it no longer accepts responses"
    elif today < consultation.opens_on:
        message = f"opens on {consultation.opens_on.isoformat()}: responses are accepted from then"
    else:
        message = f"closed on {consultation.closes_on.isoformat()}: it no longer accepts responses"
    raise NotAcceptingResponses(Problem("", None, "consultation", f"'{consultation.id}' {message}"))


def _check_flooding(
    store: ConsultationStore, consultation_id: str, key: str | None, now: dt.datetime, limits: FloodLimits
) -> None:
    store.purge_log(now - LOG_KEPT)
    recent = store.submissions_since(consultation_id, now - dt.timedelta(minutes=1))
    if recent >= limits.per_consultation_per_minute:
        raise RateLimited(
            "this consultation is receiving very many responses right now: please try again in a minute",
            retry_after=60,
        )
    if key is None:
        return
    by_client = store.submissions_since(consultation_id, now - dt.timedelta(hours=1), key=key)
    if by_client >= limits.per_client_per_hour:
        raise RateLimited(
            f"at most {limits.per_client_per_hour} responses an hour are accepted from one connection: "
            "please try again later",
            retry_after=3600,
        )


def submit_response(
    ws: Workspace,
    consultation_id: str,
    submission: Submission,
    *,
    token: str | None = None,
    client_key: str | None = None,
    now: dt.datetime | None = None,
    limits: FloodLimits = FLOOD_LIMITS,
) -> tuple[Response, str]:
    """Store a participant's response; returns it with the receipt code they keep to see or erase it.

    ``client_key`` (public consultations) tells senders apart, e.g. the client's address; only a hash
    keyed with the consultation's secret is stored, and only until the consultation closes.
    """
    now = now or _now()
    with ws.transaction() as session:
        store = ConsultationStore(session)
        consultation = store.get(consultation_id)
        key = _sender_key(store.sender_secret(consultation_id), client_key)
        _check_accepting(consultation, now.date())
        version = MissionStore(session).get(consultation.mission_id, consultation.mission_version)
        problems = submission_problems(consultation, [o.id for o in version.mission.objectives], submission)
        if problems:
            raise InputError([Problem("", None, p.field, p.message, p.code) for p in problems])
        invitation: Invitation | None = None
        if consultation.audience is Audience.INVITED:
            if not token:
                raise InputError(
                    Problem(
                        "", None, "token", "this consultation is by invitation: use the link you were given"
                    )
                )
            invitation = _invitation_by_token(store, consultation_id, token)
            if not store.claim_invitation(invitation.id, now):
                raise _already_responded()
            channel = Channel.INVITED
        else:
            _check_flooding(store, consultation_id, key, now, limits)
            if key is not None:
                repeated = repeated_fields(submission, store.responses_from(consultation_id, key))
                if repeated:
                    raise InputError(
                        [
                            Problem(
                                "",
                                None,
                                field,
                                "repeats word for word a response already sent from here",
                                REPEATED,
                            )
                            for field in repeated
                        ]
                    )
            store.log_submission(consultation_id, key, now)
            channel = Channel.PUBLIC
        receipt = _new_receipt()
        stored = _store_response(
            store,
            consultation_id,
            submission,
            channel=channel,
            now=now,
            receipt=receipt,
            invitation_id=invitation.id if invitation else None,
            client_key=key,
        )
        audit.record(
            session,
            actor=PARTICIPANT,
            action="consultation.respond",
            entity="consultation",
            entity_id=consultation_id,
            after={"response": stored, "channel": channel.value},
        )
        return store.response(consultation_id, stored).response, receipt


def _store_response(
    store: ConsultationStore,
    consultation_id: str,
    submission: Submission,
    *,
    channel: Channel,
    now: dt.datetime,
    receipt: str,
    invitation_id: int | None = None,
    client_key: str | None = None,
) -> int:
    """Store a submission; returns the new response's id."""
    return store.add_response(
        consultation_id,
        submission,
        channel=channel,
        at=now,
        receipt_sha256=_sha256(normalise_receipt(receipt)),
        invitation_id=invitation_id,
        client_key=client_key,
    )


def list_responses(ws: Workspace, consultation_id: str, *, include_hidden: bool = True) -> list[Response]:
    with ws.reading() as session:
        store = ConsultationStore(session)
        store.require(consultation_id)
        return store.responses(consultation_id, include_hidden=include_hidden)


def get_response(ws: Workspace, consultation_id: str, response_id: int) -> Response:
    with ws.reading() as session:
        return ConsultationStore(session).response(consultation_id, response_id).response


def _by_receipt(store: ConsultationStore, consultation_id: str, receipt: str) -> StoredResponse:
    found = store.response_by_receipt(consultation_id, _sha256(normalise_receipt(receipt)))
    if found is None:
        raise NotFound(f"no response with receipt '{receipt}' in consultation '{consultation_id}'")
    return found


def response_by_receipt(ws: Workspace, consultation_id: str, receipt: str) -> Response:
    """The response a participant holds the receipt of (what they sent, as stored)."""
    with ws.reading() as session:
        return _by_receipt(ConsultationStore(session), consultation_id, receipt).response


def _moderate(
    ws: Workspace, consultation_id: str, response_id: int, *, hidden: bool, reason: str, user: str
) -> Response:
    reason = reason.strip()
    if hidden and not reason:
        raise InputError(
            Problem("", None, "reason", "say why the response is hidden (it goes in the audit log)")
        )
    with ws.transaction() as session:
        store = ConsultationStore(session)
        response = store.response(consultation_id, response_id).response
        before = {"hidden": response.hidden, "reason": response.hidden_reason}
        moderated = store.set_hidden(consultation_id, response_id, hidden, reason if hidden else None)
        audit.record(
            session,
            actor=user,
            action="consultation.response.hide" if hidden else "consultation.response.unhide",
            entity="consultation_response",
            entity_id=f"{consultation_id}#{response_id}",
            before=before,
            after={"hidden": hidden, "reason": reason},
        )
        return moderated


def hide_response(
    ws: Workspace, consultation_id: str, response_id: int, *, reason: str, user: str
) -> Response:
    """Leave a response out of the synthesis (kept for the record); the reason is audited."""
    return _moderate(ws, consultation_id, response_id, hidden=True, reason=reason, user=user)


def unhide_response(
    ws: Workspace, consultation_id: str, response_id: int, *, reason: str = "", user: str
) -> Response:
    return _moderate(ws, consultation_id, response_id, hidden=False, reason=reason, user=user)


# --- privacy ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldInvitation:
    """The invitation a participant answered through, as their personal data shows it."""

    label: str
    helix: str | None
    created_at: str
    used_at: str | None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "label": self.label,
            "helix": self.helix,
            "created_at": self.created_at,
            "used_at": self.used_at,
        }


@dataclass(frozen=True)
class PersonalData:
    """Everything held about one participant: their response, the invitation they used, whether a key of
    their connection is kept, and what is not held."""

    consultation_id: str
    consultation_title: str
    response: Response
    invitation: HeldInvitation | None
    connection: str | None
    not_held: str

    def to_dict(self) -> dict[str, JsonValue]:
        """The document a participant downloads."""
        return {
            "consultation": {"id": self.consultation_id, "title": self.consultation_title},
            "response": self.response.model_dump(mode="json"),
            "invitation": None if self.invitation is None else dict(self.invitation.to_dict()),
            "connection": self.connection,
            "not_held": self.not_held,
        }


def personal_data(ws: Workspace, consultation_id: str, receipt: str) -> PersonalData:
    """Everything held about the participant holding ``receipt`` (``to_dict()``: as plain data)."""
    with ws.reading() as session:
        store = ConsultationStore(session)
        consultation = store.get(consultation_id)
        found = _by_receipt(store, consultation_id, receipt)
        invitation = store.invitation(found.invitation_id) if found.invitation_id else None
        return PersonalData(
            consultation_id=consultation.id,
            consultation_title=consultation.title,
            response=found.response,
            invitation=None
            if invitation is None
            else HeldInvitation(
                label=invitation.label,
                helix=invitation.helix.value if invitation.helix else None,
                created_at=invitation.created_at.isoformat(),
                used_at=invitation.used_at.isoformat() if invitation.used_at else None,
            ),
            connection=(
                "a keyed one-way hash of your connection, used only to limit flooding and erased at closing"
                if found.sender_key_kept
                else None
            ),
            not_held="no name, e-mail address, IP address or cookie is stored with your response",
        )


def erase_response(
    ws: Workspace,
    consultation_id: str,
    *,
    receipt: str | None = None,
    response_id: int | None = None,
    user: str,
) -> None:
    """Delete a response and its invitation's label; the audit log records that, not what was said."""
    if (receipt is None) == (response_id is None):
        raise InputError(Problem("", None, "receipt", "name the response by its receipt or by its number"))
    with ws.transaction() as session:
        store = ConsultationStore(session)
        store.require(consultation_id)
        if receipt is not None:
            found = _by_receipt(store, consultation_id, receipt)
        else:
            assert response_id is not None
            found = store.response(consultation_id, response_id)
        response = found.response
        erased = {
            "response": response.id,
            "channel": response.channel.value,
            "by": "receipt" if receipt else "id",
        }
        # the invitation's label goes; it stays marked used: the link stays spent
        if found.invitation_id is not None and store.erase_invitation_label(found.invitation_id):
            erased["invitation"] = found.invitation_id
        store.delete_response(consultation_id, response.id)
        audit.record(
            session,
            actor=user,
            action="consultation.response.erase",
            entity="consultation_response",
            entity_id=f"{consultation_id}#{erased['response']}",
            before=erased,
            after=None,
        )


# --- export and import -----------------------------------------------------------------------------

EXPORT_ONLY = ("id", "channel", "submitted_at", "hidden", "hidden_reason", "adopted")
"""Columns ``export`` writes that ``import`` skips, so an export can be imported elsewhere."""
TRUE = {"yes", "y", "true", "1", "ja", "j"}
FALSE = {"no", "n", "false", "0", "nei", "nej"}
CRITERIA = ("importance", "ambition")


def _columns(consultation: Consultation, mission: Mission, proposals: int = 1) -> list[str]:
    columns = ["helix", "level", "language", "consent"]
    columns += [q.id for q in consultation.questions if q.kind is QuestionKind.TEXT]
    if any(q.kind is QuestionKind.RATING for q in consultation.questions):
        columns += [f"{o.id}.{c}" for o in mission.objectives for c in CRITERIA]
    if any(q.kind is QuestionKind.PROPOSAL for q in consultation.questions):
        for kind in ProposalKind:
            columns += [
                f"proposal_{kind.value}" + ("" if n == 1 else f".{n}") for n in range(1, proposals + 1)
            ]
    return columns


def export_responses(ws: Workspace, consultation_id: str, fmt: str = "csv") -> str:
    """All responses (hidden ones marked) as CSV in the import format, or as JSON; no personal data."""
    consultation = get_consultation(ws, consultation_id)
    mission = consultation_mission(ws, consultation_id).mission
    responses = list_responses(ws, consultation_id)
    if fmt == "json":
        return json.dumps(
            {
                "consultation": _document(consultation),
                "responses": [r.model_dump(mode="json") for r in responses],
            },
            indent=2,
            ensure_ascii=False,
        )
    if fmt != "csv":
        raise InputError(Problem("", None, "format", f"'{fmt}' is not csv or json"))
    most = max([1] + [sum(p.kind is k for p in r.proposals) for r in responses for k in ProposalKind])
    columns = [*EXPORT_ONLY, *_columns(consultation, mission, most)]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in responses:
        line: dict[str, Any] = {
            "id": r.id,
            "channel": r.channel.value,
            "submitted_at": r.submitted_at.isoformat(timespec="seconds"),
            "hidden": "yes" if r.hidden else "no",
            "hidden_reason": r.hidden_reason or "",
            "adopted": " ".join(str(i) for i in r.adopted),
            "helix": r.helix.value,
            "level": r.level.value,
            "language": r.language,
            "consent": "yes",
        }
        line.update({a.question_id: a.text for a in r.answers})
        for rating in r.ratings:
            for criterion in CRITERIA:
                value = getattr(rating, criterion)
                line[f"{rating.objective_id}.{criterion}"] = "" if value is None else value
        for kind in ProposalKind:
            texts = [p.text for p in r.proposals if p.kind is kind]
            for n, text in enumerate(texts, 1):
                line[f"proposal_{kind.value}" + ("" if n == 1 else f".{n}")] = text
        writer.writerow({key: protected(value) for key, value in line.items()})
    return out.getvalue()


_PROPOSAL_COLUMN = re.compile(r"^proposal_(objective|solution)(?:\.(\d+))?$")


def _header_problems(
    file: str, header: list[str], consultation: Consultation, mission: Mission
) -> list[Problem]:
    text_ids = {q.id for q in consultation.questions if q.kind is QuestionKind.TEXT}
    rating = any(q.kind is QuestionKind.RATING for q in consultation.questions)
    proposal = any(q.kind is QuestionKind.PROPOSAL for q in consultation.questions)
    objectives = {o.id for o in mission.objectives}
    problems = []
    for name in ("helix", "level", "consent"):
        if name not in header:
            problems.append(Problem(file, 1, name, "column is missing"))
    for name in header:
        if name in ("helix", "level", "language", "consent", *EXPORT_ONLY) or name in text_ids:
            continue
        if "." in name and name.rsplit(".", 1)[1] in CRITERIA:
            objective = name.rsplit(".", 1)[0]
            if not rating:
                problems.append(Problem(file, 1, name, "this consultation does not ask for ratings"))
            elif objective not in objectives:
                problems.append(
                    Problem(
                        file,
                        1,
                        name,
                        f"the mission has no objective '{objective}' (it has {', '.join(sorted(objectives)) or 'none'})",
                    )
                )
            continue
        if _PROPOSAL_COLUMN.match(name):
            if not proposal:
                problems.append(Problem(file, 1, name, "this consultation does not ask for proposals"))
            continue
        problems.append(
            Problem(
                file,
                1,
                name,
                "unknown column: expected helix, level, language, consent, the free-text question ids "
                f"({', '.join(sorted(text_ids)) or 'none'}), <objective>.importance, <objective>.ambition, "
                "proposal_objective or proposal_solution",
            )
        )
    if len(set(header)) != len(header):
        twice = sorted({h for h in header if header.count(h) > 1})
        problems.append(Problem(file, 1, twice[0], "column appears twice"))
    return problems


def _row_submission(
    file: str, line: int, cells: dict[str, str], consultation: Consultation
) -> tuple[Submission | None, list[Problem]]:
    problems: list[Problem] = []

    def choice(field: str, allowed: Sequence[str], default: str | None = None) -> str | None:
        value = (cells.get(field) or "").strip().lower().replace(" ", "_").replace("-", "_")
        if not value:
            if default is None:
                problems.append(Problem(file, line, field, "is empty"))
            return default
        if value not in allowed:
            problems.append(
                Problem(file, line, field, f"'{cells[field].strip()}' is not one of {', '.join(allowed)}")
            )
            return None
        return value

    helix = choice("helix", [h.value for h in HelixType])
    level = choice("level", [lv.value for lv in Level])
    language = choice("language", LANGUAGES, default=consultation.language)
    consent_text = (cells.get("consent") or "").strip().lower()
    if consent_text in FALSE or not consent_text:
        problems.append(Problem(file, line, "consent", "the participant did not consent: leave the row out"))
    elif consent_text not in TRUE:
        problems.append(Problem(file, line, "consent", f"'{consent_text}' is not yes or no"))
    answers = []
    for question in consultation.questions:
        text = (cells.get(question.id) or "").strip()
        if question.kind is QuestionKind.TEXT and text:
            if len(text) > MAX_TEXT:
                problems.append(Problem(file, line, question.id, f"is longer than {MAX_TEXT} characters"))
            else:
                answers.append(Answer(question_id=question.id, text=text))
    ratings: dict[str, dict[str, int]] = {}
    proposals = []
    for name, raw in cells.items():
        value = (raw or "").strip()
        if not value:
            continue
        if "." in name and name.rsplit(".", 1)[1] in CRITERIA:
            objective, criterion = name.rsplit(".", 1)
            if value not in {"1", "2", "3", "4", "5"}:
                problems.append(Problem(file, line, name, f"'{value}' is not a whole number from 1 to 5"))
                continue
            ratings.setdefault(objective, {})[criterion] = int(value)
        elif match := _PROPOSAL_COLUMN.match(name):
            if len(value) > MAX_TEXT:
                problems.append(Problem(file, line, name, f"is longer than {MAX_TEXT} characters"))
                continue
            proposals.append(Proposal(kind=ProposalKind(match.group(1)), text=value))
    if problems or helix is None or level is None or language is None:
        return None, problems
    submission = Submission(
        helix=HelixType(helix),
        level=Level(level),
        consent=True,
        language=language,
        answers=answers,
        ratings=[Rating(objective_id=o, **values) for o, values in ratings.items()],
        proposals=proposals,
    )
    return submission, []


MAX_IMPORT_PROBLEMS = 50


def import_responses(
    ws: Workspace, consultation_id: str, path: Path, *, user: str, now: dt.datetime | None = None
) -> int:
    """Import responses gathered elsewhere (CSV); all rows or none. Returns how many were imported.

    ``now`` is when they count as received (e.g. the workshop's date); default: the time of import.
    """
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(Problem(file, None, "", "no such file")) from None
    except UnicodeDecodeError:
        raise InputError(Problem(file, None, "", "is not UTF-8 text: save the CSV as UTF-8")) from None
    consultation = get_consultation(ws, consultation_id)
    mission = consultation_mission(ws, consultation_id).mission
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)  # the header decides: Excel writes ';' in some locales
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError(
            Problem(file, None, "", "is empty: expected a header row and one row per response")
        ) from None
    problems = _header_problems(file, header, consultation, mission)
    if problems:
        raise InputError(problems)
    submissions: list[Submission] = []
    line = 1
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                problems.append(
                    Problem(
                        file, line, "", f"has {len(cells)} cells but the header has {len(header)} columns"
                    )
                )
                continue
            submission, row_problems = _row_submission(
                file, line, dict(zip(header, map(unprotected, cells), strict=True)), consultation
            )
            problems += row_problems
            if submission is not None:
                for p in submission_problems(
                    consultation, [o.id for o in mission.objectives], submission, check_spam=False
                ):
                    problems.append(Problem(file, line, p.field, p.message, p.code))
                submissions.append(submission)
            if len(problems) >= MAX_IMPORT_PROBLEMS:
                break
    except csv.Error as exc:
        problems.append(Problem(file, line, "", f"is not valid CSV: {exc}"))
    if problems:
        raise InputError(problems)
    if not submissions:
        raise InputError(Problem(file, None, "", "holds no responses"))
    now = now or _now()
    with ws.transaction() as session:
        store = ConsultationStore(session)
        store.require(consultation_id)
        ids = [
            _store_response(
                store, consultation_id, s, channel=Channel.IMPORTED, now=now, receipt=_new_receipt()
            )
            for s in submissions
        ]
        audit.record(
            session,
            actor=user,
            action="consultation.import",
            entity="consultation",
            entity_id=consultation_id,
            after={"file": path.name, "responses": len(ids), "first": ids[0], "last": ids[-1]},
        )
    return len(ids)


# --- synthesis and adoption ------------------------------------------------------------------------


def synthesise(
    ws: Workspace,
    consultation_id: str,
    *,
    user: str | None = None,
    now: dt.datetime | None = None,
    embedder: Any = None,
) -> Synthesis:
    """Themes, proposals and ratings of the visible responses, against the consulted mission version."""
    from missionboard.consultation.synthesis import synthesise as run

    consultation = get_consultation(ws, consultation_id)
    mission = consultation_mission(ws, consultation_id).mission
    responses = list_responses(ws, consultation_id)
    return run(consultation, mission, responses, now=now, embedder=embedder)


def _objective_from(text: str, taken: set[str]) -> Objective:
    first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    title = first if len(first) <= 150 else first[:147].rsplit(" ", 1)[0] + "…"
    return Objective(
        id=slugify(title, taken, limit=40),
        title=title,
        description=text if text.strip() != title else None,
    )


def adopt_proposal(
    ws: Workspace,
    consultation_id: str,
    response_id: int,
    index: int,
    *,
    user: str,
    objective: Objective | None = None,
    comment: str = "",
    objective_id: str | None = None,
) -> MissionVersion:
    """Turn a proposal into a mission edit: a new objective, or a solution; all or nothing.

    ``objective`` (the owner's wording) or ``objective_id`` (an id for the objective made from the
    proposal's text) turn any proposal into an objective. The new mission version's origin names the
    consultation and response, so its history says where the change came from.
    """
    origin = f"consultation:{consultation_id}#response-{response_id}.{index}"
    with ws.transaction() as session:
        consultations = ConsultationStore(session)
        consultation = consultations.get(consultation_id)
        response = consultations.response(consultation_id, response_id).response
        if not 0 <= index < len(response.proposals):
            raise InputError(
                Problem(
                    "",
                    None,
                    "index",
                    f"response {response_id} has {len(response.proposals)} proposal(s): "
                    f"index {index} is not among 0…{max(0, len(response.proposals) - 1)}",
                )
            )
        if response.hidden:
            raise InputError(
                Problem("", None, "response", f"response {response_id} is hidden: unhide it first")
            )
        if index in response.adopted:
            raise InputError(
                Problem("", None, "index", f"proposal {index} of response {response_id} is already adopted")
            )
        proposal = response.proposals[index]
        store = MissionStore(session)
        current = store.get(consultation.mission_id)
        document = current.mission.model_dump(mode="json")
        added: dict[str, Any]
        if objective is not None or objective_id is not None or proposal.kind is ProposalKind.OBJECTIVE:
            new = objective or _objective_from(proposal.text, {o.id for o in current.mission.objectives})
            if objective is None and objective_id is not None:
                try:
                    new = new.model_copy(update={"id": objective_id})
                    new = Objective.model_validate(new.model_dump())
                except ValidationError as exc:
                    raise _input_error(exc, prefix="objective.") from None
            document["objectives"] = [*document["objectives"], new.model_dump(mode="json")]
            added = {"objective": new.id}
        else:
            if proposal.text in current.mission.solutions:
                raise InputError(Problem("", None, "solutions", "the mission already lists this solution"))
            document["solutions"] = [*document.get("solutions", []), proposal.text]
            added = {"solution": len(document["solutions"]) - 1}
        try:
            mission = Mission.model_validate(document)
        except ValidationError as exc:
            raise _input_error(exc, prefix="mission.") from None
        before = mission_document(current.mission)
        version, _ = store.save(
            mission,
            author=user,
            origin=origin,
            comment=comment
            or f"adopted from consultation '{consultation_id}', response {response_id}, proposal {index}",
        )
        audit.record(
            session,
            actor=user,
            action="mission.update",
            entity="mission",
            entity_id=mission.id,
            before=before,
            after={"version": version.version, **mission_document(mission)},
        )
        adopted = sorted({*response.adopted, index})
        consultations.set_adopted(consultation_id, response_id, adopted)
        audit.record(
            session,
            actor=user,
            action="consultation.adopt",
            entity="consultation_response",
            entity_id=f"{consultation_id}#{response_id}",
            before={"adopted": response.adopted},
            after={
                "adopted": adopted,
                "index": index,
                "kind": proposal.kind.value,
                "mission": mission.id,
                "version": version.version,
                **added,
            },
        )
        return version


# --- reporting back -----------------------------------------------------------------------------------


def answer_proposal(
    ws: Workspace,
    consultation_id: str,
    response_id: int,
    index: int,
    outcome: ProposalOutcome | str,
    reason: str,
    *,
    user: str,
) -> ProposalAnswer:
    """Say what became of one proposal and why: considered or declined (with a reason participants
    will read), or a note on an adopted one. Adoption itself goes through ``adopt_proposal``."""
    try:
        outcome = ProposalOutcome(outcome)
    except ValueError:
        raise InputError(
            Problem("", None, "outcome", f"must be one of {', '.join(o.value for o in ANSWERABLE)}")
        ) from None
    if outcome not in ANSWERABLE:
        raise InputError(
            Problem("", None, "outcome", f"must be one of {', '.join(o.value for o in ANSWERABLE)}")
        )
    reason = reason.strip()
    if not reason:
        raise InputError(Problem("", None, "reason", "say why: participants read it on the report-back page"))
    if len(reason) > MAX_REASON:
        raise InputError(Problem("", None, "reason", f"at most {MAX_REASON:,} characters"))
    with ws.transaction() as session:
        store = ConsultationStore(session)
        consultation = store.get(consultation_id)
        if consultation.status is ConsultationStatus.DRAFT:
            raise InputError(
                Problem("", None, "consultation", "a draft consultation has no proposals to answer")
            )
        response = store.response(consultation_id, response_id).response
        if not 0 <= index < len(response.proposals):
            raise InputError(
                Problem(
                    "", None, "index", f"response {response_id} has {len(response.proposals)} proposal(s)"
                )
            )
        if response.hidden:
            raise InputError(
                Problem("", None, "response", f"response {response_id} is hidden: unhide it first")
            )
        adopted = index in response.adopted
        if (outcome is ProposalOutcome.ADOPTED) != adopted:
            raise InputError(
                Problem(
                    "",
                    None,
                    "outcome",
                    "this proposal is adopted: only a note on it can be added"
                    if adopted
                    else "adopt the proposal into the mission first (the synthesis page's Adopt)",
                )
            )
        before = store.set_answer(consultation_id, response_id, index, outcome, reason, user)
        audit.record(
            session,
            actor=user,
            action="consultation.answer",
            entity="consultation_response",
            entity_id=f"{consultation_id}#{response_id}",
            before={"index": index, "outcome": before.outcome.value, "reason": before.reason}
            if before
            else None,
            after={"index": index, "outcome": outcome.value, "reason": reason},
        )
        return store.answers(consultation_id)[(response_id, index)]


def publish_report_back(ws: Workspace, consultation_id: str, summary: str, *, user: str) -> ReportBack:
    """Publish what was done with a closed consultation's input: the summary and every answered
    proposal become visible on the participation page (republishing replaces the summary)."""
    summary = summary.strip()
    if not summary:
        raise InputError(Problem("", None, "summary", "write what was done with the input"))
    if len(summary) > MAX_SUMMARY:
        raise InputError(Problem("", None, "summary", f"at most {MAX_SUMMARY:,} characters"))
    with ws.transaction() as session:
        store = ConsultationStore(session)
        consultation = store.get(consultation_id, lock=True)
        if consultation.status is not ConsultationStatus.CLOSED:
            raise InputError(
                Problem("", None, "consultation", "close the consultation before reporting back on it")
            )
        before = store.report_back(consultation_id)
        store.publish_report_back(consultation_id, summary, user)
        audit.record(
            session,
            actor=user,
            action="consultation.report_back",
            entity="consultation",
            entity_id=consultation_id,
            before={"summary": before[0]} if before else None,
            after={"summary": summary},
        )
    return report_back(ws, consultation_id)


def report_back(ws: Workspace, consultation_id: str) -> ReportBack:
    """The consultation's report-back: its summary once published, and every visible proposal with what
    became of it (``published`` tells whether participants may see it yet)."""
    with ws.reading() as session:
        store = ConsultationStore(session)
        consultation = store.get(consultation_id)
        mission = MissionStore(session).get(consultation.mission_id).mission
        responses = store.responses(consultation_id, include_hidden=False)
        published = store.report_back(consultation_id)
        answers = store.answers(consultation_id)
    return ReportBack(
        consultation_id=consultation.id,
        title=consultation.title,
        mission_title=mission.title,
        responses=len(responses),
        summary=published[0] if published else None,
        published_by=published[1] if published else None,
        published_at=published[2] if published else None,
        proposals=reported_proposals(responses, answers),
    )
