"""Project health: rules that flag projects needing attention, each flag with the reason behind it.

Pure: the facts (milestones, KPI reports, spend reports, dates and budget) come in, flags come out.
The rules and their thresholds are a :class:`HealthRules` document (YAML in a workspace, see
``docs/monitoring.md``); every rule can be switched off.

* ``behind_schedule`` — a milestone due more than ``grace_days`` before the as-of date is not completed
  (or was completed only after the as-of date).
* ``under_spending`` / ``over_spending`` — cumulative actual spend ÷ planned spend at the latest spend
  report is below ``under_ratio`` or above ``over_ratio``. The plan is the ``planned`` column of the
  spend reports; where none is given and ``use_budget_profile`` is on, the plan is the project budget
  spent evenly from start to end. Under-spending is judged only once ``min_elapsed_share`` of the
  project's time has passed. Spending more than the whole budget is always over-spending.
* ``stalled_kpis`` — for a running project, a KPI whose reported value has moved by no more than
  ``min_change`` (a share of its planned value, or of its earlier value where no plan is given) over
  the last ``window_days`` while still short of plan, or that has not been reported for ``window_days``.
  KPIs are read as "higher is better" cumulative values.
* ``ended_without_results`` — the project ended more than ``grace_days`` before the as-of date and has
  no KPI report with an actual value and no completed milestone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import Field

from missionboard.domain.common import DomainModel


class FlagCode(StrEnum):
    BEHIND_SCHEDULE = "behind_schedule"
    UNDER_SPENDING = "under_spending"
    OVER_SPENDING = "over_spending"
    STALLED_KPIS = "stalled_kpis"
    ENDED_WITHOUT_RESULTS = "ended_without_results"


class ScheduleRule(DomainModel):
    enabled: bool = True
    grace_days: int = Field(default=30, ge=0, description="Days a milestone may be late before it counts")


class SpendingRule(DomainModel):
    enabled: bool = True
    under_ratio: float = Field(default=0.7, ge=0, description="Flag when actual ÷ planned is below this")
    over_ratio: float = Field(default=1.15, ge=1, description="Flag when actual ÷ planned is above this")
    min_elapsed_share: float = Field(
        default=0.2, ge=0, le=1, description="Judge under-spending only after this share of the project"
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


class HealthRules(DomainModel):
    """The configurable thresholds of every health rule (the YAML document's schema)."""

    behind_schedule: ScheduleRule = Field(default_factory=ScheduleRule)
    spending: SpendingRule = Field(default_factory=SpendingRule)
    stalled_kpis: StalledKpiRule = Field(default_factory=StalledKpiRule)
    ended_without_results: EndedWithoutResultsRule = Field(default_factory=EndedWithoutResultsRule)


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
    code: FlagCode
    reason: str


def _money(amount: float, currency: str | None) -> str:
    return f"{amount:,.0f} {currency}".strip() if currency else f"{amount:,.0f}"


def _behind_schedule(facts: ProjectFacts, rule: ScheduleRule, as_of: dt.date) -> Flag | None:
    limit = as_of - dt.timedelta(days=rule.grace_days)
    late = [m for m in facts.milestones if m.due < limit and (m.completed is None or m.completed > as_of)]
    if not late:
        return None
    late.sort(key=lambda m: m.due)
    parts = [f"'{m.name}' due {m.due.isoformat()} ({(as_of - m.due).days} days late)" for m in late[:3]]
    more = f" and {len(late) - 3} more" if len(late) > 3 else ""
    noun = "milestone" if len(late) == 1 else "milestones"
    return Flag(FlagCode.BEHIND_SCHEDULE, f"{len(late)} {noun} not completed: {', '.join(parts)}{more}")


def _elapsed_share(facts: ProjectFacts, day: dt.date) -> float | None:
    if facts.start is None or facts.end is None or facts.end <= facts.start:
        return None
    share = (day - facts.start).days / (facts.end - facts.start).days
    return min(max(share, 0.0), 1.0)


def _spending(facts: ProjectFacts, rule: SpendingRule, as_of: dt.date) -> Flag | None:
    reports = [r for r in facts.spend if r.date <= as_of]
    if not reports:
        return None
    latest_by_line: dict[tuple[str, str | None], SpendReport] = {}
    for report in sorted(reports, key=lambda r: r.date):
        latest_by_line[(report.line, report.currency)] = report
    currencies = {r.currency for r in latest_by_line.values()}
    if len(currencies) > 1:
        return None  # no common unit to add spend lines up in; judged per currency would mislead
    currency = next(iter(currencies))
    latest = list(latest_by_line.values())
    actual = sum(r.actual for r in latest)
    day = max(r.date for r in latest)
    elapsed = _elapsed_share(facts, day)
    planned: float | None = None
    basis = "plan"
    if all(r.planned is not None for r in latest):
        planned = sum(r.planned for r in latest if r.planned is not None)
    elif (
        rule.use_budget_profile
        and facts.budget
        and elapsed is not None
        and (facts.budget_currency is None or currency is None or facts.budget_currency == currency)
    ):
        planned = facts.budget * elapsed
        basis = f"budget {_money(facts.budget, facts.budget_currency)} spent evenly"
    if facts.budget and actual > facts.budget and (currency is None or currency == facts.budget_currency):
        return Flag(
            FlagCode.OVER_SPENDING,
            f"spent {_money(actual, currency)} by {day.isoformat()}, more than the whole budget "
            f"of {_money(facts.budget, facts.budget_currency)}",
        )
    if planned is None or planned <= 0:
        return None
    ratio = actual / planned
    where = f"spent {_money(actual, currency)} of {_money(planned, currency)} planned by {day.isoformat()}"
    if ratio > rule.over_ratio:
        return Flag(
            FlagCode.OVER_SPENDING,
            f"{where} ({ratio:.0%}, above {rule.over_ratio:.0%}; {basis})",
        )
    if ratio < rule.under_ratio and (elapsed is None or elapsed >= rule.min_elapsed_share):
        return Flag(
            FlagCode.UNDER_SPENDING,
            f"{where} ({ratio:.0%}, below {rule.under_ratio:.0%}; {basis})",
        )
    return None


def _stalled(facts: ProjectFacts, rule: StalledKpiRule, as_of: dt.date) -> Flag | None:
    if facts.end is not None and facts.end < as_of:
        return None  # a finished project is judged by ended_without_results, not by stalled KPIs
    window = dt.timedelta(days=rule.window_days)
    by_name: dict[str, list[KpiReport]] = {}
    for report in facts.kpis:
        if report.date <= as_of and report.actual is not None:
            by_name.setdefault(report.name, []).append(report)
    reasons: list[str] = []
    for name, reports in sorted(by_name.items()):
        reports.sort(key=lambda r: r.date)
        latest = reports[-1]
        assert latest.actual is not None
        if latest.date < as_of - window:
            reasons.append(f"'{name}' not reported since {latest.date.isoformat()}")
            continue
        earlier = [r for r in reports if r.date <= latest.date - window]
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
    if not reasons:
        return None
    noun = "KPI stalled" if len(reasons) == 1 else "KPIs stalled"
    return Flag(FlagCode.STALLED_KPIS, f"{len(reasons)} {noun}: " + "; ".join(reasons))


def _ended_without_results(facts: ProjectFacts, rule: EndedWithoutResultsRule, as_of: dt.date) -> Flag | None:
    if facts.end is None or facts.end >= as_of - dt.timedelta(days=rule.grace_days):
        return None
    has_kpi = any(r.actual is not None and r.date <= as_of for r in facts.kpis)
    has_milestone = any(m.completed is not None and m.completed <= as_of for m in facts.milestones)
    if has_kpi or has_milestone:
        return None
    return Flag(
        FlagCode.ENDED_WITHOUT_RESULTS,
        f"ended {facts.end.isoformat()} ({(as_of - facts.end).days} days ago) with no KPI result "
        "or completed milestone reported",
    )


def evaluate(facts: ProjectFacts, rules: HealthRules, as_of: dt.date) -> list[Flag]:
    """Every flag the enabled rules raise for the project, judged on what was known at ``as_of``."""
    flags: list[Flag | None] = []
    if rules.behind_schedule.enabled:
        flags.append(_behind_schedule(facts, rules.behind_schedule, as_of))
    if rules.spending.enabled:
        flags.append(_spending(facts, rules.spending, as_of))
    if rules.stalled_kpis.enabled:
        flags.append(_stalled(facts, rules.stalled_kpis, as_of))
    if rules.ended_without_results.enabled:
        flags.append(_ended_without_results(facts, rules.ended_without_results, as_of))
    return [flag for flag in flags if flag is not None]
