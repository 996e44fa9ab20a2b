"""Project progress: import milestones, KPIs and spend; read them back as facts for the health rules."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import yaml
from pydantic import Field, ValidationError

from missionboard.domain.common import DomainModel, row_number
from missionboard.domain.health import (
    HealthRules,
    KpiReport,
    Milestone,
    MissionDates,
    ProjectFacts,
    SpendReport,
    mission_window,
    timing,
)
from missionboard.domain.records import ImportRun
from missionboard.domain.targets import StatusRules
from missionboard.errors import InputError, NotFound, Problem
from missionboard.monitoring import files
from missionboard.store import audit
from missionboard.store.progress import ProgressStore, ProjectIds, ProjectRecord, StoredLine
from missionboard.store.progress import ProjectBasics as ProjectBasics  # still importable from here
from missionboard.store.progress import ProjectKey as ProjectKey
from missionboard.store.progress import Report as Report
from missionboard.store.workspace import Session, Workspace

KINDS = ("milestone", "kpi", "spend")
DEFAULT_RULES = Path(__file__).with_name("health_rules.yaml")


# --- projects ----------------------------------------------------------------------------------


def project_label(row: Labelled) -> str:
    return f"{row.source}:{row.source_id}"


def find_project(session: Session, ref: str, store: ProgressStore | None = None) -> ProjectRecord | None:
    """A project by 'source:source_id' or by its numeric id."""
    store = store or ProgressStore(session)
    ref = ref.strip()
    if ref.isdigit():
        number = row_number(ref)
        return None if number is None else store.project(number)
    if ":" not in ref:
        return None
    source, source_id = ref.split(":", 1)
    return store.project_by_source(source.strip(), source_id.strip())


def find_projects(session: Session, refs: Iterable[str]) -> dict[str, ProjectKey | None]:
    """Each reference resolved as :func:`find_project` does, with a few queries for all of them (by id,
    and by source) rather than one per project: a progress file may name 200,000 projects."""
    refs = set(refs)
    by_id: dict[int, list[str]] = defaultdict(list)
    by_source: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for ref in refs:
        text = ref.strip()
        if text.isdigit():
            by_id[int(text)].append(ref)
        elif ":" in text:
            source, source_id = text.split(":", 1)
            by_source[source.strip()][source_id.strip()].append(ref)
    out: dict[str, ProjectKey | None] = dict.fromkeys(refs)
    store = ProgressStore(session)
    for key in store.project_keys(sorted(by_id)):
        for ref in by_id[key.id]:
            out[ref] = key
    for source, wanted in by_source.items():
        for key in store.project_keys_of_source(source, sorted(wanted)):
            for ref in wanted[key.source_id]:
                out[ref] = key
    return out


def get_project(session: Session, ref: str, store: ProgressStore | None = None) -> ProjectRecord:
    row = find_project(session, ref, store)
    if row is None:
        hint = "" if ref.strip().isdigit() or ":" in ref else " (write SOURCE:SOURCE_ID or the numeric id)"
        raise NotFound(f"no project '{ref}' in this workspace{hint}")
    return row


# --- rules -------------------------------------------------------------------------------------


def _rules_document(path: Path | None) -> tuple[str, dict[str, Any]]:
    source = Path(path) if path is not None else DEFAULT_RULES
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise InputError(
            Problem(str(source), None, "", f"cannot read the rules file: {exc.strerror}")
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError(Problem(source.name, line, "", f"not valid YAML: {exc}")) from exc
    if not isinstance(document, dict):
        raise InputError(Problem(source.name, None, "", "the rules file must be a mapping of rule names"))
    return source.name, document


def _problems(name: str, exc: ValidationError, prefix: str = "") -> InputError:
    return InputError(
        [
            Problem(name, None, prefix + ".".join(str(p) for p in err["loc"]), err["msg"])
            for err in exc.errors()
        ]
    )


def load_rules(path: Path | None = None) -> HealthRules:
    """The health rules from a YAML file (the packaged defaults when ``path`` is None)."""
    name, document = _rules_document(path)
    document = {k: v for k, v in document.items() if k != "status"}
    try:
        return HealthRules.model_validate(document)
    except ValidationError as exc:
        raise _problems(name, exc) from exc


class StatusThresholds(DomainModel):
    """The ``status:`` section of a rules file: thresholds of the target-status rules."""

    on_track_gap: float = Field(default=StatusRules.on_track_gap, ge=0, le=1)
    off_track_gap: float = Field(default=StatusRules.off_track_gap, ge=0, le=1)
    max_acceleration: float = Field(default=StatusRules.max_acceleration, gt=0)
    trend_years: int = Field(default=StatusRules.trend_years, ge=2)
    on_track_probability: float = Field(default=StatusRules.on_track_probability, gt=0, lt=1)
    at_risk_probability: float = Field(default=StatusRules.at_risk_probability, gt=0, lt=1)


def load_status_rules(path: Path | None = None) -> StatusRules:
    """The status thresholds from the ``status:`` section of a rules file (defaults where absent)."""
    name, document = _rules_document(path)
    try:
        thresholds = StatusThresholds.model_validate(document.get("status") or {})
        return StatusRules(**thresholds.model_dump())
    except ValidationError as exc:
        raise _problems(name, exc, "status.") from exc
    except ValueError as exc:
        raise InputError(Problem(name, None, "status", str(exc))) from exc


# --- import ------------------------------------------------------------------------------------


@dataclass
class ProgressSummary:
    file: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    projects: list[str] = field(default_factory=list)
    import_run: int | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __str__(self) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in self.by_kind.items())
        return (
            f"{self.read} lines ({kinds}) for {len(self.projects)} projects: {self.inserted} new, "
            f"{self.updated} updated, {self.unchanged} unchanged"
        )


@dataclass
class ProgressLine:
    line: int
    project: str
    kind: str
    name: str
    date: dt.date
    planned: float | None
    actual: float | None
    unit: str | None
    completed: dt.date | None
    note: str | None


def _parse(table: files.Table) -> tuple[list[ProgressLine], list[Problem]]:
    problems: list[Problem] = []
    missing = [c for c in ("project", "kind", "date") if c not in table.header]
    if missing:
        return [], [Problem(table.name, 1, c, "required column is missing") for c in missing]
    out: list[ProgressLine] = []
    for line, row in table.rows:
        here = len(problems)

        def bad(column: str, message: str, line: int = line) -> None:
            problems.append(Problem(table.name, line, column, message))

        project = files.text(row.get("project"))
        kind = (files.text(row.get("kind")) or "").lower()
        name = files.text(row.get("name"))
        if project is None:
            bad("project", "missing: write SOURCE:SOURCE_ID or the numeric project id")
        if kind not in KINDS:
            bad("kind", f"'{kind}' is not one of {', '.join(KINDS)}" if kind else "missing")
        values: dict[str, Any] = {}
        for column, parse in (
            ("date", files.date),
            ("completed", files.date),
            ("planned", files.number),
            ("actual", files.number),
        ):
            try:
                values[column] = parse(row.get(column))
            except ValueError as exc:
                bad(column, str(exc))
        if values.get("date") is None and "date" not in {p.field for p in problems[here:]}:
            bad("date", "missing (milestone: due date; kpi and spend: reporting date)")
        unit = files.text(row.get("unit"))
        if kind == "milestone" and name is None:
            bad("name", "a milestone needs a name")
        if kind == "kpi":
            if name is None:
                bad("name", "a KPI needs a name")
            if values.get("actual") is None and values.get("planned") is None:
                bad("actual", "a KPI report needs an actual (or a planned) value")
        if kind == "spend":
            if values.get("actual") is None:
                bad("actual", "a spend report needs the actual cumulative amount")
            if unit is not None and not re.fullmatch(r"[A-Za-z]{3}", unit):
                bad("unit", f"'{unit}' is not a currency code such as EUR")
            unit = unit.upper() if unit else None
            for column in ("planned", "actual"):
                if (values.get(column) or 0) < 0:
                    bad(column, "spend cannot be negative")
        if len(problems) > here:
            continue
        out.append(
            ProgressLine(
                line=line,
                project=project or "",
                kind=kind,
                name=name or "total",
                date=values["date"],
                planned=values.get("planned"),
                actual=values.get("actual"),
                unit=unit,
                completed=values.get("completed"),
                note=files.text(row.get("note")),
            )
        )
    return out, problems


def _identity(line: ProgressLine, project_id: int) -> tuple[Any, ...]:
    if line.kind == "milestone":
        return (project_id, line.kind, line.name)
    return (project_id, line.kind, line.name, line.date)


FIELDS = ("date", "planned", "actual", "unit", "completed", "note")


def import_progress(workspace: Workspace, path: Path, *, user: str) -> ProgressSummary:
    """Import milestones, KPI reports and spend reports in one transaction (nothing on any error)."""
    # the portfolio store (import runs) is read by imports alone, not by the board or 'indicators show'
    from missionboard.store.portfolio import finish_run, start_run

    started = time.perf_counter()
    table = files.read_table(Path(path))
    lines, problems = _parse(table)
    files.raise_problems(problems)
    summary = ProgressSummary(file=table.name, read=len(lines))
    with workspace.transaction() as session:
        projects = find_projects(session, {line.project for line in lines})
        for line in lines:
            if projects[line.project] is None:
                problems.append(
                    Problem(
                        table.name, line.line, "project", f"no project '{line.project}' in this workspace"
                    )
                )
        files.raise_problems(problems)
        seen: dict[tuple[Any, ...], ProgressLine] = {}
        unique: list[tuple[ProgressLine, ProjectKey]] = []
        for line in lines:
            row = projects[line.project]
            assert row is not None
            ident = _identity(line, row.id)
            if ident in seen:
                earlier = seen[ident]
                if any(getattr(earlier, f) != getattr(line, f) for f in FIELDS):
                    problems.append(
                        Problem(
                            table.name,
                            line.line,
                            "name",
                            f"{line.kind} '{line.name}' repeats line {earlier.line} with different values",
                        )
                    )
                continue
            seen[ident] = line
            unique.append((line, row))
        files.raise_problems(problems)

        run = ImportRun(
            format="progress",
            files=[files.describe(Path(path))],
            started_at=dt.datetime.now(dt.UTC),
            user=user,
        )
        run_id = start_run(session, run)
        summary.import_run = run_id
        project_ids = sorted({row.id for row in (p for p in projects.values() if p is not None)})
        store = ProgressStore(session)
        existing: dict[tuple[Any, ...], StoredLine] = {}
        for stored in store.stored_lines(project_ids):
            key: tuple[Any, ...] = (stored.project_id, stored.kind, stored.name)
            if stored.kind != "milestone":
                key = (*key, stored.date)
            existing[key] = stored
        kinds: dict[str, int] = defaultdict(int)
        labels: set[str] = set()
        for line, project in unique:
            kinds[line.kind] += 1
            labels.add(project_label(project))
            values = {f: getattr(line, f) for f in FIELDS}
            if line.kind == "spend" and values["unit"] is None:
                values["unit"] = project.budget_currency
            current = existing.get(_identity(line, project.id))
            if current is None:
                store.add_line(project.id, line.kind, line.name, import_run_id=run_id, **values)
                summary.inserted += 1
                continue
            before = {f: getattr(current, f) for f in FIELDS}
            if before == values:
                summary.unchanged += 1
                continue
            store.update_line(current.id, values, import_run_id=run_id, recorded_at=dt.datetime.now(dt.UTC))
            summary.updated += 1
        summary.by_kind = dict(sorted(kinds.items()))
        summary.projects = sorted(labels)
        summary.seconds = round(time.perf_counter() - started, 3)
        finish_run(
            session,
            run_id,
            run.model_copy(
                update={
                    "read": summary.read,
                    "inserted": summary.inserted,
                    "updated": summary.updated,
                    "unchanged": summary.unchanged,
                    "seconds": summary.seconds,
                }
            ),
        )
        audit.record(
            session,
            actor=user,
            action="import",
            entity="progress_reports",
            entity_id=table.name,
            after={k: v for k, v in summary.to_dict().items() if k != "seconds"},
        )
    return summary


# --- facts ---------------------------------------------------------------------------------------


class Labelled(Protocol):
    @property
    def source(self) -> str: ...
    @property
    def source_id(self) -> str: ...


class ProjectLike(Labelled, Protocol):
    @property
    def id(self) -> int: ...
    @property
    def start(self) -> dt.date | None: ...
    @property
    def end(self) -> dt.date | None: ...
    @property
    def budget_amount(self) -> Decimal | None: ...
    @property
    def budget_currency(self) -> str | None: ...
    @property
    def public_amount(self) -> Decimal | None: ...
    @property
    def public_currency(self) -> str | None: ...


def progress_reports(
    session: Session, project_ids: Collection[int], *, among: ProjectIds | None = None
) -> dict[int, list[Report]]:
    """Each project's progress reports in the order they were stored.

    With ``among`` (a query of project ids holding every one of ``project_ids``, such as a mission's
    links) the reports are read in one query against it; otherwise by slices of ids.
    """
    return ProgressStore(session).reports(project_ids, among=among)


def facts_of(project: ProjectLike, reports: Sequence[Report]) -> ProjectFacts:
    """One project's progress facts from its row and its reports (all reports; the rules apply the date)."""
    budget = project.budget_amount if project.budget_amount is not None else project.public_amount
    currency = project.budget_currency if project.budget_amount is not None else project.public_currency
    if not reports:  # most projects of a large portfolio: the same facts, without three empty scans
        return ProjectFacts(
            project=project_label(project),
            start=project.start,
            end=project.end,
            budget=float(budget) if budget is not None else None,
            budget_currency=currency,
        )
    return ProjectFacts(
        project=project_label(project),
        start=project.start,
        end=project.end,
        budget=float(budget) if budget is not None else None,
        budget_currency=currency,
        milestones=tuple(Milestone(r.name, r.date, r.completed) for r in reports if r.kind == "milestone"),
        kpis=tuple(
            KpiReport(r.name, r.date, r.actual, r.planned, r.unit) for r in reports if r.kind == "kpi"
        ),
        spend=tuple(
            SpendReport(r.date, r.actual, r.planned, r.unit, r.name)
            for r in reports
            if r.kind == "spend" and r.actual is not None
        ),
    )


def project_facts(
    session: Session, projects: Iterable[ProjectLike], *, among: ProjectIds | None = None
) -> dict[int, ProjectFacts]:
    """Each project's progress facts (all reports; the health rules apply the as-of date).

    ``among`` as in :func:`progress_reports`.
    """
    rows = {p.id: p for p in projects}
    reports = progress_reports(session, rows.keys(), among=among)
    return {pid: facts_of(project, reports.get(pid, ())) for pid, project in rows.items()}


def progress_summary(
    facts: ProjectFacts, as_of: dt.date, *, mission: MissionDates | None = None
) -> dict[str, Any]:
    """A compact account of a project's progress on ``as_of`` (for decisions' evidence and the board).

    With ``mission``, milestones count as overdue only when due inside the project's time in the
    mission (as the health rules judge them), and the account says where the project lies
    (``timing``) and its window.
    """
    window = mission_window(facts, mission)
    milestones = list(facts.milestones)
    done = [m for m in milestones if m.completed is not None and m.completed <= as_of]
    overdue = [m for m in milestones if m not in done and m.due < as_of and window.holds(m.due)]
    latest_kpis: dict[str, KpiReport] = {}
    for report in sorted((k for k in facts.kpis if k.date <= as_of), key=lambda k: k.date):
        latest_kpis[report.name] = report
    spend = sorted((s for s in facts.spend if s.date <= as_of), key=lambda s: s.date)
    latest_spend: dict[str, SpendReport] = {}
    for spent in spend:
        latest_spend[spent.line] = spent
    placed: dict[str, Any] = {}
    if mission is not None:
        placed = {
            "timing": timing(facts, mission, as_of).value,
            "window": {
                "start": window.start.isoformat() if window.start else None,
                "end": window.end.isoformat() if window.end else None,
            },
        }
    return placed | {
        "milestones": {"total": len(milestones), "completed": len(done), "overdue": len(overdue)},
        "kpis": [
            {
                "name": k.name,
                "date": k.date.isoformat(),
                "actual": k.actual,
                "planned": k.planned,
                "unit": k.unit,
            }
            for k in latest_kpis.values()
        ],
        "spend": [
            {
                "line": s.line,
                "date": s.date.isoformat(),
                "actual": s.actual,
                "planned": s.planned,
                "currency": s.currency,
            }
            for s in latest_spend.values()
        ],
    }
