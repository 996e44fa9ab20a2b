"""Projects, the actors behind them and how they take part: the portfolio a mission is pursued by."""

from __future__ import annotations

import datetime as dt
import re
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


class CoFundingSource(StrEnum):
    """Where co-funding comes from (money beyond the project's funder)."""

    OTHER_PUBLIC = "other_public"
    PRIVATE = "private"
    IN_KIND = "in_kind"
    EU = "eu"
    PHILANTHROPIC = "philanthropic"
    UNKNOWN = "unknown"


class ConditionKind(StrEnum):
    """Conditions and reward-sharing terms attached to funding (a plain grant is ``grant``)."""

    GRANT = "grant"
    REPAYABLE = "repayable"
    LOAN = "loan"
    EQUITY = "equity"
    ROYALTIES = "royalties"
    ACCESS = "access"
    PRICING = "pricing"
    REWARD_SHARING = "reward_sharing"
    OTHER = "other"


class GenderMarker(StrEnum):
    """The OECD DAC gender equality policy marker (IATI ``policy-marker`` code 1): significance 0, 1, 2."""

    NOT_TARGETED = "not_targeted"
    SIGNIFICANT = "significant"
    PRINCIPAL = "principal"


class LeadGender(StrEnum):
    """The gender of a project's lead (principal investigator, project leader), as agencies record it."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class ScienceArea(StrEnum):
    """The six broad areas of the OECD Fields of Science (FORD), which EuroSciVoc shares at its top."""

    NATURAL_SCIENCES = "natural_sciences"
    ENGINEERING_TECHNOLOGY = "engineering_technology"
    MEDICAL_HEALTH = "medical_health"
    AGRICULTURAL = "agricultural"
    SOCIAL_SCIENCES = "social_sciences"
    HUMANITIES = "humanities"

    @property
    def is_ssh(self) -> bool:
        """Social sciences and humanities."""
        return self in (ScienceArea.SOCIAL_SCIENCES, ScienceArea.HUMANITIES)


SCIENCE_AREAS: dict[str, ScienceArea] = {
    "1": ScienceArea.NATURAL_SCIENCES,
    "2": ScienceArea.ENGINEERING_TECHNOLOGY,
    "3": ScienceArea.MEDICAL_HEALTH,
    "4": ScienceArea.AGRICULTURAL,
    "5": ScienceArea.SOCIAL_SCIENCES,
    "6": ScienceArea.HUMANITIES,
}
"""OECD Fields of Science area code → area."""

FIELDS_OF_SCIENCE: dict[str, str] = {
    "1.1": "Mathematics",
    "1.2": "Computer and information sciences",
    "1.3": "Physical sciences",
    "1.4": "Chemical sciences",
    "1.5": "Earth and related environmental sciences",
    "1.6": "Biological sciences",
    "1.7": "Other natural sciences",
    "2.1": "Civil engineering",
    "2.2": "Electrical engineering, electronic engineering, information engineering",
    "2.3": "Mechanical engineering",
    "2.4": "Chemical engineering",
    "2.5": "Materials engineering",
    "2.6": "Medical engineering",
    "2.7": "Environmental engineering",
    "2.8": "Environmental biotechnology",
    "2.9": "Industrial biotechnology",
    "2.10": "Nano-technology",
    "2.11": "Other engineering and technologies",
    "3.1": "Basic medicine",
    "3.2": "Clinical medicine",
    "3.3": "Health sciences",
    "3.4": "Medical biotechnology",
    "3.5": "Other medical sciences",
    "4.1": "Agriculture, forestry, and fisheries",
    "4.2": "Animal and dairy science",
    "4.3": "Veterinary science",
    "4.4": "Agricultural biotechnology",
    "4.5": "Other agricultural sciences",
    "5.1": "Psychology",
    "5.2": "Economics and business",
    "5.3": "Educational sciences",
    "5.4": "Sociology",
    "5.5": "Law",
    "5.6": "Political science",
    "5.7": "Social and economic geography",
    "5.8": "Media and communications",
    "5.9": "Other social sciences",
    "6.1": "History and archaeology",
    "6.2": "Languages and literature",
    "6.3": "Philosophy, ethics and religion",
    "6.4": "Arts (arts, history of arts, performing arts, music)",
    "6.5": "Other humanities",
}
"""OECD Fields of Science and Technology (Frascati Manual 2015, FORD): code → field."""

_AREA_NAMES: dict[str, ScienceArea] = {
    "natural sciences": ScienceArea.NATURAL_SCIENCES,
    "engineering and technology": ScienceArea.ENGINEERING_TECHNOLOGY,
    "medical and health sciences": ScienceArea.MEDICAL_HEALTH,
    "agricultural sciences": ScienceArea.AGRICULTURAL,
    "agricultural and veterinary sciences": ScienceArea.AGRICULTURAL,
    "social sciences": ScienceArea.SOCIAL_SCIENCES,
    "humanities": ScienceArea.HUMANITIES,
    "humanities and the arts": ScienceArea.HUMANITIES,
}


def science_area(discipline: str) -> ScienceArea | None:
    """The broad area of a discipline: an OECD Fields of Science code or area name ('5.2 Economics and
    business', '5', 'Social sciences') or a EuroSciVoc path ('/social sciences/law'); None if unknown."""
    text = discipline.strip().lower()
    if text.startswith("/"):
        text = text[1:].split("/", 1)[0]
    code = text.split(maxsplit=1)[0] if text else ""
    if code[:1].isdigit():
        return SCIENCE_AREAS.get(code.split(".", 1)[0])
    return _AREA_NAMES.get(text)


def unknown_science_code(text: str) -> str | None:
    """The code a discipline starts with when it is no OECD Fields of Science area (1–6) or field
    ('5.2'): '9.9 Other' is a typo to report, not a discipline to count. None when the text starts with
    a known code or with no code at all."""
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    if not re.fullmatch(r"\d+(\.\d+)?", first):
        return None
    return None if first in SCIENCE_AREAS or first in FIELDS_OF_SCIENCE else first


def normal_discipline(text: str) -> str:
    """A discipline as stored: a bare OECD Fields of Science code ('5.2') gets its name ('5.2 Economics
    and business'); anything else is kept as given."""
    text = " ".join(text.split())
    name = FIELDS_OF_SCIENCE.get(text)
    return f"{text} {name}" if name else text


class CoFunding(DomainModel):
    """One source of co-funding: its kind, and where known who gave it and how much."""

    source_type: CoFundingSource
    amount: Money | None = None
    funder: str | None = None

    @field_validator("amount")
    @classmethod
    def _not_negative(cls, value: Money | None) -> Money | None:
        if value is not None and value.amount < 0:
            raise ValueError("a co-funding amount must not be negative")
        return value


class FundingCondition(DomainModel):
    """A condition or reward-sharing term on the funding; ``share`` is the share of the funding it
    covers, where the source says."""

    kind: ConditionKind
    description: str = ""
    share: float | None = Field(default=None, ge=0, le=1)


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
    cofunding_sources: list[CoFunding] = Field(
        default_factory=list,
        description="Co-funding by source; ``co_funding`` stays the total the source gave",
    )
    conditions: list[FundingCondition] = Field(default_factory=list)
    discipline: str | None = Field(
        default=None, description="The main discipline: an OECD Fields of Science field or a EuroSciVoc path"
    )
    disciplines: list[str] = Field(default_factory=list, description="Every discipline given, the main first")
    gender_marker: GenderMarker | None = None
    lead_gender: LeadGender | None = None
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
        main, listed = main_discipline(self.discipline, self.disciplines)
        if main != self.discipline or listed != self.disciplines:
            object.__setattr__(self, "discipline", main)
            object.__setattr__(self, "disciplines", listed)
        return self

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.source_id)

    def text(self) -> str:
        """Title and abstract together: what mapping reads."""
        return f"{self.title}. {self.abstract}".strip()


def main_discipline(discipline: str | None, disciplines: list[str]) -> tuple[str | None, list[str]]:
    """(main discipline, all disciplines with the main one first): the main one is the one named, else
    the first listed."""
    if discipline is None:
        return (disciplines[0] if disciplines else None), disciplines
    if disciplines and disciplines[0] == discipline:
        return discipline, disciplines
    return discipline, [discipline, *(d for d in disciplines if d != discipline)]


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
