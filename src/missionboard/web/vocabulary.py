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

from enum import StrEnum

from missionboard.domain.consultations import (
    Audience,
    Channel,
    ConsultationStatus,
    ProposalKind,
    ProposalOutcome,
)
from missionboard.domain.decisions import AppealOutcome, DecisionKind, GateState
from missionboard.domain.learning import LinkKind, NoteKind
from missionboard.domain.mapping import LinkStatus
from missionboard.domain.missions import Direction, HelixType, Level, MissionStatus
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


__all__ = ["HUMAN_SOURCES", "N_", "SOURCES", "WORDS"]
