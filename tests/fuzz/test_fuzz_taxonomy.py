"""Taxonomy YAML, random and hostile: a Taxonomy or an InputError naming the file, field and line,
never another exception."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fuzz_support import encoded, fuzz, mutated, nasty_text, parsed_or_refused
from hypothesis import given
from hypothesis import strategies as st

from missionboard.errors import InputError
from missionboard.mapping.taxonomy import read_taxonomy_file, taxonomy_from_document

VALID = """\
code: energy
title: Energy transition
licence: CC-BY-4.0
goals:
  - code: 1
    title: Renewable power
    queries: ['(solar OR wind) AND power', 'offshore NEAR/3 wind']
    examples: [A wind farm]
  - code: 1.1
    parent: 1
    title: Offshore wind
  - code: hydrogen
    title: Green hydrogen
    description: Electrolysis
    queries: ['hydro* AND NOT fossil']
"""

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | nasty_text(12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(nasty_text(8), inner, max_size=4),
    max_leaves=25,
)
goal_like = st.fixed_dictionaries(
    {"code": json_values, "title": json_values},
    optional={"parent": json_values, "queries": st.lists(nasty_text(30), max_size=3) | json_values,
              "description": json_values, "examples": json_values, "extra": json_values},
)  # fmt: skip
documents = st.fixed_dictionaries(
    {"code": json_values | nasty_text(), "title": json_values | nasty_text()},
    optional={"goals": st.lists(goal_like, max_size=4) | json_values, "description": json_values},
)


def write(folder: Path, data: bytes) -> Path:
    path = folder / "fuzz-taxonomy.yaml"
    path.write_bytes(data)
    return path


def test_the_sample_is_valid(tmp_path: Path) -> None:
    taxonomy = read_taxonomy_file(write(tmp_path, VALID.encode()))
    assert [g.code for g in taxonomy.goals] == ["1", "1.1", "hydrogen"]


@fuzz(120)
@given(document=documents | json_values)
def test_any_document_is_a_taxonomy_or_refused_with_its_field(document: object) -> None:
    parsed_or_refused(lambda: taxonomy_from_document(document, "t.yaml"), file="t.yaml")


@fuzz(120)
@given(data=mutated(VALID.encode()) | encoded(nasty_text(200)) | st.binary(max_size=200))
def test_mutated_and_random_files_are_read_or_refused(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = write(tmp_path_factory.getbasetemp(), data)
    parsed_or_refused(lambda: read_taxonomy_file(path), file=str(path))


@pytest.mark.parametrize(
    ("change", "line", "field"),
    [
        (("title: Offshore wind", "title: ''"), 11, "goals.1.title"),
        (("'hydro* AND NOT fossil'", "'hydro* AND ('"), 15, "goals[2].queries[0]"),
        (("licence: CC-BY-4.0", "colour: blue"), 3, "colour"),
        (("parent: 1", "parent: 7"), None, ""),
        (("offshore NEAR/3 wind", "offshore NEAR/99999999 wind"), 7, "goals[0].queries[1]"),
        (("code: hydrogen", "code: *nowhere"), 12, ""),
        (("title: Green hydrogen", "title: \x07"), 13, ""),
    ],
)
def test_a_broken_taxonomy_names_line_and_field(
    tmp_path: Path, change: tuple[str, str], line: int | None, field: str
) -> None:
    path = write(tmp_path, VALID.replace(*change).encode())
    with pytest.raises(InputError) as caught:
        read_taxonomy_file(path)
    problem = caught.value.problems[0]
    assert (problem.file, problem.field) == (str(path), field)
    if line is not None:
        assert problem.line == line


def test_a_json_taxonomy_is_yaml_too(tmp_path: Path) -> None:
    document = {"code": "j", "title": "J", "goals": [{"code": "a", "title": "A", "queries": ["a OR b"]}]}
    assert read_taxonomy_file(write(tmp_path, json.dumps(document).encode())).goals[0].code == "a"


def test_a_yaml_bomb_taxonomy_is_refused(tmp_path: Path) -> None:
    lines = ["code: x", "title: y", 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 8)}]" for i in range(1, 9)]
    lines += ["goals: [{code: a, title: a, examples: *l8}]"]
    with pytest.raises(InputError) as caught:
        read_taxonomy_file(write(tmp_path, "\n".join(lines).encode()))
    assert "YAML bomb" in caught.value.problems[0].message


def test_thousands_of_duplicate_codes_give_one_short_message() -> None:
    goals = [{"code": f"g{i % 2000}", "title": "t"} for i in range(4000)]
    with pytest.raises(InputError) as caught:
        taxonomy_from_document({"code": "x", "title": "x", "goals": goals}, "t.yaml")
    message = caught.value.problems[0].message
    assert message.startswith("Value error, goal codes used more than once: g0, g1")
    assert len(message) <= 300
