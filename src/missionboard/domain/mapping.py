"""Taxonomies of goals and the links that tie projects to them."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from missionboard.domain.common import DomainModel, NonEmptyText

MISSION_PREFIX = "mission:"
"""Every mission is also a taxonomy, its objectives the goals: ``mission:<mission id>``."""


def mission_taxonomy(mission_id: str) -> str:
    """The code of a mission's taxonomy: ``mission_taxonomy("ocean")`` → ``"mission:ocean"``."""
    return f"{MISSION_PREFIX}{mission_id}"


def mission_of_taxonomy(code: str) -> str | None:
    """The mission whose taxonomy ``code`` is, or None for any other taxonomy (``sdg``, …)."""
    return code[len(MISSION_PREFIX) :] if code.startswith(MISSION_PREFIX) else None


def project_text_of(title: str | None, abstract: str | None) -> str:
    """The text a project is mapped on, embedded and hashed by: its title and abstract."""
    title = (title or "").strip()
    abstract = (abstract or "").strip()
    if not abstract:
        return title
    return (
        f"{title}. {abstract}"
        if title and not title.endswith((".", "!", "?"))
        else f"{title} {abstract}".strip()
    )


class HardNegative(DomainModel):
    """A text that looks as if it served a goal but does not, and the goal it serves instead."""

    text: NonEmptyText
    belongs_to: str | None = Field(
        default=None, description="The goal the text serves instead, e.g. 'SDG 14 Life below water'"
    )

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return {"text": value} if isinstance(value, str) else value


class GoalDefinition(DomainModel):
    """What counts as serving a goal and what does not, for reviewers to check a link against: the
    kinds of work that count, the kinds that do not, and hard negatives (texts that look related but
    serve another goal)."""

    counts: list[NonEmptyText] = Field(min_length=1, description="Kinds of work that serve the goal")
    does_not_count: list[NonEmptyText] = Field(
        default_factory=list, description="Kinds of work that look close but do not serve the goal"
    )
    hard_negatives: list[HardNegative] = Field(
        default_factory=list,
        description="Short texts that look related but are not about the goal, each with the goal it "
        "belongs to instead (a plain string is a text without one)",
    )


class Goal(DomainModel):
    """One goal of a taxonomy (an SDG, an SDG target, a mission objective …)."""

    code: NonEmptyText
    title: NonEmptyText
    description: str = ""
    parent: str | None = None
    queries: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    definition: GoalDefinition | None = None
    """What counts and what does not (shown in review; not part of the goal's prototypes)."""


class Taxonomy(DomainModel):
    """A named set of goals that projects can be mapped to."""

    code: NonEmptyText
    title: NonEmptyText
    description: str = ""
    goals: list[Goal] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_codes(self) -> Taxonomy:
        codes = [g.code for g in self.goals]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"goal codes used more than once: {', '.join(duplicates)}")
        known = set(codes)
        for goal in self.goals:
            if goal.parent is not None and goal.parent not in known:
                raise ValueError(f"goal '{goal.code}' names an unknown parent '{goal.parent}'")
        return self


class LinkMethod(StrEnum):
    MANUAL = "manual"
    QUERY = "query"
    SEMANTIC = "semantic"
    SUPERVISED = "supervised"
    ENSEMBLE = "ensemble"
    SOURCE_LABEL = "source-label"


class LinkStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Link(DomainModel):
    """A project serving a goal, with how sure we are, why, and what a reviewer said."""

    project: tuple[str, str]
    taxonomy: NonEmptyText
    goal: NonEmptyText
    score: float = Field(ge=0, le=1)
    method: LinkMethod
    evidence: dict[str, Any] = Field(default_factory=dict)
    status: LinkStatus = LinkStatus.PROPOSED
    reviewer: str | None = None
    reviewed_at: dt.datetime | None = None


@dataclass(frozen=True)
class GoalVerdict:
    """How a retrained goal did against the current method on the held-back projects, and whether the
    default method now uses it. Scores are balanced accuracy (None where the goal was not judged)."""

    goal: str
    accepted: bool
    reason: str
    held_back_positives: int
    held_back_negatives: int
    counted_positives: float  # the held-back examples' worth in reviews: a publisher label counts its weight
    counted_negatives: float
    current_score: float | None = None
    retrained_score: float | None = None
    gain: float | None = None
    publisher_agreement: float | None = None
    publisher_compared: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "goal": self.goal,
            "accepted": self.accepted,
            "reason": self.reason,
            "held_back_positives": self.held_back_positives,
            "held_back_negatives": self.held_back_negatives,
            "counted_positives": round(self.counted_positives, 2),
            "counted_negatives": round(self.counted_negatives, 2),
            "current_score": _round(self.current_score),
            "retrained_score": _round(self.retrained_score),
            "gain": _round(self.gain),
            "publisher_agreement": _round(self.publisher_agreement),
            "publisher_compared": self.publisher_compared,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GoalVerdict:
        return cls(
            goal=str(data["goal"]),
            accepted=bool(data["accepted"]),
            reason=str(data["reason"]),
            held_back_positives=int(data["held_back_positives"]),
            held_back_negatives=int(data["held_back_negatives"]),
            counted_positives=float(data["counted_positives"]),
            counted_negatives=float(data["counted_negatives"]),
            current_score=_number(data.get("current_score")),
            retrained_score=_number(data.get("retrained_score")),
            gain=_number(data.get("gain")),
            publisher_agreement=_number(data.get("publisher_agreement")),
            publisher_compared=int(data.get("publisher_compared", 0)),
        )


@dataclass(frozen=True)
class RetrainReport:
    """What a ``map --retrain`` learnt from, and per goal whether the retrained model beat the current
    method on the held-back part (only those goals join the default method)."""

    taxonomy: str
    metric: str
    held_back_share: float
    min_held_back: int
    min_gain: float
    fit_projects: int
    held_back_projects: int
    reviewed_projects: int
    publisher_labelled_projects: int
    publisher_agreement: float | None
    publisher_compared: int
    publisher_weight: float
    goals: list[GoalVerdict] = field(default_factory=list)

    @property
    def accepted(self) -> list[str]:
        return [v.goal for v in self.goals if v.accepted]

    def to_dict(self) -> dict[str, Any]:
        return {
            "taxonomy": self.taxonomy,
            "metric": self.metric,
            "held_back_share": round(self.held_back_share, 4),
            "min_held_back": self.min_held_back,
            "min_gain": self.min_gain,
            "fit_projects": self.fit_projects,
            "held_back_projects": self.held_back_projects,
            "reviewed_projects": self.reviewed_projects,
            "publisher_labelled_projects": self.publisher_labelled_projects,
            "publisher_agreement": _round(self.publisher_agreement),
            "publisher_compared": self.publisher_compared,
            "publisher_weight": round(self.publisher_weight, 4),
            "accepted": self.accepted,
            "goals": [v.to_dict() for v in self.goals],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RetrainReport:
        """The report as ``to_dict`` stored it (in the model's JSON)."""
        return cls(
            taxonomy=str(data["taxonomy"]),
            metric=str(data["metric"]),
            held_back_share=float(data["held_back_share"]),
            min_held_back=int(data["min_held_back"]),
            min_gain=float(data["min_gain"]),
            fit_projects=int(data["fit_projects"]),
            held_back_projects=int(data["held_back_projects"]),
            reviewed_projects=int(data["reviewed_projects"]),
            publisher_labelled_projects=int(data["publisher_labelled_projects"]),
            publisher_agreement=_number(data.get("publisher_agreement")),
            publisher_compared=int(data["publisher_compared"]),
            publisher_weight=float(data["publisher_weight"]),
            goals=[GoalVerdict.from_dict(v) for v in data.get("goals", [])],
        )


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _round(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(value, 4)
