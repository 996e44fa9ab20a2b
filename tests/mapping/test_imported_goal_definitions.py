"""A taxonomy imported into the workspace keeps its goals' definitions: `taxonomy import` stores them,
`review` shows them (as text, and in `--format json` under each link's `definition`), and
`taxonomy show --format json` gives them back in a form that imports again. A file with a malformed
definition is refused whole, naming the file, the line and the field, and the workspace keeps what it
had (issue 17, item 5)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from missionboard.domain.mapping import GoalDefinition, HardNegative
from missionboard.mapping.taxonomy import builtin
from missionboard.services import mapping as mapping_service
from missionboard.store.tables import AuditEventRow, LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

INFRA = GoalDefinition(
    counts=["Building and upgrading cycle lanes and bicycle parking"],
    does_not_count=["Bicycle racing as a sport"],
    hard_negatives=[
        HardNegative(text="A velodrome for the national track cycling team.", belongs_to="sport"),
        HardNegative(text="Helmet law enforcement by the traffic police."),
    ],
)

YAML = """code: cycling
title: Cycling
goals:
- code: infra
  title: Cycling infrastructure
  queries: ['"cycle lane*"']
  definition:
    counts:
    - Building and upgrading cycle lanes and bicycle parking
    does_not_count:
    - Bicycle racing as a sport
    hard_negatives:
    - text: A velodrome for the national track cycling team.
      belongs_to: sport
    - Helmet law enforcement by the traffic police.
- code: sport
  title: Cycling as a sport
"""

JSON = """{
  "code": "cycling",
  "title": "Cycling",
  "goals": [
    {
      "code": "infra",
      "title": "Cycling infrastructure",
      "queries": ["\\"cycle lane*\\""],
      "definition": {
        "counts": ["Building and upgrading cycle lanes and bicycle parking"],
        "does_not_count": ["Bicycle racing as a sport"],
        "hard_negatives": [
          {"text": "A velodrome for the national track cycling team.", "belongs_to": "sport"},
          "Helmet law enforcement by the traffic police."
        ]
      }
    },
    {"code": "sport", "title": "Cycling as a sport"}
  ]
}
"""

FORMATS = [pytest.param("cycling.yaml", YAML, id="yaml"), pytest.param("cycling.json", JSON, id="json")]


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _goals(cli: Any, code: str = "cycling") -> dict[str, dict[str, Any]]:
    result = cli("taxonomy", "show", code, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return {goal["code"]: goal for goal in json.loads(result.stdout)["goals"]}


@pytest.fixture
def workspace(tmp_path: Path) -> Any:
    ws = Workspace.open(f"sqlite:///{tmp_path / 'ws.db'}", create=True)
    yield ws
    ws.close()


# --- import and storage -----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "text"), FORMATS)
def test_an_imported_taxonomy_keeps_its_goals_definitions(
    workspace: Workspace, tmp_path: Path, name: str, text: str
) -> None:
    mapping_service.import_taxonomy(workspace, _file(tmp_path, name, text), user="ana")
    goals = {g.code: g for g in mapping_service.show_taxonomy("cycling", workspace).goals}
    assert goals["infra"].definition == INFRA
    assert goals["sport"].definition is None  # a definition stays optional


@pytest.mark.parametrize(("name", "text"), FORMATS)
def test_taxonomy_import_says_how_many_goals_carry_a_definition(
    cli: Any, tmp_path: Path, name: str, text: str
) -> None:
    result = cli("taxonomy", "import", str(_file(tmp_path, name, text)))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "imported taxonomy 'cycling' (2 goals, 1 with a definition)"


def test_the_import_is_audited_with_its_number_of_definitions(workspace: Workspace, tmp_path: Path) -> None:
    mapping_service.import_taxonomy(workspace, _file(tmp_path, "cycling.yaml", YAML), user="ana")
    with workspace.reading() as session:
        after = session.scalars(
            select(AuditEventRow.after).where(AuditEventRow.action == "taxonomy.import")
        ).one()
    assert after is not None and after["definitions"] == 1


def test_replacing_a_taxonomy_replaces_its_definitions(workspace: Workspace, tmp_path: Path) -> None:
    mapping_service.import_taxonomy(workspace, _file(tmp_path, "cycling.yaml", YAML), user="ana")
    bare = YAML.split("  definition:")[0] + "- code: sport\n  title: Cycling as a sport\n"
    result = mapping_service.import_taxonomy(workspace, _file(tmp_path, "bare.yaml", bare), user="ana")
    assert result.replaced
    assert result.definitions == 0
    goals = mapping_service.show_taxonomy("cycling", workspace).goals
    assert [g.definition for g in goals] == [None, None]


def test_taxonomy_show_json_gives_the_definition_back_in_a_form_that_imports_again(
    cli: Any, tmp_path: Path
) -> None:
    assert cli("taxonomy", "import", str(_file(tmp_path, "cycling.yaml", YAML))).exit_code == 0
    shown = cli("taxonomy", "show", "cycling", "--format", "json").stdout
    assert json.loads(shown)["goals"][0]["definition"] == INFRA.model_dump(mode="json")
    other = tmp_path / "other.db"
    again = cli("taxonomy", "import", str(_file(tmp_path, "exported.json", shown)), workspace=other)
    assert again.exit_code == 0, again.stderr
    assert cli("taxonomy", "show", "cycling", "--format", "json", workspace=other).stdout == shown


# --- a malformed definition -------------------------------------------------------------------------

COUNTS = "    counts:\n    - Building and upgrading cycle lanes and bicycle parking\n"


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        pytest.param(
            "cycling.yaml",
            YAML.replace(COUNTS, "    counts: []\n"),
            ":8: goals.0.definition.counts: List should have at least 1 item",
            id="yaml-empty-counts",
        ),
        pytest.param(
            "cycling.yaml",
            YAML.replace("    - text: A velodrome", "    - txt: A velodrome"),
            ":13: goals.0.definition.hard_negatives.0.text: Field required",
            id="yaml-hard-negative-without-text",
        ),
        pytest.param(
            "cycling.yaml",
            YAML.replace("    does_not_count:", "    doesnt_count:"),
            ":11: goals.0.definition.doesnt_count: Extra inputs are not permitted",
            id="yaml-unknown-field",
        ),
        pytest.param(
            "cycling.json",
            JSON.replace('["Building and upgrading cycle lanes and bicycle parking"]', '"cycle lanes"'),
            ":10: goals.0.definition.counts: Input should be a valid list",
            id="json-counts-not-a-list",
        ),
    ],
)
def test_a_malformed_definition_is_refused_naming_file_line_and_field_and_changes_nothing(
    cli: Any, tmp_path: Path, name: str, text: str, where: str
) -> None:
    assert cli("taxonomy", "import", str(_file(tmp_path, "good.yaml", YAML))).exit_code == 0
    before = _goals(cli)
    broken = _file(tmp_path, name, text.replace("title: Cycling\n", "title: Cycling, revised\n"))
    result = cli("taxonomy", "import", str(broken))
    assert result.exit_code == 2
    assert f"error: {broken}{where}" in " ".join(result.stderr.split())
    assert _goals(cli) == before  # the stored taxonomy is the one imported before
    shown = json.loads(cli("taxonomy", "show", "cycling", "--format", "json").stdout)
    assert shown["title"] == "Cycling"


def test_a_malformed_definition_imports_no_taxonomy_into_a_new_workspace(cli: Any, tmp_path: Path) -> None:
    broken = _file(tmp_path, "cycling.yaml", YAML.replace(COUNTS, "    counts: []\n"))
    assert cli("taxonomy", "import", str(broken)).exit_code == 2
    listed = json.loads(cli("taxonomy", "list", "--format", "json").stdout)
    assert "cycling" not in {entry["code"] for entry in listed}


# --- review -----------------------------------------------------------------------------------------


def _propose(cli: Any, goals: list[str], taxonomy: str = "cycling") -> None:
    """One project with a proposed link of ``taxonomy`` to each of ``goals``."""
    workspace = Workspace.open(f"sqlite:///{cli.workspace}", create=True)
    with workspace.transaction() as session:
        project = ProjectRow(
            source="test",
            source_id="p1",
            title="New cycle lanes on the ring road",
            abstract="The city builds separated cycle lanes.",
            content_hash="p1",
        )
        session.add(project)
        session.flush()
        for goal in goals:
            session.add(
                LinkRow(
                    project_id=project.id,
                    taxonomy=taxonomy,
                    goal=goal,
                    score=0.6,
                    method="query",
                    evidence={"query_terms": ["cycle lanes"]},
                )
            )
    workspace.close()


def _review_json(cli: Any, tmp_path: Path) -> dict[str, dict[str, Any]]:
    assert cli("taxonomy", "import", str(_file(tmp_path, "cycling.yaml", YAML))).exit_code == 0
    _propose(cli, ["infra", "sport"])
    result = cli("review", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return {item["goal"]: item for item in json.loads(result.stdout)}


def test_review_json_gives_each_link_its_goals_definition(cli: Any, tmp_path: Path) -> None:
    items = _review_json(cli, tmp_path)
    assert items["infra"]["definition"] == {
        "counts": ["Building and upgrading cycle lanes and bicycle parking"],
        "does_not_count": ["Bicycle racing as a sport"],
        "hard_negatives": [
            {"text": "A velodrome for the national track cycling team.", "belongs_to": "sport"},
            {"text": "Helmet law enforcement by the traffic police.", "belongs_to": None},
        ],
    }


def test_review_json_has_a_null_definition_for_a_goal_without_one(cli: Any, tmp_path: Path) -> None:
    items = _review_json(cli, tmp_path)
    assert "definition" in items["sport"]
    assert items["sport"]["definition"] is None


def test_review_json_gives_a_built_in_goals_definition_too(cli: Any) -> None:
    _propose(cli, ["11"], taxonomy="sdg")
    [item] = json.loads(cli("review", "--format", "json").stdout)
    expected = {g.code: g for g in builtin("sdg").goals}["11"].definition
    assert expected is not None
    assert item["definition"] == expected.model_dump(mode="json")


def test_review_shows_an_imported_goals_definition(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("taxonomy", "import", str(_file(tmp_path, "cycling.yaml", YAML))).exit_code == 0
    _propose(cli, ["infra"])
    monkeypatch.setattr("sys.stdin", io.StringIO("q\n"))
    result = cli("--user", "ana", "review")
    assert result.exit_code == 0, result.stderr
    shown = " ".join(result.stdout.split())
    assert "what counts: + Building and upgrading cycle lanes and bicycle parking" in shown
    assert "what does not count: - Bicycle racing as a sport" in shown
    assert "✗ “A velodrome for the national track cycling team.” (belongs to sport)" in shown
    assert "✗ “Helmet law enforcement by the traffic police.”" in shown
