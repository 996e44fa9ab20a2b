"""Each quality criterion, with a mission that passes it and one that fails it."""

import datetime as dt

import pytest

from missionboard.domain.missions import Mission
from missionboard.domain.quality import Criterion, PortfolioProfile, Severity, StartYear, check_mission

TODAY = dt.date(2026, 1, 1)


def good(**overrides: object) -> Mission:
    data: dict[str, object] = {
        "id": "school-meals",
        "title": "Sustainable school meals",
        "challenge": "Public meals that harm health and climate",
        "statement": "By 2030 every public school meal is healthy, sustainable and enjoyed by pupils.",
        "owner": "Agency",
        "start": "2022-01-01",
        "deadline": "2030-12-31",
        "programmes": ["Grants", "Procurement"],
        "stakeholders": [
            {"name": "Municipalities", "helix": "government"},
            {"name": "University", "helix": "research"},
            {"name": "Food firms", "helix": "industry"},
            {"name": "Pupils", "helix": "civil_society"},
        ],
        "objectives": [
            {
                "id": "organic-share",
                "title": "Raise the organic share",
                "indicator": {"id": "organic_share", "name": "Organic share", "unit": "%"},
                "baseline": {"value": 38, "year": 2020},
                "target": {"value": 60, "year": 2030},
            }
        ],
    }
    data.update(overrides)
    return Mission.model_validate(data)


BALANCED = PortfolioProfile(
    projects=40,
    helix={"research": 30, "industry": 40, "government": 20, "civil_society": 10},
    sectors={"food": 20, "education": 10},
    instrument_families={"supply": 30, "demand": 10},
    funders={"A": 20, "B": 20},
    programmes={"Grants": 25, "Procurement": 15},
)


def failed(report, criterion: Criterion) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.message for f in report.findings if f.criterion == criterion and f.severity != Severity.INFO]


def test_a_well_formed_mission_with_a_balanced_portfolio_passes_every_criterion() -> None:
    obs = {"organic_share": [(2016, 28.0), (2018, 33.0), (2020, 38.0), (2022, 41.0), (2024, 44.0)]}
    report = check_mission(good(), observations=obs, portfolio=BALANCED, today=TODAY)
    assert {c.value: report.status(c) for c in Criterion} == dict.fromkeys(
        (c.value for c in Criterion), "pass"
    )
    assert report.score >= 90


def test_bold_fails_for_an_activity_statement_without_an_end_state() -> None:
    report = check_mission(
        good(statement="To support and strengthen innovation in public food."), today=TODAY
    )
    messages = failed(report, Criterion.BOLD)
    assert "The statement describes activities, not an outcome." in messages
    assert "The statement names no concrete, checkable end state." in messages


def test_bold_fails_when_every_target_is_a_small_step() -> None:
    report = check_mission(
        good(
            objectives=[
                {
                    "id": "o",
                    "title": "O",
                    "indicator": {"id": "i", "name": "I", "unit": "%"},
                    "baseline": {"value": 50, "year": 2020},
                    "target": {"value": 52, "year": 2030},
                }
            ]
        ),
        today=TODAY,
    )
    assert any("small step" in m for m in failed(report, Criterion.BOLD))


def test_measurable_fails_for_objectives_without_targets_and_targets_after_the_deadline() -> None:
    report = check_mission(
        good(
            objectives=[
                {"id": "a", "title": "A"},
                {
                    "id": "b",
                    "title": "B",
                    "indicator": {"id": "i", "name": "I", "unit": "t"},
                    "baseline": {"value": 5, "year": 2020},
                    "target": {"value": 2, "year": 2035},
                },
            ]
        ),
        today=TODAY,
    )
    messages = failed(report, Criterion.MEASURABLE)
    assert "Objective 'a' is not measurable." in messages
    assert "Objective 'b' is due after the mission's deadline." in messages


def test_measurable_fails_for_an_impossible_percentage() -> None:
    report = check_mission(
        good(
            objectives=[
                {
                    "id": "o",
                    "title": "O",
                    "indicator": {"id": "i", "name": "I", "unit": "%"},
                    "baseline": {"value": 50, "year": 2020},
                    "target": {"value": 120, "year": 2030},
                }
            ]
        ),
        today=TODAY,
    )
    assert any(
        f.severity == Severity.CRITICAL and "impossible percentage" in f.message for f in report.findings
    )


def test_realism_flags_a_target_that_needs_a_step_change_and_one_met_by_the_trend_alone() -> None:
    slow = {"organic_share": [(2016, 36.0), (2018, 36.5), (2020, 37.0), (2022, 37.5), (2024, 38.0)]}
    report = check_mission(good(), observations=slow, today=TODAY)
    assert any("likely unrealistic" in m for m in failed(report, Criterion.REALISTIC))
    fast = {"organic_share": [(2016, 20.0), (2018, 30.0), (2020, 40.0), (2022, 50.0), (2024, 55.0)]}
    report = check_mission(good(), observations=fast, today=TODAY)
    assert any("current trend" in m for m in failed(report, Criterion.REALISTIC))


def test_realism_flags_an_indicator_moving_away_from_its_target() -> None:
    worse = {"organic_share": [(2018, 40.0), (2020, 38.0), (2022, 36.0), (2024, 34.0)]}
    report = check_mission(good(), observations=worse, today=TODAY)
    assert any("moving away" in m for m in failed(report, Criterion.REALISTIC))


def test_realism_is_not_assessed_without_observations() -> None:
    report = check_mission(good(), today=TODAY)
    assert report.status(Criterion.REALISTIC) == "not_assessed"


def test_cross_sectoral_fails_for_a_supply_only_single_helix_portfolio() -> None:
    narrow = PortfolioProfile(
        projects=10,
        helix={"research": 20},
        sectors={"food": 10},
        instrument_families={"supply": 10},
        funders={"A": 10},
        programmes={"Grants": 5, "Procurement": 5},
    )
    messages = failed(check_mission(good(), portfolio=narrow, today=TODAY), Criterion.CROSS_SECTORAL)
    assert "The portfolio involves too few kinds of actors." in messages
    assert "Only supply-side instruments are used." in messages
    assert "The portfolio sits in a single sector." in messages


@pytest.mark.parametrize(
    ("kind", "flagged"), [("public_procurement", False), ("regulation", False), ("subsidy", True)]
)
def test_a_declared_demand_side_or_regulatory_measure_is_in_the_instrument_mix(
    kind: str, flagged: bool
) -> None:
    """Measures beyond projects are instruments too: grants alone in the portfolio are not 'only supply-side'
    when the mission declares a procurement rule or a regulation."""
    supply_only = PortfolioProfile(
        projects=10, helix={"research": 5, "industry": 5}, instrument_families={"supply": 10}
    )
    measure = {"id": "m1", "title": "A measure", "kind": kind, "objectives": []}
    report = check_mission(good(measures=[measure]), portfolio=supply_only, today=TODAY)
    assert ("Only supply-side instruments are used." in failed(report, Criterion.CROSS_SECTORAL)) is flagged


def test_solution_neutrality_fails_when_the_statement_prescribes_a_technology() -> None:
    report = check_mission(
        good(
            statement="By 2030 every ferry route is served by hydrogen ferries through the deployment of fuel cells."
        ),
        today=TODAY,
    )
    findings = [f for f in report.findings if f.criterion == Criterion.SOLUTION_NEUTRAL]
    assert findings and "hydrogen" in findings[0].evidence and "prescribes a means" in findings[0].evidence


def test_stakeholder_involvement_fails_when_only_one_helix_shaped_the_mission() -> None:
    report = check_mission(good(stakeholders=[{"name": "Ministry", "helix": "government"}]), today=TODAY)
    assert failed(report, Criterion.STAKEHOLDERS) == [
        "The mission was shaped by too few kinds of stakeholders."
    ]


def test_mission_washing_is_flagged_for_no_targets_no_deadline_and_a_single_programme() -> None:
    report = check_mission(
        good(deadline=None, programmes=["Digital programme"], objectives=[{"id": "a", "title": "More AI"}]),
        today=TODAY,
    )
    washing = [f for f in report.findings if f.criterion == Criterion.WASHING]
    assert {f.severity for f in washing} == {Severity.CRITICAL}
    assert len(washing) == 3
    assert report.score < 40 and "mission-washing" in report.verdict


def test_every_finding_has_evidence_and_a_suggestion_and_json_has_the_contract_keys() -> None:
    report = check_mission(good(deadline=None, objectives=[]), today=TODAY)
    data = report.to_dict()
    assert set(data) >= {"mission", "score", "findings"}
    assert 0 <= data["score"] <= 100
    for finding in data["findings"]:
        assert set(finding) == {"criterion", "severity", "message", "evidence", "suggestion"}
        assert finding["evidence"] and finding["suggestion"]


def _split(relabelled: int, new: int, relabelled_money: float, new_money: float) -> PortfolioProfile:
    return PortfolioProfile(
        projects=relabelled + new,
        helix=BALANCED.helix,
        sectors=BALANCED.sectors,
        instrument_families=BALANCED.instrument_families,
        programmes=BALANCED.programmes,
        split_at=dt.date(2022, 1, 1),
        start_years=(
            StartYear(2020, relabelled_projects=relabelled, relabelled_money=relabelled_money),
            StartYear(2023, new_projects=new, new_money=new_money),
        ),
        currency="EUR",
    )


@pytest.mark.parametrize(
    ("relabelled", "new", "relabelled_money", "new_money", "severity"),
    [
        (62, 38, 620.0, 380.0, Severity.CRITICAL),  # 62 % of projects and money started before the mission
        (20, 80, 600.0, 400.0, Severity.CRITICAL),  # few projects, but most of the money
        (40, 60, 400.0, 600.0, Severity.WARNING),
        (29, 71, 290.0, 710.0, None),
    ],
)
def test_washing_flags_a_portfolio_by_its_share_of_projects_or_money_started_before_the_mission(
    relabelled: int, new: int, relabelled_money: float, new_money: float, severity: Severity | None
) -> None:
    report = check_mission(
        good(), portfolio=_split(relabelled, new, relabelled_money, new_money), today=TODAY
    )
    found = [
        f.severity for f in report.findings if f.criterion == Criterion.WASHING and "relabelled" in f.message
    ]
    assert found == ([severity] if severity else [])
    assert report.relabelling is not None
    assert report.relabelling.relabelled_projects == relabelled


def test_a_mostly_relabelled_portfolio_is_never_a_strong_mission() -> None:
    report = check_mission(good(), portfolio=_split(62, 38, 620.0, 380.0), today=TODAY)
    assert report.verdict != "strong mission"


def test_relabelling_is_not_judged_without_a_start_date_or_with_a_profile_split_at_another_date() -> None:
    portfolio = _split(62, 38, 620.0, 380.0)
    assert check_mission(good(start=None), portfolio=portfolio, today=TODAY).relabelling is None
    assert check_mission(good(start="2021-01-01"), portfolio=portfolio, today=TODAY).relabelling is None
