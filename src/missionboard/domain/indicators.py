"""Indicator observations: the evidence that a mission is or is not moving."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from missionboard.domain.common import DomainModel, Slug


class Observation(DomainModel):
    """One value of an indicator at a point in time, from a source; revisions keep their history."""

    indicator: Slug
    year: int
    date: dt.date | None = None
    value: float
    geography: str | None = None
    source: str | None = None
    note: str | None = None
    revision: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _year_matches_date(self) -> Observation:
        if self.date is not None and self.date.year != self.year:
            raise ValueError(f"date {self.date} is not in year {self.year}")
        return self
