"""Decisions, their stage-gate details and the appeals against them.

The log is append-only: the store never updates or deletes a decision or its detail, and the workspace
database refuses to (triggers created by the monitoring migrations). An appeal is lodged, then ruled on
once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionboard.domain.decisions import AppealOutcome, DecisionKind
from missionboard.store.monitoring_tables import AppealRow, DecisionDetailRow, GateRow
from missionboard.store.progress import ProjectRecord, chunked, project_record
from missionboard.store.tables import DecisionRow, ProjectRow


@dataclass(frozen=True)
class DecisionRecord:
    id: int
    project_id: int
    decision: str
    rationale: str
    evidence: dict[str, Any]
    by: str
    at: dt.datetime


@dataclass
class DecisionDetail:
    """The stage-gate side of one decision: ``criteria`` is ``[{"criterion", "met"}]``; ``amount`` the
    money a scale added or a stop released (``paid``: what the stop found paid by ``decided_on``);
    ``before`` the project's status, end and budget before the decision acted."""

    decided_on: dt.date
    criteria: list[Any] = field(default_factory=list)
    before: dict[str, Any] = field(default_factory=dict)
    gate_id: int | None = None
    plan: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    paid: Decimal | None = None


@dataclass(frozen=True)
class AppealRecord:
    id: int
    decision_id: int
    by: str
    reason: str
    lodged_at: dt.datetime
    outcome: str | None
    ruled_by: str | None
    ruling: str | None
    ruled_at: dt.datetime | None


@dataclass(frozen=True)
class DecisionRead:
    """A decision read whole for a list: with its project, its detail and the name of its gate."""

    decision: DecisionRecord
    project: ProjectRecord
    detail: DecisionDetail | None
    gate: str | None


def _decision(row: DecisionRow) -> DecisionRecord:
    return DecisionRecord(row.id, row.project_id, row.decision, row.rationale, row.evidence, row.by, row.at)


def _detail(row: DecisionDetailRow) -> DecisionDetail:
    return DecisionDetail(
        decided_on=row.decided_on,
        criteria=row.criteria,
        before=row.before,
        gate_id=row.gate_id,
        plan=row.plan,
        amount=row.amount,
        currency=row.currency,
        paid=row.paid,
    )


def _appeal(row: AppealRow) -> AppealRecord:
    return AppealRecord(
        row.id,
        row.decision_id,
        row.by,
        row.reason,
        row.lodged_at,
        row.outcome,
        row.ruled_by,
        row.ruling,
        row.ruled_at,
    )


class DecisionStore:
    """Reads and writes decisions and appeals inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._appeals: dict[int, AppealRow] = {}  # read by ``appeal``, ruled on by ``rule``

    # --- decisions ---------------------------------------------------------------------------------

    def get(self, decision_id: int) -> DecisionRecord | None:
        row = self.session.get(DecisionRow, decision_id)
        return _decision(row) if row is not None else None

    def detail(self, decision_id: int) -> DecisionDetail | None:
        row = self.session.get(DecisionDetailRow, decision_id)
        return _detail(row) if row is not None else None

    def record(
        self,
        project_id: int,
        decision: str,
        rationale: str,
        evidence: dict[str, Any],
        by: str,
        at: dt.datetime,
        detail: DecisionDetail,
    ) -> int:
        """Add a decision and its detail; returns the decision's id."""
        row = DecisionRow(
            project_id=project_id, decision=decision, rationale=rationale, evidence=evidence, by=by, at=at
        )
        self.session.add(row)
        self.session.flush()
        self.session.add(
            DecisionDetailRow(
                decided_on=detail.decided_on,
                criteria=detail.criteria,
                before=detail.before,
                paid=detail.paid,
                amount=detail.amount,
                currency=detail.currency,
                decision_id=row.id,
                gate_id=detail.gate_id,
                plan=detail.plan,
            )
        )
        return row.id

    def of_project(self, project_id: int) -> list[tuple[DecisionRecord, DecisionDetail | None]]:
        """The project's decisions, oldest first, with their details."""
        rows = self.session.execute(
            select(DecisionRow, DecisionDetailRow)
            .outerjoin(DecisionDetailRow, DecisionDetailRow.decision_id == DecisionRow.id)
            .where(DecisionRow.project_id == project_id)
            .order_by(DecisionRow.at, DecisionRow.id)
        ).all()
        return [(_decision(d), _detail(detail) if detail is not None else None) for d, detail in rows]

    def with_details_of_projects(
        self, project_ids: Collection[int]
    ) -> list[tuple[DecisionRecord, DecisionDetail]]:
        """The decisions of ``project_ids`` that have a detail, oldest first per slice of ids."""
        rows: list[tuple[DecisionRecord, DecisionDetail]] = []
        for chunk in chunked(sorted(project_ids)):
            for d, detail in self.session.execute(
                select(DecisionRow, DecisionDetailRow)
                .join(DecisionDetailRow, DecisionDetailRow.decision_id == DecisionRow.id)
                .where(DecisionRow.project_id.in_(chunk))
                .order_by(DecisionRow.at, DecisionRow.id)
            ):
                rows.append((_decision(d), _detail(detail)))
        return rows

    def stops_releasing(
        self, project_ids: Collection[int], *, as_of: dt.date
    ) -> list[tuple[DecisionRecord, DecisionDetail]]:
        """The stops of ``project_ids`` taking effect by ``as_of`` that released an amount."""
        found: list[tuple[DecisionRecord, DecisionDetail]] = []
        for chunk in chunked(sorted(set(project_ids))):
            for d, detail in self.session.execute(
                select(DecisionRow, DecisionDetailRow)
                .join(DecisionDetailRow, DecisionDetailRow.decision_id == DecisionRow.id)
                .where(
                    DecisionRow.project_id.in_(chunk),
                    DecisionRow.decision == DecisionKind.STOP.value,
                    DecisionDetailRow.decided_on <= as_of,
                    DecisionDetailRow.amount.is_not(None),
                )
            ):
                found.append((_decision(d), _detail(detail)))
        return found

    def newest_first(self) -> Iterator[tuple[int, int, dt.datetime]]:
        """``(id, project id, time)`` of every decision on a project, newest first (read as iterated)."""
        rows = self.session.execute(
            select(DecisionRow.id, DecisionRow.project_id, DecisionRow.at)
            .join(ProjectRow, ProjectRow.id == DecisionRow.project_id)
            .order_by(DecisionRow.at.desc(), DecisionRow.id.desc())
        )
        return ((ident, project_id, at) for ident, project_id, at in rows)

    def read_whole(
        self, decision_ids: Collection[int]
    ) -> tuple[dict[int, DecisionRead], dict[int, list[AppealRecord]]]:
        """The decisions of ``decision_ids`` read whole, and the appeals against each (oldest first), by
        slices of ids."""
        rows: dict[int, DecisionRead] = {}
        appeals: dict[int, list[AppealRecord]] = {ident: [] for ident in decision_ids}
        for chunk in chunked(sorted(decision_ids)):
            query = (
                select(DecisionRow, ProjectRow, DecisionDetailRow, GateRow.name)
                .join(ProjectRow, ProjectRow.id == DecisionRow.project_id)
                .outerjoin(DecisionDetailRow, DecisionDetailRow.decision_id == DecisionRow.id)
                .outerjoin(GateRow, GateRow.id == DecisionDetailRow.gate_id)
                .where(DecisionRow.id.in_(chunk))
            )
            for found in self.session.execute(query):
                rows[found[0].id] = DecisionRead(
                    _decision(found[0]),
                    project_record(found[1]),
                    _detail(found[2]) if found[2] is not None else None,
                    found[3],
                )
            for appeal in self.session.scalars(
                select(AppealRow).where(AppealRow.decision_id.in_(chunk)).order_by(AppealRow.id)
            ):
                appeals[appeal.decision_id].append(_appeal(appeal))
        return rows, appeals

    # --- appeals -----------------------------------------------------------------------------------

    def overturned_ids(self, decision_ids: Collection[int]) -> set[int]:
        """Those of ``decision_ids`` that an appeal overturned."""
        out: set[int] = set()
        for chunk in chunked(sorted(set(decision_ids))):
            out.update(
                self.session.scalars(
                    select(AppealRow.decision_id).where(
                        AppealRow.decision_id.in_(chunk), AppealRow.outcome == AppealOutcome.OVERTURNED.value
                    )
                )
            )
        return out

    def appeal(self, appeal_id: int) -> AppealRecord | None:
        row = self.session.get(AppealRow, appeal_id)
        if row is None:
            return None
        self._appeals[row.id] = row
        return _appeal(row)

    def appeals_against(self, decision_id: int, *, ordered: bool = True) -> list[AppealRecord]:
        """The appeals against one decision (oldest first where ``ordered``)."""
        query = select(AppealRow).where(AppealRow.decision_id == decision_id)
        if ordered:
            query = query.order_by(AppealRow.id)
        return [_appeal(row) for row in self.session.scalars(query)]

    def lodge(self, decision_id: int, by: str, reason: str, lodged_at: dt.datetime) -> AppealRecord:
        """Add an appeal against a decision."""
        row = AppealRow(decision_id=decision_id, by=by, reason=reason, lodged_at=lodged_at)
        self.session.add(row)
        self.session.flush()
        return _appeal(row)

    def rule(
        self, appeal_id: int, outcome: str, ruled_by: str, ruling: str, ruled_at: dt.datetime
    ) -> AppealRecord:
        """Rule on an appeal read by :meth:`appeal`."""
        row = self._appeals.get(appeal_id) or self.session.get(AppealRow, appeal_id)
        assert row is not None
        row.outcome, row.ruled_by, row.ruling, row.ruled_at = outcome, ruled_by, ruling, ruled_at
        return _appeal(row)
