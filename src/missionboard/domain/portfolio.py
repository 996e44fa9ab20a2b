"""Projects, the actors behind them and how they take part: the portfolio a mission is pursued by."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator, model_validator

from missionboard.domain.common import DomainModel, Money, NonEmptyText
from missionboard.domain.missions import HelixType, Level


class InstrumentFamily(StrEnum):
    """Policy instrument families after the OECD STIP Compass."""

    SUPPLY = "supply"
    DEMAND = "demand"
    REGULATION = "regulation"
    SYSTEMIC = "systemic"


class InstrumentType(StrEnum):
    RD_GRANT = "rd_grant"
    LOAN = "loan"
    EQUITY = "equity"
    TAX_INCENTIVE = "tax_incentive"
    INFRASTRUCTURE = "infrastructure"
    SKILLS = "skills"
    PUBLIC_PROCUREMENT = "public_procurement"
    PRE_COMMERCIAL_PROCUREMENT = "pre_commercial_procurement"
    CHALLENGE_PRIZE = "challenge_prize"
    ADOPTION_SUBSIDY = "adoption_subsidy"
    STANDARDS_LABELS = "standards_labels"
    REGULATION = "regulation"
    REGULATORY_SANDBOX = "regulatory_sandbox"
    NETWORK = "network"
    PLATFORM = "platform"
    ADVISORY = "advisory"
    INFORMATION = "information"

    @property
    def family(self) -> InstrumentFamily:
        return INSTRUMENT_FAMILY[self]


INSTRUMENT_FAMILY: dict[InstrumentType, InstrumentFamily] = {
    InstrumentType.RD_GRANT: InstrumentFamily.SUPPLY,
    InstrumentType.LOAN: InstrumentFamily.SUPPLY,
    InstrumentType.EQUITY: InstrumentFamily.SUPPLY,
    InstrumentType.TAX_INCENTIVE: InstrumentFamily.SUPPLY,
    InstrumentType.INFRASTRUCTURE: InstrumentFamily.SUPPLY,
    InstrumentType.SKILLS: InstrumentFamily.SUPPLY,
    InstrumentType.PUBLIC_PROCUREMENT: InstrumentFamily.DEMAND,
    InstrumentType.PRE_COMMERCIAL_PROCUREMENT: InstrumentFamily.DEMAND,
    InstrumentType.CHALLENGE_PRIZE: InstrumentFamily.DEMAND,
    InstrumentType.ADOPTION_SUBSIDY: InstrumentFamily.DEMAND,
    InstrumentType.STANDARDS_LABELS: InstrumentFamily.DEMAND,
    InstrumentType.REGULATION: InstrumentFamily.REGULATION,
    InstrumentType.REGULATORY_SANDBOX: InstrumentFamily.REGULATION,
    InstrumentType.NETWORK: InstrumentFamily.SYSTEMIC,
    InstrumentType.PLATFORM: InstrumentFamily.SYSTEMIC,
    InstrumentType.ADVISORY: InstrumentFamily.SYSTEMIC,
    InstrumentType.INFORMATION: InstrumentFamily.SYSTEMIC,
}


class Stage(StrEnum):
    RESEARCH = "research"
    DEVELOPMENT = "development"
    DEMONSTRATION = "demonstration"
    DEPLOYMENT = "deployment"


def stage_for_trl(trl: int) -> Stage:
    """TRL 1–3 research, 4–5 development, 6–7 demonstration, 8–9 deployment."""
    if not 1 <= trl <= 9:
        raise ValueError(f"TRL must be between 1 and 9, not {trl}")
    if trl <= 3:
        return Stage.RESEARCH
    if trl <= 5:
        return Stage.DEVELOPMENT
    if trl <= 7:
        return Stage.DEMONSTRATION
    return Stage.DEPLOYMENT


class ProjectStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    TERMINATED = "terminated"
    UNKNOWN = "unknown"


class ParticipationRole(StrEnum):
    FUNDER = "funder"
    COORDINATOR = "coordinator"
    PARTNER = "partner"
    IMPLEMENTER = "implementer"
    BENEFICIARY = "beneficiary"
    OTHER = "other"


class SourceLabel(DomainModel):
    """A goal label the publisher put on a record (e.g. an IATI SDG tag): evidence for mapping."""

    vocabulary: NonEmptyText
    code: NonEmptyText


class Text(DomainModel):
    """A narrative in one language (BCP 47 code, or None when unknown)."""

    text: NonEmptyText
    lang: str | None = None


class Project(DomainModel):
    """One funded piece of work, as one source describes it; keyed by (source, source_id)."""

    source: NonEmptyText
    source_id: NonEmptyText
    title: NonEmptyText
    abstract: str = ""
    language: str | None = None
    titles: list[Text] = Field(default_factory=list, description="Every language the source gives")
    abstracts: list[Text] = Field(default_factory=list)
    funder: str | None = None
    programme: str | None = None
    instrument: InstrumentType | None = None
    funding_scheme: str | None = None
    budget: Money | None = None
    public_funding: Money | None = None
    co_funding: Money | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    status: ProjectStatus = ProjectStatus.UNKNOWN
    trl: int | None = Field(default=None, ge=1, le=9)
    stage: Stage | None = None
    countries: list[str] = Field(default_factory=list, description="ISO 3166 codes")
    regions: list[str] = Field(default_factory=list, description="Sub-national or supranational regions")
    sectors: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    source_labels: list[SourceLabel] = Field(default_factory=list)
    raw: dict[str, Any] = Field(default_factory=dict, description="The source record, kept for audit")

    @model_validator(mode="after")
    def _consistent(self) -> Project:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        for name in ("budget", "public_funding", "co_funding"):
            money = getattr(self, name)
            if money is not None and money.amount < 0:
                raise ValueError(f"{name} must not be negative")
        if self.stage is None and self.trl is not None:
            object.__setattr__(self, "stage", stage_for_trl(self.trl))
        return self

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.source_id)

    def text(self) -> str:
        """Title and abstract together: what mapping reads."""
        return f"{self.title}. {self.abstract}".strip()


class Actor(DomainModel):
    """An organisation taking part in projects, resolved across sources."""

    name: NonEmptyText
    identifiers: dict[str, str] = Field(
        default_factory=dict, description="Scheme → identifier, e.g. {'iati': 'GB-COH-123', 'pic': '999'}"
    )
    helix: HelixType | None = None
    sector: str | None = None
    level: Level | None = None
    country: str | None = None
    aliases: list[str] = Field(default_factory=list, description="Names other sources use for this actor")

    @field_validator("country")
    @classmethod
    def _country_code(cls, value: str | None) -> str | None:
        return value.upper() if value else value


class Participation(DomainModel):
    """An actor's role in a project and, where known, its share of the money."""

    project: tuple[str, str]
    actor: Actor
    role: ParticipationRole = ParticipationRole.PARTNER
    amount: Money | None = None
    share: float | None = Field(default=None, ge=0, le=1, description="Share of the project budget")
