"""The what-if changes the outcome only under an effect the user states; none is ever inferred."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from missionboard.errors import InputError
from missionboard.monitoring import import_indicators, monitor_mission
from missionboard.store.workspace import Workspace

AS_OF = date(2025, 6, 30)
MOVE = (1_000_000.0, "emissions", "renewables")


def csv_rows(indicator: str, values: dict[int, float]) -> str:
    return "indicator,year,value\n" + "".join(f"{indicator},{y},{v:.4f}\n" for y, v in values.items())


@pytest.fixture
def board(
    sqlite_workspace: Workspace,
    add_mission: Callable[..., object],
    add_project: Callable[..., int],
    write: Callable[[str, str], Path],
) -> Workspace:
    """Emissions fall about 5 %/yr; the renewable share creeps up 0.4 points a year towards 50 by 2030."""
    ws = sqlite_workspace
    add_mission(ws)
    rng = np.random.default_rng(7)
    emissions = {y: 100 * 0.95 ** (y - 2015) + 0.4 * rng.standard_normal() for y in range(2015, 2025)}
    renewables = {y: 20 + 0.4 * (y - 2015) + 0.3 * rng.standard_normal() for y in range(2015, 2025)}
    import_indicators(ws, write("co2.csv", csv_rows("co2", emissions)), user="ana")
    import_indicators(ws, write("ren.csv", csv_rows("renewable-share", renewables)), user="ana")
    add_project(ws, "big", budget=3_000_000, links={"emissions": "accepted"})
    add_project(ws, "small", budget=500_000, links={"renewables": "accepted"})
    return ws


def outcomes(result: dict[str, object]) -> dict[str, dict[str, object]]:
    move = result["move"]
    assert isinstance(move, dict)
    return {o["objective"]: o for o in move["outcomes"]}


def test_without_an_effect_the_what_if_says_no_effect_is_assumed(board: Workspace) -> None:
    result = outcomes(monitor_mission(board, "clean-air", as_of=AS_OF, move=MOVE).to_dict())
    for objective in ("emissions", "renewables"):
        assert result[objective]["assumption"] == "no effect assumed"
        assert result[objective]["probability_after"] is None
        assert result[objective]["forecast_after"] is None


def test_a_stated_effect_moves_the_forecast_by_effect_times_millions(board: Workspace) -> None:
    plain = outcomes(monitor_mission(board, "clean-air", as_of=AS_OF, move=MOVE).to_dict())
    moved = outcomes(
        monitor_mission(board, "clean-air", as_of=AS_OF, move=MOVE, effects={"renewables": 22.0}).to_dict()
    )
    renewables = moved["renewables"]
    assert renewables["forecast_before"] == plain["renewables"]["forecast_before"]
    assert renewables["forecast_after"] == pytest.approx(renewables["forecast_before"] + 22.0, abs=1e-3)
    assert renewables["probability_after"] > renewables["probability_before"]
    assert "+22" in renewables["assumption"] and "not estimated" in renewables["assumption"]
    assert "per million EUR" in renewables["assumption"]
    assert moved["emissions"]["assumption"] == "no effect assumed"


def test_money_taken_away_undoes_the_stated_effect(board: Workspace) -> None:
    # −3 Mt per million: losing a million adds 3 Mt, so reaching the cut becomes less likely
    result = outcomes(
        monitor_mission(board, "clean-air", as_of=AS_OF, move=MOVE, effects={"emissions": -3.0}).to_dict()
    )
    emissions = result["emissions"]
    assert emissions["forecast_after"] == pytest.approx(emissions["forecast_before"] + 3.0, abs=1e-3)
    assert emissions["probability_after"] <= emissions["probability_before"]


def test_the_status_after_follows_the_probability_after(board: Workspace) -> None:
    result = outcomes(
        monitor_mission(board, "clean-air", as_of=AS_OF, move=MOVE, effects={"renewables": 40.0}).to_dict()
    )
    renewables = result["renewables"]
    assert renewables["probability_after"] >= 0.6
    assert renewables["status_after"] == "on_track"
    assert renewables["probability_after"] <= 0.99  # never more certain than the backtest supports


def test_an_effect_needs_a_move_and_must_name_an_objective_the_move_touches(board: Workspace) -> None:
    with pytest.raises(InputError, match="needs a what-if"):
        monitor_mission(board, "clean-air", as_of=AS_OF, effects={"renewables": 1.0})
    with pytest.raises(InputError, match="does not touch"):
        monitor_mission(board, "clean-air", as_of=AS_OF, move=MOVE, effects={"water": 1.0})


def test_cli_prints_the_assumption_beside_the_new_forecast(cli, add_mission, add_project, write) -> None:  # type: ignore[no-untyped-def]
    ws = Workspace.open(f"sqlite:///{cli.workspace}", create=True)
    add_mission(ws)
    add_project(ws, "p1", budget=2_000_000, links={"emissions": "accepted"})
    ws.close()
    rows = csv_rows(
        "renewable-share", {y: 20 + 0.4 * (y - 2015) + (0.2 if y % 2 else -0.2) for y in range(2015, 2025)}
    )
    assert cli("indicators", "import", str(write("ren.csv", rows))).exit_code == 0
    args = ("monitor", "clean-air", "--as-of", "2025-06-30", "--move", "1000000", "--from", "emissions")
    shown = cli(*args, "--to", "renewables", "--effect", "renewables=2.5")
    assert shown.exit_code == 0, shown.stderr
    assert "assumed by the user: +2.5" in shown.stdout and "not estimated" in shown.stdout
    assert "no effect assumed" in shown.stdout  # emissions: no effect given
    as_json = cli(*args, "--to", "renewables", "--effect", "renewables=2.5", "--format", "json")
    [renewables] = [
        o for o in json.loads(as_json.stdout)["move"]["outcomes"] if o["objective"] == "renewables"
    ]
    assert renewables["effect_per_million"] == 2.5
    bad = cli(*args, "--to", "renewables", "--effect", "renewables")
    assert bad.exit_code == 2 and "--effect" in bad.stderr
