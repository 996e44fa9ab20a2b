"""Regional targets are monitored like national ones: each region of an objective gets its own latest
value, forecast, probability and status from the region's observations, by the objective's rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from missionboard.domain.missions import Mission
from missionboard.missionfile import read_mission
from missionboard.monitoring import import_indicators, monitor_mission
from missionboard.services.demo import indicators as demo_indicators
from missionboard.services.demo.build import mission_files
from missionboard.store.workspace import Workspace

Write = Callable[[str, str], Path]
AS_OF = date(2025, 6, 30)

REGIONS = [
    {"region": "North", "baseline": {"value": 20.0, "year": 2015}, "target": {"value": 50.0, "year": 2030}},
    {"region": "South", "baseline": {"value": 20.0, "year": 2015}, "target": {"value": 50.0, "year": 2030}},
    {"region": "East", "baseline": {"value": 25.0, "year": 2015}, "target": {"value": 55.0, "year": 2030}},
]
"""North rises 2.2 points a year (on track), South 0.3 (off track), East has no observations."""


def wobble(year: int) -> float:
    return 0.3 * ((year * 7) % 5 - 2)


def observations(geography: str, slope: float, start: float = 20.0) -> str:
    return "".join(
        f"renewable-share,{year},{start + slope * (year - 2015) + wobble(year):.2f},{geography}\n"
        for year in range(2015, 2025)
    )


def objectives(regions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The test mission's objectives (``conftest.mission_document``) with ``regions`` as the renewables
    objective's regional targets."""
    return [
        {
            "id": "emissions",
            "title": "Cut CO2 emissions",
            "indicator": {"id": "co2", "name": "CO2 emissions", "unit": "Mt"},
            "baseline": {"value": 100.0, "year": 2015},
            "target": {"value": 50.0, "year": 2030},
            "weight": 1,
        },
        {
            "id": "renewables",
            "title": "More renewable energy",
            "indicator": {"id": "renewable-share", "name": "Renewable share", "unit": "%"},
            "baseline": {"value": 20.0, "year": 2015},
            "target": {"value": 50.0, "year": 2030},
            "weight": 1,
            "regional_targets": regions,
        },
    ]


@pytest.fixture
def regional(workspace: Workspace, add_mission: Callable[..., Mission], write: Write) -> Workspace:
    """The national series (no geography) barely moves; North and South have their own series."""
    add_mission(workspace, objectives=objectives(REGIONS))
    rows = (
        "indicator,year,value,geography\n"
        + observations("", 0.4)
        + observations("North", 2.2)
        + observations("South", 0.3)
    )
    import_indicators(workspace, write("renewables.csv", rows), user="ana")
    return workspace


def regions_of(workspace: Workspace, objective: str = "renewables", **kwargs: Any) -> dict[str, Any]:
    result = monitor_mission(workspace, "clean-air", as_of=kwargs.pop("as_of", AS_OF)).to_dict()
    entry = next(o for o in result["objectives"] if o["objective"] == objective)
    return {r["region"]: r for r in entry["regions"]}


def test_a_region_ahead_of_its_path_is_on_track(regional: Workspace) -> None:
    north = regions_of(regional)["North"]
    assert north["status"] == "on_track"


def test_a_region_behind_its_path_is_off_track(regional: Workspace) -> None:
    south = regions_of(regional)["South"]
    assert south["status"] == "off_track"


def test_a_region_without_observations_has_no_data_and_says_so(regional: Workspace) -> None:
    east = regions_of(regional)["East"]
    assert east["status"] == "no_data"
    assert "no observations of 'renewable-share' for the region 'East'" in east["reason"]
    assert east["observations"] == 0


def test_a_region_is_judged_on_its_own_observations_only(regional: Workspace) -> None:
    north = regions_of(regional)["North"]
    assert north["geography"] == "North"
    assert north["observations"] == 10
    assert north["latest"]["value"] == pytest.approx(20 + 2.2 * 9 + wobble(2024))


def test_a_region_gets_a_forecast_with_its_path_choice_and_basis(regional: Workspace) -> None:
    north = regions_of(regional)["North"]
    assert north["forecast"]["year"] == 2030
    assert north["forecast"]["basis"]
    assert north["path_choice"]
    assert north["probability"] >= 0.6


def test_a_region_is_judged_against_its_own_baseline_and_target(regional: Workspace) -> None:
    north = regions_of(regional)["North"]
    assert north["baseline"] == {"value": 20.0, "year": 2015}
    assert north["target"] == {"value": 50.0, "year": 2030}


def test_status_and_probability_of_a_region_follow_the_one_rule(regional: Workspace) -> None:
    for region in ("North", "South"):
        entry = regions_of(regional)[region]
        on_track = entry["probability"] >= 0.6
        assert (entry["status"] == "on_track") == on_track, region


def test_the_regions_keep_the_order_of_the_mission(regional: Workspace) -> None:
    assert list(regions_of(regional)) == ["North", "South", "East"]


def test_adding_regional_targets_leaves_the_national_status_unchanged(
    workspace: Workspace, add_mission: Callable[..., Mission], write: Write
) -> None:
    add_mission(workspace)
    rows = "indicator,year,value,geography\n" + observations("", 0.4) + observations("North", 2.2)
    import_indicators(workspace, write("renewables.csv", rows), user="ana")
    before = monitor_mission(workspace, "clean-air", as_of=AS_OF).to_dict()
    add_mission(workspace, objectives=objectives(REGIONS))
    after = monitor_mission(workspace, "clean-air", as_of=AS_OF).to_dict()
    for old, new in zip(before["objectives"], after["objectives"], strict=True):
        assert {k: v for k, v in new.items() if k != "regions"} == {
            k: v for k, v in old.items() if k != "regions"
        }


def test_the_regions_key_is_present_and_empty_without_regional_targets(regional: Workspace) -> None:
    result = monitor_mission(regional, "clean-air", as_of=AS_OF).to_dict()
    emissions = next(o for o in result["objectives"] if o["objective"] == "emissions")
    assert emissions["regions"] == []


def test_the_regions_key_comes_after_every_existing_key(regional: Workspace) -> None:
    result = monitor_mission(regional, "clean-air", as_of=AS_OF).to_dict()
    assert list(result["objectives"][1])[-2:] == ["funding", "regions"]


def test_a_regional_entry_has_the_objectives_assessment_keys(regional: Workspace) -> None:
    north = regions_of(regional)["North"]
    assert list(north) == [
        "region",
        "geography",
        "baseline",
        "target",
        "path",
        "path_choice",
        "start_year",
        "latest",
        "expected",
        "gap",
        "status",
        "reason",
        "forecast",
        "probability",
        "required_acceleration",
        "observed_rate",
        "required_rate",
        "observations",
    ]


def test_a_region_uses_only_what_was_known_on_as_of(regional: Workspace) -> None:
    north = regions_of(regional, as_of=date(2020, 6, 30))["North"]
    assert north["latest"]["year"] == 2019


def test_a_region_with_observations_only_after_as_of_says_so(regional: Workspace) -> None:
    north = regions_of(regional, as_of=date(2014, 6, 30))["North"]
    assert north["status"] == "no_data"
    assert "known on 2014-06-30" in north["reason"]


def test_a_regional_target_without_baseline_starts_from_the_regions_value_in_the_baseline_year(
    workspace: Workspace, add_mission: Callable[..., Mission], write: Write
) -> None:
    regions = [{"region": "North", "target": {"value": 50.0, "year": 2030}}]
    add_mission(workspace, objectives=objectives(regions))
    rows = "indicator,year,value,geography\n" + observations("North", 2.2)
    import_indicators(workspace, write("renewables.csv", rows), user="ana")
    north = regions_of(workspace)["North"]
    assert north["baseline"] == {"value": round(20 + wobble(2015), 2), "year": 2015}
    assert "baseline: the region's value in 2015" in north["reason"]
    assert north["status"] == "on_track"


def test_the_region_is_matched_to_the_geography_ignoring_case(
    workspace: Workspace, add_mission: Callable[..., Mission], write: Write
) -> None:
    add_mission(workspace, objectives=objectives(REGIONS[:1]))
    rows = "indicator,year,value,geography\n" + observations("NORTH", 2.2)
    import_indicators(workspace, write("renewables.csv", rows), user="ana")
    assert regions_of(workspace)["North"]["geography"] == "NORTH"


def test_an_objective_in_another_unit_gives_its_regions_no_data_with_the_reason(
    workspace: Workspace, add_mission: Callable[..., Mission], write: Write
) -> None:
    rows = "indicator,name,unit,year,value,geography\n" + "".join(
        f"renewable-share,Renewable share,GWh,{y},{20 + y - 2015},North\n" for y in range(2015, 2025)
    )
    import_indicators(workspace, write("renewables.csv", rows), user="ana")
    add_mission(workspace, objectives=objectives(REGIONS[:1]))
    north = regions_of(workspace)["North"]
    assert north["status"] == "no_data"
    assert "are in GWh" in north["reason"]


def test_cli_text_shows_each_region_under_its_objective(cli, add_mission, write) -> None:  # type: ignore[no-untyped-def]
    ws = Workspace.open(f"sqlite:///{cli.workspace}", create=True)
    add_mission(ws, objectives=objectives(REGIONS))
    ws.close()
    rows = "indicator,year,value,geography\n" + observations("", 0.4) + observations("North", 2.2)
    assert cli("indicators", "import", str(write("renewables.csv", rows))).exit_code == 0
    text = cli("monitor", "clean-air", "--as-of", "2025-06-30")
    assert text.exit_code == 0, text.stderr
    lines = [line.strip() for line in text.stdout.splitlines()]
    north = next(line for line in lines if line.startswith("region North:"))
    east = next(line for line in lines if line.startswith("region East:"))
    assert "on_track" in north
    assert "no_data" in east and "no observations" in east


def test_cli_json_lists_the_regions(cli, add_mission, write) -> None:  # type: ignore[no-untyped-def]
    ws = Workspace.open(f"sqlite:///{cli.workspace}", create=True)
    add_mission(ws, objectives=objectives(REGIONS))
    ws.close()
    rows = "indicator,year,value,geography\n" + observations("North", 2.2)
    assert cli("indicators", "import", str(write("renewables.csv", rows))).exit_code == 0
    res = cli("monitor", "clean-air", "--as-of", "2025-06-30", "--format", "json")
    data = json.loads(res.stdout)
    assert [r["region"] for r in data["objectives"][1]["regions"]] == ["North", "South", "East"]
    assert data["objectives"][0]["regions"] == []


def demo_regions() -> list[tuple[str, str]]:
    """(indicator, region) for every regional target of the demo missions."""
    found = []
    for path in mission_files():
        for objective in read_mission(path).objectives:
            for target in objective.regional_targets:
                assert objective.indicator is not None
                found.append((objective.indicator.id, target.region))
    return found


@pytest.mark.parametrize(("indicator", "region"), demo_regions())
def test_the_demo_has_a_regional_series_for_each_region_its_missions_declare(
    indicator: str, region: str
) -> None:
    years = [
        row["year"]
        for row in demo_indicators.observations()
        if row["indicator"] == indicator and row["geography"] == region
    ]
    assert len(years) >= 8


def test_the_demo_regional_series_leave_the_national_ones_as_they_were() -> None:
    rows = demo_indicators.observations()
    national = {(s.indicator, s.geography) for s in demo_indicators.SERIES[:15]}
    counts: dict[tuple[object, object], int] = {}
    for row in rows:
        counts[(row["indicator"], row["geography"])] = counts.get((row["indicator"], row["geography"]), 0) + 1
    for indicator, geography in national:
        regional = [n for (i, g), n in counts.items() if i == indicator and g != geography]
        assert all(n < counts[(indicator, geography)] for n in regional), indicator


def test_the_web_monitoring_section_has_a_table_of_the_regions(
    workspace: Workspace, add_mission: Callable[..., Mission], write: Write
) -> None:
    from fastapi.testclient import TestClient

    from missionboard.web.app import create_app

    add_mission(workspace, objectives=objectives(REGIONS), public=True)
    rows = "indicator,year,value,geography\n" + observations("North", 2.2) + observations("South", 0.3)
    import_indicators(workspace, write("renewables.csv", rows), user="ana")
    client = TestClient(create_app(workspace, secure_cookies=False))
    page = client.get("/missions/clean-air/insights?part=monitoring")
    table = page.text.split('<table class="data regional-targets">', 1)[1].split("</table>", 1)[0]
    assert [row.split("</td>", 1)[0] for row in table.split("<tr><td>")[1:]] == ["North", "South", "East"]
    assert "status-no-data" in table


@pytest.mark.parametrize(
    ("target", "first_year", "reason"),
    [
        ({"value": 15.0, "year": 2030}, 2015, "already at or past its target"),
        ({"value": 50.0, "year": 2030}, 2016, "has no observation in 2015, the objective's baseline year"),
    ],
)
def test_a_regional_target_without_baseline_that_cannot_start_from_the_data_has_no_data(
    workspace: Workspace,
    add_mission: Callable[..., Mission],
    write: Write,
    target: dict[str, float],
    first_year: int,
    reason: str,
) -> None:
    add_mission(workspace, objectives=objectives([{"region": "North", "target": target}]))
    rows = "indicator,year,value,geography\n" + "".join(
        line
        for line in observations("North", 2.2).splitlines(keepends=True)
        if int(line.split(",")[1]) >= first_year
    )
    import_indicators(workspace, write("renewables.csv", rows), user="ana")
    north = regions_of(workspace)["North"]
    assert north["status"] == "no_data"
    assert reason in north["reason"]
