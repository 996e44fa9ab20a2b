"""The quality check judges the structure a mission declares: pathways, assumptions, owners, the mix of
measures and of disciplines. A mission that declares none of it is judged as before."""

import datetime as dt
from typing import Any

import pytest

from missionboard.domain.missions import Mission
from missionboard.domain.quality import Criterion, PortfolioProfile, QualityReport, Severity, check_mission

TODAY = dt.date(2026, 1, 1)


def objective(objective_id: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": objective_id,
        "title": f"Objective {objective_id}",
        "indicator": {"id": objective_id.replace("-", "_"), "name": "Share", "unit": "%"},
        "baseline": {"value": 20, "year": 2020},
        "target": {"value": 80, "year": 2030},
    }
    data.update(changes)
    return data


def make_mission(**changes: Any) -> Mission:
    """A sound mission with two objectives, owned by two ministries, with a full logic and a mixed set
    of measures: no structural finding."""
    data: dict[str, Any] = {
        "id": "ferries",
        "title": "Zero-emission ferries",
        "challenge": "Ferries burn diesel",
        "statement": "By 2030 every ferry route sails with zero emissions.",
        "owner": "Ministry of Transport",
        "start": "2021-01-01",
        "deadline": "2030-12-31",
        "programmes": ["Grants", "Procurement"],
        "stakeholders": [
            {"name": "Counties", "helix": "government"},
            {"name": "Institutes", "helix": "research"},
            {"name": "Yards", "helix": "industry"},
            {"name": "Residents", "helix": "civil_society"},
        ],
        "objectives": [objective("routes"), objective("quays")],
        "governance": [
            {"body": "Ministry of Transport", "level": "national", "role": "owner"},
            {"body": "County councils", "level": "regional", "role": "co-owner", "objectives": ["routes"]},
        ],
        "measures": [
            {
                "id": "tenders",
                "title": "Zero-emission tenders",
                "kind": "public_procurement",
                "objectives": ["fleet"],
            },
            {"id": "grants", "title": "Quay grants", "kind": "subsidy", "objectives": ["quays"]},
        ],
        "logic": {
            "outcomes": [
                {"id": "grid", "title": "Quays get grid capacity", "leads_to": ["quays", "fleet"]},
                {"id": "fleet", "title": "Electric ferries replace diesel", "leads_to": ["routes"]},
            ],
            "assumptions": [
                {
                    "id": "grid-fast",
                    "text": "Grid connections come fast",
                    "about": ["grid"],
                    "status": "holding",
                }
            ],
        },
    }
    data.update(changes)
    return Mission.model_validate(data)


def check(mission: Mission, portfolio: PortfolioProfile | None = None) -> QualityReport:
    return check_mission(mission, portfolio=portfolio, today=TODAY)


def findings(report: QualityReport, criterion: Criterion) -> list[str]:
    return [f.message for f in report.findings if f.criterion == criterion]


def finding(report: QualityReport, message_start: str) -> Any:
    return next(f for f in report.findings if f.message.startswith(message_start))


def test_a_sound_structure_raises_no_structural_finding() -> None:
    report = check(make_mission())
    assert findings(report, Criterion.LOGIC) == []
    assert findings(report, Criterion.GOVERNANCE) == []
    assert report.status(Criterion.LOGIC) == "pass"
    assert report.status(Criterion.GOVERNANCE) == "pass"


# Older missions are judged as before


def old_mission() -> Mission:
    return make_mission(governance=[], measures=[], logic=None)


def test_a_mission_without_structure_gets_no_structural_finding() -> None:
    report = check(old_mission())
    assert [f for f in report.findings if f.criterion in (Criterion.LOGIC, Criterion.GOVERNANCE)] == []


def test_a_mission_without_structure_lists_no_structural_criteria() -> None:
    assert set(check(old_mission()).to_dict()["criteria"]) == {
        "bold_inspirational",
        "targeted_measurable_time_bound",
        "ambitious_realistic",
        "cross_sectoral",
        "open_to_multiple_solutions",
        "stakeholder_involvement",
        "mission_washing",
    }


def test_a_mission_with_structure_lists_the_structural_criteria() -> None:
    criteria = check(make_mission()).to_dict()["criteria"]
    assert criteria["intervention_logic"] == "pass"
    assert criteria["governance"] == "pass"


def test_a_mission_with_measures_but_no_logic_gets_one_info_suggesting_it() -> None:
    report = check(make_mission(logic=None, measures=[]))
    logic = [f for f in report.findings if f.criterion == Criterion.LOGIC]
    assert [(f.severity, f.message) for f in logic] == [
        (Severity.INFO, "The mission declares no theory of change.")
    ]
    assert report.to_dict()["criteria"]["intervention_logic"] == "not_assessed"


def test_a_mission_with_a_logic_but_no_governance_has_governance_not_assessed() -> None:
    assert check(make_mission(governance=[])).to_dict()["criteria"]["governance"] == "not_assessed"


# Pathways


def test_an_objective_no_outcome_leads_to_and_no_measure_names_has_no_pathway() -> None:
    mission = make_mission(objectives=[objective("routes"), objective("quays"), objective("jobs")])
    found = finding(check(mission), "1 objective(s) have no pathway")
    assert found.severity == Severity.WARNING
    assert found.criterion == Criterion.LOGIC
    assert found.evidence == "no outcome leads to and no measure names: jobs"


def test_a_measure_naming_an_objective_is_a_pathway() -> None:
    logic = {"outcomes": [{"id": "fleet", "title": "Electric ferries", "leads_to": ["routes"]}]}
    report = check(make_mission(logic=logic))  # quays: only the 'grants' measure names it
    assert not any("no pathway" in m for m in findings(report, Criterion.LOGIC))


QUAY_GRANTS_ONLY = [{"id": "grants", "title": "Quay grants", "kind": "subsidy", "objectives": ["quays"]}]
HOLLOW = "1 objective(s) are reached only through outcomes nothing works towards"


def test_an_objective_reached_only_through_outcomes_nothing_works_towards_is_flagged() -> None:
    portfolio = PortfolioProfile(projects=0, linked_by_goal={}, rule="accepted links")
    found = finding(check(make_mission(measures=QUAY_GRANTS_ONLY), portfolio), HOLLOW)
    assert found.severity == Severity.WARNING and found.criterion == Criterion.LOGIC
    assert found.evidence.startswith("objectives: routes; ")
    assert "grid, fleet" in found.evidence  # the outcomes on its pathways, none supported
    assert "(accepted links)" in found.evidence


def test_a_project_linked_to_an_upstream_outcome_supports_the_pathway() -> None:
    portfolio = PortfolioProfile(projects=3, linked_by_goal={"grid": 3})
    report = check(make_mission(measures=QUAY_GRANTS_ONLY), portfolio)
    assert not any(m.startswith(HOLLOW[2:]) for m in findings(report, Criterion.LOGIC))


def test_without_the_portfolios_links_no_pathway_is_judged_hollow() -> None:
    for portfolio in (None, PortfolioProfile(projects=0)):
        report = check(make_mission(measures=QUAY_GRANTS_ONLY), portfolio)
        assert not any("nothing works towards" in m for m in findings(report, Criterion.LOGIC))


def test_without_a_logic_no_objective_lacks_a_pathway() -> None:
    measures = [{"id": "grants", "title": "Quay grants", "kind": "subsidy", "objectives": ["quays"]}]
    report = check(make_mission(logic=None, measures=measures))
    assert not any("no pathway" in f.message for f in report.findings)


# Assumptions


def test_untested_assumptions_are_named_in_one_info() -> None:
    logic = {
        "outcomes": [
            {"id": "grid", "title": "Grid", "leads_to": ["quays", "fleet"]},
            {"id": "fleet", "title": "Fleet", "leads_to": ["routes"]},
        ],
        "assumptions": [
            {"id": "a1", "text": "One", "about": ["grid"]},
            {"id": "a2", "text": "Two", "about": ["fleet"], "status": "untested"},
            {"id": "a3", "text": "Three", "about": ["fleet"], "status": "holding"},
        ],
    }
    found = finding(check(make_mission(logic=logic)), "2 assumption(s) have never been tested")
    assert found.severity == Severity.INFO
    assert found.evidence == "untested: a1, a2"


def test_a_failing_assumption_names_what_depends_on_it_downstream() -> None:
    logic = {
        "outcomes": [
            {"id": "grid", "title": "Grid", "leads_to": ["quays", "fleet"]},
            {"id": "fleet", "title": "Fleet", "leads_to": ["routes"]},
        ],
        "assumptions": [
            {
                "id": "grid-fast",
                "text": "Grid connections come fast",
                "about": ["grid"],
                "status": "failing",
                "evidence": "Queues of five years",
            },
        ],
    }
    found = finding(check(make_mission(logic=logic)), "Assumption 'grid-fast' is failing")
    assert found.severity == Severity.WARNING
    assert found.message == "Assumption 'grid-fast' is failing: Grid connections come fast"
    assert found.evidence == (
        "what depends on it: outcomes: grid, fleet; objectives: routes, quays; evidence: Queues of five years"
    )


def test_a_failing_assumption_about_an_objective_names_that_objective() -> None:
    logic = {
        "outcomes": [{"id": "fleet", "title": "Fleet", "leads_to": ["routes", "quays"]}],
        "assumptions": [{"id": "a", "text": "Quays get built", "about": ["quays"], "status": "failing"}],
    }
    found = finding(check(make_mission(logic=logic)), "Assumption 'a' is failing")
    assert found.evidence == "what depends on it: objectives: quays"


def test_holding_assumptions_raise_nothing() -> None:
    report = check(make_mission())
    assert not any("assumption" in m.lower() for m in findings(report, Criterion.LOGIC))


# Owners


def test_an_objective_no_owner_or_co_owner_covers_has_no_owner() -> None:
    governance = [
        {"body": "County councils", "level": "regional", "role": "owner", "objectives": ["routes"]},
        {"body": "Ministry of Transport", "level": "national", "role": "co-owner", "objectives": ["routes"]},
        {"body": "Enova", "level": "national", "role": "funder", "objectives": ["quays"]},
    ]
    found = finding(check(make_mission(governance=governance)), "1 objective(s) have no owner")
    assert found.severity == Severity.WARNING
    assert found.criterion == Criterion.GOVERNANCE
    assert found.evidence == "no owner or co-owner in the governance covers: quays"


def test_an_owner_without_objectives_owns_every_objective() -> None:
    assert not any("no owner" in m for m in findings(check(make_mission()), Criterion.GOVERNANCE))


@pytest.mark.parametrize(
    ("governance", "alone"),
    [
        ([{"body": "Ministry of Transport", "role": "owner"}], True),
        (
            [
                {"body": "Ministry of Transport", "role": "owner"},
                {"body": "ministry of transport", "role": "co-owner", "objectives": ["routes"]},
                {"body": "Enova", "role": "funder"},
            ],
            True,
        ),
        (
            [
                {"body": "Ministry of Transport", "role": "owner"},
                {"body": "Ministry of Climate", "role": "co-owner"},
            ],
            False,
        ),
        ([{"body": "Enova", "role": "funder"}], False),  # no owner at all: objectives without an owner
    ],
)
def test_a_mission_owned_by_one_body_alone_is_flagged(governance: list[dict[str, Any]], alone: bool) -> None:
    messages = findings(check(make_mission(governance=governance)), Criterion.GOVERNANCE)
    assert ("The mission is owned by one body alone." in messages) is alone


def test_the_single_owner_finding_names_the_owner_and_the_others() -> None:
    governance = [
        {"body": "Ministry of Enterprise", "level": "national", "role": "owner"},
        {"body": "Innovation agency", "level": "national", "role": "funder"},
    ]
    found = finding(check(make_mission(governance=governance)), "The mission is owned by one body alone")
    assert (
        found.evidence
        == "owner: Ministry of Enterprise (national); others only contribute or fund: Innovation agency"
    )


# The mix of measures


@pytest.mark.parametrize(
    ("kinds", "flagged"),
    [
        (["subsidy", "information"], True),
        (["tax_incentive", "infrastructure", "other"], True),
        (["subsidy", "regulation"], False),
        (["subsidy", "public_procurement"], False),
        (["standard"], False),
    ],
)
def test_a_mix_with_no_demand_side_or_regulatory_measure_is_flagged(kinds: list[str], flagged: bool) -> None:
    measures = [
        {"id": f"m{i}", "title": kind, "kind": kind, "objectives": ["quays"]} for i, kind in enumerate(kinds)
    ]
    messages = findings(check(make_mission(measures=measures)), Criterion.CROSS_SECTORAL)
    assert ("No measure acts on demand or regulation." in messages) is flagged


def test_the_mix_finding_says_what_is_there() -> None:
    measures = [
        {"id": "a", "title": "A", "kind": "subsidy"},
        {"id": "b", "title": "B", "kind": "subsidy"},
        {"id": "c", "title": "C", "kind": "information"},
    ]
    found = finding(check(make_mission(measures=measures)), "No measure acts on demand or regulation")
    assert found.severity == Severity.WARNING
    assert (
        found.evidence
        == "measures: 1 information, 2 subsidy (none of regulation, public_procurement, standard)"
    )


def test_a_mission_with_no_measures_gets_no_mix_finding() -> None:
    report = check(make_mission(measures=[]))
    assert "No measure acts on demand or regulation." not in findings(report, Criterion.CROSS_SECTORAL)


# Social sciences and humanities where behaviour must change

SSH = "The mission needs behaviour change but shows no social sciences or humanities."


def behaviour_change_mission(**changes: Any) -> Mission:
    return make_mission(
        objectives=[objective("routes", behaviour_change=True), objective("quays")], **changes
    )


def test_behaviour_change_without_ssh_is_flagged_with_what_declared_it() -> None:
    found = finding(check(behaviour_change_mission()), SSH)
    assert found.severity == Severity.WARNING
    assert found.criterion == Criterion.CROSS_SECTORAL
    assert found.evidence == (
        "behaviour change declared by objective 'routes'; no stakeholder has a discipline recorded; "
        "no discipline recorded for linked projects"
    )


@pytest.mark.parametrize(
    "declaration",
    [
        {"tags": ["Behaviour-change"]},
        {"tags": ["behavior change"]},
        {
            "logic": {
                "outcomes": [
                    {
                        "id": "fleet",
                        "title": "Fleet",
                        "leads_to": ["routes", "quays"],
                        "behaviour_change": True,
                    }
                ]
            }
        },
    ],
)
def test_behaviour_change_is_declared_by_a_tag_or_an_outcome(declaration: dict[str, Any]) -> None:
    assert SSH in findings(check(make_mission(**declaration)), Criterion.CROSS_SECTORAL)


def test_an_ssh_stakeholder_answers_the_need() -> None:
    stakeholders = [
        {"name": "Counties", "helix": "government"},
        {"name": "Behavioural insights team", "helix": "research", "discipline": "5.1 Psychology"},
        {"name": "Yards", "helix": "industry"},
    ]
    assert SSH not in findings(
        check(behaviour_change_mission(stakeholders=stakeholders)), Criterion.CROSS_SECTORAL
    )


def test_ssh_projects_in_the_portfolio_answer_the_need() -> None:
    portfolio = PortfolioProfile(
        projects=3, disciplines={"2.2 Electrical engineering": 2, "5.4 Sociology": 1}
    )
    assert SSH not in findings(check(behaviour_change_mission(), portfolio), Criterion.CROSS_SECTORAL)


def test_the_ssh_finding_lists_the_disciplines_it_found() -> None:
    portfolio = PortfolioProfile(projects=2, disciplines={"2.2 Electrical engineering": 2})
    stakeholders = [{"name": "Institutes", "helix": "research", "discipline": "2.1 Civil engineering"}]
    found = finding(check(behaviour_change_mission(stakeholders=stakeholders), portfolio), SSH)
    assert found.evidence.endswith(
        "stakeholders' disciplines: 2.1 Civil engineering; linked projects' disciplines: 2.2 Electrical engineering"
    )


def test_a_mission_that_declares_no_behaviour_change_gets_no_ssh_finding() -> None:
    assert SSH not in findings(check(make_mission()), Criterion.CROSS_SECTORAL)


# The score


def test_structural_warnings_cost_what_other_warnings_cost() -> None:
    sound = check(make_mission())
    mission = make_mission(governance=[{"body": "Ministry of Transport", "role": "owner"}])
    assert check(mission).score == sound.score - 10


def test_every_demo_mission_declares_its_structure() -> None:
    from missionboard.missionfile import read_mission
    from missionboard.services.demo.build import mission_files

    for path in mission_files():
        mission = read_mission(path)
        assert mission.governance and mission.measures and mission.logic, path.name


def test_the_demo_shows_each_kind_of_structural_finding() -> None:
    from missionboard.missionfile import read_mission
    from missionboard.services.demo.build import mission_files

    messages = [f.message for path in mission_files() for f in check(read_mission(path)).findings]
    for expected in (
        "objective(s) have no pathway",
        "objective(s) have no owner",
        "The mission is owned by one body alone.",
        "No measure acts on demand or regulation.",
        "have never been tested",
        "is failing",
        SSH,
    ):
        assert any(expected in m for m in messages), expected
