"""Project-health flags: each rule, its threshold, switching it off, and the YAML rules file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from missionboard.domain.health import (
    FlagCode,
    HealthRules,
    KpiReport,
    Milestone,
    ProjectFacts,
    SpendReport,
    evaluate,
)
from missionboard.domain.targets import StatusRules
from missionboard.errors import InputError
from missionboard.monitoring.progress import load_rules, load_status_rules

AS_OF = dt.date(2025, 6, 30)
RULES = HealthRules()


def facts(**kwargs: object) -> ProjectFacts:
    base: dict[str, object] = {
        "project": "test:p",
        "start": dt.date(2024, 1, 1),
        "end": dt.date(2026, 12, 31),
        "budget": 300_000.0,
        "budget_currency": "EUR",
    }
    base.update(kwargs)
    return ProjectFacts(**base)  # type: ignore[arg-type]


def codes(f: ProjectFacts, rules: HealthRules = RULES, as_of: dt.date = AS_OF) -> list[FlagCode]:
    return [flag.code for flag in evaluate(f, rules, as_of)]


def test_a_healthy_project_has_no_flags() -> None:
    f = facts(
        milestones=[Milestone("Kick-off", dt.date(2024, 2, 1), dt.date(2024, 2, 1))],
        kpis=[
            KpiReport("Homes", dt.date(2024, 6, 30), 10, 20),
            KpiReport("Homes", dt.date(2025, 6, 1), 40, 60),
        ],
        spend=[SpendReport(dt.date(2025, 6, 1), 140_000, 150_000, "EUR")],
    )
    assert evaluate(f, RULES, AS_OF) == []


def test_a_milestone_late_beyond_the_grace_period_is_behind_schedule_with_the_reason() -> None:
    late = facts(milestones=[Milestone("Pilot", AS_OF - dt.timedelta(days=31))])
    within = facts(milestones=[Milestone("Pilot", AS_OF - dt.timedelta(days=30))])
    flags = evaluate(late, RULES, AS_OF)
    assert [f.code for f in flags] == [FlagCode.BEHIND_SCHEDULE]
    assert "'Pilot'" in flags[0].reason and "31 days late" in flags[0].reason
    assert codes(within) == []


def test_a_milestone_completed_only_after_the_as_of_date_was_late_then() -> None:
    f = facts(milestones=[Milestone("Pilot", dt.date(2025, 1, 1), completed=dt.date(2025, 9, 1))])
    assert codes(f) == [FlagCode.BEHIND_SCHEDULE]
    assert codes(f, as_of=dt.date(2025, 10, 1)) == []


@pytest.mark.parametrize(
    ("actual", "expected"),
    [(69_000, [FlagCode.UNDER_SPENDING]), (70_000, []), (115_000, []), (116_000, [FlagCode.OVER_SPENDING])],
)
def test_spending_against_plan_boundaries(actual: float, expected: list[FlagCode]) -> None:
    f = facts(spend=[SpendReport(dt.date(2025, 6, 1), actual, 100_000, "EUR")])
    assert codes(f) == expected


def test_without_a_planned_column_the_budget_spent_evenly_is_the_plan() -> None:
    # halfway through a 2-year project with budget 200k: the plan is 100k
    f = facts(
        start=dt.date(2024, 1, 1),
        end=dt.date(2026, 1, 1),
        budget=200_000.0,
        spend=[SpendReport(dt.date(2025, 1, 1), 30_000, None, "EUR")],
    )
    flags = evaluate(f, RULES, AS_OF)
    assert [x.code for x in flags] == [FlagCode.UNDER_SPENDING]
    assert "spent evenly" in flags[0].reason


def test_under_spending_is_not_judged_at_the_very_start() -> None:
    f = facts(
        start=dt.date(2025, 5, 1),
        end=dt.date(2028, 5, 1),
        spend=[SpendReport(dt.date(2025, 6, 1), 0, 10_000, "EUR")],
    )
    assert codes(f) == []


def test_spending_more_than_the_whole_budget_is_over_spending() -> None:
    f = facts(spend=[SpendReport(dt.date(2025, 6, 1), 310_000, 400_000, "EUR")])
    assert codes(f) == [FlagCode.OVER_SPENDING]


def test_a_kpi_that_did_not_move_for_a_year_is_stalled() -> None:
    f = facts(
        kpis=[
            KpiReport("Homes", dt.date(2024, 6, 1), 40, 100),
            KpiReport("Homes", dt.date(2025, 6, 15), 41, 100),
        ]
    )
    flags = evaluate(f, RULES, AS_OF)
    assert [x.code for x in flags] == [FlagCode.STALLED_KPIS]
    assert "'Homes' moved from 40" in flags[0].reason


def test_a_kpi_that_moved_or_met_its_plan_is_not_stalled() -> None:
    moving = facts(
        kpis=[
            KpiReport("Homes", dt.date(2024, 6, 1), 40, 100),
            KpiReport("Homes", dt.date(2025, 6, 15), 60, 100),
        ]
    )
    met = facts(
        kpis=[
            KpiReport("Homes", dt.date(2024, 6, 1), 100, 100),
            KpiReport("Homes", dt.date(2025, 6, 15), 100, 100),
        ]
    )
    assert codes(moving) == []
    assert codes(met) == []


def test_a_kpi_not_reported_for_the_window_is_stalled() -> None:
    f = facts(kpis=[KpiReport("Homes", dt.date(2024, 5, 1), 10, 100)])
    assert codes(f) == [FlagCode.STALLED_KPIS]


def test_an_ended_project_without_results_is_flagged_after_the_grace_period() -> None:
    planned = [KpiReport("Homes", dt.date(2023, 1, 1), None, 100)]  # monitored: a plan, no result
    ended = facts(start=dt.date(2022, 1, 1), end=AS_OF - dt.timedelta(days=91), kpis=planned)
    recent = facts(start=dt.date(2022, 1, 1), end=AS_OF - dt.timedelta(days=90), kpis=planned)
    reported = facts(
        start=dt.date(2022, 1, 1),
        end=AS_OF - dt.timedelta(days=91),
        kpis=[KpiReport("Homes", dt.date(2024, 1, 1), 80, 100)],
    )
    assert codes(ended) == [FlagCode.ENDED_WITHOUT_RESULTS]
    assert codes(recent) == []
    assert codes(reported) == []


def test_an_ended_project_with_no_progress_record_is_flagged_only_when_unreported_is_on() -> None:
    silent = facts(start=dt.date(2022, 1, 1), end=AS_OF - dt.timedelta(days=91))
    strict = HealthRules.model_validate({"ended_without_results": {"unreported": True}})
    assert codes(silent) == []
    assert codes(silent, strict) == [FlagCode.ENDED_WITHOUT_RESULTS]


def test_a_rule_switched_off_raises_no_flag() -> None:
    f = facts(milestones=[Milestone("Pilot", dt.date(2024, 1, 1))])
    rules = HealthRules.model_validate({"behind_schedule": {"enabled": False}})
    assert codes(f, rules) == []


def test_the_packaged_rules_file_holds_the_documented_defaults() -> None:
    assert load_rules() == HealthRules()


def test_a_rules_file_with_a_bad_threshold_names_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("spending:\n  under_ratio: lots\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_rules(path)
    assert "rules.yaml" in str(caught.value) and "spending.under_ratio" in str(caught.value)


def test_a_rules_file_with_an_unknown_rule_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("behind_shedule:\n  grace_days: 10\n", encoding="utf-8")
    with pytest.raises(InputError, match="behind_shedule"):
        load_rules(path)


def test_the_packaged_rules_file_holds_the_default_status_thresholds() -> None:
    assert load_status_rules() == StatusRules()


def test_status_thresholds_come_from_the_status_section(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "status:\n  on_track_gap: 0.1\n  off_track_gap: 0.3\nspending:\n  enabled: false\n", encoding="utf-8"
    )
    assert load_status_rules(path) == StatusRules(on_track_gap=0.1, off_track_gap=0.3)
    assert load_rules(path).spending.enabled is False


def test_status_thresholds_out_of_order_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("status:\n  on_track_gap: 0.4\n  off_track_gap: 0.3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"rules.yaml: status: need 0 ≤ on_track_gap ≤ off_track_gap"):
        load_status_rules(path)
