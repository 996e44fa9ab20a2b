"""Missions, their objectives and the indicators that measure them.

A mission may be incomplete (no deadline, an objective without a target): the schema accepts it so
that the quality check can say exactly what is missing, instead of refusing to read it.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from missionboard.domain.common import CurrencyCode, DomainModel, NonEmptyText, Slug

EARLIEST_YEAR = 1950
LATEST_YEAR = 2100


class Direction(StrEnum):
    INCREASE = "increase"
    DECREASE = "decrease"


class MissionStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


class HelixType(StrEnum):
    """The quadruple helix: who an actor or stakeholder speaks for."""

    GOVERNMENT = "government"
    RESEARCH = "research"
    INDUSTRY = "industry"
    CIVIL_SOCIETY = "civil_society"


class Level(StrEnum):
    LOCAL = "local"
    REGIONAL = "regional"
    NATIONAL = "national"
    INTERNATIONAL = "international"


class Challenge(DomainModel):
    """The societal challenge a mission answers. YAML may give it as a plain string."""

    title: NonEmptyText
    description: str = ""


class Indicator(DomainModel):
    """What is measured, in which unit, and where the numbers come from."""

    id: Slug
    name: NonEmptyText
    unit: NonEmptyText
    source: str | None = None
    description: str | None = None


class Measure(DomainModel):
    """A value of an indicator in a given year (a baseline or a target)."""

    value: float = Field(allow_inf_nan=False)
    year: int

    @field_validator("year")
    @classmethod
    def _plausible_year(cls, year: int) -> int:
        if not EARLIEST_YEAR <= year <= LATEST_YEAR:
            raise ValueError(f"year must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
        return year


class Objective(DomainModel):
    """A measurable target on one indicator, from a baseline to a target value by a target year."""

    id: Slug
    title: NonEmptyText
    description: str | None = None
    indicator: Indicator | None = None
    baseline: Measure | None = None
    target: Measure | None = None
    direction: Direction | None = None
    weight: float | None = Field(
        default=None, ge=0, allow_inf_nan=False, description="Share of effort the mission intends, any scale"
    )
    path: Literal["linear", "compound"] | None = Field(
        default=None,
        description="Required path and forecast scale: the same change (linear) or the same rate (compound) "
        "each year; chosen from the observed series when absent",
    )
    keywords: list[str] = Field(default_factory=list)
    queries: list[str] = Field(
        default_factory=list, description="Boolean keyword queries for mapping projects"
    )

    @model_validator(mode="after")
    def _coherent_target(self) -> Objective:
        if self.baseline and self.target:
            if self.target.year <= self.baseline.year:
                raise ValueError(
                    f"target year {self.target.year} must come after baseline year {self.baseline.year}"
                )
            implied = (
                Direction.INCREASE
                if self.target.value > self.baseline.value
                else Direction.DECREASE
                if self.target.value < self.baseline.value
                else None
            )
            if self.direction is None and implied is not None:
                object.__setattr__(self, "direction", implied)
            elif self.direction is not None and implied is not None and implied != self.direction:
                raise ValueError(
                    f"direction is '{self.direction}' but the target ({self.target.value:g}) is "
                    f"{'below' if implied == Direction.DECREASE else 'above'} the baseline ({self.baseline.value:g})"
                )
            if self.path == "compound" and min(self.baseline.value, self.target.value) <= 0:
                raise ValueError("a compound path needs a positive baseline and target (use path: linear)")
        return self

    @property
    def is_measurable(self) -> bool:
        return self.indicator is not None and self.baseline is not None and self.target is not None


class Stakeholder(DomainModel):
    """Someone involved in shaping or delivering the mission."""

    name: NonEmptyText
    helix: HelixType
    role: str | None = None
    level: Level | None = None


class Mission(DomainModel):
    """A bold, measurable, time-bound goal for a societal challenge, pursued by a portfolio."""

    id: Slug
    title: NonEmptyText
    challenge: Challenge
    statement: NonEmptyText
    owner: NonEmptyText
    start: dt.date | None = None
    deadline: dt.date | None = None
    geography: str | None = None
    currency: CurrencyCode | None = Field(
        default=None, description="Reporting currency of the mission's portfolio (ISO 4217, e.g. EUR)"
    )
    status: MissionStatus = MissionStatus.ACTIVE
    public: bool = False
    objectives: list[Objective] = Field(default_factory=list)
    stakeholders: list[Stakeholder] = Field(default_factory=list)
    programmes: list[str] = Field(
        default_factory=list, description="Funding programmes that contribute to the mission"
    )
    tags: list[str] = Field(default_factory=list)
    solutions: list[str] = Field(
        default_factory=list,
        description="Solutions the mission intends to pursue, e.g. adopted from a consultation",
    )

    @field_validator("challenge", mode="before")
    @classmethod
    def _challenge_from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"title": value}
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Mission:
        if self.start and self.deadline and self.deadline <= self.start:
            raise ValueError(f"deadline {self.deadline} must come after start {self.start}")
        seen: set[str] = set()
        for objective in self.objectives:
            if objective.id in seen:
                raise ValueError(f"objective id '{objective.id}' is used twice")
            seen.add(objective.id)
        return self

    def objective(self, objective_id: str) -> Objective | None:
        return next((o for o in self.objectives if o.id == objective_id), None)


class MissionVersion(DomainModel):
    """One saved state of a mission: every import or edit makes a new one."""

    mission_id: Slug
    version: int = Field(ge=1)
    mission: Mission
    author: str
    created_at: dt.datetime
    comment: str = ""
    origin: str = Field(
        "", description="Where the change came from: a file name, 'edit', or a consultation proposal"
    )
