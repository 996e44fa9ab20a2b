"""The mission YAML's structure: governance, policy measures, the theory of change and regional targets.

Older files (without these keys) read and write exactly as before; in new files every reference must
name an objective or outcome of the mission, and problems point at the file, line and field.
"""

import json

import pytest

from missionboard.domain.missions import (
    AssumptionStatus,
    Direction,
    GovernanceRoleKind,
    Level,
    MeasureKind,
    Mission,
    is_ssh,
)
from missionboard.errors import InputError
from missionboard.missionfile import dump_mission, mission_document, mission_schema, parse_mission

OLD = """\
mission:
  id: ferries
  title: Zero-emission ferries
  challenge: Ferries burn diesel
  statement: By 2030 every ferry route sails with zero emissions.
  owner: Ministry of Transport
  start: 2021-01-01
  deadline: 2030-12-31
  objectives:
    - id: routes
      title: Shift ferry routes to zero-emission operation
      indicator: {id: ze_routes, name: Zero-emission routes, unit: "%"}
      baseline: {value: 12, year: 2020}
      target: {value: 100, year: 2030}
    - id: quays
      title: Equip quays with charging
"""

STRUCTURE = """\
  governance:
    - {body: Ministry of Transport, level: national, role: owner}
    - {body: County councils, level: regional, role: co-owner, objectives: [routes]}
    - {body: European Commission, level: eu, role: funder}
  measures:
    - id: ze-tenders
      title: Zero-emission requirement in ferry tenders
      kind: public_procurement
      owner: County councils
      level: regional
      status: in_force
      start: 2021-01-01
      end: 2029-12-31
      objectives: [fleet]
      budget: {amount: 450000000, currency: nok}
  logic:
    outcomes:
      - id: grid
        title: Quays get grid capacity
        leads_to: [quays, fleet]
      - id: fleet
        title: Electric ferries replace diesel ones
        leads_to: [routes]
        indicator: {id: ze_ferries, name: Zero-emission ferries, unit: vessels}
    assumptions:
      - id: grid-fast
        text: Grid operators connect quays within two years
        about: [grid]
        status: failing
        evidence: Queues of three to five years
      - id: hydrogen
        text: Hydrogen becomes affordable
        about: [fleet]
"""

NEW = OLD + STRUCTURE


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_mission(text, "m.yaml")
    return [str(p) for p in caught.value.problems]


# Loading


def test_a_mission_with_governance_measures_and_logic_loads() -> None:
    mission = parse_mission(NEW)
    assert [g.role for g in mission.governance] == [
        GovernanceRoleKind.OWNER,
        GovernanceRoleKind.CO_OWNER,
        GovernanceRoleKind.FUNDER,
    ]
    assert mission.governance[2].level == Level.EU
    assert mission.measures[0].kind == MeasureKind.PUBLIC_PROCUREMENT
    assert mission.measures[0].budget is not None and mission.measures[0].budget.currency == "NOK"
    assert [o.id for o in mission.outcomes] == ["grid", "fleet"]


def test_an_assumption_without_a_status_is_untested() -> None:
    assert parse_mission(NEW).assumptions[1].status == AssumptionStatus.UNTESTED


def test_a_mission_with_structure_round_trips_through_its_yaml() -> None:
    mission = parse_mission(NEW)
    assert parse_mission(dump_mission(mission)) == mission


def test_measure_dates_are_written_as_dates() -> None:
    assert "start: 2021-01-01" in dump_mission(parse_mission(NEW))


# Older files


def test_an_older_file_loads_with_no_structure() -> None:
    mission = parse_mission(OLD)
    assert (mission.governance, mission.measures, mission.logic) == ([], [], None)


def test_the_document_of_an_older_mission_has_no_new_keys() -> None:
    document = mission_document(parse_mission(OLD))
    assert set(document) == {
        "id",
        "title",
        "challenge",
        "statement",
        "owner",
        "start",
        "deadline",
        "status",
        "public",
        "objectives",
    }
    assert set(document["objectives"][0]) == {"id", "title", "indicator", "baseline", "target", "direction"}


def test_the_actors_levels_are_all_still_accepted() -> None:
    assert {lv.value for lv in Level} >= {"local", "regional", "national", "international"}


# Validation, with the field path


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("objectives: [fleet]", "objectives: [ferry]"),
            "m.yaml:30: mission.measures[0].objectives[0]: no objective or outcome 'ferry' in this mission",
        ),
        (
            ("leads_to: [routes]", "leads_to: [route]"),
            "m.yaml:39: mission.logic.outcomes[1].leads_to[0]: no objective or outcome 'route' in this mission",
        ),
        (
            ("about: [grid]", "about: [grids]"),
            "m.yaml:44: mission.logic.assumptions[0].about[0]: no objective or outcome 'grids' in this mission",
        ),
        (
            ("role: co-owner, objectives: [routes]", "role: co-owner, objectives: [fleet]"),
            "m.yaml:19: mission.governance[1].objectives[0]: no objective 'fleet' in this mission",
        ),
        (
            ("    - id: ze-tenders", "    - id: quays"),
            "m.yaml:22: mission.measures[0].id: id 'quays' is already used by an objective",
        ),
        (
            ("    - id: ze-tenders", "    - id: grid"),
            "m.yaml:22: mission.measures[0].id: id 'grid' is already used by an outcome",
        ),
        (
            ("      - id: hydrogen", "      - id: grid-fast"),
            "m.yaml:47: mission.logic.assumptions[1].id: assumption id 'grid-fast' is used twice",
        ),
        (
            ("end: 2029-12-31", "end: 2020-12-31"),
            "m.yaml:29: mission.measures[0].end: end 2020-12-31 must come after start 2021-01-01",
        ),
    ],
)
def test_a_broken_reference_is_reported_at_its_field(change: tuple[str, str], expected: str) -> None:
    assert problems(NEW.replace(*change)) == [expected]


def test_a_cycle_in_the_logic_names_the_outcomes_that_form_it() -> None:
    found = problems(NEW.replace("leads_to: [routes]", "leads_to: [grid, routes]"))
    assert found == [
        "m.yaml:36: mission.logic.outcomes[0].leads_to: outcomes lead to each other in a circle: "
        "grid → fleet → grid"
    ]


def test_an_outcome_leading_to_itself_is_a_cycle() -> None:
    found = problems(NEW.replace("leads_to: [routes]", "leads_to: [fleet]"))
    assert found == [
        "m.yaml:39: mission.logic.outcomes[1].leads_to: outcomes lead to each other in a circle: fleet → fleet"
    ]


def test_every_broken_reference_is_reported_at_once() -> None:
    text = NEW.replace("objectives: [fleet]", "objectives: [a]").replace("about: [grid]", "about: [b]")
    assert len(problems(text)) == 2


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            "{body: Ministry of Transport, level: national, role: sponsor}",
            "m.yaml:18: mission.governance[0].role: Input should be 'owner', 'co-owner', 'contributor' or 'funder' "
            "(got 'sponsor')",
        ),
        (
            "{body: Ministry of Transport, level: federal, role: owner}",
            "m.yaml:18: mission.governance[0].level: Input should be 'local', 'regional', 'national', 'eu' or "
            "'international' (got 'federal')",
        ),
    ],
)
def test_a_governance_entry_takes_the_documented_roles_and_levels(entry: str, expected: str) -> None:
    found = problems(NEW.replace("{body: Ministry of Transport, level: national, role: owner}", entry))
    assert found == [expected]


def test_a_measure_of_an_unknown_kind_is_refused() -> None:
    found = problems(NEW.replace("kind: public_procurement", "kind: nudge"))
    assert found[0].startswith("m.yaml:24: mission.measures[0].kind: Input should be 'regulation'")


# Regional targets

REGIONAL = OLD.replace(
    "      target: {value: 100, year: 2030}\n",
    "      target: {value: 100, year: 2030}\n"
    "      regional_targets:\n"
    "        - {region: Vestland, baseline: {value: 20, year: 2020}, target: {value: 100, year: 2030}}\n"
    "        - {region: Nordland, target: {value: 90, year: 2028}}\n",
)


def test_regional_targets_load_with_and_without_a_baseline() -> None:
    objective = parse_mission(REGIONAL).objectives[0]
    assert [r.region for r in objective.regional_targets] == ["Vestland", "Nordland"]
    assert objective.regional_targets[1].baseline is None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            (
                "baseline: {value: 20, year: 2020}, target: {value: 100, year: 2030}",
                "baseline: {value: 20, year: 2020}, target: {value: 10, year: 2030}",
            ),
            "m.yaml:16: mission.objectives[0].regional_targets[0]: direction is 'increase' but the target (10) "
            "is below the baseline (20) (region 'Vestland')",
        ),
        (
            (
                "baseline: {value: 20, year: 2020}, target: {value: 100, year: 2030}",
                "baseline: {value: 20, year: 2020}, target: {value: 100, year: 2019}",
            ),
            "m.yaml:16: mission.objectives[0].regional_targets[0]: target year 2019 must come after baseline "
            "year 2020 (region 'Vestland')",
        ),
        (
            ("{region: Nordland,", "{region: Vestland,"),
            "m.yaml:17: mission.objectives[0].regional_targets[1].region: region 'Vestland' has two targets",
        ),
        (  # monitoring matches a region's observations ignoring case: one region, two targets
            ("{region: Nordland,", "{region: vestland,"),
            "m.yaml:17: mission.objectives[0].regional_targets[1].region: region 'vestland' has two targets",
        ),
    ],
)
def test_a_regional_target_is_held_to_the_objectives_rules(change: tuple[str, str], expected: str) -> None:
    assert problems(REGIONAL.replace(*change)) == [expected]


def test_a_regional_target_follows_the_objectives_inferred_direction() -> None:
    assert parse_mission(REGIONAL).objectives[0].direction == Direction.INCREASE


# What links and analysis build on


def test_pathway_targets_are_the_objectives_then_the_outcomes() -> None:
    assert parse_mission(NEW).pathway_targets() == ["routes", "quays", "grid", "fleet"]


def test_owners_of_an_objective_include_owners_of_the_whole_mission() -> None:
    mission = parse_mission(NEW)
    assert [g.body for g in mission.owners_of("routes")] == ["Ministry of Transport", "County councils"]
    assert [g.body for g in mission.owners_of("quays")] == ["Ministry of Transport"]


def test_a_funder_owns_nothing() -> None:
    assert all(g.body != "European Commission" for g in parse_mission(NEW).owners_of("routes"))


def test_downstream_follows_leads_to_to_the_objectives() -> None:
    mission = parse_mission(NEW)
    assert mission.downstream(["grid"]) == ["quays", "fleet", "routes"]
    assert mission.objectives_served_by(["grid"]) == ["routes", "quays"]


def test_outcome_and_measure_are_found_by_id() -> None:
    mission = parse_mission(NEW)
    assert mission.outcome("fleet") is not None and mission.outcome("fleet").title.startswith("Electric")
    assert mission.outcome("routes") is None
    assert mission.measure("ze-tenders") is not None


def test_measures_and_outcomes_behind_a_target_are_listed() -> None:
    mission = parse_mission(NEW)
    assert [o.id for o in mission.leading_to("fleet")] == ["grid"]
    assert [m.id for m in mission.measures_for("fleet")] == ["ze-tenders"]


# The JSON Schema


def test_the_schema_describes_the_new_fields() -> None:
    schema = mission_schema()
    properties = schema["$defs"]["Mission"]["properties"]
    assert {"governance", "measures", "logic"} <= set(properties)
    assert "regional_targets" in schema["$defs"]["Objective"]["properties"]
    assert "eu" in json.dumps(schema["$defs"]["Level"])


@pytest.mark.parametrize(
    ("discipline", "ssh"),
    [
        ("5.4 Sociology", True),
        ("6", True),
        ("Psychology", True),
        ("Economics and business", True),
        ("Languages and literature", True),
        ("2.1 Civil engineering", False),
        ("Information and communication technology", False),
        ("Programming languages", False),
        ("4.1 Agriculture, forestry and fisheries", False),
    ],
)
def test_social_sciences_and_humanities_are_recognised_by_code_or_name(discipline: str, ssh: bool) -> None:
    assert is_ssh(discipline) is ssh


def test_a_mission_can_be_built_in_code_without_structure() -> None:
    mission = Mission.model_validate(
        {"id": "m", "title": "T", "challenge": "C", "statement": "S", "owner": "O"}
    )
    assert mission.pathway_targets() == []
