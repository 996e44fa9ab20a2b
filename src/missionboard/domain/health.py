"""Project health: rules that flag projects needing attention, each flag with the reason behind it.

Pure: the facts (milestones, KPI reports, spend reports, dates and budget) come in, flags come out.
The rules and their thresholds are a :class:`HealthRules` document (YAML in a workspace, see
``docs/monitoring.md``); every rule can be switched off.

**In the mission's time.** Judged for a mission (``mission=`` with its ``start`` and ``deadline``), a
project is flagged only for what happened while it could serve the mission: its *window* is the overlap
of the project's [start, end] with the mission's [start, deadline], up to the as-of date. A project
that ended before the mission began (or started after its deadline) gets no flag: its
:attr:`ProjectHealth.timing` says ``before_mission`` (``after_mission``) instead, which is not a
health problem. Judged without a mission, the window is unbounded and the rules read as below.

* ``behind_schedule`` — a milestone due inside the window, more than ``grace_days`` before the as-of
  date, is not completed (or was completed only after the as-of date). Milestones due before the
  mission began do not count.
* ``under_spending`` / ``over_spending`` — actual ÷ planned spend *within the window* (from the window's
  start to the latest spend report inside it) is below ``under_ratio`` or above ``over_ratio``.
  Cumulative amounts on a day between reports are read linearly between them (0 at the project's
  start). The plan is the ``planned`` column of the spend reports; where none is given and
  ``use_budget_profile`` is on, the plan is the project budget spent evenly from start to end.
  Under-spending is judged only once ``min_elapsed_share`` of the project's time in the window has
  passed. Cumulative spend above the whole budget is over-spending, unless it was already above it when
  the window began.
* ``stalled_kpis`` — for a running project, a KPI whose reported value has moved by no more than
  ``min_change`` (a share of its planned value, or of its earlier value where no plan is given) over
  the last ``window_days`` (all inside the mission window) while still short of plan, or that has not
  been reported for ``window_days`` of the mission window. KPIs are read as "higher is better"
  cumulative values.
* ``ended_without_results`` — the project ended inside the window more than ``grace_days`` before the
  as-of date and has no KPI report with an actual value and no completed milestone, although it was
  monitored: it has milestones, or KPI or spend reports (with ``unreported`` on, a project with no
  progress record at all is flagged too; off by default, since most portfolios hold projects that
  nobody reports progress on).

Every flag carries its rule, a reason with dates, and the dates themselves (:meth:`Flag.to_dict`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from pydantic import Field

from missionboard.domain.common import DomainModel


class FlagCode(StrEnum):
    BEHIND_SCHEDULE = "behind_schedule"
    UNDER_SPENDING = "under_spending"
    OVER_SPENDING = "over_spending"
    STALLED_KPIS = "stalled_kpis"
    ENDED_WITHOUT_RESULTS = "ended_without_results"


RULE_OF: dict[FlagCode, str] = {
    FlagCode.BEHIND_SCHEDULE: "behind_schedule",
    FlagCode.UNDER_SPENDING: "spending",
    FlagCode.OVER_SPENDING: "spending",
    FlagCode.STALLED_KPIS: "stalled_kpis",
    FlagCode.ENDED_WITHOUT_RESULTS: "ended_without_results",
}
"""The section of the rules file that raises each flag."""


class Timing(StrEnum):
    """Where a project's life lies against the mission's time."""

    IN_MISSION = "in_mission"
    BEFORE_MISSION = "before_mission"
    """Ended before the mission began: reported apart, never flagged."""
    AFTER_MISSION = "after_mission"
    """Started after the mission's deadline."""
    NOT_YET = "not_yet"
    """Its window in the mission begins after the as-of date."""


class ScheduleRule(DomainModel):
    enabled: bool = True
    grace_days: int = Field(default=30, ge=0, description="Days a milestone may be late before it counts")


class SpendingRule(DomainModel):
    enabled: bool = True
    under_ratio: float = Field(default=0.7, ge=0, description="Flag when actual ÷ planned is below this")
    over_ratio: float = Field(default=1.15, ge=1, description="Flag when actual ÷ planned is above this")
    min_elapsed_share: float = Field(
        default=0.2, ge=0, le=1, description="Judge under-spending only after this share of the window"
    )
    use_budget_profile: bool = Field(
        default=True, description="Without a planned column, plan = budget spent evenly from start to end"
    )


class StalledKpiRule(DomainModel):
    enabled: bool = True
    window_days: int = Field(default=365, ge=1)
    min_change: float = Field(default=0.02, ge=0, description="Share of the planned (or earlier) value")


class EndedWithoutResultsRule(DomainModel):
    enabled: bool = True
    grace_days: int = Field(default=90, ge=0)
    unreported: bool = Field(
        default=False,
        description="Also flag a project with no progress record at all (off: unmonitored, not failing)",
    )


class HealthRules(DomainModel):
    """The configurable thresholds of every health rule (the YAML document's schema)."""

    behind_schedule: ScheduleRule = Field(default_factory=ScheduleRule)
    spending: SpendingRule = Field(default_factory=SpendingRule)
    stalled_kpis: StalledKpiRule = Field(default_factory=StalledKpiRule)
    ended_without_results: EndedWithoutResultsRule = Field(default_factory=EndedWithoutResultsRule)


class MissionDates(Protocol):
    """What the rules need of a mission (a :class:`~missionboard.domain.missions.Mission` has both)."""

    @property
    def start(self) -> dt.date | None: ...
    @property
    def deadline(self) -> dt.date | None: ...


@dataclass(frozen=True)
class MissionWindow:
    """A mission's time as plain dates, for callers without a mission object."""

    start: dt.date | None = None
    deadline: dt.date | None = None


@dataclass(frozen=True)
class Milestone:
    name: str
    due: dt.date
    completed: dt.date | None = None


@dataclass(frozen=True)
class KpiReport:
    name: str
    date: dt.date
    actual: float | None
    planned: float | None = None
    unit: str | None = None


@dataclass(frozen=True)
class SpendReport:
    date: dt.date
    actual: float
    planned: float | None = None
    currency: str | None = None
    line: str = "total"


@dataclass(frozen=True)
class ProjectFacts:
    """What is known about one project's progress."""

    project: str
    start: dt.date | None = None
    end: dt.date | None = None
    budget: float | None = None
    budget_currency: str | None = None
    milestones: Sequence[Milestone] = field(default_factory=tuple)
    kpis: Sequence[KpiReport] = field(default_factory=tuple)
    spend: Sequence[SpendReport] = field(default_factory=tuple)


@dataclass(frozen=True)
class Flag:
    """One rule's finding: its code, the reason in words (with dates), and the dates themselves."""

    code: FlagCode
    reason: str
    dates: Mapping[str, dt.date] = field(default_factory=dict, compare=False)
    """Named dates behind the flag: ``as_of``, ``window_start``/``window_end`` and the rule's own
    (``due``, ``from``/``to``, ``since``, ``ended``)."""

    @property
    def rule(self) -> str:
        """The section of the rules file that raised it (``spending`` for both spending flags)."""
        return RULE_OF[self.code]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "rule": self.rule,
            "reason": self.reason,
            "dates": {name: day.isoformat() for name, day in self.dates.items()},
        }


@dataclass(frozen=True)
class Window:
    """The part of a project's life in which it could serve the mission (None: unbounded that side)."""

    start: dt.date | None
    end: dt.date | None

    def holds(self, day: dt.date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def dates(self) -> dict[str, dt.date]:
        out: dict[str, dt.date] = {}
        if self.start is not None:
            out["window_start"] = self.start
        if self.end is not None:
            out["window_end"] = self.end
        return out


UNBOUNDED = Window(None, None)


@dataclass(frozen=True)
class ProjectHealth:
    """A project's health judged in the mission's time: where it lies, its window, its flags."""

    project: str
    timing: Timing
    window: Window
    flags: list[Flag]
    reported: bool = True
    """Whether it is monitored at all: milestones set, or KPI or spend reports by the as-of date."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "timing": self.timing.value,
            "reported": self.reported,
            "window": {
                "start": self.window.start.isoformat() if self.window.start else None,
                "end": self.window.end.isoformat() if self.window.end else None,
            },
            "flags": [f.to_dict() for f in self.flags],
        }


@dataclass
class HealthSummary:
    """What a board says of its projects' health besides the flags: how many were judged, which
    ended before the mission began (not a health problem), and how many nobody reports on."""

    judged: int = 0
    flagged: int = 0
    unmonitored: int = 0
    before_mission: list[str] = field(default_factory=list)
    after_mission: int = 0
    not_yet: int = 0

    def add(self, health: ProjectHealth) -> None:
        if health.timing is Timing.BEFORE_MISSION:
            self.before_mission.append(health.project)
        elif health.timing is Timing.AFTER_MISSION:
            self.after_mission += 1
        elif health.timing is Timing.NOT_YET:
            self.not_yet += 1
        else:
            self.judged += 1
            self.flagged += bool(health.flags)
            self.unmonitored += not health.reported

    def to_dict(self) -> dict[str, Any]:
        return {
            "judged": self.judged,
            "flagged": self.flagged,
            "unmonitored": self.unmonitored,
            "before_mission": {"count": len(self.before_mission), "projects": self.before_mission},
            "after_mission": self.after_mission,
            "not_yet": self.not_yet,
        }


def mission_window(facts: ProjectFacts, mission: MissionDates | None) -> Window:
    """The overlap of the project's [start, end] with the mission's [start, deadline] (unbounded without
    a mission; an unknown date leaves the other side's bound)."""
    if mission is None:
        return UNBOUNDED
    starts = [d for d in (facts.start, mission.start) if d is not None]
    ends = [d for d in (facts.end, mission.deadline) if d is not None]
    return Window(max(starts) if starts else None, min(ends) if ends else None)


def timing(facts: ProjectFacts, mission: MissionDates | None, as_of: dt.date) -> Timing:
    """Whether the project could serve the mission by ``as_of`` (always ``in_mission`` without one)."""
    return _timing(facts, mission, as_of, mission_window(facts, mission))


def _timing(facts: ProjectFacts, mission: MissionDates | None, as_of: dt.date, window: Window) -> Timing:
    if mission is None:
        return Timing.IN_MISSION
    if facts.end is not None and mission.start is not None and facts.end < mission.start:
        return Timing.BEFORE_MISSION
    if facts.start is not None and mission.deadline is not None and facts.start > mission.deadline:
        return Timing.AFTER_MISSION
    if window.start is not None and window.start > as_of:
        return Timing.NOT_YET
    return Timing.IN_MISSION


def assess(
    facts: ProjectFacts, rules: HealthRules, as_of: dt.date, *, mission: MissionDates | None = None
) -> ProjectHealth:
    """The project's health on ``as_of``, in the mission's time when ``mission`` is given."""
    window = mission_window(facts, mission)
    when = _timing(facts, mission, as_of, window)
    reported = _reported(facts, as_of)
    if when is not Timing.IN_MISSION or (not reported and not rules.ended_without_results.unreported):
        # outside the mission's time, or nothing to judge: every rule needs a milestone or a report
        # by the as-of date (most projects of a large portfolio; this keeps the board fast)
        return ProjectHealth(facts.project, when, window, [], reported)
    flags: list[Flag | None] = []
    if rules.behind_schedule.enabled:
        flags.append(_behind_schedule(facts, rules.behind_schedule, as_of, window))
    if rules.spending.enabled:
        flags.append(_spending(facts, rules.spending, as_of, window))
    if rules.stalled_kpis.enabled:
        flags.append(_stalled(facts, rules.stalled_kpis, as_of, window))
    if rules.ended_without_results.enabled:
        flags.append(_ended_without_results(facts, rules.ended_without_results, as_of, window))
    return ProjectHealth(facts.project, when, window, [flag for flag in flags if flag is not None], reported)


def evaluate(
    facts: ProjectFacts, rules: HealthRules, as_of: dt.date, mission: MissionDates | None = None
) -> list[Flag]:
    """Every flag the enabled rules raise for the project, judged on what was known at ``as_of`` —
    in the mission's time when ``mission`` (anything with ``start`` and ``deadline``) is given."""
    return assess(facts, rules, as_of, mission=mission).flags


# --- the rules -----------------------------------------------------------------------------------


def _money(amount: float, currency: str | None) -> str:
    return f"{amount:,.0f} {currency}".strip() if currency else f"{amount:,.0f}"


def _dates(window: Window, as_of: dt.date, **named: dt.date | None) -> dict[str, dt.date]:
    out = {"as_of": as_of, **window.dates()}
    out.update({name: day for name, day in named.items() if day is not None})
    return out


def _behind_schedule(facts: ProjectFacts, rule: ScheduleRule, as_of: dt.date, window: Window) -> Flag | None:
    limit = as_of - dt.timedelta(days=rule.grace_days)
    open_late = [
        m for m in facts.milestones if m.due < limit and (m.completed is None or m.completed > as_of)
    ]
    late = sorted((m for m in open_late if window.holds(m.due)), key=lambda m: m.due)
    if not late:
        return None
    parts = [f"'{m.name}' due {m.due.isoformat()} ({(as_of - m.due).days} days late)" for m in late[:3]]
    more = f" and {len(late) - 3} more" if len(late) > 3 else ""
    noun = "milestone" if len(late) == 1 else "milestones"
    reason = f"{len(late)} {noun} not completed: {', '.join(parts)}{more}; not done by {as_of.isoformat()}"
    before = sum(1 for m in open_late if window.start is not None and m.due < window.start)
    if before:
        reason += f" ({before} due before {window.start} not counted)"
    return Flag(FlagCode.BEHIND_SCHEDULE, reason, _dates(window, as_of, due=late[0].due))


def _share_of_life(facts: ProjectFacts, day: dt.date) -> float | None:
    """The share of the project's [start, end] passed on ``day`` (0–1; None when unknown)."""
    if facts.start is None or facts.end is None or facts.end <= facts.start:
        return None
    share = (day - facts.start).days / (facts.end - facts.start).days
    return min(max(share, 0.0), 1.0)


def _cumulative_at(
    points: Sequence[tuple[dt.date, float]], day: dt.date, origin: dt.date | None
) -> float | None:
    """A cumulative amount on ``day`` from dated cumulative reports: the report of that day, linear
    between the reports around it, 0 at ``origin`` (the project's start), the last report carried
    forward after it. None where nothing places it (before the first report, no start known)."""
    if origin is not None and day <= origin:
        return 0.0
    before = [(d, v) for d, v in points if d <= day]
    after = [(d, v) for d, v in points if d > day]
    if before:
        d0, v0 = max(before, key=lambda p: p[0])
    elif origin is not None:
        d0, v0 = origin, 0.0
    else:
        return None
    if d0 == day or not after:
        return v0
    d1, v1 = min(after, key=lambda p: p[0])
    return v0 + (v1 - v0) * (day - d0).days / (d1 - d0).days


@dataclass(frozen=True)
class _Spend:
    """A project's spend over the span of its window that the spend reports cover."""

    start: dt.date | None
    """The span's start where it is the mission's (after the project's start); None: the project's."""
    end: dt.date
    currency: str | None
    before: float
    """Cumulative spend when the span began (0 from the project's start)."""
    total: float
    """Cumulative spend when the span ended."""
    planned: float | None
    basis: str


def _spend_in_window(
    facts: ProjectFacts, rule: SpendingRule, as_of: dt.date, window: Window
) -> _Spend | None:
    reports = [r for r in facts.spend if r.date <= as_of]
    if not reports:
        return None
    by_line: dict[tuple[str, str | None], list[SpendReport]] = {}
    for report in sorted(reports, key=lambda r: r.date):
        by_line.setdefault((report.line, report.currency), []).append(report)
    currencies = {currency for _line, currency in by_line}
    if len(currencies) > 1:
        return None  # no common unit to add spend lines up in; judged per currency would mislead
    currency = next(iter(currencies))
    latest = [lines[-1] for lines in by_line.values()]
    day = max(r.date for r in latest)
    end = min(day, window.end) if window.end is not None else day
    if window.start is not None and end <= window.start:
        return None  # no spend report inside the window: nothing is known of its spending there
    start = (
        window.start
        if window.start is not None and (facts.start is None or window.start > facts.start)
        else None
    )

    def amount(column: str, on: dt.date | None) -> float | None:
        if on is None:
            return 0.0
        values = [
            _cumulative_at(
                [(r.date, v) for r in lines if (v := getattr(r, column)) is not None], on, facts.start
            )
            for lines in by_line.values()
        ]
        return None if any(v is None for v in values) else sum(v for v in values if v is not None)

    before, total = amount("actual", start), amount("actual", end)
    if before is None or total is None:
        return None  # the window's start cannot be placed between reports: no judgement
    planned: float | None = None
    basis = "plan"
    if all(r.planned is not None for r in latest):
        planned_before, planned_total = amount("planned", start), amount("planned", end)
        if planned_before is not None and planned_total is not None:
            planned = planned_total - planned_before
    elif (
        rule.use_budget_profile
        and facts.budget
        and (facts.budget_currency is None or currency is None or facts.budget_currency == currency)
    ):
        life_before = _share_of_life(facts, start) if start is not None else 0.0
        life_end = _share_of_life(facts, end)
        if life_before is not None and life_end is not None:
            planned = facts.budget * (life_end - life_before)
            basis = f"budget {_money(facts.budget, facts.budget_currency)} spent evenly"
    return _Spend(start, end, currency, before, total, planned, basis)


def _spending(facts: ProjectFacts, rule: SpendingRule, as_of: dt.date, window: Window) -> Flag | None:
    spend = _spend_in_window(facts, rule, as_of, window)
    if spend is None:
        return None
    currency, end = spend.currency, spend.end
    dates = _dates(window, as_of, to=end, **({"from": spend.start} if spend.start else {}))
    if (
        facts.budget
        and spend.total > facts.budget >= spend.before
        and (currency is None or currency == facts.budget_currency)
    ):
        return Flag(
            FlagCode.OVER_SPENDING,
            f"spent {_money(spend.total, currency)} by {end.isoformat()}, more than the whole budget "
            f"of {_money(facts.budget, facts.budget_currency)}",
            dates,
        )
    if spend.planned is None or spend.planned <= 0:
        return None
    actual = spend.total - spend.before
    ratio = actual / spend.planned
    span = f"from {spend.start.isoformat()} to {end.isoformat()}" if spend.start else f"by {end.isoformat()}"
    where = f"spent {_money(actual, currency)} of {_money(spend.planned, currency)} planned {span}"
    elapsed = _window_share(facts, window, end)
    elapsed_note = (
        f"; {elapsed:.0%} of its time in the mission window elapsed"
        if window != UNBOUNDED and elapsed is not None
        else ""
    )
    if ratio > rule.over_ratio:
        return Flag(
            FlagCode.OVER_SPENDING,
            f"{where} ({ratio:.0%}, above {rule.over_ratio:.0%}; {spend.basis}){elapsed_note}",
            dates,
        )
    if ratio < rule.under_ratio and (elapsed is None or elapsed >= rule.min_elapsed_share):
        return Flag(
            FlagCode.UNDER_SPENDING,
            f"{where} ({ratio:.0%}, below {rule.under_ratio:.0%}; {spend.basis}){elapsed_note}",
            dates,
        )
    return None


def _window_share(facts: ProjectFacts, window: Window, day: dt.date) -> float | None:
    """The share of the project's time in the window passed on ``day`` (its whole life without a
    mission; None when a bound is unknown)."""
    start = window.start if window.start is not None else facts.start
    end = window.end if window.end is not None else facts.end
    if start is None or end is None or end <= start:
        return None
    return min(max((day - start).days / (end - start).days, 0.0), 1.0)


def _stalled(facts: ProjectFacts, rule: StalledKpiRule, as_of: dt.date, window: Window) -> Flag | None:
    if facts.end is not None and facts.end < as_of:
        return None  # a finished project is judged by ended_without_results, not by stalled KPIs
    judged = min(as_of, window.end) if window.end is not None else as_of
    span = dt.timedelta(days=rule.window_days)
    by_name: dict[str, list[KpiReport]] = {}
    for report in facts.kpis:
        if report.date <= judged and report.actual is not None:
            by_name.setdefault(report.name, []).append(report)
    reasons: list[str] = []
    since: list[dt.date] = []
    for name, reports in sorted(by_name.items()):
        reports.sort(key=lambda r: r.date)
        latest = reports[-1]
        assert latest.actual is not None
        quiet_from = max(latest.date, window.start) if window.start is not None else latest.date
        if quiet_from < judged - span:
            note = (
                f" (none since the mission window began on {window.start})"
                if quiet_from != latest.date
                else ""
            )
            reasons.append(f"'{name}' not reported since {latest.date.isoformat()}{note}")
            since.append(latest.date)
            continue
        if window.start is not None and latest.date - span < window.start:
            continue  # less than a whole stall window of the mission's time: not judged yet
        earlier = [r for r in reports if r.date <= latest.date - span]
        if not earlier:
            continue
        reference = earlier[-1]
        assert reference.actual is not None
        if latest.planned is not None and latest.actual >= latest.planned:
            continue
        scale = abs(latest.planned) if latest.planned else abs(reference.actual)
        change = latest.actual - reference.actual
        if change <= rule.min_change * max(scale, 1e-12):
            reasons.append(
                f"'{name}' moved from {reference.actual:g} ({reference.date.isoformat()}) to "
                f"{latest.actual:g} ({latest.date.isoformat()})"
                + (f", plan {latest.planned:g}" if latest.planned is not None else "")
            )
            since.append(reference.date)
    if not reasons:
        return None
    noun = "KPI stalled" if len(reasons) == 1 else "KPIs stalled"
    return Flag(
        FlagCode.STALLED_KPIS,
        f"{len(reasons)} {noun}: " + "; ".join(reasons),
        _dates(window, as_of, since=min(since)),
    )


def _reported(facts: ProjectFacts, as_of: dt.date) -> bool:
    """Whether the project is monitored: milestones were set, or a KPI or spend was reported by ``as_of``."""
    return (
        bool(facts.milestones)
        or any(r.date <= as_of for r in facts.kpis)
        or any(r.date <= as_of for r in facts.spend)
    )


def _ended_without_results(
    facts: ProjectFacts, rule: EndedWithoutResultsRule, as_of: dt.date, window: Window
) -> Flag | None:
    if facts.end is None or facts.end >= as_of - dt.timedelta(days=rule.grace_days):
        return None
    if not window.holds(facts.end):
        return None  # ended after the mission's deadline: not while it served the mission
    if not rule.unreported and not _reported(facts, as_of):
        return None  # nothing was ever asked of it or reported: unmonitored, which is not failing
    has_kpi = any(r.actual is not None and r.date <= as_of for r in facts.kpis)
    has_milestone = any(m.completed is not None and m.completed <= as_of for m in facts.milestones)
    if has_kpi or has_milestone:
        return None
    return Flag(
        FlagCode.ENDED_WITHOUT_RESULTS,
        f"ended {facts.end.isoformat()} ({(as_of - facts.end).days} days before {as_of.isoformat()}) "
        "with no KPI result or completed milestone reported",
        _dates(window, as_of, ended=facts.end),
    )
