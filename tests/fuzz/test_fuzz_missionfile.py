"""Mission YAML, random and hostile: a Mission or an InputError naming the file (and the line where
YAML has one), never another exception, and never a YAML bomb going off."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fuzz_support import encoded, fuzz, mutated, nasty_text, parsed_or_refused
from hypothesis import given
from hypothesis import strategies as st

from missionboard.errors import InputError
from missionboard.missionfile import dump_mission, parse_mission, read_mission

VALID = """\
mission:
  id: school-meals
  title: Sustainable school meals
  challenge: Public meals that harm health and climate
  statement: By 2030 every public school meal is healthy, sustainable and enjoyed by pupils.
  owner: National innovation agency
  start: 2022-01-01
  deadline: 2030-12-31
  objectives:
    - id: organic-share
      title: Raise the organic share of food in public meals
      indicator: {id: organic_share, name: Share of organic food, unit: "%"}
      baseline: {value: 38, year: 2020}
      target: {value: 60, year: 2030}
      direction: increase
      weight: 2
      keywords: [organic food, public procurement of food]
      queries: ['organic AND (meal* OR food)']
  stakeholders:
    - {name: Schools, helix: government, level: local}
  tags: [food]
"""
FIELDS = ["id", "title", "challenge", "statement", "owner", "start", "deadline", "status", "public", "objectives",
          "stakeholders", "weight", "year", "value", "direction", "helix", "tags", "indicator", "baseline"]  # fmt: skip

HOSTILE_SCALARS = [
    "99999-99-99", "2024-13-45", "2024-02-30", "1" * 5000, "0x" + "f" * 5000, "1e400", ".nan", "!!binary AAAA",
    "!!python/object:os.system", "*undefined", "&a", "!!timestamp 2024-99-99", "? [a]", "!!set {a}",
    "2001-12-14t21:59:43.10-05:00",
]  # fmt: skip
yaml_scalars = st.one_of(
    nasty_text(),
    st.sampled_from(HOSTILE_SCALARS),
    st.integers(-(10**30), 10**30).map(str),
    st.floats().map(repr),
)


@st.composite
def mission_yaml(draw: st.DrawFn) -> str:
    """The valid sample with one to three field values replaced by hostile scalars."""
    lines = VALID.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.integers(0, len(lines) - 1))
        indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
        lines[index] = f"{indent}{draw(st.sampled_from(FIELDS))}: {draw(yaml_scalars)}"
    return "\n".join(lines) + "\n"


def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    return "\n".join(lines) + f"\nmission:\n  id: x\n  title: *a{levels}\n"


HOSTILE = {
    "billion laughs": billion_laughs(),
    "billion laughs in the body": "mission: &m\n  id: x\n  tags: &t [a, a, a, a, a, a, a, a, a, a]\n"
    + "".join(f"  k{i}: &t{i} [{', '.join(['*t' if i == 0 else f'*t{i - 1}'] * 10)}]\n" for i in range(8)),
    "merge key bomb": "m0: &m0 {"
    + ", ".join(f"k{i}: v" for i in range(10))
    + "}\n"
    + "".join(f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 10)}]}}\n" for i in range(1, 8))
    + "mission: *m7\n",
    "recursive alias": "mission: &m\n  id: x\n  title: t\n  self: *m\n",
    "recursive list": "mission:\n  id: x\n  tags: &t [a, *t]\n",
    "deep flow nesting": "mission: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep block nesting": "mission:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 400)),
    "NUL byte": "mission:\n  id: x\x00\n",
    "C1 control": "mission:\n  id: x\x85y\x9f\n",
    "impossible date": VALID.replace("2022-01-01", "2024-13-45"),
    "date of year 99999": VALID.replace("2022-01-01", "99999-99-99"),
    "February 30": VALID.replace("2022-01-01", "2023-02-30"),
    "huge integer": VALID.replace("value: 38", "value: " + "9" * 5000),
    "huge hex integer": VALID.replace("value: 38", "value: 0x" + "f" * 5000),
    "huge year": VALID.replace("year: 2020", "year: " + "9" * 30),
    "infinite value": VALID.replace("value: 38", "value: .inf"),
    "not a number": VALID.replace("weight: 2", "weight: .nan"),
    "baseline not a number": VALID.replace("value: 38", "value: .nan"),
    "infinite weight": VALID.replace("weight: 2", "weight: .inf"),
    "unhashable key": "mission:\n  ? [a, b]\n  : c\n",
    "python tag": "mission: !!python/object/apply:os.system ['echo hi']\n",
    "binary": "mission: !!binary AAAA\n",
    "set": "mission: !!set {a, b}\n",
    "two documents": VALID + "---\n" + VALID,
    "tab indentation": "mission:\n\tid: x\n",
    "key that is a date": "mission:\n  2024-01-01: x\n",
    "null key": "mission:\n  ~: x\n",
    "long line": "mission:\n  id: " + "x" * 2_000_000 + "\n",
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_mission_yaml_is_refused_precisely_and_quickly(text: str) -> None:
    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        parse_mission(text, "m.yaml")
    assert time.monotonic() - started < 5
    for problem in caught.value.problems:
        assert problem.file == "m.yaml"
        assert len(problem.message) < 2000


@pytest.mark.parametrize(
    ("case", "line", "message"),
    [
        ("billion laughs", 6, "not valid YAML: aliases expand to more than 100,000 values (a YAML bomb?)"),
        ("recursive list", 3, "not valid YAML: an alias refers to a node that contains it"),
        ("deep block nesting", 65, "not valid YAML: nested more than 64 levels deep"),
        ("NUL byte", 2, "not valid YAML: the character #x0000 is not allowed (a control character?)"),
        (
            "February 30",
            7,
            "not valid YAML: cannot read the value '2023-02-30': day is out of range for month",
        ),
        ("baseline not a number", 13, "Input should be a finite number (got nan)"),
        ("infinite weight", 16, "Input should be a finite number (got inf)"),
        ("huge hex integer", 13, "Input should be a valid number (got a number of 6,000 digits or more)"),
    ],
)
def test_hostile_yaml_gets_a_line_and_a_reason(case: str, line: int, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_mission(HOSTILE[case], "m.yaml")
    problem = caught.value.problems[0]
    assert (problem.line, problem.message) == (line, message)


def test_an_impossible_date_is_located_on_its_line() -> None:
    with pytest.raises(InputError) as caught:
        parse_mission(VALID.replace("2022-01-01", "2024-13-45"), "m.yaml")
    assert caught.value.problems[0].line == 7


def test_anchors_within_reason_are_still_read() -> None:
    text = VALID.replace("tags: [food]", "tags: &t [food]\n  programmes: *t")
    assert parse_mission(text).programmes == ["food"]


@fuzz(150)
@given(text=mission_yaml())
def test_a_mission_with_hostile_values_is_read_or_refused_naming_file_line_and_field(text: str) -> None:
    mission = parsed_or_refused(lambda: parse_mission(text, "m.yaml"), file="m.yaml")
    if mission is not None:
        assert parse_mission(dump_mission(mission)) == mission


@fuzz(150)
@given(data=mutated(VALID.encode()) | encoded(nasty_text(200)) | st.binary(max_size=300))
def test_mutated_and_random_bytes_are_read_or_refused(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.getbasetemp() / "fuzz-mission.yaml"
    path.write_bytes(data)
    parsed_or_refused(lambda: read_mission(path), file=str(path))


@fuzz(60)
@given(value=st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | nasty_text(10),
                          lambda inner: st.lists(inner, max_size=4) | st.dictionaries(nasty_text(8), inner, max_size=4),
                          max_leaves=20),
       field=st.sampled_from(FIELDS))  # fmt: skip
def test_any_json_value_in_any_field_is_read_or_refused(value: object, field: str) -> None:
    import json

    text = VALID.replace("  owner: National innovation agency", f"  {field}: {json.dumps(value)}")
    parsed_or_refused(lambda: parse_mission(text, "m.yaml"), file="m.yaml")


def test_a_folder_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    for path in (tmp_path, tmp_path / "absent.yaml"):
        with pytest.raises(InputError):
            read_mission(path)
