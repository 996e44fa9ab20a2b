"""Mission YAML is read with YAML 1.2 scalars: country codes such as NO stay text."""

import datetime as dt
from pathlib import Path

import pytest

from missionboard.errors import InputError
from missionboard.ingest import safeyaml
from missionboard.missionfile import parse_mission, read_mission

MISSION = """\
mission:
  id: ferries
  title: Zero-emission ferries
  challenge: Diesel ferries
  statement: By 2030 every ferry route sails with zero emissions.
  owner: Ministry
  geography: {geography}
  objectives:
    - id: routes
      title: Routes
"""


@pytest.mark.parametrize("code", ["NO", "no", "No", "Y", "N", "YES", "ON", "OFF", "y", "n"])
def test_an_unquoted_country_code_that_yaml_1_1_reads_as_a_boolean_stays_text(code: str) -> None:
    assert parse_mission(MISSION.format(geography=code)).geography == code


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("False", False),
        ("TRUE", True),
        ("010", 10),
        ("0o17", 15),
        ("0x1F", 31),
        ("1:30", "1:30"),
        ("1e3", 1000.0),
        ("-2.5", -2.5),
        ("1_000", "1_000"),
        ("~", None),
        ("2030-12-31", dt.date(2030, 12, 31)),
    ],
)
def test_scalars_are_read_as_yaml_1_2_core_schema_reads_them(text: str, value: object) -> None:
    assert safeyaml.load(f"v: {text}\n", "t.yaml")[1] == {"v": value}


def test_a_boolean_where_text_is_expected_is_still_refused_with_its_line() -> None:
    with pytest.raises(InputError) as error:
        parse_mission(MISSION.format(geography="true"))
    assert error.value.problems[0].line == 7
    assert error.value.problems[0].field == "mission.geography"


def test_a_mission_file_with_geography_no_unquoted_is_norway(tmp_path: Path) -> None:
    path = tmp_path / "ferries.yaml"
    path.write_text(MISSION.format(geography="NO"), encoding="utf-8")
    assert read_mission(path).geography == "NO"
