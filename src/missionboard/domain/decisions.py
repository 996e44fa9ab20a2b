"""Stage-gate decisions: continuing, pivoting, scaling or stopping a project is how a mission learns."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import Field

from missionboard.domain.common import DomainModel, NonEmptyText


class DecisionKind(StrEnum):
    CONTINUE = "continue"
    PIVOT = "pivot"
    SCALE = "scale"
    STOP = "stop"


class Decision(DomainModel):
    """A recorded decision with the evidence as it stood at the time, frozen."""

    project: tuple[str, str]
    decision: DecisionKind
    rationale: NonEmptyText
    evidence: dict[str, Any] = Field(default_factory=dict)
    by: NonEmptyText
    at: dt.datetime
