"""The portfolio explorer's use cases, which the pages and the API share: the project list and its
filters, a project's record, the review queue, a mission tree's figures and the audit log.

What a caller may see of missions is passed in as ``missions`` (or ``visible``): the ids of the missions
they may see, or None for all (workspace admins). A mission's links, its objectives in a decision's
evidence and its goals among the explorer's filters are left out for everyone else, so a private mission
leaves no trace. The reads run in the caller's session (``workspace.reading()``), so one page reads one
consistent state; the SQL is in ``store.explorer``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

from pydantic import JsonValue

from missionboard.domain.mapping import mission_of_taxonomy
from missionboard.domain.missions import Mission
from missionboard.domain.portfolio_rule import DEFAULT_RULE, workspace_currency
from missionboard.errors import InputError, NotFound, Problem
from missionboard.services.portfolio import MissionPortfolio
from missionboard.store.contents import write_count
from missionboard.store.explorer import (
    COUNT_CAP,
    EXPORT_COLUMNS,
    LINK_STATUSES,
    MAX_OFFSET,
    PER_PAGE_CHOICES,
    PROJECT_STATUSES,
    SORTS,
    AuditRecord,
    ExplorerStore,
    Facets,
    FunderBudget,
    ImportRunRecord,
    ImportRunRef,
    LinkRecord,
    MissionDecision,
    Page,
    ProjectActor,
    ProjectDecision,
    ProjectFilter,
    ProjectRecord,
    ProjectSummary,
    TopProject,
    ViewSummary,
)
from missionboard.store.portfolio_scope import rate_table
from missionboard.store.workspace import Session, Workspace

__all__ = [
    "COUNT_CAP",
    "EXPORT_COLUMNS",
    "LINK_STATUSES",
    "MAX_OFFSET",
    "PER_PAGE_CHOICES",
    "PROJECT_STATUSES",
    "SORTS",
    "AuditRecord",
    "Facets",
    "ImportRunRecord",
    "ImportRunRef",
    "LinkRecord",
    "MissionDecision",
    "Page",
    "ProjectActor",
    "ProjectDecision",
    "ProjectFilter",
    "ProjectRecord",
    "ProjectSummary",
    "ReviewProgress",
    "TopProject",
    "ViewSummary",
    "audit_events",
    "changes",
    "count_projects",
    "facets",
    "import_runs",
    "iter_projects",
    "link_record",
    "link_taxonomies",
    "mission_decisions",
    "objective_links",
    "portfolio_size",
    "project_detail",
    "project_id_of",
    "project_texts",
    "projects_missions",
    "query_links",
    "query_projects",
    "review_progress",
    "shows_taxonomy",
    "top_projects",
    "view_summary",
    "visible_evidence",
    "visible_goals",
]


# --- the project list ------------------------------------------------------------------------------


def query_projects(
    session: Session,
    f: ProjectFilter,
    visible: Collection[str] | None = None,
    *,
    matching: Callable[[], int] | None = None,
) -> Page[ProjectSummary]:
    """One page of projects matching the filter, and how many match (exactly up to ``COUNT_CAP``); only
    links to missions in ``visible`` (None: all) count in the link filters. ``matching`` gives
    ``count_projects`` of the same view where the caller keeps it (it is asked only when a page is full)."""
    return ExplorerStore(session).projects(f, visible, matching=matching)


def count_projects(session: Session, f: ProjectFilter, visible: Collection[str] | None = None) -> int:
    """How many projects the view ``f`` holds, counted up to ``COUNT_CAP + 1`` (the same for each of its
    pages and orders)."""
    return ExplorerStore(session).count(f, visible)


def iter_projects(
    session: Session, f: ProjectFilter, *, visible: Collection[str] | None = None, limit: int | None = None
) -> Iterator[ProjectSummary]:
    """Every project of the view in its order (for exports), streamed in batches."""
    return ExplorerStore(session).iter_projects(f, visible=visible, limit=limit)


def changes(session: Session) -> int:
    """How many write transactions the workspace had committed when ``session`` began reading: a figure
    computed at the same count is still exact (the web keys the explorer's charts by it)."""
    return write_count(session)


FUNDERS_SHOWN = 10
"""The explorer's budget chart shows this many funders, the largest."""


def view_summary(session: Session, f: ProjectFilter, visible: Collection[str] | None = None) -> ViewSummary:
    """The explorer's charts of the view ``f``: projects per start year and budget per funder (the 10
    largest), over every matching project; only links to missions in ``visible`` (None: all) count in the
    filters. Budgets are in the workspace's reporting currency (the one most exchange rates are quoted
    into) at the rate of each project's start year, as ``domain.portfolio_rule`` converts money everywhere,
    so that the bars share one scale; a currency without a rate keeps its own rows (the chart names it)."""
    summary = ExplorerStore(session).summary(f, visible)
    rates = rate_table(session)
    to = workspace_currency(rates.targets())
    merged: dict[tuple[str, str | None], FunderBudget] = {}
    for row in summary["by_funder"]:
        conversion = rates.convert(row["currency"], to, row["year"]) if to is not None else None
        currency, budget = (
            (to, row["budget"] * conversion.rate) if conversion else (row["currency"], row["budget"])
        )
        found = merged.setdefault(
            (row["funder"], currency),
            {"funder": row["funder"], "currency": currency, "year": None, "budget": 0.0, "projects": 0},
        )
        found["budget"] += budget
        found["projects"] += row["projects"]
    ranked = sorted(merged.values(), key=lambda r: (-r["budget"], r["funder"], r["currency"] or ""))
    summary["by_funder"] = ranked[:FUNDERS_SHOWN]
    return summary


def facets(workspace: Workspace) -> Facets:
    """Values offered in the explorer's filters (at most 500 each), for every mission: narrow the goals
    with ``visible_goals``."""
    with workspace.reading() as session:
        return ExplorerStore(session).facets(sqlite=workspace.is_sqlite)


def visible_goals(goals: list[tuple[str, str]], missions: Collection[str] | None) -> list[tuple[str, str]]:
    """The explorer's goal filter options ("taxonomy/goal", label) a caller who may see ``missions`` sees."""
    return [(value, label) for value, label in goals if shows_taxonomy(value.rpartition("/")[0], missions)]


# --- one project -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewProgress:
    """How far the review of a taxonomy's links has come."""

    proposed: int
    accepted: int
    rejected: int

    @property
    def reviewed(self) -> int:
        return self.accepted + self.rejected

    @property
    def total(self) -> int:
        return self.proposed + self.reviewed

    @property
    def share(self) -> float:
        """Reviewed links as a share of all links (0 with none)."""
        return self.reviewed / self.total if self.total else 0.0


def review_progress(session: Session, taxonomy: str) -> ReviewProgress:
    """Proposed, accepted and rejected links of the taxonomy: the review queue's progress."""
    counts = ExplorerStore(session).link_counts(taxonomy)
    return ReviewProgress(counts.get("proposed", 0), counts.get("accepted", 0), counts.get("rejected", 0))


def project_texts(session: Session, ids: Collection[int]) -> dict[int, tuple[str, str]]:
    """(title, abstract) of each project of ``ids``."""
    return ExplorerStore(session).project_texts(ids)


def project_id_of(workspace: Workspace, ref: str) -> int:
    """The row id of the project a reference names: its number, ``source:source_id`` (as the CLI prints
    it) or a source id; ``NotFound`` where none matches."""
    from missionboard.store.mapping import MappingStore

    if ref.isdigit() and int(ref) > 2**62:  # beyond any row id the databases can hold
        raise InputError(Problem("path", None, "project", "a number in the request is out of range"))
    found = None
    if len(ref) <= 1000:
        with workspace.reading() as session:
            found = MappingStore(session).find_project(ref)
    if found is None:
        raise NotFound(f"no project {ref!r} (give its number, source:source_id, or its source id)")
    return found.id


def project_detail(
    session: Session, project_id: int, *, missions: Collection[str] | None = None
) -> ProjectRecord:
    """A project's record with its actors, links and decisions, as a caller who may see ``missions``
    (None: every mission) sees it."""
    data = ExplorerStore(session).project(project_id)
    data["links"] = [link for link in data["links"] if shows_taxonomy(link["taxonomy"], missions)]
    for decision in data["decisions"]:
        decision["evidence"] = visible_evidence(decision["evidence"], missions)
    return data


def projects_missions(session: Session, project_id: int) -> list[str]:
    """Missions whose portfolio holds the project (links that count by ``domain.portfolio_rule``)."""
    return ExplorerStore(session).projects_missions(project_id)


def shows_taxonomy(taxonomy: str, missions: Collection[str] | None) -> bool:
    """Whether links of ``taxonomy`` show to a caller who may see ``missions``: a mission's taxonomy only
    where they may see that mission (a deleted mission's to admins only), other taxonomies (SDGs …) always."""
    if missions is None:
        return True
    mission = mission_of_taxonomy(taxonomy)
    return mission is None or mission in missions


def visible_evidence(evidence: JsonValue, missions: Collection[str] | None) -> JsonValue:
    """A decision's evidence (``monitoring.decisions.evidence_for``) without the objectives of missions the
    caller may not see; the project's own health flags and progress stay."""
    if missions is None or not isinstance(evidence, dict):
        return evidence
    shown = dict(evidence)
    if "objectives" in shown:
        objectives = shown["objectives"] if isinstance(shown["objectives"], list) else []
        shown["objectives"] = [
            o for o in objectives if isinstance(o, dict) and str(o.get("mission", "")) in missions
        ]
    return shown


# --- links -----------------------------------------------------------------------------------------


def link_record(session: Session, link_id: int) -> LinkRecord:
    """One link as the API shows it, or ``NotFound``."""
    return ExplorerStore(session).link(link_id)


def query_links(
    session: Session,
    *,
    taxonomy: str | None = None,
    taxonomies: list[str] | None = None,
    status: str | None = None,
    project_id: int | None = None,
    goal: str | None = None,
    by_uncertainty: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> Page[LinkRecord]:
    """Links with their project titles; ``by_uncertainty`` puts scores nearest 0.5 first (the review queue)."""
    return ExplorerStore(session).links(
        taxonomy=taxonomy,
        taxonomies=taxonomies,
        status=status,
        project_id=project_id,
        goal=goal,
        by_uncertainty=by_uncertainty,
        page=page,
        per_page=per_page,
    )


# --- a mission tree's figures ----------------------------------------------------------------------


def portfolio_size(session: Session, mission: Mission) -> int:
    """Projects in the mission's portfolio (``domain.portfolio_rule``; an index-only count)."""
    return ExplorerStore(session).portfolio_size(mission)


def objective_links(
    session: Session, mission: Mission, portfolio: MissionPortfolio | None = None
) -> dict[str, dict[str, int]]:
    """For each objective of a mission: projects by how their link counts under the portfolio rule —
    ``accepted``, ``proposed`` (counted, score ≥ threshold), ``below_threshold`` (proposed, not counted)
    and ``rejected`` (a figure only where it is not zero). ``portfolio``: the mission's portfolio under
    the workspace's rule, read in this transaction (``read_portfolio``): its objectives carry the first
    three figures, so only the rejected links are read again."""
    store = ExplorerStore(session)
    if portfolio is None or portfolio.rule != DEFAULT_RULE or portfolio.mission != mission.id:
        return store.objective_links(mission)
    out: dict[str, dict[str, int]] = {}
    for objective in portfolio.objectives:
        figures = {
            "accepted": objective.accepted,
            "proposed": objective.proposed,
            "below_threshold": objective.below_threshold,
        }
        if any(figures.values()):
            out[objective.objective] = {name: n for name, n in figures.items() if n}
    for goal, n in store.rejected_links(mission).items():
        out.setdefault(goal, {})["rejected"] = n
    return out


def top_projects(session: Session, mission: Mission, goal: str, limit: int = 5) -> list[TopProject]:
    """The strongest projects of an objective in the portfolio: accepted first, then by score."""
    return ExplorerStore(session).top_projects(mission, goal, limit)


def mission_decisions(session: Session, mission: Mission, limit: int = 20) -> list[MissionDecision]:
    """The newest decisions on projects in the mission's portfolio."""
    return ExplorerStore(session).mission_decisions(mission, limit)


# --- audit log -------------------------------------------------------------------------------------


def audit_events(
    session: Session,
    *,
    entity: str = "",
    entity_id: str = "",
    actor: str = "",
    action: str = "",
    page: int = 1,
    per_page: int = 50,
) -> Page[AuditRecord]:
    """Audit events, newest first, filtered by exact entity, id, actor and action prefix."""
    return ExplorerStore(session).audit_events(
        entity=entity, entity_id=entity_id, actor=actor, action=action, page=page, per_page=per_page
    )


def link_taxonomies(session: Session) -> list[str]:
    """Every taxonomy some link belongs to (the API narrows them to what a caller may see)."""
    return ExplorerStore(session).link_taxonomies()


def import_runs(session: Session, *, page: int = 1, per_page: int = 50) -> list[ImportRunRecord]:
    """Past import runs, newest first, one page."""
    return ExplorerStore(session).import_runs(page, per_page)
