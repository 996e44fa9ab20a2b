"""What each route of the JSON API answers: the ``response_model`` of every route under /api/v1.

The models describe the JSON the routes have always returned, key for key: every model forbids keys it
does not name (a route that starts returning a new key fails its tests until the key is described
here), and the routes answer with ``response_model_exclude_unset``, so a key a route leaves out (a
link's ``project_title`` outside lists) stays out rather than coming back as ``null``.

Numbers that may be whole or fractional are ``Number`` (``int | float``): pydantic keeps each as it
came, so ``0`` stays ``0`` and is not rewritten as ``0.0``. Values that are open JSON by nature (a
project's source record, a link's evidence, an audit event's before and after, a mission document)
are ``Json``: any JSON value, described recursively, never an untyped ``Any``. ``Json``, ``Number``,
the portfolio basis and the analysis's models are defined once with the analysis (``analytics.result``,
reached through ``services.analytics``); ``AnalyticsOut`` is the analysis itself under its API name.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from missionboard.services.analytics import Json, Number, PortfolioAnalysis, PortfolioBasis, PortfolioRuleOut
from missionboard.web.responses import ProblemOut

RoleName = Literal["owner", "editor", "reviewer", "viewer"]


class Out(BaseModel):
    """Base of the API's answers: only the keys named here (see the module's docstring)."""

    model_config = ConfigDict(extra="forbid")


# --- accounts ----------------------------------------------------------------------------------------


class AccountOut(Out):
    """An account, and its role on each mission."""

    username: str
    display_name: str
    is_admin: bool
    is_active: bool
    roles: dict[str, RoleName] = Field(description="Mission id → role")


class AccountList(Out):
    items: list[AccountOut]


class MemberOut(Out):
    username: str
    role: RoleName


class MemberList(Out):
    items: list[MemberOut]


# --- missions ----------------------------------------------------------------------------------------


class VersionOut(Out):
    """One saved version of a mission."""

    id: str
    version: int
    author: str
    created_at: str
    comment: str


class MissionVersionOut(VersionOut):
    mission: dict[str, Json] = Field(
        description="The mission document, as `missionboard mission export` writes it (empty fields left out)"
    )


class MissionSummary(VersionOut):
    """A mission in the list, with its portfolio's size and money."""

    title: str
    status: str
    public: bool
    deadline: str | None
    objectives: int = Field(description="How many objectives the mission has")
    portfolio_size: int
    portfolio_money: Number
    portfolio: PortfolioBasis


class MissionList(Out):
    items: list[MissionSummary]
    total: int
    portfolio_rule: str


class VersionList(Out):
    items: list[VersionOut]
    total: int


class FieldChangeOut(Out):
    path: str
    before: Json
    after: Json


class MissionDiffOut(Out):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    mission: str
    from_version: int = Field(alias="from")
    to_version: int = Field(alias="to")
    changes: list[FieldChangeOut]
    diff: str = Field(description="A unified diff of the two versions' YAML")


class FindingOut(Out):
    criterion: str
    severity: str
    message: str
    evidence: str
    suggestion: str


class StartYearOut(Out):
    year: int
    new_projects: int
    relabelled_projects: int
    new_money: Number
    relabelled_money: Number


class RelabellingOut(Out):
    """Linked projects and money that started before the mission."""

    mission_start: str
    rule: str
    projects: int
    relabelled_projects: int
    relabelled_project_share: Number
    currency: str | None
    new_money: Number
    relabelled_money: Number
    relabelled_money_share: Number | None
    undated_projects: int
    unconverted_projects: int
    by_start_year: list[StartYearOut]


class QualityOut(Out):
    """The mission's quality check (``missionboard mission check``)."""

    mission: str
    score: int
    verdict: str
    criteria: dict[str, Literal["pass", "fail", "not_assessed"]]
    findings: list[FindingOut]
    relabelling: RelabellingOut | None


class UnconvertedOut(Out):
    currency: str
    amount: Number
    projects: int


class ObjectivePortfolioOut(Out):
    objective: str
    title: str
    projects: int
    accepted: int
    proposed: int
    below_threshold: int
    money: Number
    money_split: Number


class PortfolioOut(Out):
    """A mission's portfolio by the one portfolio rule (``services.portfolio``)."""

    mission: str
    portfolio: PortfolioBasis
    projects: int
    accepted: int
    proposed_only: int
    money: Number
    projects_with_money: int
    approximate_rate_projects: int
    unconverted: list[UnconvertedOut]
    objectives: list[ObjectivePortfolioOut]


# --- analytics ---------------------------------------------------------------------------------------


class AnalyticsOut(PortfolioAnalysis):
    """Portfolio analytics of a mission (``missionboard analyze --format json``); a section the
    analysis could not compute is null."""


# --- monitoring --------------------------------------------------------------------------------------


class ValueYear(Out):
    value: Number
    year: int


class LatestOut(Out):
    year: int
    value: Number
    source: str | None
    revision: int | str | None


class FundedProject(Out):
    project: str
    title: str
    link_status: str
    amount: Number | None


class FundingOut(Out):
    amount: Number
    currency: str | None
    share: Number | None
    projects: list[FundedProject]


class RegionalMonitor(Out):
    """One regional target of an objective, judged as the objective is, on the region's observations."""

    region: str
    geography: str | None = Field(description="The geography whose observations were read")
    baseline: ValueYear | None = Field(
        description="Given, or the region's value in the objective's baseline year"
    )
    target: ValueYear | None
    path: str | None
    path_choice: str | None
    start_year: int | None
    latest: LatestOut | None
    expected: Number | None
    gap: Number | None
    status: str
    reason: str
    forecast: dict[str, int | float | str] | None
    probability: Number | None
    required_acceleration: Number | None
    observed_rate: Number | None
    required_rate: Number | None
    observations: int


class ObjectiveMonitor(Out):
    """Where one objective stands: latest value, expected value, gap, status, forecast, funding."""

    objective: str
    title: str
    indicator: str | None
    unit: str | None
    geography: str | None
    baseline: ValueYear | None
    target: ValueYear | None
    direction: str | None
    path: str | None
    path_choice: str | None
    start_year: int | None
    latest: LatestOut | None
    expected: Number | None
    gap: Number | None
    status: str
    reason: str
    forecast: dict[str, int | float | str] | None
    probability: Number | None
    required_acceleration: Number | None
    observed_rate: Number | None
    required_rate: Number | None
    observations: int
    funding: FundingOut
    regions: list[RegionalMonitor] = Field(
        description="Each regional target, in the mission's order; empty where the objective has none"
    )


class MonitorPortfolio(PortfolioRuleOut):
    currency: str | None


class BeforeMission(Out):
    count: int
    projects: list[str]


class HealthOut(Out):
    judged: int
    flagged: int
    unmonitored: int
    before_mission: BeforeMission
    after_mission: int
    not_yet: int


class AppealOut(Out):
    id: int
    decision: int
    by: str
    reason: str
    lodged_at: str
    outcome: str | None
    ruled_by: str | None
    ruling: str | None
    ruled_at: str | None


class CriterionOut(Out):
    criterion: str
    met: bool


class DecisionOut(Out):
    """A stage-gate decision, with the appeals against it."""

    id: int
    project: str = Field(description="SOURCE:SOURCE_ID")
    title: str
    decision: str
    rationale: str
    by: str
    at: str
    on: str | None
    gate: str | None
    criteria: list[CriterionOut] = Field(description="Each of the gate's criteria, and whether it was met")
    plan: str | None
    amount: Number | None
    currency: str | None
    standing: bool = Field(description="False once an appeal overturned it")
    appeals: list[AppealOut]


class ReleasedProject(Out):
    project: str
    decision: int = Field(description="The stop that released the money")
    on: str
    amount: Number | None
    objectives: list[str]


class ReleasedOut(Out):
    """Money that standing stops released from the mission's projects."""

    currency: str | None
    amount: Number | None = None
    by_objective: dict[str, Number | None] = Field(default_factory=dict)
    projects: list[ReleasedProject] = Field(default_factory=list)


class FlagOut(Out):
    code: str
    rule: str = Field(description="The section of the health rules that raised it")
    reason: str
    dates: dict[str, str] = Field(description="Named dates behind the flag")


class FlaggedProject(Out):
    project: str
    id: int
    title: str
    objectives: list[str]
    reasons: list[str]
    flags: list[FlagOut]


class Suggestion(Out):
    """A rebalancing move: money to an objective that is off track or at risk."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_objective: str = Field(alias="from", description="An objective, or 'released' (stopped projects)")
    to: str | None = Field(description="None: released money no objective needs")
    amount: Number | None
    currency: str | None
    reason: str
    message: str


class MonitorOut(Out):
    """Monitoring of a mission's objectives (``missionboard monitor --format json``)."""

    mission: str
    title: str
    as_of: str
    currency: str | None
    portfolio: MonitorPortfolio
    funding_total: Number
    objectives: list[ObjectiveMonitor]
    flagged_projects: list[FlaggedProject]
    health: HealthOut
    decisions: list[DecisionOut]
    suggestions: list[Suggestion]
    released: ReleasedOut
    move: dict[str, Json] | None = Field(description="A what-if move (the CLI's --move); null here")
    notes: list[str]


class ProjectDecisions(Out):
    project_id: int
    decisions: list[DecisionOut]


# --- stage-gates -------------------------------------------------------------------------------------


class GateDecision(Out):
    id: int
    decision: str
    on: str
    by: str
    criteria_met: int
    criteria: int


class GateOut(Out):
    id: int
    project: str
    project_id: int
    title: str
    gate: str
    due: str
    days: int = Field(description="Days from as_of to the gate (negative: overdue by that many)")
    state: Literal["overdue", "due", "scheduled", "decided", "cancelled"]
    criteria: list[str]
    evidence: list[str]
    decision: GateDecision | None = Field(description="The standing decision taken at the gate")


class GateCalendarOut(Out):
    mission: str | None
    as_of: str
    due_soon_days: int
    counts: dict[str, int] = Field(description="Gates in each state")
    gates: list[GateOut]


# --- projects and links ------------------------------------------------------------------------------


class ProjectOut(Out):
    """A project as lists show it."""

    id: int
    source: str
    source_id: str
    title: str
    funder: str | None
    programme: str | None
    instrument: str | None
    stage: str | None
    status: str | None
    start: str | None
    end: str | None
    budget_amount: Number | None
    budget_currency: str | None
    countries: list[str]
    regions: list[str]


class ImportRunRef(Out):
    id: int
    format: str
    source: str | None
    files: list[Json]
    user: str | None
    started_at: str | None


class ActorOut(Out):
    id: int
    name: str
    helix: str | None
    country: str | None
    role: str
    amount: Number | None
    currency: str | None


class LinkOut(Out):
    """A link between a project and a goal."""

    id: int
    project_id: int
    taxonomy: str
    goal: str
    score: Number | None
    method: str
    evidence: Json
    status: str
    reviewer: str | None
    reviewed_at: str | None
    project_title: str | None = Field(default=None, description="In lists only")


class ReassignedTo(Out):
    link: int
    goal: str


class ReviewedLink(LinkOut):
    reassigned_to: ReassignedTo | None = Field(default=None, description="After a reassign: the new link")


class ProjectDecisionEntry(Out):
    id: int
    decision: str
    rationale: str
    by: str
    at: str | None
    evidence: Json


class CoFundingOut(Out):
    source_type: Literal["other_public", "private", "in_kind", "eu", "philanthropic", "unknown"]
    funder: str | None
    amount: Number | None
    currency: str | None


class ConditionOut(Out):
    kind: str = Field(
        description="grant, repayable, loan, equity, royalties, access, pricing, reward_sharing, other"
    )
    description: str
    share: Number | None = Field(
        description="Share of the funding the condition covers, where the source says"
    )


class ProjectFundingOut(Out):
    """Co-funding by source, conditions on the funding, disciplines and the gender dimension."""

    discipline: str | None = Field(description="The main discipline (OECD Fields of Science or EuroSciVoc)")
    disciplines: list[str]
    gender_marker: str | None = Field(description="not_targeted, significant or principal (IATI's marker)")
    lead_gender: str | None
    cofunding_sources: list[CoFundingOut]
    conditions: list[ConditionOut]


class ProjectDetail(ProjectOut):
    """A project's record with its actors, links and decisions."""

    abstract: str | None
    language: str | None
    funding_scheme: str | None
    public_amount: Number | None
    public_currency: str | None
    cofunding_amount: Number | None
    cofunding_currency: str | None
    trl: int | None
    sectors: list[str]
    topics: list[str]
    source_labels: list[Json]
    raw: Json = Field(description="The record as the source gave it")
    created_at: str | None
    updated_at: str | None
    import_run: ImportRunRef | None
    actors: list[ActorOut]
    links: list[LinkOut]
    decisions: list[ProjectDecisionEntry]
    funding: ProjectFundingOut


class DecisionsOut(Out):
    decisions: list[ProjectDecisionEntry]


LowerBound = Annotated[
    bool, Field(description="True when the count stopped at its cap: the total is at least this")
]


class ProjectPage(Out):
    """One page of projects; ``total`` counts every match."""

    items: list[ProjectOut]
    total: int
    total_is_lower_bound: LowerBound
    page: int
    per_page: int
    has_next: bool


class LinkPage(Out):
    """One page of links; ``total`` counts every match."""

    items: list[LinkOut]
    total: int
    total_is_lower_bound: LowerBound
    page: int
    per_page: int
    has_next: bool


# --- imports -----------------------------------------------------------------------------------------


class ImportRunOut(Out):
    id: int
    format: str
    source: str | None
    files: list[Json]
    read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    started_at: str | None
    seconds: Number | None
    user: str | None
    dry_run: bool


class ImportRunList(Out):
    items: list[ImportRunOut]
    page: int
    per_page: int


class ImportedFileOut(Out):
    name: str
    sha256: str
    size: int


class ImportReport(Out):
    """What an import did (or, in a dry run, would do): ``missionboard ingest --format json``."""

    format: str
    source: str | None
    files: list[ImportedFileOut]
    read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    errors: list[ProblemOut] = Field(description="The records rejected, and why")
    seconds: Number
    user: str
    started_at: str
    dry_run: bool
    id: int | None = None


class ImportRefused(Out):
    """A dry run that found bad records: each problem, nothing written."""

    file: str
    format: str
    ok: Literal[False]
    problems: list[ProblemOut]


# --- audit -------------------------------------------------------------------------------------------


class AuditEventOut(Out):
    id: int
    at: str | None
    actor: str
    action: str
    entity: str
    entity_id: str
    before: Json
    after: Json


class AuditPage(Out):
    """One page of the audit log, newest first."""

    items: list[AuditEventOut]
    total: int
    total_is_lower_bound: LowerBound
    page: int
    per_page: int
    has_next: bool


# --- the contribution story ---------------------------------------------------------------------------


class StoryRegion(Out):
    region: str
    status: str
    probability: Number | None
    target: Number | None
    target_year: int | None


class StoryObjective(Out):
    id: str
    title: str
    target: Number | None
    target_year: int | None
    unit: str | None
    projects: int
    money: Number
    measures: list[str]
    upstream_measures: list[str] = Field(description="Measures working towards an outcome that leads to it")
    outcomes: list[str]
    chain: list[str] = Field(description="Every outcome upstream of it")
    assumptions: list[str]
    owners: list[str]
    status: str | None
    probability: Number | None
    latest_value: Number | None
    latest_year: int | None
    latest_source: str | None
    regions: list[StoryRegion] = Field(description="Its regional targets, each with its own status")


class StoryOutcome(Out):
    id: str
    title: str
    leads_to: list[str]
    measures: list[str]
    indicator: str | None
    objectives: list[str] = Field(description="The objectives at the end of its chain")
    projects: int = Field(description="Portfolio projects linked to the outcome itself")


class StoryMeasure(Out):
    id: str
    title: str
    kind: str
    status: str | None
    owner: str | None
    level: str | None
    start: str | None
    end: str | None
    targets: list[str]
    budget: Number | None
    budget_currency: str | None


class StoryAssumption(Out):
    id: str
    text: str
    status: Literal["untested", "holding", "failing"]
    evidence: str | None
    about: list[str]
    depending: list[str]
    objectives: list[str]


class WeakLinkOut(Out):
    kind: str
    subject: str
    message: str
    depending: list[str]


class StoryOut(Out):
    """A mission's contribution story (``missionboard story --format json``): each pathway from money
    and measures to outcomes to targets, and where the chain is weak."""

    mission: str
    title: str
    as_of: str
    currency: str | None
    projects: int
    money: Number
    portfolio: str
    has_logic: bool
    objectives: list[StoryObjective]
    outcomes: list[StoryOutcome]
    measures: list[StoryMeasure]
    assumptions: list[StoryAssumption]
    weak_links: list[WeakLinkOut]


# --- all missions side by side -----------------------------------------------------------------------


class OwningBodyOut(Out):
    body: str
    role: Literal["owner", "co-owner"]


class CompareObjective(Out):
    id: str
    title: str
    unit: str | None
    baseline: Number | None
    target: Number | None
    target_year: int | None
    latest: Number | None = Field(description="The latest observation known on the date")
    last_change: int | None = Field(description="The year of the latest observation")
    progress: Number | None = Field(
        description="Share of the way from baseline (0) to target (1) the latest observation covers; "
        "below 0 moved away, above 1 beyond the target"
    )
    status: Literal["achieved", "on_track", "at_risk", "off_track", "no_data"]
    status_label: str = Field(description="The status in words, e.g. Off track")
    probability: Number | None = Field(description="P(target met in the target year), from the board")
    trend: Literal["improving", "worsening", "flat"] | None = Field(
        description="The step from the previous observation to the latest, judged by the objective's direction"
    )
    arrow: Literal["↑", "↓", "→", ""]
    owners: list[str] = Field(description="Bodies owning or co-owning the objective")


class CompareMission(Out):
    id: str
    title: str
    status: str
    owner: str
    owners: list[OwningBodyOut] = Field(
        description="Governance owners and co-owners, else the mission's owner"
    )
    deadline: str | None
    currency: str | None
    projects: int
    money: Number
    portfolio: str = Field(description="The portfolio rule and conversion the figures follow")
    quality_score: int | None
    quality_verdict: str | None
    weakest_probability: Number | None
    objectives: list[CompareObjective] = Field(description="Weakest first")


class CompareOut(Out):
    """All missions the caller may see side by side (``missionboard compare --format json``), the mission
    whose weakest objective is least likely to meet its target first."""

    as_of: str
    missions: list[CompareMission]
