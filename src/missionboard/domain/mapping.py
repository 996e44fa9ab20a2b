"""Taxonomies of goals and the links that tie projects to them."""

from __future__ import annotations

import datetime as dt
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


class Goal(DomainModel):
    """One goal of a taxonomy (an SDG, an SDG target, a mission objective …)."""

    code: NonEmptyText
    title: NonEmptyText
    description: str = ""
    parent: str | None = None
    queries: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)


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
