"""The mission YAML format: the documented minimum is accepted, errors point at file:line and field."""

from pathlib import Path

import pytest

from missionboard.errors import InputError
from missionboard.missionfile import dump_mission, mission_schema, parse_mission, read_mission

MINIMUM = """\
mission:
  id: school-meals
  title: Sustainable school meals
  challenge: Public meals that harm health and climate
  statement: By 2030 every public school meal is healthy, sustainable and enjoyed by pupils.
  owner: National innovation agency
  start: 2022-01-01
  deadline: 2030-12-31
  geography: SE
  objectives:
    - id: organic-share
      title: Raise the organic share of food in public meals
      indicator: {id: organic_share, name: Share of organic food in public meals, unit: "%"}
      baseline: {value: 38, year: 2020}
      target: {value: 60, year: 2030}
      direction: increase
      keywords: [organic food, public procurement of food]
"""


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_mission(text, "m.yaml")
    return [str(p) for p in caught.value.problems]


def test_the_documented_minimum_is_accepted() -> None:
    mission = parse_mission(MINIMUM)
    assert mission.id == "school-meals"
    assert mission.objectives[0].target and mission.objectives[0].target.value == 60


def test_export_then_import_gives_the_same_mission() -> None:
    mission = parse_mission(MINIMUM)
    assert parse_mission(dump_mission(mission)) == mission


def test_every_demo_mission_round_trips() -> None:
    from missionboard.services.demo.build import mission_files

    for path in mission_files():
        mission = read_mission(path)
        assert parse_mission(dump_mission(mission)) == mission


def test_a_wrong_value_is_reported_with_its_line_and_field_path() -> None:
    found = problems(MINIMUM.replace("target: {value: 60", "target: {value: sixty"))
    assert len(found) == 1
    assert found[0].startswith("m.yaml:15: mission.objectives[0].target.value:")
    assert "valid number" in found[0] and "'sixty'" in found[0]


def test_a_missing_field_is_reported_at_its_parent() -> None:
    found = problems(MINIMUM.replace("  owner: National innovation agency\n", ""))
    assert found == ["m.yaml:2: mission.owner: is required but missing"]


def test_a_misspelt_field_is_reported_as_not_part_of_the_format() -> None:
    found = problems(MINIMUM.replace("  geography: SE", "  geografy: SE"))
    assert found == ["m.yaml:9: mission.geografy: is not a field of the mission format (check the spelling)"]


def test_a_rule_violation_names_the_objective() -> None:
    found = problems(MINIMUM.replace("direction: increase", "direction: decrease"))
    assert found[0].startswith("m.yaml:11: mission.objectives[0]:")
    assert "direction is 'decrease'" in found[0]


def test_invalid_yaml_gives_the_line() -> None:
    found = problems("mission:\n  id: x\n  title: [unclosed\n")
    assert found[0].startswith("m.yaml:4:") and "not valid YAML" in found[0]


def test_empty_and_non_mapping_files_are_refused_clearly() -> None:
    assert problems("") == ["m.yaml: the file is empty; expected a 'mission:' mapping"]
    assert "expected a mapping" in problems("- a\n- b\n")[0]


def test_unreadable_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_mission(tmp_path / "missing.yaml")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("mission:\n  title: Sm\xf6rg\xe5s\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1.yaml:2: is not UTF-8"):
        read_mission(latin1)


def test_the_json_schema_is_generated_from_the_model() -> None:
    schema = mission_schema()
    assert schema["required"] == ["mission"]
    mission = schema["$defs"]["Mission"]
    assert {"id", "title", "challenge", "statement", "owner"} <= set(mission["required"])
    assert "objectives" in mission["properties"]


@pytest.mark.parametrize("key", ["title", "id"])
def test_a_key_given_twice_is_refused_with_both_lines_not_silently_overwritten(key: str) -> None:
    from missionboard.errors import InputError
    from missionboard.missionfile import parse_mission

    text = f"mission:\n  id: dup\n  title: One\n  statement: By 2030 x.\n  {key}: other\n"
    with pytest.raises(InputError, match=rf"dup.yaml:5: .*'{key}' appears twice \(first on line"):
        parse_mission(text, "dup.yaml")
