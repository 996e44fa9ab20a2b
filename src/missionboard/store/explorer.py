"""The portfolio explorer's SQL: the project list and its filters, a project's record, links, missions'
portfolios and the audit log, as the pages and the API read them (through ``services.explorer``).

Everything here is built from SQLAlchemy expressions with bound parameters and is written to stay fast
on a million projects: filters hit indexed columns or use EXISTS on the links index, pages use
LIMIT/OFFSET on an indexed order, counts stop at ``COUNT_CAP`` and facet options are cached (by the web).
Who may see what is the service's concern: ``ExplorerStore.project`` returns every link and decision,
``services.explorer.project_detail`` leaves out what the caller may not see.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field, fields
from typing import Any, Generic, NotRequired, TypedDict, TypeVar

from pydantic import JsonValue
from sqlalchemy import Select, String, and_, cast, exists, func, not_, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from missionboard.domain.mapping import MISSION_PREFIX, mission_taxonomy
from missionboard.domain.missions import Mission
from missionboard.domain.portfolio import ProjectStatus
from missionboard.errors import InputError, NotFound, Problem
from missionboard.store import portfolio_scope
from missionboard.store.portfolio import funding_detail_of
from missionboard.store.tables import (
    ActorRow,
    AuditEventRow,
    DecisionRow,
    GoalRow,
    ImportRunRow,
    LinkRow,
    ParticipationRow,
    ProjectRow,
)

COUNT_CAP = 10_000
MAX_OFFSET = 100_000
PER_PAGE_CHOICES = (25, 50, 100, 200)
LINK_STATUSES = ("proposed", "accepted", "rejected", "unlinked")
PROJECT_STATUSES = tuple(s.value for s in ProjectStatus)
SORTS: dict[str, Any] = {
    "id": ProjectRow.id,
    "title": ProjectRow.title,
    "funder": ProjectRow.funder,
    "start": ProjectRow.start,
    "budget": ProjectRow.budget_amount,
}
EXPORT_COLUMNS = (
    "id",
    "source",
    "source_id",
    "title",
    "funder",
    "programme",
    "instrument",
    "stage",
    "status",
    "start",
    "end",
    "budget_amount",
    "budget_currency",
    "countries",
    "regions",
)
FACET_LIMIT = 500
ROW_COLUMNS = (
    ProjectRow.id,
    ProjectRow.source,
    ProjectRow.source_id,
    ProjectRow.title,
    ProjectRow.funder,
    ProjectRow.programme,
    ProjectRow.instrument,
    ProjectRow.stage,
    ProjectRow.status,
    ProjectRow.start,
    ProjectRow.end,
    ProjectRow.budget_amount,
    ProjectRow.budget_currency,
    ProjectRow.countries,
    ProjectRow.regions,
)
"""What a list of projects shows: only these columns are read (the record's other JSON columns are large)."""


# --- the records, as the pages, the exports and the API show them ----------------------------------
# They stay dicts (typed ones): their keys, in this order, are the API's JSON and the templates' names.


class ProjectSummary(TypedDict):
    """A project as a list shows it (``ROW_COLUMNS``); dates ISO, money a float."""

    id: int
    source: str
    source_id: str
    title: str
    funder: str | None
    programme: str | None
    instrument: str | None
    stage: str | None
    status: str
    start: str | None
    end: str | None
    budget_amount: float | None
    budget_currency: str | None
    countries: list[str]
    regions: list[str]


class ImportRunRef(TypedDict):
    """The import a project's record came from."""

    id: int
    format: str
    source: str | None
    files: list[JsonValue]
    user: str
    started_at: str | None


class ProjectActor(TypedDict):
    """An actor taking part in a project, with its role and share of the money."""

    id: int
    name: str
    helix: str | None
    country: str | None
    role: str
    amount: float | None
    currency: str | None


class LinkRecord(TypedDict):
    """A link of a project to a goal; ``project_title`` where a list of links shows it."""

    id: int
    project_id: int
    taxonomy: str
    goal: str
    score: float
    method: str
    evidence: JsonValue
    status: str
    reviewer: str | None
    reviewed_at: str | None
    project_title: NotRequired[str]


class TopProject(LinkRecord):
    """A link among an objective's strongest projects, with the project's instrument and funder."""

    instrument: str | None
    funder: str | None


class ProjectDecision(TypedDict):
    """A stage-gate decision on a project, with the evidence it was taken on."""

    id: int
    decision: str
    rationale: str
    by: str
    at: str | None
    evidence: JsonValue


class CoFundingRecord(TypedDict):
    source_type: str
    funder: str | None
    amount: float | None
    currency: str | None


class ConditionRecord(TypedDict):
    kind: str
    description: str
    share: float | None


class FundingRecord(TypedDict):
    """Co-funding by source, conditions on the money, disciplines and the gender dimension."""

    discipline: str | None
    disciplines: list[str]
    gender_marker: str | None
    lead_gender: str | None
    cofunding_sources: list[CoFundingRecord]
    conditions: list[ConditionRecord]


class ProjectRecord(ProjectSummary):
    """A project's whole record: its columns, the import it came from, its actors, links and decisions."""

    abstract: str | None
    language: str | None
    funding_scheme: str | None
    public_amount: float | None
    public_currency: str | None
    cofunding_amount: float | None
    cofunding_currency: str | None
    trl: int | None
    sectors: list[str]
    topics: list[str]
    source_labels: list[JsonValue]
    raw: JsonValue
    created_at: str | None
    updated_at: str | None
    import_run: ImportRunRef | None
    actors: list[ProjectActor]
    links: list[LinkRecord]
    decisions: list[ProjectDecision]
    funding: FundingRecord


class ImportRunRecord(TypedDict):
    """A past import run as the API lists it."""

    id: int
    format: str
    source: str | None
    files: list[JsonValue]
    read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    started_at: str | None
    seconds: float
    user: str
    dry_run: bool


class YearCount(TypedDict):
    """Projects of a view starting in one year (``ExplorerStore.summary``)."""

    year: int
    projects: int


class FunderBudget(TypedDict):
    """A funder's budget in one currency within a view (``ExplorerStore.summary``): per start year as the
    store reads it (``year``; None: undated), summed over the years once converted."""

    funder: str
    currency: str | None
    year: int | None
    budget: float
    projects: int


class ViewSummary(TypedDict):
    """The explorer's charts of a view: projects per start year, budget per funder (the largest)."""

    by_year: list[YearCount]
    by_funder: list[FunderBudget]


class MissionDecision(TypedDict):
    """A decision on a project in a mission's portfolio, with the project's title."""

    id: int
    project_id: int
    project_title: str
    decision: str
    rationale: str
    by: str
    at: str | None


class AuditRecord(TypedDict):
    """An audit event as the log shows it: who, when, what, before → after."""

    id: int
    at: str | None
    actor: str
    action: str
    entity: str
    entity_id: str
    before: JsonValue
    after: JsonValue


RowT = TypeVar("RowT")
"""What a ``Page`` lists: ``ProjectSummary``, ``LinkRecord`` or ``AuditRecord``."""


@dataclass
class ProjectFilter:
    """The explorer's current view: search text, facets, order and page."""

    q: str = ""
    funder: str = ""
    programme: str = ""
    instrument: str = ""
    stage: str = ""
    region: str = ""
    goal: str = ""  # "taxonomy/goal", e.g. "mission:ocean/plastics" or "sdg/7"
    mission: str = ""  # a mission id: only its portfolio (``domain.portfolio_rule``)
    status: str = ""  # the project's status: planned, active, completed, terminated, unknown
    link_status: str = ""
    sort: str = "id"
    desc: bool = False
    page: int = 1
    per_page: int = 50

    @classmethod
    def from_params(cls, params: Any) -> ProjectFilter:
        """Build from query parameters, refusing values that cannot mean anything."""
        values: dict[str, Any] = {}
        problems: list[Problem] = []
        for f in fields(cls):
            raw = params.get(f.name)
            if raw is None or raw == "":
                continue
            raw = str(raw)
            if f.name in ("page", "per_page"):
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    problems.append(Problem("query", None, f.name, f"must be a whole number (got {raw!r})"))
            elif f.name == "desc":
                values["desc"] = raw.lower() in ("1", "true", "yes", "on")
            else:
                values[f.name] = raw.strip()[:500]
        result = cls(**values)
        if result.sort not in SORTS:
            problems.append(Problem("query", None, "sort", f"must be one of {', '.join(SORTS)}"))
        if result.link_status and result.link_status not in LINK_STATUSES:
            problems.append(
                Problem("query", None, "link_status", f"must be one of {', '.join(LINK_STATUSES)}")
            )
        if result.status and result.status not in PROJECT_STATUSES:
            problems.append(Problem("query", None, "status", f"must be one of {', '.join(PROJECT_STATUSES)}"))
        if result.goal and "/" not in result.goal:
            problems.append(Problem("query", None, "goal", "must be TAXONOMY/GOAL, e.g. sdg/7"))
        if result.page < 1:
            problems.append(Problem("query", None, "page", "must be 1 or more"))
        if not 1 <= result.per_page <= 500:
            problems.append(Problem("query", None, "per_page", "must be between 1 and 500"))
        elif (result.page - 1) * result.per_page > MAX_OFFSET:
            problems.append(
                Problem(
                    "query", None, "page", f"pages end after {MAX_OFFSET:,} rows; narrow the filters instead"
                )
            )
        if problems:
            raise InputError(problems)
        return result

    def params(self, **changes: Any) -> dict[str, str]:
        """The non-default parameters of this view (with ``changes``), for links and exports."""
        default = ProjectFilter()
        out: dict[str, str] = {}
        for f in fields(self):
            value = changes.get(f.name, getattr(self, f.name))
            if value != getattr(default, f.name):
                out[f.name] = ("1" if value else "0") if isinstance(value, bool) else str(value)
        return out

    @property
    def selection(self) -> tuple[tuple[str, str], ...]:
        """What the view selects, without its order and page: the same for every page of one list, as
        are the charts that summarise it (the web caches them by it)."""
        default = ProjectFilter()
        unordered = self.params(
            sort=default.sort, desc=default.desc, page=default.page, per_page=default.per_page
        )
        return tuple(sorted(unordered.items()))

    @property
    def active(self) -> bool:
        return any(
            getattr(self, name)
            for name in (
                "q",
                "funder",
                "programme",
                "instrument",
                "stage",
                "region",
                "goal",
                "mission",
                "status",
                "link_status",
            )
        )


@dataclass
class Page(Generic[RowT]):
    """One page of a list, and how many rows match (exactly up to ``COUNT_CAP``, else a lower bound)."""

    rows: list[RowT]
    total: int
    total_capped: bool
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.total > self.page * self.per_page or self.total_capped

    def as_dict(self) -> dict[str, object]:
        """The page as the API answers it."""
        return {
            "items": self.rows,
            "total": self.total,
            "total_is_lower_bound": self.total_capped,
            "page": self.page,
            "per_page": self.per_page,
            "has_next": self.has_next,
        }


@dataclass
class Facets:
    """Values offered in the explorer's filters."""

    funder: list[str] = field(default_factory=list)
    programme: list[str] = field(default_factory=list)
    instrument: list[str] = field(default_factory=list)
    stage: list[str] = field(default_factory=list)
    region: list[str] = field(default_factory=list)
    goal: list[tuple[str, str]] = field(default_factory=list)  # (value "taxonomy/goal", label)


class ExplorerStore:
    """Reads the explorer's lists and records inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- the project list ------------------------------------------------------------------------

    def projects(
        self,
        f: ProjectFilter,
        visible: Collection[str] | None = None,
        *,
        matching: Callable[[], int] | None = None,
    ) -> Page[ProjectSummary]:
        """One page of projects matching the filter, and how many match (exactly up to ``COUNT_CAP``).
        ``matching`` gives that number where the caller keeps it (else it is counted here, when needed)."""
        resolved = self._resolve(f)
        rows = self.session.execute(
            _ordered(_filtered(select(*ROW_COLUMNS), f, visible, resolved), f)
            .limit(f.per_page)
            .offset((f.page - 1) * f.per_page)
        ).all()
        offset = (f.page - 1) * f.per_page
        if len(rows) < f.per_page and (rows or offset == 0):  # the last page: the total needs no count
            total = offset + len(rows)
        elif matching is not None:
            total = matching()
        else:
            total = self._count(f, visible, resolved)
        capped = total > COUNT_CAP
        return Page([_row_dict(r) for r in rows], min(total, COUNT_CAP), capped, f.page, f.per_page)

    def count(self, f: ProjectFilter, visible: Collection[str] | None = None) -> int:
        """How many projects match the filter, counted up to ``COUNT_CAP + 1`` (more: ``COUNT_CAP + 1``)."""
        return self._count(f, visible, self._resolve(f))

    def _count(self, f: ProjectFilter, visible: Collection[str] | None, resolved: _Resolved) -> int:
        inner = _filtered(select(ProjectRow.id), f, visible, resolved).limit(COUNT_CAP + 1).subquery()
        return self.session.scalar(select(func.count()).select_from(inner)) or 0

    def iter_projects(
        self, f: ProjectFilter, *, visible: Collection[str] | None = None, limit: int | None = None
    ) -> Iterator[ProjectSummary]:
        """Every project of the view in its order (for exports), streamed in batches."""
        query = _ordered(_filtered(select(*ROW_COLUMNS), f, visible, self._resolve(f)), f)
        if limit is not None:
            query = query.limit(limit)
        for row in self.session.execute(query.execution_options(yield_per=2000)):
            yield _row_dict(row)

    def summary(self, f: ProjectFilter, visible: Collection[str] | None = None) -> ViewSummary:
        """The view's projects per start year (undated left out) and budget per funder, currency and start
        year (projects without a funder or budget left out; the service converts and ranks them), over
        every matching project, not one page: one grouped query over the same filter as ``projects``, which
        reads each matching project once (two queries read them twice: 0.4–0.7 s for 166,000 of 1M)."""
        year = func.extract("year", ProjectRow.start)
        columns: tuple[Any, ...] = (
            ProjectRow.funder,
            ProjectRow.budget_currency,
            year.label("year"),
            func.count().label("projects"),
            func.count(ProjectRow.budget_amount).label("budgeted"),
            func.sum(ProjectRow.budget_amount).label("budget"),
        )
        grouped = _filtered(select(*columns), f, visible, self._resolve(f)).group_by(
            ProjectRow.funder, ProjectRow.budget_currency, year
        )
        per_year: dict[int, int] = {}
        by_funder: list[FunderBudget] = []
        for row in self.session.execute(grouped):
            if row.year is not None:
                per_year[int(row.year)] = per_year.get(int(row.year), 0) + int(row.projects)
            if row.funder is not None and row.budgeted:
                by_funder.append(
                    {
                        "funder": str(row.funder),
                        "currency": row.budget_currency,
                        "year": None if row.year is None else int(row.year),
                        "budget": float(row.budget or 0),
                        "projects": int(row.budgeted),
                    }
                )
        return {
            "by_year": [{"year": y, "projects": n} for y, n in sorted(per_year.items())],
            "by_funder": by_funder,
        }

    def _resolve(self, f: ProjectFilter) -> _Resolved:
        """What the filter's goal and mission stand for in the database."""
        portfolio = None
        if f.mission:
            from missionboard.store.missions import MissionStore

            try:
                mission = MissionStore(self.session).get(f.mission).mission
            except NotFound as exc:
                raise InputError(Problem("query", None, "mission", str(exc))) from exc
            portfolio = portfolio_scope.portfolio_project_ids(mission)
        return _Resolved(self._goal_codes(f), portfolio)

    def _goal_codes(self, f: ProjectFilter) -> list[str]:
        """The link goals the filter's goal stands for: for a mission's objective, itself and the outcomes
        leading to it (``domain.portfolio_rule``), so the list holds the projects the tree counts."""
        if not f.goal:
            return []
        taxonomy, code = _split_goal(f.goal)
        if taxonomy.startswith(MISSION_PREFIX):
            from missionboard.store.missions import MissionStore

            try:
                mission = MissionStore(self.session).get(taxonomy[len(MISSION_PREFIX) :]).mission
            except NotFound:
                return [code]
            if mission.objective(code) is not None:
                return portfolio_scope.goals_leading_to(mission, code)
        return [code]

    def project_texts(self, ids: Collection[int]) -> dict[int, tuple[str, str]]:
        """(title, abstract) of each project of ``ids``: what a reviewer reads."""
        rows = self.session.execute(
            select(ProjectRow.id, ProjectRow.title, ProjectRow.abstract).where(ProjectRow.id.in_(list(ids)))
        )
        return {int(i): (title or "", abstract or "") for i, title, abstract in rows}

    def link_counts(self, taxonomy: str) -> dict[str, int]:
        """How many links of the taxonomy have each status (proposed, accepted, rejected)."""
        rows = self.session.execute(
            select(LinkRow.status, func.count()).where(LinkRow.taxonomy == taxonomy).group_by(LinkRow.status)
        )
        return {str(status): int(n) for status, n in rows}

    def facets(self, *, sqlite: bool) -> Facets:
        """Values offered in the explorer's filters (distinct values on indexed columns; at most 500 each)."""
        result = Facets()
        for name in ("funder", "programme", "instrument", "stage"):
            column = getattr(ProjectRow, name)
            values = self.session.scalars(
                select(column).where(column.is_not(None)).distinct().order_by(column).limit(FACET_LIMIT)
            )
            setattr(result, name, [str(v) for v in values])
        result.region = self._regions(sqlite=sqlite)
        titles = {
            (t, c): title
            for t, c, title in self.session.execute(
                select(GoalRow.taxonomy_code, GoalRow.code, GoalRow.title)
            )
        }
        pairs = self.session.execute(
            select(LinkRow.taxonomy, LinkRow.goal)
            .distinct()
            .order_by(LinkRow.taxonomy, LinkRow.goal)
            .limit(FACET_LIMIT)
        )
        from missionboard.store.missions import MissionStore

        named: dict[tuple[str, str], str] = {}  # a mission's goals by their titles, not their codes
        for version in MissionStore(self.session).list():
            mission = version.mission
            goals = [(o.id, o.title) for o in mission.objectives] + [
                (o.id, o.title) for o in mission.outcomes
            ]
            for goal, title in goals:
                named[(mission_taxonomy(mission.id), goal)] = f"{mission.title}: {title[:80]}"
        result.goal = [
            (
                f"{t}/{g}",
                named.get((t, g)) or f"{t} · {g}" + (f" — {titles[(t, g)][:60]}" if (t, g) in titles else ""),
            )
            for t, g in pairs
        ]
        return result

    def _regions(self, *, sqlite: bool) -> list[str]:
        values: set[str] = set()
        for column in (ProjectRow.regions, ProjectRow.countries):
            if sqlite:
                each = func.json_each(column).table_valued("value")
            else:
                each = func.json_array_elements_text(column).table_valued("value")
            query = (
                select(each.c.value).select_from(ProjectRow).join(each, true()).distinct().limit(FACET_LIMIT)
            )
            values.update(str(v) for v in self.session.scalars(query) if v)
        return sorted(values)[:FACET_LIMIT]

    # --- one project -----------------------------------------------------------------------------

    def project(self, project_id: int) -> ProjectRecord:
        """A project's record with its actors and every link and decision (visibility is the caller's)."""
        session = self.session
        row = session.get(ProjectRow, project_id)
        if row is None:
            raise NotFound(f"no project with id {project_id}")
        run = session.get(ImportRunRow, row.import_run_id) if row.import_run_id else None
        import_run: ImportRunRef | None = None
        if run is not None:
            import_run = ImportRunRef(
                id=run.id,
                format=run.format,
                source=run.source,
                files=run.files,
                user=run.user,
                started_at=run.started_at.isoformat() if run.started_at else None,
            )
        actors: list[ProjectActor] = [
            {
                "id": a.id,
                "name": a.name,
                "helix": a.helix,
                "country": a.country,
                "role": p.role,
                "amount": float(p.amount) if p.amount is not None else None,
                "currency": p.currency,
            }
            for p, a in session.execute(
                select(ParticipationRow, ActorRow)
                .join(ActorRow, ActorRow.id == ParticipationRow.actor_id)
                .where(ParticipationRow.project_id == project_id)
                .order_by(ParticipationRow.role, ActorRow.name)
            )
        ]
        links = [
            _link_dict(link)
            for link in session.scalars(
                select(LinkRow).where(LinkRow.project_id == project_id).order_by(LinkRow.score.desc())
            )
        ]
        decisions: list[ProjectDecision] = [
            {
                "id": d.id,
                "decision": d.decision,
                "rationale": d.rationale,
                "by": d.by,
                "at": d.at.isoformat() if d.at else None,
                "evidence": d.evidence,
            }
            for d in session.scalars(
                select(DecisionRow)
                .where(DecisionRow.project_id == project_id)
                .order_by(DecisionRow.at.desc())
            )
        ]
        return {
            **_row_dict(row),
            "abstract": row.abstract,
            "language": row.language,
            "funding_scheme": row.funding_scheme,
            "public_amount": float(row.public_amount) if row.public_amount is not None else None,
            "public_currency": row.public_currency,
            "cofunding_amount": float(row.cofunding_amount) if row.cofunding_amount is not None else None,
            "cofunding_currency": row.cofunding_currency,
            "trl": row.trl,
            "sectors": list(row.sectors or []),
            "topics": list(row.topics or []),
            "source_labels": list(row.source_labels or []),
            "raw": row.raw or {},
            "created_at": row.created_at.isoformat() if row.created_at else None,
            "updated_at": row.updated_at.isoformat() if row.updated_at else None,
            "import_run": import_run,
            "actors": actors,
            "links": links,
            "decisions": decisions,
            "funding": _funding_record(session, project_id),
        }

    def projects_missions(self, project_id: int) -> list[str]:
        """Missions whose portfolio holds the project (links that count by ``domain.portfolio_rule``)."""
        rows = self.session.scalars(
            select(LinkRow.taxonomy)
            .where(
                LinkRow.project_id == project_id,
                LinkRow.taxonomy.like(f"{MISSION_PREFIX}%"),
                portfolio_scope.counts(),
            )
            .distinct()
        )
        return [t.split(":", 1)[1] for t in rows]

    # --- links -----------------------------------------------------------------------------------

    def link(self, link_id: int) -> LinkRecord:
        """One link, or ``NotFound``."""
        link = self.session.get(LinkRow, link_id)
        if link is None:
            raise NotFound(f"no link with id {link_id}")
        return _link_dict(link)

    def links(
        self,
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
        query = select(LinkRow, ProjectRow.title).join(ProjectRow, ProjectRow.id == LinkRow.project_id)
        count = select(LinkRow.id)
        conditions = []
        if taxonomy is not None:
            conditions.append(LinkRow.taxonomy == taxonomy)
        if taxonomies is not None:
            conditions.append(LinkRow.taxonomy.in_(taxonomies))
        if status:
            conditions.append(LinkRow.status == status)
        if project_id is not None:
            conditions.append(LinkRow.project_id == project_id)
        if goal:
            conditions.append(LinkRow.goal == goal)
        query = query.where(*conditions)
        count = count.where(*conditions)
        if by_uncertainty:
            query = query.order_by(func.abs(LinkRow.score - 0.5), LinkRow.id)
        else:
            query = query.order_by(LinkRow.id)
        rows = self.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
        total = (
            self.session.scalar(select(func.count()).select_from(count.limit(COUNT_CAP + 1).subquery())) or 0
        )
        return Page(
            [_link_dict(link, title) for link, title in rows],
            min(total, COUNT_CAP),
            total > COUNT_CAP,
            page,
            per_page,
        )

    def link_taxonomies(self) -> list[str]:
        """Every taxonomy some link belongs to."""
        return list(self.session.scalars(select(LinkRow.taxonomy).distinct()).all())

    # --- import runs -----------------------------------------------------------------------------

    def import_runs(self, page: int, per_page: int) -> list[ImportRunRecord]:
        """One page of past import runs, newest first."""
        rows = self.session.scalars(
            select(ImportRunRow)
            .order_by(ImportRunRow.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        return [
            {
                "id": r.id,
                "format": r.format,
                "source": r.source,
                "files": r.files,
                "read": r.read,
                "inserted": r.inserted,
                "updated": r.updated,
                "unchanged": r.unchanged,
                "rejected": r.rejected,
                "started_at": r.started_at.isoformat() if r.started_at else None,
                "seconds": r.seconds,
                "user": r.user,
                "dry_run": r.dry_run,
            }
            for r in rows
        ]

    # --- missions' portfolios --------------------------------------------------------------------

    def portfolio_size(self, mission: Mission) -> int:
        """Projects in the mission's portfolio (``domain.portfolio_rule``; an index-only count)."""
        return portfolio_scope.portfolio_size(self.session, mission)

    def objective_links(self, mission: Mission) -> dict[str, dict[str, int]]:
        """For each objective of a mission: projects by how their links count under the portfolio rule —
        ``accepted`` and ``proposed`` (counted, score ≥ threshold; a project with any accepted link to the
        objective, directly or through an outcome, is accepted), ``below_threshold`` (proposed, not
        counted) and ``rejected`` — each project once per figure, as ``services.portfolio`` counts."""
        out: dict[str, dict[str, int]] = {}
        counted = portfolio_scope.portfolio_links(mission).subquery()
        for goal, status, n in self.session.execute(
            select(
                counted.c.goal, counted.c.status, func.count(func.distinct(counted.c.project_id))
            ).group_by(counted.c.goal, counted.c.status)
        ):
            out.setdefault(goal, {})[status] = int(n)
        for goal, n in self.session.execute(portfolio_scope.below_threshold_links(mission)):
            out.setdefault(goal, {})["below_threshold"] = int(n)
        for goal, n in self.rejected_links(mission).items():
            out.setdefault(goal, {})["rejected"] = n
        return out

    def rejected_links(self, mission: Mission) -> dict[str, int]:
        """For each objective: projects with a rejected link to it or to an outcome leading to it."""
        attribution = portfolio_scope.goal_attribution(mission)
        rejected = (
            select(attribution.c.objective, func.count(func.distinct(LinkRow.project_id)))
            .join(attribution, attribution.c.goal == LinkRow.goal)
            .where(LinkRow.taxonomy == mission_taxonomy(mission.id), LinkRow.status == "rejected")
            .group_by(attribution.c.objective)
        )
        return {goal: int(n) for goal, n in self.session.execute(rejected)}

    def top_projects(self, mission: Mission, goal: str, limit: int = 5) -> list[TopProject]:
        """The strongest projects of an objective in the portfolio (linked to it or to an outcome leading
        to it): accepted first, then by score; each project once."""
        # the strongest links first, from the index on (taxonomy, goal, status, score) alone; then those few
        # rows with their projects (joining first read every link's project: 0.14 s per objective at 1M)
        strongest = list(
            self.session.scalars(
                select(LinkRow.id)
                .where(
                    LinkRow.taxonomy == mission_taxonomy(mission.id),
                    LinkRow.goal.in_(portfolio_scope.goals_leading_to(mission, goal)),
                    portfolio_scope.counts(),
                )
                .order_by(LinkRow.status.asc(), LinkRow.score.desc(), LinkRow.id)
                .limit(limit * 4)
            )
        )
        rank = {link_id: n for n, link_id in enumerate(strongest)}
        rows = sorted(
            self.session.execute(
                select(LinkRow, ProjectRow.title, ProjectRow.instrument, ProjectRow.funder)
                .join(ProjectRow, ProjectRow.id == LinkRow.project_id)
                .where(LinkRow.id.in_(strongest))
            ).all(),
            key=lambda row: rank[row[0].id],
        )
        seen: set[int] = set()
        found: list[TopProject] = []
        for link, title, instrument, funder in rows:
            if link.project_id not in seen and len(found) < limit:
                seen.add(link.project_id)
                found.append({**_link_dict(link, title), "instrument": instrument, "funder": funder})
        return found

    def mission_decisions(self, mission: Mission, limit: int = 20) -> list[MissionDecision]:
        """The newest decisions on projects in the mission's portfolio."""
        rows = self.session.execute(
            select(DecisionRow, ProjectRow.title)
            .join(ProjectRow, ProjectRow.id == DecisionRow.project_id)
            .where(portfolio_scope.in_portfolio(DecisionRow.project_id, mission))
            .order_by(DecisionRow.at.desc())
            .limit(limit)
        )
        return [
            {
                "id": d.id,
                "project_id": d.project_id,
                "project_title": title,
                "decision": d.decision,
                "rationale": d.rationale,
                "by": d.by,
                "at": d.at.isoformat() if d.at else None,
            }
            for d, title in rows
        ]

    # --- audit log -------------------------------------------------------------------------------

    def audit_events(
        self,
        *,
        entity: str = "",
        entity_id: str = "",
        actor: str = "",
        action: str = "",
        page: int = 1,
        per_page: int = 50,
    ) -> Page[AuditRecord]:
        """Audit events, newest first, filtered by exact entity, id, actor and action prefix."""
        conditions = []
        if entity:
            conditions.append(AuditEventRow.entity == entity)
        if entity_id:
            conditions.append(AuditEventRow.entity_id == entity_id)
        if actor:
            conditions.append(AuditEventRow.actor == actor)
        if action:
            conditions.append(AuditEventRow.action.startswith(action, autoescape=True))
        rows = self.session.scalars(
            select(AuditEventRow)
            .where(*conditions)
            .order_by(AuditEventRow.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        total = (
            self.session.scalar(
                select(func.count()).select_from(
                    select(AuditEventRow.id).where(*conditions).limit(COUNT_CAP + 1).subquery()
                )
            )
            or 0
        )
        items: list[AuditRecord] = [
            {
                "id": r.id,
                "at": r.at.isoformat() if r.at else None,
                "actor": r.actor,
                "action": r.action,
                "entity": r.entity,
                "entity_id": r.entity_id,
                "before": r.before,
                "after": r.after,
            }
            for r in rows
        ]
        return Page(items, min(total, COUNT_CAP), total > COUNT_CAP, page, per_page)


# --- helpers -------------------------------------------------------------------------------------


def _split_goal(goal: str) -> tuple[str, str]:
    taxonomy, _, code = goal.rpartition("/")
    return taxonomy, code


@dataclass(frozen=True)
class _Resolved:
    """A filter's goal and mission as the database knows them."""

    goal_codes: list[str]
    """The link goals ``goal`` stands for (``ExplorerStore._goal_codes``)."""
    portfolio: Select[Any] | None
    """The ids of the mission's portfolio, when the filter names a mission."""


def _filtered(
    query: Select[Any], f: ProjectFilter, visible: Collection[str] | None, resolved: _Resolved
) -> Select[Any]:
    """``query`` narrowed to the view ``f``; only links a caller who may see ``visible`` missions (None:
    all) sees count, so a filter by link status tells nothing of a hidden mission's links."""
    if resolved.portfolio is not None:
        query = query.where(ProjectRow.id.in_(resolved.portfolio))
    if f.status:
        query = query.where(ProjectRow.status == f.status)
    if f.q:
        needle = f.q
        query = query.where(
            or_(ProjectRow.title.contains(needle, autoescape=True), ProjectRow.source_id == needle)
        )
    for name in ("funder", "programme", "instrument", "stage"):
        value = getattr(f, name)
        if value:
            query = query.where(getattr(ProjectRow, name) == value)
    if f.region:
        needle = json.dumps(f.region)
        query = query.where(
            or_(
                cast(ProjectRow.regions, String).contains(needle, autoescape=True),
                cast(ProjectRow.countries, String).contains(needle, autoescape=True),
            )
        )
    link_conditions: list[ColumnElement[bool]] = [LinkRow.project_id == ProjectRow.id]
    if visible is not None:
        link_conditions.append(
            or_(
                not_(LinkRow.taxonomy.startswith(MISSION_PREFIX)),
                LinkRow.taxonomy.in_([mission_taxonomy(m) for m in sorted(visible)]),
            )
        )
    if f.goal:
        taxonomy, _code = _split_goal(f.goal)
        link_conditions += [LinkRow.taxonomy == taxonomy, LinkRow.goal.in_(resolved.goal_codes)]
    if f.link_status == "unlinked":
        query = query.where(not_(exists().where(and_(*link_conditions))))
    elif f.link_status:
        query = query.where(exists().where(and_(*link_conditions, LinkRow.status == f.link_status)))
    elif f.goal:  # the goal's projects as the portfolio rule counts them (the tree's "explore" link)
        query = query.where(exists().where(and_(*link_conditions, portfolio_scope.counts())))
    return query


def _ordered(query: Select[Any], f: ProjectFilter) -> Select[Any]:
    column = SORTS[f.sort]
    primary = column.desc() if f.desc else column.asc()
    tie = ProjectRow.id.desc() if f.desc else ProjectRow.id.asc()
    return query.order_by(primary, tie) if f.sort != "id" else query.order_by(primary)


def _row_dict(row: Any) -> ProjectSummary:
    return {
        "id": row.id,
        "source": row.source,
        "source_id": row.source_id,
        "title": row.title,
        "funder": row.funder,
        "programme": row.programme,
        "instrument": row.instrument,
        "stage": row.stage,
        "status": row.status,
        "start": row.start.isoformat() if row.start else None,
        "end": row.end.isoformat() if row.end else None,
        "budget_amount": float(row.budget_amount) if row.budget_amount is not None else None,
        "budget_currency": row.budget_currency,
        "countries": list(row.countries or []),
        "regions": list(row.regions or []),
    }


def _link_dict(link: LinkRow, title: str | None = None) -> LinkRecord:
    data: LinkRecord = {
        "id": link.id,
        "project_id": link.project_id,
        "taxonomy": link.taxonomy,
        "goal": link.goal,
        "score": link.score,
        "method": link.method,
        "evidence": link.evidence or {},
        "status": link.status,
        "reviewer": link.reviewer,
        "reviewed_at": link.reviewed_at.isoformat() if link.reviewed_at else None,
    }
    if title is not None:
        data["project_title"] = title
    return data


def _funding_record(session: Session, project_id: int) -> FundingRecord:
    detail = funding_detail_of(session, project_id)
    if detail is None:  # pragma: no cover - the project was read a moment ago in this transaction
        raise NotFound(f"no project with id {project_id}")
    return {
        "discipline": detail.discipline,
        "disciplines": detail.disciplines,
        "gender_marker": detail.gender_marker,
        "lead_gender": detail.lead_gender,
        "cofunding_sources": [
            {
                "source_type": c.source_type.value,
                "funder": c.funder,
                "amount": float(c.amount.amount) if c.amount is not None else None,
                "currency": c.amount.currency if c.amount is not None else None,
            }
            for c in detail.cofunding_sources
        ],
        "conditions": [
            {"kind": c.kind.value, "description": c.description, "share": c.share} for c in detail.conditions
        ],
    }
