"""``missionboard landscape analyze``: parse, one use case, render as text, JSON or Markdown; a bad input
folder is one line naming it and exit status 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from analyze_support import MISSION, record, save_mission, write_parquet

from missionboard.store.workspace import Workspace

JSON_KEYS = {"mission", "analyzed", "run", "thin", "objectives"}
RUN_KEYS = {
    "id",
    "taxonomy",
    "input",
    "min_score",
    "recent_years",
    "top",
    "latest_year",
    "recent_from",
    "earlier_from",
    "analyzed_by",
    "analyzed_at",
    "seconds",
    "files",
    "records_read",
    "records",
    "money",
    "other_labels",
    "currency",
    "portfolio_projects",
    "portfolio_money",
    "portfolio_unconverted",
    "money_share",
}


@pytest.fixture
def mapped(cli: Any, tmp_path: Path) -> Path:
    ws = Workspace.open(f"sqlite:///{cli.workspace}", create=True)
    save_mission(ws)
    ws.close()
    write_parquet(
        tmp_path / "mapped" / "part-00000.parquet",
        [
            record(
                "w1", ("decarbonise", 0.9), year=2024, amount_eur=1000.0, organisations=["Hydrogen Works Oy"]
            ),
            record("w2", ("health", 0.6), year=2022, amount_eur=50.0, organisations=["Clinic Group"]),
        ],
    )
    return tmp_path / "mapped"


def test_json_has_the_declared_keys(cli: Any, mapped: Path) -> None:
    result = cli("landscape", "analyze", "--mission", MISSION, "--input", str(mapped), "--format", "json")
    assert result.exit_code == 0, result.stderr
    found = json.loads(result.stdout)
    assert set(found) == JSON_KEYS
    assert set(found["run"]) == RUN_KEYS
    assert [o["objective"] for o in found["objectives"]] == ["decarbonise", "health", "quiet"]


def test_text_names_the_organisations_outside_the_portfolio(cli: Any, mapped: Path) -> None:
    result = cli("landscape", "analyze", "--mission", MISSION, "--input", str(mapped), "--top", "3")
    assert result.exit_code == 0, result.stderr
    assert "Hydrogen Works Oy" in result.stdout
    assert "most active outside the portfolio" in result.stdout


def test_markdown_is_a_report_section(cli: Any, mapped: Path) -> None:
    result = cli("landscape", "analyze", "--mission", MISSION, "--input", str(mapped), "--format", "md")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"# Landscape of {MISSION}\n")
    assert "| Hydrogen Works Oy | 1 | 1,000 | 2024 |" in result.stdout


def test_a_bad_input_folder_exits_2_naming_it(cli: Any, mapped: Path, tmp_path: Path) -> None:
    missing = tmp_path / "not-mapped-yet"
    result = cli("landscape", "analyze", "--mission", MISSION, "--input", str(missing))
    assert result.exit_code == 2
    assert str(missing) in result.stderr


def test_a_minimum_score_above_one_is_refused_before_anything_is_read(cli: Any, mapped: Path) -> None:
    result = cli("landscape", "analyze", "--mission", MISSION, "--input", str(mapped), "--min-score", "2")
    assert result.exit_code == 2
