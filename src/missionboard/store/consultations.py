"""Consultations in SQL: the consultation, its invitations, responses and the flood-limit log.

Only digests are handed in (invitation tokens, receipts, client keys); the service makes them. A store
keeps the rows it has read, so that a later change in the same transaction needs no new read.
"""

from __future__ import annotations

import builtins
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from missionboard.domain.common import utc_aware
from missionboard.domain.consultations import (
    Answer,
    Audience,
    Channel,
    Consultation,
    ConsultationStatus,
    Invitation,
    Proposal,
    ProposalAnswer,
    ProposalOutcome,
    Question,
    Rating,
    Response,
    Submission,
)
from missionboard.domain.missions import HelixType, Level
from missionboard.errors import NotFound
from missionboard.store.consult_tables import (
    ConsultationRow,
    InvitationRow,
    ProposalAnswerRow,
    ReportBackRow,
    ResponseRow,
    SubmissionLogRow,
)
from missionboard.store.tables import utcnow


@dataclass(frozen=True)
class StoredResponse:
    """A response with what is held beside it: the invitation it used and whether a sender key is kept."""

    response: Response
    invitation_id: int | None
    sender_key_kept: bool


def _consultation(row: ConsultationRow) -> Consultation:
    return Consultation(
        id=row.id,
        mission_id=row.mission_id,
        mission_version=row.mission_version,
        title=row.title,
        purpose=row.purpose,
        opens_on=row.opens_on,
        closes_on=row.closes_on,
        audience=Audience(row.audience),
        language=row.language,
        questions=[Question.model_validate(q) for q in row.questions],
        status=ConsultationStatus(row.status),
        created_by=row.created_by,
        created_at=utc_aware(row.created_at),
        closed_at=utc_aware(row.closed_at) if row.closed_at else None,
    )


def _response(row: ResponseRow) -> Response:
    return Response(
        id=row.id,
        consultation_id=row.consultation_id,
        channel=Channel(row.channel),
        helix=HelixType(row.helix),
        level=Level(row.level),
        language=row.language,
        answers=[Answer.model_validate(a) for a in row.answers],
        ratings=[Rating.model_validate(r) for r in row.ratings],
        proposals=[Proposal.model_validate(p) for p in row.proposals],
        consented_at=utc_aware(row.consented_at),
        submitted_at=utc_aware(row.submitted_at),
        hidden=row.hidden,
        hidden_reason=row.hidden_reason,
        adopted=list(row.adopted or []),
    )


def _invitation(row: InvitationRow) -> Invitation:
    return Invitation(
        id=row.id,
        consultation_id=row.consultation_id,
        label=row.label,
        helix=HelixType(row.helix) if row.helix else None,
        created_at=utc_aware(row.created_at),
        used_at=utc_aware(row.used_at) if row.used_at else None,
    )


def _stored(row: ResponseRow) -> StoredResponse:
    return StoredResponse(_response(row), row.invitation_id, bool(row.client_key_sha256))


class ConsultationStore:
    """Reads and writes consultations inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # rows read in this transaction, held so that the session's identity map keeps them
        self._consultations: dict[str, ConsultationRow] = {}
        self._responses: dict[int, ResponseRow] = {}

    # --- consultations ----------------------------------------------------------------------------

    def _row(self, consultation_id: str, *, lock: bool = False) -> ConsultationRow:
        query = select(ConsultationRow).where(ConsultationRow.id == consultation_id)
        if lock:
            query = query.with_for_update()
        row = self.session.scalar(query)
        if row is None:
            raise NotFound(
                f"no consultation '{consultation_id}' in this workspace (see 'missionboard consult list')"
            )
        self._consultations[consultation_id] = row
        return row

    def _held(self, consultation_id: str) -> ConsultationRow:
        return self._consultations.get(consultation_id) or self._row(consultation_id)

    def require(self, consultation_id: str) -> None:
        """Raise ``NotFound`` where there is no such consultation."""
        self._row(consultation_id)

    def get(self, consultation_id: str, *, lock: bool = False) -> Consultation:
        """The consultation; with ``lock``, its row stays locked until the transaction ends (PostgreSQL)."""
        return _consultation(self._row(consultation_id, lock=lock))

    def sender_secret(self, consultation_id: str) -> str | None:
        """The secret that keys the hashes of senders while the consultation is open (None once closed)."""
        return self._held(consultation_id).client_secret

    def ids(self) -> set[str]:
        return set(self.session.scalars(select(ConsultationRow.id)))

    def list(self, mission_id: str | None = None) -> builtins.list[Consultation]:
        """Consultations, newest first (optionally of one mission)."""
        query = select(ConsultationRow).order_by(ConsultationRow.created_at.desc(), ConsultationRow.id)
        if mission_id is not None:
            query = query.where(ConsultationRow.mission_id == mission_id)
        return [_consultation(row) for row in self.session.scalars(query)]

    def add(self, consultation: Consultation, *, client_secret: str) -> None:
        self.session.add(
            ConsultationRow(
                id=consultation.id,
                mission_id=consultation.mission_id,
                mission_version=consultation.mission_version,
                title=consultation.title,
                purpose=consultation.purpose,
                opens_on=consultation.opens_on,
                closes_on=consultation.closes_on,
                audience=consultation.audience.value,
                language=consultation.language,
                questions=[q.model_dump(mode="json") for q in consultation.questions],
                status=consultation.status.value,
                created_by=consultation.created_by,
                created_at=consultation.created_at,
                client_secret=client_secret,
            )
        )

    def set_status(self, consultation_id: str, status: ConsultationStatus) -> Consultation:
        row = self._held(consultation_id)
        row.status = status.value
        return _consultation(row)

    def close(self, consultation_id: str, at: dt.datetime) -> Consultation:
        """Mark it closed at ``at`` and erase its secret, every sender hash and the flood-limit log."""
        row = self._held(consultation_id)
        row.status = ConsultationStatus.CLOSED.value
        row.closed_at = at
        row.client_secret = None
        self.session.execute(
            update(ResponseRow)
            .where(ResponseRow.consultation_id == consultation_id)
            .values(client_key_sha256=None)
            .execution_options(synchronize_session=False)
        )
        self.session.execute(
            delete(SubmissionLogRow).where(SubmissionLogRow.consultation_id == consultation_id)
        )
        return _consultation(row)

    def counts(self, consultation_id: str) -> tuple[dict[bool, int], dict[bool, int]]:
        """Responses by hidden or not, and invitations by used or not."""
        responses = self.session.execute(
            select(ResponseRow.hidden, func.count())
            .where(ResponseRow.consultation_id == consultation_id)
            .group_by(ResponseRow.hidden)
        ).all()
        invitations = self.session.execute(
            select(InvitationRow.used_at.is_not(None), func.count())
            .where(InvitationRow.consultation_id == consultation_id)
            .group_by(InvitationRow.used_at.is_not(None))
        ).all()
        return {bool(h): n for h, n in responses}, {bool(u): n for u, n in invitations}

    # --- invitations ------------------------------------------------------------------------------

    def add_invitations(
        self,
        consultation_id: str,
        invitations: builtins.list[tuple[str, str]],
        *,
        helix: str | None,
        created_at: dt.datetime,
    ) -> builtins.list[Invitation]:
        """One invitation per (token digest, label), in that order."""
        rows = []
        for token_sha256, label in invitations:
            row = InvitationRow(
                consultation_id=consultation_id,
                token_sha256=token_sha256,
                label=label,
                helix=helix,
                created_at=created_at,
            )
            self.session.add(row)
            rows.append(row)
        self.session.flush()
        return [_invitation(row) for row in rows]

    def invitations(self, consultation_id: str) -> builtins.list[Invitation]:
        rows = self.session.scalars(
            select(InvitationRow)
            .where(InvitationRow.consultation_id == consultation_id)
            .order_by(InvitationRow.id)
        )
        return [_invitation(r) for r in rows]

    def invitation_by_token(self, consultation_id: str, token_sha256: str) -> Invitation | None:
        """The consultation's invitation with this token digest, or None."""
        row = self.session.scalar(select(InvitationRow).where(InvitationRow.token_sha256 == token_sha256))
        if row is None or row.consultation_id != consultation_id:
            return None
        return _invitation(row)

    def invitation(self, invitation_id: int) -> Invitation | None:
        row = self.session.get(InvitationRow, invitation_id)
        return None if row is None else _invitation(row)

    def claim_invitation(self, invitation_id: int, at: dt.datetime) -> bool:
        """Mark an unused invitation used; False where it was used already (by this or another process)."""
        claimed = self.session.execute(
            update(InvitationRow)
            .where(InvitationRow.id == invitation_id, InvitationRow.used_at.is_(None))
            .values(used_at=at)
            .execution_options(synchronize_session=False)
        )
        return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]

    def erase_invitation_label(self, invitation_id: int) -> bool:
        """Blank the label (the invitation stays marked used); False where there is no such invitation."""
        invitation = self.session.get(InvitationRow, invitation_id)
        if invitation is None:
            return False
        invitation.label = ""
        return True

    # --- the flood-limit log ----------------------------------------------------------------------

    def purge_log(self, before: dt.datetime) -> None:
        self.session.execute(delete(SubmissionLogRow).where(SubmissionLogRow.at < before))

    def submissions_since(self, consultation_id: str, since: dt.datetime, *, key: str | None = None) -> int:
        """Public responses logged after ``since``, from every sender or (``key``) from one."""
        conditions = [SubmissionLogRow.consultation_id == consultation_id]
        if key is not None:
            conditions.append(SubmissionLogRow.client_key_sha256 == key)
        count = self.session.scalar(
            select(func.count()).select_from(SubmissionLogRow).where(*conditions, SubmissionLogRow.at > since)
        )
        return count or 0

    def log_submission(self, consultation_id: str, key: str | None, at: dt.datetime) -> None:
        self.session.add(SubmissionLogRow(consultation_id=consultation_id, client_key_sha256=key, at=at))

    # --- responses --------------------------------------------------------------------------------

    def add_response(
        self,
        consultation_id: str,
        submission: Submission,
        *,
        channel: Channel,
        at: dt.datetime,
        receipt_sha256: str,
        invitation_id: int | None = None,
        client_key: str | None = None,
    ) -> int:
        """Store a submission (without its empty answers and ratings); returns the response's id."""
        row = ResponseRow(
            consultation_id=consultation_id,
            receipt_sha256=receipt_sha256,
            channel=channel.value,
            invitation_id=invitation_id,
            client_key_sha256=client_key,
            helix=submission.helix.value,
            level=submission.level.value,
            language=submission.language,
            answers=[a.model_dump(mode="json") for a in submission.answers if a.text.strip()],
            ratings=[
                r.model_dump(mode="json")
                for r in submission.ratings
                if r.importance is not None or r.ambition is not None
            ],
            proposals=[p.model_dump(mode="json") for p in submission.proposals],
            consented_at=at,
            submitted_at=at,
            hidden=False,
            adopted=[],
        )
        self.session.add(row)
        self.session.flush()
        self._responses[row.id] = row
        return row.id

    def responses(self, consultation_id: str, *, include_hidden: bool = True) -> builtins.list[Response]:
        """The consultation's responses, oldest first."""
        query = (
            select(ResponseRow).where(ResponseRow.consultation_id == consultation_id).order_by(ResponseRow.id)
        )
        if not include_hidden:
            query = query.where(ResponseRow.hidden.is_(False))
        return [_response(r) for r in self.session.scalars(query)]

    def responses_from(self, consultation_id: str, key: str) -> builtins.list[Response]:
        """The responses sent by the sender whose keyed hash is ``key``."""
        earlier = self.session.scalars(
            select(ResponseRow).where(
                ResponseRow.consultation_id == consultation_id, ResponseRow.client_key_sha256 == key
            )
        )
        return [_response(r) for r in earlier]

    def _response_row(self, consultation_id: str, response_id: int) -> ResponseRow:
        row = self._responses.get(response_id) or self.session.get(ResponseRow, response_id)
        if row is None or row.consultation_id != consultation_id:
            raise NotFound(f"consultation '{consultation_id}' has no response {response_id}")
        self._responses[row.id] = row
        return row

    def response(self, consultation_id: str, response_id: int) -> StoredResponse:
        return _stored(self._response_row(consultation_id, response_id))

    def response_by_receipt(self, consultation_id: str, receipt_sha256: str) -> StoredResponse | None:
        """The consultation's response with this receipt digest, or None."""
        row = self.session.scalar(select(ResponseRow).where(ResponseRow.receipt_sha256 == receipt_sha256))
        if row is None or row.consultation_id != consultation_id:
            return None
        self._responses[row.id] = row
        return _stored(row)

    def set_hidden(
        self, consultation_id: str, response_id: int, hidden: bool, reason: str | None
    ) -> Response:
        row = self._response_row(consultation_id, response_id)
        row.hidden = hidden
        row.hidden_reason = reason
        return _response(row)

    def set_adopted(self, consultation_id: str, response_id: int, adopted: builtins.list[int]) -> None:
        self._response_row(consultation_id, response_id).adopted = adopted

    def delete_response(self, consultation_id: str, response_id: int) -> None:
        self.session.delete(self._response_row(consultation_id, response_id))

    # --- reporting back ----------------------------------------------------------------------------

    def answers(self, consultation_id: str) -> dict[tuple[int, int], ProposalAnswer]:
        """The organisers' answers to the consultation's proposals, by (response, proposal index)."""
        rows = self.session.scalars(
            select(ProposalAnswerRow).where(ProposalAnswerRow.consultation_id == consultation_id)
        )
        return {
            (row.response_id, row.proposal_index): ProposalAnswer(
                row.response_id,
                row.proposal_index,
                ProposalOutcome(row.outcome),
                row.reason,
                row.answered_by,
                utc_aware(row.answered_at),
            )
            for row in rows
        }

    def set_answer(
        self,
        consultation_id: str,
        response_id: int,
        index: int,
        outcome: ProposalOutcome,
        reason: str,
        by: str,
    ) -> ProposalAnswer | None:
        """Record the answer to one proposal (replacing an earlier one); returns the earlier answer."""
        row = self.session.scalar(
            select(ProposalAnswerRow).where(
                ProposalAnswerRow.consultation_id == consultation_id,
                ProposalAnswerRow.response_id == response_id,
                ProposalAnswerRow.proposal_index == index,
            )
        )
        before = None
        if row is None:
            row = ProposalAnswerRow(
                consultation_id=consultation_id, response_id=response_id, proposal_index=index
            )
            self.session.add(row)
        else:
            before = ProposalAnswer(
                response_id,
                index,
                ProposalOutcome(row.outcome),
                row.reason,
                row.answered_by,
                utc_aware(row.answered_at),
            )
        row.outcome, row.reason, row.answered_by, row.answered_at = outcome.value, reason, by, utcnow()
        self.session.flush()
        return before

    def report_back(self, consultation_id: str) -> tuple[str, str, dt.datetime] | None:
        """(summary, published by, published at) of the published report-back, if any."""
        row = self.session.get(ReportBackRow, consultation_id)
        return None if row is None else (row.summary, row.published_by, utc_aware(row.published_at))

    def publish_report_back(self, consultation_id: str, summary: str, by: str) -> None:
        """Publish (or re-publish with a new summary) the consultation's report-back."""
        row = self.session.get(ReportBackRow, consultation_id)
        if row is None:
            row = ReportBackRow(consultation_id=consultation_id)
            self.session.add(row)
        row.summary, row.published_by, row.published_at = summary, by, utcnow()
        self.session.flush()
