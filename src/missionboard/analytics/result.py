"""The result of an analysis: one typed ``PortfolioAnalysis`` that the CLI prints, the web renders, the
API answers (as ``AnalyticsOut``) and the reports read.

The engine builds each section as plain data. Every headline number is a *figure*:
``{"value": …, "unit": …, "computed_from": …}``. Tables are
``{"unit": {column: unit}, "computed_from": …, "rows": [...]}`` so that a reader of the JSON never
has to guess what a number means. The use case validates the sections once into ``PortfolioAnalysis``
(``Figure`` and ``Table`` where a value has their keys, JSON elsewhere), whose ``to_dict()`` is the
JSON ``analyze`` writes.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

KEYS = (
    "mission",
    "scope",
    "portfolio",
    "projects",
    "budget",
    "coverage",
    "gaps",
    "instruments",
    "stages",
    "helix",
    "geography",
    "timeline",
    "leverage",
    "diversity",
    "themes",
    "concentration",
    "network",
    "overlaps",
    "dynamics",
    "governance",
    "logic",
    "cofunding",
    "conditions",
    "disciplines",
    "gender",
    "meta",
)


def clean(value: Any) -> Any:
    """JSON-safe numbers: NaN/inf become None, numpy scalars become Python ones, floats rounded."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return round(value, 6)
    return value


def figure(value: Any, unit: str, computed_from: str) -> dict[str, Any]:
    """One number with its unit and the data it was computed from."""
    return {"value": clean(value), "unit": unit, "computed_from": computed_from}


def table(rows: list[dict[str, Any]], units: dict[str, str], computed_from: str) -> dict[str, Any]:
    """Rows of figures sharing units per column."""
    return {"unit": units, "computed_from": computed_from, "rows": clean(rows)}


# --- the typed result -------------------------------------------------------------------------------

Json = TypeAliasType("Json", "str | int | float | bool | list[Json] | dict[str, Json] | None")
"""Any JSON value: a string, number, boolean, null, or a list or object of JSON values."""

Number = int | float
"""A number as it was computed: whole numbers stay whole (pydantic keeps ``0`` as ``0``, not ``0.0``)."""


class Strict(BaseModel):
    """A part of a result: only the keys it names (a new key fails validation until it is described)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PortfolioRuleOut(Strict):
    """Which links count towards a mission's portfolio (``domain.portfolio_rule``)."""

    rule: str = Field(description="The rule in one line")
    threshold: Number
    override: bool = Field(description="Whether the threshold was chosen for this analysis")


class PortfolioBasis(PortfolioRuleOut):
    """The rule and the reporting currency every portfolio figure carries."""

    currency: str | None
    currency_source: str = Field(description="mission, workspace, projects, chosen or none")
    conversion: str = Field(description="How money in other currencies was converted, in one line")


class Figure(Strict):
    """One number with its unit and the data it was computed from (``analytics.result.figure``)."""

    value: Number | str | bool | None
    unit: str
    computed_from: str


class Table(Strict):
    """Rows sharing a unit per column (``analytics.result.table``)."""

    unit: dict[str, str] = Field(description="Column → unit")
    computed_from: str
    rows: list[dict[str, Json]]


Entry = Annotated[Figure | Table | Json, Field(union_mode="left_to_right")]
"""A value of a section: a figure or a table where it has their keys (tried in that order), else JSON."""

Section = dict[str, Entry]
"""An analytics section: named figures and tables (and, in a few sections, plain values or groups)."""

NetworkEntry = Annotated[Figure | Table | Section, Field(union_mode="left_to_right")]


class AnalyticsMission(Strict):
    id: str
    title: str
    version: int
    owner: str | None
    deadline: str | None
    objectives: int
    taxonomy: str


class AnalyticsScope(Strict):
    taxonomy: str | None
    threshold: Number | None
    since: int | None  # the year given to ``--since`` (the API schema said str until this was typed)
    description: str


class PortfolioAnalysis(Strict):
    """Everything ``analyze`` computes for one mission, taxonomy or the whole portfolio
    (``missionboard analyze --format json``); a section the analysis could not compute is null."""

    mission: AnalyticsMission | None
    scope: AnalyticsScope | None
    portfolio: PortfolioBasis | None
    projects: dict[str, Figure] | None
    budget: Section | None
    coverage: Table | None
    gaps: Table | None
    instruments: dict[str, Table] | None
    stages: dict[str, Table] | None
    helix: Section | None
    geography: Section | None
    timeline: Table | None
    leverage: Section | None
    diversity: Section | None
    themes: Table | None
    concentration: dict[str, Section] | None
    network: dict[str, NetworkEntry] | None
    overlaps: Section | None
    dynamics: Table | None
    governance: Section | None = Field(
        default=None, description="Money, projects and measures by body and level"
    )
    logic: Section | None = Field(
        default=None, description="Projects, measures and money behind each pathway"
    )
    cofunding: Section | None = Field(default=None, description="Crowding-in by co-funding source type")
    conditions: Section | None = Field(default=None, description="Money with conditions or reward-sharing")
    disciplines: Section | None = Field(default=None, description="Fields of Science mix and SSH share")
    gender: Section | None = Field(default=None, description="Money and projects by gender dimension")
    meta: dict[str, Json] | None = Field(description="How the analysis ran: engine, rows read, seconds")

    @classmethod
    def of_sections(cls, sections: dict[str, Any]) -> PortfolioAnalysis:
        """The engine's sections (plain data, numbers made JSON-safe here), validated once; a section
        missing from ``sections`` is None."""
        return cls.model_validate({key: clean(sections.get(key)) for key in KEYS})

    def __getitem__(self, key: str) -> object:
        if key not in KEYS:
            raise KeyError(key)
        return getattr(self, key)

    @property
    def reporting_currency(self) -> str:
        found = (self.budget or {}).get("reporting_currency", "")
        return str(found)

    def to_dict(self) -> dict[str, Any]:
        """One JSON-ready object with the keys in ``KEYS`` order (the JSON the analysis always wrote)."""
        return self.model_dump()
