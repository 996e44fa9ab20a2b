"""Health flags in the mission's time: a project is flagged only for what happened while it could serve
the mission (the overlap of its [start, end] with the mission's [start, deadline], up to the as-of date),
and every flag says why, with dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from missionboard.domain.health import (
    FlagCode,
    HealthRules,
    HealthSummary,
    KpiReport,
    Milestone,
    MissionWindow,
    ProjectFacts,
    SpendReport,
    Timing,
    assess,
    evaluate,
)
from missionboard.monitoring import import_progress, monitor_mission
from missionboard.monitoring.progress import progress_summary
from missionboard.store.workspace import Workspace

RULES = HealthRules()
MISSION = MissionWindow(start=dt.date(2022, 1, 1), deadline=dt.date(2030, 12, 31))
AS_OF = dt.date(2026, 6, 30)


def facts(**kwargs: object) -> ProjectFacts:
    base: dict[str, object] = {
        "project": "test:p",
        "start": dt.date(2020, 1, 1),
        "end": dt.date(2027, 12, 31),
        "budget": 1_000_000.0,
        "budget_currency": "EUR",
    }
    base.update(kwargs)
    return ProjectFacts(**base)  # type: ignore[arg-type]


PLAN_ONLY = (KpiReport("Homes", dt.date(2019, 3, 31), None, 100),)
"""A KPI planned at award with no result reported: the project is monitored and delivered nothing."""


def codes(f: ProjectFacts, as_of: dt.date = AS_OF) -> list[FlagCode]:
    return [flag.code for flag in evaluate(f, RULES, as_of, MISSION)]


# --- which projects are judged ---------------------------------------------------------------------


def test_a_project_that_ended_before_the_mission_began_gets_no_flag() -> None:
    ended = facts(start=dt.date(2016, 1, 1), end=dt.date(2019, 6, 30), kpis=PLAN_ONLY)  # no result ever
    assert codes(ended) == []


def test_the_same_project_judged_without_a_mission_is_flagged() -> None:
    ended = facts(start=dt.date(2016, 1, 1), end=dt.date(2019, 6, 30), kpis=PLAN_ONLY)
    assert [f.code for f in evaluate(ended, RULES, AS_OF)] == [FlagCode.ENDED_WITHOUT_RESULTS]


def test_a_project_that_ended_before_the_mission_began_is_reported_as_before_the_mission() -> None:
    ended = facts(start=dt.date(2016, 1, 1), end=dt.date(2019, 6, 30))
    health = assess(ended, RULES, AS_OF, mission=MISSION)
    assert health.timing is Timing.BEFORE_MISSION
    assert health.to_dict()["timing"] == "before_mission"


@pytest.mark.parametrize(
    ("start", "end", "timing"),
    [
        (dt.date(2016, 1, 1), dt.date(2021, 12, 31), Timing.BEFORE_MISSION),
        (dt.date(2016, 1, 1), dt.date(2022, 1, 1), Timing.IN_MISSION),  # one day inside is inside
        (dt.date(2031, 1, 1), dt.date(2033, 1, 1), Timing.AFTER_MISSION),
        (dt.date(2026, 9, 1), dt.date(2029, 1, 1), Timing.NOT_YET),
        (dt.date(2020, 1, 1), None, Timing.IN_MISSION),
    ],
)
def test_where_a_project_lies_against_the_mission_s_time(
    start: dt.date, end: dt.date | None, timing: Timing
) -> None:
    assert assess(facts(start=start, end=end), RULES, AS_OF, mission=MISSION).timing is timing


def test_the_window_is_the_overlap_of_project_and_mission() -> None:
    health = assess(facts(), RULES, AS_OF, mission=MISSION)
    assert health.window.start == dt.date(2022, 1, 1)  # the mission's start, after the project's
    assert health.window.end == dt.date(2027, 12, 31)  # the project's end, before the deadline


def test_a_project_that_ended_without_results_inside_the_window_is_flagged() -> None:
    ran = facts(start=dt.date(2020, 1, 1), end=dt.date(2023, 6, 30), kpis=PLAN_ONLY)
    assert codes(ran) == [FlagCode.ENDED_WITHOUT_RESULTS]


def test_a_project_nobody_reports_on_is_unmonitored_not_failing() -> None:
    silent = facts(start=dt.date(2020, 1, 1), end=dt.date(2023, 6, 30))
    strict = HealthRules.model_validate({"ended_without_results": {"unreported": True}})
    assert codes(silent) == []
    assert assess(silent, RULES, AS_OF, mission=MISSION).reported is False
    assert [f.code for f in evaluate(silent, strict, AS_OF, MISSION)] == [FlagCode.ENDED_WITHOUT_RESULTS]


def test_a_mission_that_has_not_begun_flags_nothing_yet() -> None:
    late = facts(milestones=[Milestone("Pilot", dt.date(2021, 3, 31))])
    assert codes(late, as_of=dt.date(2021, 12, 1)) == []


def test_the_summary_counts_projects_before_the_mission_apart_from_the_judged_ones() -> None:
    summary = HealthSummary()
    for f in (
        facts(project="test:old", start=dt.date(2016, 1, 1), end=dt.date(2019, 6, 30), kpis=PLAN_ONLY),
        facts(project="test:ran", start=dt.date(2020, 1, 1), end=dt.date(2023, 6, 30), kpis=PLAN_ONLY),
        facts(project="test:quiet"),
    ):
        summary.add(assess(f, RULES, AS_OF, mission=MISSION))
    assert summary.to_dict() == {
        "judged": 2,
        "flagged": 1,
        "unmonitored": 1,
        "before_mission": {"count": 1, "projects": ["test:old"]},
        "after_mission": 0,
        "not_yet": 0,
    }


# --- milestones ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "counted"),
    [
        (dt.date(2021, 12, 31), False),  # due the day before the mission began
        (dt.date(2022, 1, 1), True),
        (dt.date(2025, 3, 31), True),
        (dt.date(2026, 6, 15), False),  # inside the window but within the 30-day grace before as-of
    ],
)
def test_an_open_milestone_counts_only_when_due_inside_the_window_and_before_as_of(
    due: dt.date, counted: bool
) -> None:
    f = facts(milestones=[Milestone("Pilot", due)])
    assert codes(f) == ([FlagCode.BEHIND_SCHEDULE] if counted else [])


def test_a_milestone_due_after_the_project_ended_is_outside_its_window() -> None:
    f = facts(end=dt.date(2025, 12, 31), milestones=[Milestone("Report", dt.date(2026, 3, 31))])
    assert FlagCode.BEHIND_SCHEDULE not in codes(f)


def test_a_milestone_due_before_the_mission_start_is_not_counted_and_the_reason_says_so() -> None:
    f = facts(
        milestones=[
            Milestone("Design", dt.date(2020, 6, 30)),
            Milestone("Pilot", dt.date(2025, 3, 31)),
        ]
    )
    [flag] = evaluate(f, RULES, AS_OF, MISSION)
    assert flag.reason.startswith("1 milestone not completed: 'Pilot' due 2025-03-31 (456 days late)")
    assert "not done by 2026-06-30" in flag.reason
    assert "'Design'" not in flag.reason
    assert "(1 due before 2022-01-01 not counted)" in flag.reason


# --- spending on the window --------------------------------------------------------------------


def test_spending_before_the_mission_does_not_hide_under_spending_inside_it() -> None:
    # 500k spent against 300k planned before the mission, then 200k against 600k planned in it:
    # 78 % over the whole life (no flag), 33 % in the mission's time
    f = facts(
        spend=[
            SpendReport(dt.date(2022, 1, 1), 500_000, 300_000, "EUR"),
            SpendReport(dt.date(2025, 12, 31), 700_000, 900_000, "EUR"),
        ]
    )
    assert [x.code for x in evaluate(f, RULES, AS_OF)] == []
    [flag] = evaluate(f, RULES, AS_OF, MISSION)
    assert flag.code is FlagCode.UNDER_SPENDING
    assert "spent 200,000 EUR of 600,000 EUR planned from 2022-01-01 to 2025-12-31 (33%" in flag.reason


def test_a_slow_start_before_the_mission_is_not_under_spending_in_it() -> None:
    # nothing spent of 300k planned before the mission, then exactly the plan: 67 % over the whole life
    f = facts(
        spend=[
            SpendReport(dt.date(2022, 1, 1), 0, 300_000, "EUR"),
            SpendReport(dt.date(2025, 12, 31), 600_000, 900_000, "EUR"),
        ]
    )
    assert [x.code for x in evaluate(f, RULES, AS_OF)] == [FlagCode.UNDER_SPENDING]
    assert codes(f) == []


def test_the_budget_profile_plans_only_the_window_and_the_spend_between_reports_is_read_linearly() -> None:
    # 10 years, 1M spent evenly = 100k a year; the mission starts 2025-01-01, when the project had
    # spent about 550k, and 600k two years later: about 50k against about 200k planned (25 %)
    f = facts(
        start=dt.date(2020, 1, 1),
        end=dt.date(2029, 12, 31),
        spend=[
            SpendReport(dt.date(2024, 12, 31), 550_000, None, "EUR"),
            SpendReport(dt.date(2026, 12, 31), 600_000, None, "EUR"),
        ],
    )
    later = MissionWindow(dt.date(2025, 1, 1), dt.date(2030, 12, 31))
    as_of = dt.date(2027, 1, 31)
    assert [x.code for x in evaluate(f, RULES, as_of)] == []  # 600k of 700k over the whole life
    [flag] = evaluate(f, RULES, as_of, later)
    assert flag.code is FlagCode.UNDER_SPENDING
    assert "planned from 2025-01-01 to 2026-12-31 (25%, below 70%; budget 1,000,000 EUR spent evenly)" in (
        flag.reason
    )
    assert "40% of its time in the mission window elapsed" in flag.reason


def test_no_spend_report_inside_the_window_means_no_spending_judgement() -> None:
    f = facts(spend=[SpendReport(dt.date(2021, 12, 1), 10_000, 500_000, "EUR")])
    assert [x.code for x in evaluate(f, RULES, AS_OF)] == [FlagCode.UNDER_SPENDING]
    assert codes(f) == []


def test_going_over_the_whole_budget_before_the_mission_is_not_a_flag_in_it() -> None:
    f = facts(
        spend=[
            SpendReport(dt.date(2021, 12, 31), 1_100_000, 1_100_000, "EUR"),
            SpendReport(dt.date(2025, 12, 31), 1_150_000, 1_150_000, "EUR"),
        ]
    )
    assert [x.code for x in evaluate(f, RULES, AS_OF)] == [FlagCode.OVER_SPENDING]
    assert codes(f) == []


# --- KPIs ------------------------------------------------------------------------------------------


def test_a_kpi_stall_is_judged_only_over_a_whole_window_of_the_mission_s_time() -> None:
    f = facts(
        kpis=[
            KpiReport("Homes", dt.date(2021, 6, 1), 40, 100),
            KpiReport("Homes", dt.date(2022, 6, 15), 41, 100),
        ]
    )
    as_of = dt.date(2022, 6, 30)
    assert [x.code for x in evaluate(f, RULES, as_of)] == [FlagCode.STALLED_KPIS]
    assert codes(f, as_of=as_of) == []


def test_a_kpi_last_reported_before_the_mission_is_late_only_a_window_after_the_mission_began() -> None:
    f = facts(kpis=[KpiReport("Trees", dt.date(2021, 1, 31), 10, 1000)])
    assert codes(f, as_of=dt.date(2022, 12, 31)) == []
    [flag] = evaluate(f, RULES, dt.date(2023, 2, 1), MISSION)
    assert flag.code is FlagCode.STALLED_KPIS
    assert "'Trees' not reported since 2021-01-31 (none since the mission window began on 2022-01-01)" in (
        flag.reason
    )


def test_the_progress_account_counts_overdue_milestones_in_the_mission_s_time() -> None:
    f = facts(
        milestones=[Milestone("Design", dt.date(2020, 6, 30)), Milestone("Pilot", dt.date(2025, 3, 31))]
    )
    assert progress_summary(f, AS_OF)["milestones"]["overdue"] == 2
    summary = progress_summary(f, AS_OF, mission=MISSION)
    assert summary["milestones"]["overdue"] == 1
    assert summary["timing"] == "in_mission"
    assert summary["window"] == {"start": "2022-01-01", "end": "2027-12-31"}


# --- reasons carry dates ---------------------------------------------------------------------------


CASES = {
    "behind_schedule": facts(milestones=[Milestone("Pilot", dt.date(2025, 3, 31))]),
    "spending": facts(spend=[SpendReport(dt.date(2025, 12, 31), 100_000, 800_000, "EUR")]),
    "stalled_kpis": facts(
        kpis=[
            KpiReport("Homes", dt.date(2025, 6, 1), 40, 100),
            KpiReport("Homes", dt.date(2026, 6, 15), 40, 100),
        ]
    ),
    "ended_without_results": facts(end=dt.date(2024, 12, 31), kpis=PLAN_ONLY),
}
RULE_DATE = {
    "behind_schedule": ("due", dt.date(2025, 3, 31)),
    "spending": ("to", dt.date(2025, 12, 31)),
    "stalled_kpis": ("since", dt.date(2025, 6, 1)),
    "ended_without_results": ("ended", dt.date(2024, 12, 31)),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_flag_names_its_rule_and_carries_its_dates(rule: str) -> None:
    [flag] = evaluate(CASES[rule], RULES, AS_OF, MISSION)
    name, day = RULE_DATE[rule]
    assert flag.rule == rule
    assert flag.dates[name] == day
    assert day.isoformat() in flag.reason
    assert flag.dates["as_of"] == AS_OF
    assert flag.dates["window_start"] == dt.date(2022, 1, 1)
    assert flag.to_dict()["dates"][name] == day.isoformat()


# --- on the board ----------------------------------------------------------------------------------

PROGRESS = """project,kind,name,date,planned,actual,unit,completed,note
test:legacy,milestone,Design,2020-06-30,,,,,
test:old,kpi,Homes,2018-06-30,100,,homes,,
test:ran,kpi,Homes,2021-06-30,100,,homes,,
test:legacy,milestone,Pilot,2023-03-31,,,,,
"""


def test_the_board_flags_only_what_happened_in_the_mission_s_time(
    workspace: Workspace,
    add_mission: Callable[..., object],
    add_project: Callable[..., int],
    write: Callable[[str, str], Path],
) -> None:
    add_mission(workspace, start="2022-01-01")
    before = {"start": dt.date(2016, 1, 1), "end": dt.date(2019, 6, 30)}
    add_project(workspace, "old", links={"emissions": "accepted"}, **before)
    add_project(
        workspace, "ran", start=dt.date(2020, 1, 1), end=dt.date(2023, 6, 30), links={"emissions": "accepted"}
    )
    add_project(
        workspace,
        "legacy",
        start=dt.date(2019, 1, 1),
        end=dt.date(2027, 12, 31),
        links={"renewables": "accepted"},
    )
    import_progress(workspace, write("progress.csv", PROGRESS), user="ana")
    flagged = {
        p["project"]: p
        for p in monitor_mission(workspace, "clean-air", as_of=AS_OF).to_dict()["flagged_projects"]
    }
    assert "test:old" not in flagged
    assert [f["code"] for f in flagged["test:ran"]["flags"]] == ["ended_without_results"]
    [late] = flagged["test:legacy"]["flags"]
    assert late["rule"] == "behind_schedule"
    assert late["dates"] == {
        "as_of": "2026-06-30",
        "window_start": "2022-01-01",
        "window_end": "2027-12-31",
        "due": "2023-03-31",
    }
    assert "'Design'" not in late["reason"]
