"""The fixed words the app's pages show from stored codes: statuses, kinds, roles, criteria, instruments.

A template shows a code as a word in the user's language with ``_(code|replace('_', ' ')|e)``; the
escape comes first so that a code that is not one of these words is shown as text, never as markup.
Instruments, stages and project statuses go through the ``human`` filter first (``rd_grant`` → "R&D grant"),
``_(code|human|e)``, so they are listed as that filter writes them, escaped ("R&amp;D grant").
Listing the words here, each in ``N_()``, is what puts them in the ``app`` catalogues (pybabel extracts
``N_`` calls; see ``locales/babel.cfg``). ``tests/web/test_app_languages.py`` checks that every value of
the enums named in :data:`SOURCES` is listed, so a new status cannot reach a page untranslated.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from enum import StrEnum

from babel import Locale

from missionboard.domain.consultations import (
    Audience,
    Channel,
    ConsultationStatus,
    ProposalKind,
    ProposalOutcome,
)
from missionboard.domain.decisions import AppealOutcome, DecisionKind, GateState
from missionboard.domain.learning import LinkKind, NoteKind
from missionboard.domain.mapping import LinkStatus, mission_taxonomy
from missionboard.domain.missions import Direction, HelixType, Level, Mission, MissionStatus
from missionboard.domain.portfolio import InstrumentType, ProjectStatus, Stage
from missionboard.domain.progress_scale import Trend
from missionboard.domain.quality import Criterion, Severity
from missionboard.domain.targets import TargetStatus
from missionboard.services.accounts import Role


def N_(text: str) -> str:  # the gettext convention for "translate later"
    """Mark ``text`` for the catalogues; it is translated where a template shows it."""
    return text


SOURCES: tuple[type[StrEnum], ...] = (
    TargetStatus,
    Trend,
    Criterion,
    Severity,
    NoteKind,
    LinkKind,
    DecisionKind,
    AppealOutcome,
    GateState,
    Direction,
    MissionStatus,
    HelixType,
    Level,
    ConsultationStatus,
    ProposalOutcome,
    ProposalKind,
    Audience,
    Channel,
    Role,
    LinkStatus,
)
"""The enums whose values the pages show as words."""

HUMAN_SOURCES: tuple[type[StrEnum], ...] = (InstrumentType, Stage, ProjectStatus)
"""The enums whose values the pages show through the ``human`` filter, as capitalised words."""

WORDS: tuple[str, ...] = (
    # monitoring: TargetStatus, and "unknown" where an objective has no status
    N_("achieved"),
    N_("on track"),
    N_("at risk"),
    N_("off track"),
    N_("no data"),
    N_("unknown"),
    N_("improving"),
    N_("worsening"),
    N_("flat"),
    # the quality check: a criterion's result, a finding's severity, the criteria
    N_("pass"),
    N_("fail"),
    N_("not assessed"),
    N_("critical"),
    N_("warning"),
    N_("info"),
    N_("bold inspirational"),
    N_("targeted measurable time bound"),
    N_("ambitious realistic"),
    N_("cross sectoral"),
    N_("open to multiple solutions"),
    N_("stakeholder involvement"),
    N_("mission washing"),
    N_("intervention logic"),
    N_("governance"),
    # the quality check's verdicts (domain.quality), by score
    N_("strong mission"),
    N_("adequate, with gaps to close"),
    N_("weak: major gaps"),
    N_("mission-washing risk: not yet a mission"),
    # the learning log: NoteKind, LinkKind
    N_("pattern"),
    N_("pivot"),
    N_("lesson"),
    N_("risk"),
    N_("decision note"),
    N_("objective"),
    N_("outcome"),
    N_("project"),
    N_("decision"),
    # decisions and stage-gates: DecisionKind, AppealOutcome, GateState
    N_("continue"),
    N_("scale"),
    N_("stop"),
    N_("upheld"),
    N_("overturned"),
    N_("decided"),
    N_("overdue"),
    N_("due"),
    N_("scheduled"),
    N_("cancelled"),
    # missions: Direction, MissionStatus
    N_("increase"),
    N_("decrease"),
    N_("draft"),
    N_("active"),
    N_("closed"),
    # consultations: ConsultationStatus, ProposalOutcome, ProposalKind, Audience, Channel
    N_("open"),
    N_("adopted"),
    N_("considered"),
    N_("declined"),
    N_("solution"),
    N_("invited"),
    N_("public"),
    N_("imported"),
    # who a participant speaks for (HelixType) and at which level (Level); the criteria of a rating
    N_("government"),
    N_("research"),
    N_("industry"),
    N_("civil society"),
    N_("local"),
    N_("regional"),
    N_("national"),
    N_("eu"),
    N_("international"),
    N_("importance"),
    N_("ambition"),
    # mission roles (services.accounts.Role)
    N_("viewer"),
    N_("reviewer"),
    N_("editor"),
    N_("owner"),
    # links (LinkStatus)
    N_("proposed"),
    N_("accepted"),
    N_("rejected"),
    # the human filter's words for instruments (InstrumentType), stages (Stage), project statuses (ProjectStatus)
    N_("R&amp;D grant"),
    N_("Loan"),
    N_("Equity"),
    N_("Tax incentive"),
    N_("Infrastructure"),
    N_("Skills"),
    N_("Public procurement"),
    N_("Pre-commercial procurement"),
    N_("Challenge prize"),
    N_("Adoption subsidy"),
    N_("Standards labels"),
    N_("Regulation"),
    N_("Regulatory sandbox"),
    N_("Network"),
    N_("Platform"),
    N_("Advisory"),
    N_("Information"),
    N_("Research"),
    N_("Development"),
    N_("Demonstration"),
    N_("Deployment"),
    N_("Planned"),
    N_("Active"),
    N_("Completed"),
    N_("Terminated"),
    N_("Unknown"),
)
"""Each enum value of :data:`SOURCES` with ``_`` written as a space, and of :data:`HUMAN_SOURCES` as the
``human`` filter writes it, escaped: the words the pages look up."""


LABELS: dict[str, str] = {
    # the quality check's criteria (domain.quality.Criterion)
    "bold_inspirational": N_("Bold and inspirational"),
    "targeted_measurable_time_bound": N_("Targeted, measurable and time-bound"),
    "ambitious_realistic": N_("Ambitious yet realistic"),
    "cross_sectoral": N_("Across sectors"),
    "open_to_multiple_solutions": N_("Open to several solutions"),
    "stakeholder_involvement": N_("Stakeholders involved"),
    "mission_washing": N_("Not mission washing"),
    "intervention_logic": N_("Intervention logic"),
    "governance": N_("Governance"),
    # the analytics' gaps
    "thin": N_("Thin coverage"),
    "orphaned": N_("No project"),
    "unconfirmed": N_("Not confirmed"),
    # co-funding sources (CoFundingSource), conditions (ConditionKind)
    "other_public": N_("Other public"),
    "private": N_("Private"),
    "in_kind": N_("In kind"),
    "eu": N_("EU"),
    "philanthropic": N_("Philanthropic"),
    "grant": N_("Grant"),
    "repayable": N_("Repayable"),
    "loan": N_("Loan"),
    "equity": N_("Equity"),
    "royalties": N_("Royalties"),
    "access": N_("Access"),
    "pricing": N_("Pricing"),
    "reward_sharing": N_("Reward sharing"),
    # Fields of Science areas (ScienceArea), gender marker and lead (GenderMarker, LeadGender)
    "natural_sciences": N_("Natural sciences"),
    "engineering_technology": N_("Engineering and technology"),
    "medical_health": N_("Medical and health sciences"),
    "agricultural": N_("Agricultural sciences"),
    "social_sciences": N_("Social sciences"),
    "humanities": N_("Humanities"),
    "not_targeted": N_("Not targeted"),
    "significant": N_("Significant objective"),
    "principal": N_("Principal objective"),
    "not_given": N_("Not given"),
    "female": N_("Female"),
    "male": N_("Male"),
    "other": N_("Other"),
    "unknown": N_("Unknown"),
    # helix types (HelixType) in a table cell
    "government": N_("Government"),
    "research": N_("Research"),
    "industry": N_("Industry"),
    "civil_society": N_("Civil society"),
}
"""Stored codes shown as a label of their own (capitalised, in the ``app`` catalogues): a template writes
``_(label(code))``; a code that is not listed comes back as words (``human``)."""


def label(code: object) -> str:
    """The label of a stored ``code`` (see :data:`LABELS`), else its words: ``in_kind`` → "In kind"."""
    text = str(code)
    found = LABELS.get(text.strip().lower())
    if found:
        return found
    words = text.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if text == text.lower() else text


COUNTED: dict[str, tuple[str, str]] = {
    "themes": (N_("theme"), N_("themes")),
    "project pairs": (N_("project pair"), N_("project pairs")),
    "objectives": (N_("objective"), N_("objectives")),
    "objectives and outcomes": (N_("objective or outcome"), N_("objectives and outcomes")),
    "assumptions": (N_("assumption"), N_("assumptions")),
    "regions": (N_("region"), N_("regions")),
    "countries": (N_("country"), N_("countries")),
    "bodies": (N_("body"), N_("bodies")),
    "actors": (N_("actor"), N_("actors")),
    "sources": (N_("source"), N_("sources")),
}
"""The units of counted figures, singular and plural: the analytics give the plural ("project pairs")."""


def unit_word(unit: object, value: object) -> str:
    """What a figure's value is written with: a currency ("EUR"), a counted thing in the number of the
    value ("1 project pair", "2 project pairs"), or nothing for a ratio ("EUR per EUR"), a share, an
    index or projects (the figure's label says so)."""
    text = str(unit or "")
    if len(text) == 3 and text.isalpha() and text.isupper():
        return text
    if text not in COUNTED:
        return ""
    one, many = COUNTED[text]
    return one if value == 1 else many


@functools.cache
def _territories(language: str) -> dict[str, str]:
    return dict(Locale.parse(language if language != "nb" else "nb").territories)


def country_name(code: object, language: str = "en") -> str:
    """A country's name in ``language`` from its ISO code (Babel's CLDR data): ``DK`` → "Denmark",
    "Danmark"; anything that is not a known code comes back as it is."""
    text = str(code or "")
    return _territories(language).get(text.strip().upper(), text) if len(text.strip()) == 2 else text


def country_names(codes: Iterable[object], language: str = "en") -> str:
    """Countries' names, comma-separated ("" for none)."""
    return ", ".join(country_name(c, language) for c in codes if c)


def mission_names(mission: Mission) -> dict[str, str]:
    """The mission's ids in words: objectives, outcomes and measures by title, assumptions by their text,
    indicators by name, and the mission's taxonomy by the mission's title."""
    names: dict[str, str] = {mission_taxonomy(mission.id): mission.title, mission.id: mission.title}
    for objective in mission.objectives:
        names[objective.id] = objective.title
        if objective.indicator:
            names[objective.indicator.id] = objective.indicator.name
    for measure in mission.measures:
        names[measure.id] = measure.title
    if mission.logic:
        for outcome in mission.logic.outcomes:
            names[outcome.id] = outcome.title
            if outcome.indicator:
                names.setdefault(outcome.indicator.id, outcome.indicator.name)
        for assumption in mission.logic.assumptions:
            names[assumption.id] = assumption.text
    return names


def named(value: object, names: dict[str, str]) -> str:
    """An id (or a list of ids) in words, by ``names``: the ids the analytics' tables hold."""
    if isinstance(value, list | tuple):
        return "; ".join(named(v, names) for v in value) or "—"
    text = str(value)
    return names.get(text, text)


_QUOTED = re.compile(r"(?:taxonomy )?'([^'\s]+)'")
_TABLE = re.compile(r",? table [a-z_]+(?=[,;)]|$)")
_SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
_TOKEN = re.compile(r"(?<![\w:/-])[a-z0-9]+(?:[-_][a-z0-9]+)+(?![\w/-])")


def in_words(text: object, names: dict[str, str]) -> str:
    """``text`` (a finding, a figure's provenance) with the mission's ids in words: a quoted id
    (``'reused-materials'``, ``taxonomy 'mission:x'``) becomes its title in quotation marks, a bare
    hyphenated id its title; the name of a table is left out, other codes become words (``projects_via``
    → "projects via")."""

    def quoted(found: re.Match[str]) -> str:
        title = names.get(found.group(1))
        if title is None:
            return found.group(0)
        return f"the mission “{title}”" if found.group(0).startswith("taxonomy ") else f"“{title}”"

    said = _TABLE.sub("", _QUOTED.sub(quoted, str(text)))
    said = _TOKEN.sub(lambda m: names.get(m.group(0), m.group(0)), said)
    return _SNAKE.sub(lambda m: m.group(0).replace("_", " "), said)


__all__ = [
    "COUNTED",
    "HUMAN_SOURCES",
    "LABELS",
    "N_",
    "SOURCES",
    "WORDS",
    "country_name",
    "country_names",
    "in_words",
    "label",
    "mission_names",
    "named",
    "unit_word",
]
