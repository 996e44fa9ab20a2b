"""Indicator observations: the evidence that a mission is or is not moving."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class IndicatorInfo:
    """An indicator as ``indicators list`` shows it: its observations counted, their years and geographies."""

    id: str
    name: str
    unit: str
    source: str | None
    observations: int
    first_year: int | None
    last_year: int | None
    geographies: list[str]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)
