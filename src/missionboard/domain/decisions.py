"""Stage-gates and their decisions: continuing, pivoting, scaling or stopping a project is how a mission
learns.

A gate is set when a project is awarded: a date, the go/no-go criteria the project will be judged on and
the evidence it must bring. At the gate the board records a decision with each criterion met or not. The
rules here are pure; ``monitoring/gates.py`` applies them to a workspace.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import Field, JsonValue, SkipValidation

from missionboard.domain.common import CurrencyCode, DomainModel, NonEmptyText

DUE_SOON_DAYS = 60
"""A gate whose date is at most this many days away is shown as ``due`` on the gate calendar."""


class DecisionKind(StrEnum):
    CONTINUE = "continue"
    PIVOT = "pivot"
    SCALE = "scale"
    STOP = "stop"


class AppealOutcome(StrEnum):
    UPHELD = "upheld"
    OVERTURNED = "overturned"


class GateState(StrEnum):
    DECIDED = "decided"
    OVERDUE = "overdue"
    DUE = "due"
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    """The project was stopped before the gate was reached."""


class Gate(DomainModel):
    """A stage-gate scheduled for a project at award: when, what must hold to go on, what to bring."""

    project: tuple[str, str]
    name: NonEmptyText
    due: dt.date
    criteria: tuple[NonEmptyText, ...] = Field(min_length=1)
    evidence: tuple[NonEmptyText, ...] = ()
    set_by: NonEmptyText
    set_at: dt.datetime


class CriterionResult(DomainModel):
    criterion: NonEmptyText
    met: bool


class Decision(DomainModel):
    """A recorded decision with the evidence as it stood at the time, frozen.

    ``gate`` names the gate it was taken at (None for a decision between gates); ``criteria`` says of each
    of the gate's criteria whether it was met. ``plan`` is a pivot's new plan; ``amount`` is the money a
    scale adds or a stop releases, in ``currency``. ``on`` is the date the decision takes effect.
    """

    project: tuple[str, str]
    decision: DecisionKind
    rationale: NonEmptyText
    evidence: SkipValidation[dict[str, JsonValue]] = Field(default_factory=dict)
    """The evidence document as it was frozen (``monitoring.decisions.evidence_for``), kept as stored:
    not validated, since validating it as JSON would strip its strings (``str_strip_whitespace``)."""
    by: NonEmptyText
    at: dt.datetime
    gate: str | None = None
    criteria: tuple[CriterionResult, ...] = ()
    plan: str | None = None
    amount: Decimal | None = None
    currency: CurrencyCode | None = None
    on: dt.date | None = None


class Appeal(DomainModel):
    """An appeal against a decision: lodged by someone with a reason, later upheld or overturned."""

    id: int | None = None
    decision_id: int
    by: NonEmptyText
    reason: NonEmptyText
    lodged_at: dt.datetime
    outcome: AppealOutcome | None = None
    ruled_by: str | None = None
    ruling: str | None = None
    ruled_at: dt.datetime | None = None


def gate_state(due: dt.date, *, decided: bool, stopped: bool, as_of: dt.date) -> GateState:
    """Where a gate stands on ``as_of``: decided; cancelled (project stopped first); overdue (date passed
    without a decision); due (within ``DUE_SOON_DAYS``); otherwise scheduled."""
    if decided:
        return GateState.DECIDED
    if stopped:
        return GateState.CANCELLED
    if due < as_of:
        return GateState.OVERDUE
    if (due - as_of).days <= DUE_SOON_DAYS:
        return GateState.DUE
    return GateState.SCHEDULED


def criteria_results(criteria: tuple[str, ...], met: set[int]) -> tuple[CriterionResult, ...]:
    """Each criterion with whether it was met; ``met`` holds the 1-based numbers of those met.

    Raises ``ValueError`` for a number that names no criterion.
    """
    unknown = sorted(n for n in met if not 1 <= n <= len(criteria))
    if unknown:
        raise ValueError(
            f"criterion {', '.join(map(str, unknown))} does not exist: this gate has "
            f"{len(criteria)} criteria (numbered from 1)"
        )
    return tuple(CriterionResult(criterion=c, met=i in met) for i, c in enumerate(criteria, start=1))


def released_amount(budget: Decimal | None, paid: Decimal) -> Decimal | None:
    """Money a stop releases: the budget minus what was paid by the decision date, never below zero
    (None for a project without a budget)."""
    if budget is None:
        return None
    return max(Decimal(0), budget - paid)


@dataclass(frozen=True)
class AppealEntry:
    """An appeal as a decision's log shows it: lodged (who, why, when), then ruled on (or still open)."""

    id: int
    decision: int
    by: str
    reason: str
    lodged_at: dt.datetime
    outcome: str | None
    """``upheld``, ``overturned``, or None while the appeal is open."""
    ruled_by: str | None
    ruling: str | None
    ruled_at: dt.datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "decision": self.decision,
            "by": self.by,
            "reason": self.reason,
            "lodged_at": self.lodged_at.isoformat(),
            "outcome": self.outcome,
            "ruled_by": self.ruled_by,
            "ruling": self.ruling,
            "ruled_at": self.ruled_at.isoformat() if self.ruled_at else None,
        }


@dataclass(frozen=True)
class DecisionEntry:
    """A decision as the log (``decisions``, the board) shows it: on which project, and the appeals since."""

    id: int
    project_id: int
    title: str
    decision: Decision
    appeals: list[AppealEntry] = field(default_factory=list)
    """Appeals against it, oldest first."""

    @property
    def standing(self) -> bool:
        """False once an appeal overturned it."""
        return not any(a.outcome == AppealOutcome.OVERTURNED.value for a in self.appeals)

    def to_dict(self, *, evidence: bool = True) -> dict[str, Any]:
        d = self.decision
        out: dict[str, Any] = {
            "id": self.id,
            "project": f"{d.project[0]}:{d.project[1]}",
            "title": self.title,
            "decision": d.decision.value,
            "rationale": d.rationale,
            "by": d.by,
            "at": d.at.isoformat(),
            "on": d.on.isoformat() if d.on else None,
            "gate": d.gate,
            "criteria": [c.model_dump() for c in d.criteria],
            "plan": d.plan,
            "amount": float(d.amount) if d.amount is not None else None,
            "currency": d.currency,
            "standing": self.standing,
            "appeals": [a.to_dict() for a in self.appeals],
        }
        if evidence:
            out["evidence"] = d.evidence
        return out
