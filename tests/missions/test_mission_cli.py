"""The mission commands end to end on a temporary workspace, as a new user would use them."""

import json
from pathlib import Path

from missionboard.services.demo.build import mission_files

MISSION = mission_files()[[p.name for p in mission_files()].index("school-meals.yaml")]


def test_validate_import_list_show_export_round_trip(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("mission", "validate", str(MISSION)).exit_code == 0
    imported = cli("--user", "anna", "mission", "import", str(MISSION))
    assert imported.exit_code == 0 and "version 1" in imported.stdout
    listed = json.loads(cli("mission", "list", "--format", "json").stdout)
    assert [m["id"] for m in listed] == ["school-meals"]
    shown = cli("mission", "show", "school-meals")
    assert "organic-share" in shown.stdout and "38 (2020) → 60 (2030)" in shown.stdout
    exported = cli("mission", "export", "school-meals")
    copy = tmp_path / "copy.yaml"
    copy.write_text(exported.stdout)
    again = cli("mission", "import", str(copy))
    assert "unchanged (version 1)" in again.stdout


def test_an_edited_file_becomes_version_two_with_a_readable_history(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("--user", "anna", "mission", "import", str(MISSION))
    edited = tmp_path / "edited.yaml"
    edited.write_text(MISSION.read_text().replace("value: 60, year: 2030", "value: 70, year: 2030"))
    assert cli("--user", "bo", "mission", "import", str(edited), "-m", "raise organic target").exit_code == 0
    history = json.loads(cli("mission", "history", "school-meals", "--format", "json").stdout)
    assert [(h["version"], h["author"], h["comment"]) for h in history] == [
        (1, "anna", ""),
        (2, "bo", "raise organic target"),
    ]
    diff = json.loads(
        cli("mission", "history", "school-meals", "--diff", "1", "2", "--format", "json").stdout
    )
    assert diff["changes"] == [
        {"path": "objectives[organic-share].target.value", "before": 60.0, "after": 70.0}
    ]
    text = cli("mission", "diff", "school-meals")
    assert "~ objectives[organic-share].target.value: 60.0 → 70.0" in text.stdout


def test_check_prints_findings_as_json_and_exits_zero_even_with_findings(cli) -> None:  # type: ignore[no-untyped-def]
    washing = next(p for p in mission_files() if p.name == "digital-leadership.yaml")
    result = cli("mission", "check", str(washing), "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["mission"] == "digital-leadership" and report["score"] < 40
    assert {f["criterion"] for f in report["findings"]} >= {"mission_washing", "open_to_multiple_solutions"}


def test_check_of_a_stored_mission_by_id(cli) -> None:  # type: ignore[no-untyped-def]
    cli("mission", "import", str(MISSION))
    result = cli("mission", "check", "school-meals")
    assert result.exit_code == 0 and "score" in result.stdout


def test_a_broken_file_gives_file_line_and_field_and_exit_code_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        MISSION.read_text().replace("baseline: {value: 38, year: 2020}", "baseline: {value: 38}")
    )
    result = cli("mission", "validate", str(broken))
    assert result.exit_code == 2
    assert (
        f"{broken}:" in result.stderr
        and "mission.objectives[0].baseline.year: is required but missing" in result.stderr
    )
    imported = cli("mission", "import", str(broken))
    assert imported.exit_code == 2 and "Traceback" not in imported.stderr
    assert cli("mission", "check", str(broken)).exit_code == 2


def test_an_unknown_mission_is_one_clear_line_and_exit_code_2(cli) -> None:  # type: ignore[no-untyped-def]
    cli("init")
    result = cli("mission", "show", "nope")
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "error: no mission 'nope' in this workspace (see 'missionboard mission list')"
    )


def test_a_missing_workspace_is_one_clear_line_and_exit_code_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("--workspace", str(tmp_path / "none.db"), "mission", "list")
    assert result.exit_code == 2 and "no workspace at" in result.stderr and "Traceback" not in result.stderr


def test_an_unreachable_database_is_one_clear_line_and_exit_code_2(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/none", "mission", "list")
    assert result.exit_code == 2 and "cannot reach the workspace database" in result.stderr


def test_the_schema_command_prints_json_schema(cli) -> None:  # type: ignore[no-untyped-def]
    schema = json.loads(cli("mission", "schema").stdout)
    assert schema["properties"]["mission"] == {"$ref": "#/$defs/Mission"}


def test_the_cli_works_against_postgresql(cli, postgres_url: str) -> None:  # type: ignore[no-untyped-def]
    assert cli("--database-url", postgres_url, "init").exit_code == 0
    assert cli("--database-url", postgres_url, "mission", "import", str(MISSION)).exit_code == 0
    listed = json.loads(cli("--database-url", postgres_url, "mission", "list", "--format", "json").stdout)
    assert [m["id"] for m in listed] == ["school-meals"]
