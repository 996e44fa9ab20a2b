"""``missionboard analyze`` end to end on a small real workspace (SQLite, and PostgreSQL where it runs)."""

from __future__ import annotations

import json
from pathlib import Path

from analytics_portfolio import build_portfolio

from missionboard.store.workspace import Workspace

REQUIRED_KEYS = {
    "mission",
    "projects",
    "budget",
    "coverage",
    "gaps",
    "instruments",
    "stages",
    "helix",
    "geography",
    "leverage",
    "diversity",
    "concentration",
    "network",
    "overlaps",
    "dynamics",
}


def _url(ws: Workspace) -> str:
    return ws.engine.url.render_as_string(hide_password=False)


def test_json_output_is_one_document_with_every_required_key(cli, portfolio: Workspace) -> None:  # type: ignore[no-untyped-def]
    res = cli("--database-url", _url(portfolio), "analyze", "clean-air", "--format", "json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert set(data) >= REQUIRED_KEYS
    assert {"variety", "balance", "disparity", "stirling"} <= set(data["diversity"])
    assert {"silo_index", "brokers"} <= set(data["network"])
    assert data["budget"]["total"] == {
        "value": 300.0,
        "unit": "EUR",
        "computed_from": "sum of project budgets converted to the reporting currency",
    }


def test_every_figure_states_its_unit_and_what_it_was_computed_from(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    build_portfolio(Workspace.open(f"sqlite:///{cli.workspace}", create=True))
    data = json.loads(cli("analyze", "clean-air", "--format", "json").stdout)

    def check(node: object, path: str) -> None:
        if isinstance(node, dict):
            if "value" in node:
                assert node.get("unit") and node.get("computed_from"), path
            elif "rows" in node:
                assert "unit" in node and node.get("computed_from"), path
            else:
                for key, child in node.items():
                    check(child, f"{path}.{key}")

    for key in REQUIRED_KEYS - {"mission"}:
        check(data[key], key)


def test_text_output_shows_tables_a_mission_owner_can_read(cli) -> None:  # type: ignore[no-untyped-def]
    build_portfolio(Workspace.open(f"sqlite:///{cli.workspace}", create=True))
    res = cli("analyze", "clean-air")
    assert res.exit_code == 0, res.stderr
    for heading in ("Headline figures", "Coverage by objective", "Gaps", "Instrument mix", "Brokers"):
        assert heading in res.stdout
    assert "orphaned" in res.stdout


def test_markdown_report_and_charts_in_png_and_svg(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    build_portfolio(Workspace.open(f"sqlite:///{cli.workspace}", create=True))
    charts = tmp_path / "charts"
    res = cli("analyze", "clean-air", "--format", "md", "--charts", str(charts))
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith("# Portfolio analysis — Clean air in every city")
    assert "| o3 | Wood stoves |" in res.stdout
    names = {p.name for p in charts.iterdir()}
    for chart in ("coverage", "instruments", "helix", "stages", "timeline", "network"):
        assert {f"{chart}.png", f"{chart}.svg"} <= names
    assert (charts / "coverage.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (charts / "coverage.svg").read_text()


def test_whole_portfolio_with_since(cli) -> None:  # type: ignore[no-untyped-def]
    build_portfolio(Workspace.open(f"sqlite:///{cli.workspace}", create=True))
    data = json.loads(cli("analyze", "--since", "2021", "--format", "json").stdout)
    assert data["mission"] is None
    assert data["projects"]["projects"]["value"] == 4  # P1 ends 2021, P2–P4 start 2021 or later; P5 is 2019
    assert data["scope"]["since"] == 2021


def test_unknown_mission_exits_2_with_one_line(cli) -> None:  # type: ignore[no-untyped-def]
    build_portfolio(Workspace.open(f"sqlite:///{cli.workspace}", create=True))
    res = cli("analyze", "nope")
    assert res.exit_code == 2
    assert res.stderr.strip().count("\n") == 0
    assert "no mission 'nope'" in res.stderr
