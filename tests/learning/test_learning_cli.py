"""``missionboard learn``: writing notes, listing and searching them, closing and comparing rounds; an
unknown mission, objective or project is one line and exit 2."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from learning_support import seed_mission

from missionboard.store.workspace import Workspace

Cli = Callable[..., Any]


@pytest.fixture
def learn(cli: Any) -> Cli:
    assert cli("init").exit_code == 0
    ws = Workspace.open(f"sqlite:///{cli.workspace}")
    seed_mission(ws)
    ws.close()
    return cli  # type: ignore[no-any-return]


def test_learn_add_writes_a_note_linked_to_an_objective_and_a_project(learn: Cli) -> None:
    added = learn(
        "learn", "add", "ocean", "--kind", "lesson", "--text", "Prizes reach new actors",
        "--objective", "litter", "--project", "test:P1", "--round", "2026-Q4", "--format", "json",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    note = json.loads(added.stdout)
    assert note["round"] == "2026-Q4"
    assert note["links"] == [
        {"kind": "objective", "target": "litter", "label": "litter"},
        {"kind": "project", "target": "1", "label": "test:P1"},
    ]


def test_learn_list_searches_and_filters_newest_first(learn: Cli) -> None:
    learn("learn", "add", "ocean", "--kind", "lesson", "--text", "Fishing gear returns")
    learn("learn", "add", "ocean", "--kind", "risk", "--text", "Fishing boats stay out")
    listed = learn("learn", "list", "ocean", "--search", "FISHING", "--format", "json")
    assert [n["text"] for n in json.loads(listed.stdout)] == [
        "Fishing boats stay out",
        "Fishing gear returns",
    ]
    risks = learn("learn", "list", "ocean", "--kind", "risk", "--format", "json")
    assert [n["text"] for n in json.loads(risks.stdout)] == ["Fishing boats stay out"]
    table = learn("learn", "list", "ocean", "--search", "gear")
    assert "Fishing gear returns" in table.stdout


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("learn", "add", "sky", "--kind", "lesson", "--text", "x"), "no mission 'sky'"),
        (("learn", "add", "ocean", "--kind", "lesson", "--text", "x", "--objective", "oceans"), "'oceans'"),
        (("learn", "add", "ocean", "--kind", "lesson", "--text", "x", "--project", "test:P9"), "'test:P9'"),
        (("learn", "list", "sky"), "no mission 'sky'"),
        (("learn", "round", "close", "sky", "Q1"), "no mission 'sky'"),
        (("learn", "round", "compare", "ocean", "Q1", "Q2"), "'Q1'"),
    ],
)
def test_an_unknown_mission_objective_project_or_round_is_one_line_and_exit_2(
    learn: Cli, args: tuple[str, ...], names: str
) -> None:
    result = learn(*args)
    assert result.exit_code == 2
    assert names in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_rounds_close_and_compare_as_json_and_markdown(learn: Cli) -> None:
    assert learn("learn", "round", "close", "ocean", "Q3").exit_code == 0
    learn("learn", "add", "ocean", "--kind", "pivot", "--text", "Deposit schemes", "--round", "Q4")
    assert learn("learn", "round", "close", "ocean", "Q4").exit_code == 0
    compared = json.loads(learn("learn", "round", "compare", "ocean", "Q3", "Q4", "--format", "json").stdout)
    assert compared["portfolio"]["projects_change"] == 0
    assert [o["objective"] for o in compared["objectives"]] == ["litter", "recycling"]
    assert [n["text"] for n in compared["notes_second"]] == ["Deposit schemes"]
    markdown = learn("learn", "round", "compare", "ocean", "Q3", "Q4", "--format", "md").stdout
    assert markdown.startswith("# Review rounds of ocean: Q3 → Q4")
    text = learn("learn", "round", "compare", "ocean", "Q3", "Q4").stdout
    assert "Halve beach litter" in text
