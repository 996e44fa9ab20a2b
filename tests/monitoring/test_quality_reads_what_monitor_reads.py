"""The quality check's ambition test and the monitor judge the same series: the same geography, source and
revision, and no verdict at all where the observations are in another unit than the objective."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from missionboard.domain.quality import Criterion
from missionboard.monitoring import import_indicators, monitor_mission
from missionboard.services.missions import check_mission
from missionboard.store.workspace import Workspace

STEADY = {year: 100.0 - 4.0 * (year - 2012) for year in range(2012, 2026)}


def _realism(workspace: Workspace, objective: str) -> list[str]:
    report = check_mission(workspace, "clean-air")
    return [
        f.message for f in report.findings if f.criterion == Criterion.REALISTIC and objective in f.message
    ]


def test_observations_in_another_unit_give_no_status_and_no_ambition_verdict(
    workspace: Workspace, add_mission: Callable[..., object], write: Callable[[str, str], Path]
) -> None:
    rows = "".join(f"co2,{y},{v},kt\n" for y, v in STEADY.items())
    import_indicators(workspace, write("co2.csv", "indicator,year,value,unit\n" + rows), user="ana")
    add_mission(workspace)  # its objective counts co2 in Mt
    [emissions] = [
        o for o in monitor_mission(workspace, "clean-air").objectives if o.objective.id == "emissions"
    ]
    assert emissions.assessment.status.value == "no_data"
    assert _realism(workspace, "emissions") == ["Realism of 'emissions' cannot be judged yet."]


def test_the_same_series_in_the_objectives_unit_gets_the_same_verdict_in_both(
    workspace: Workspace, add_mission: Callable[..., object], write: Callable[[str, str], Path]
) -> None:
    add_mission(workspace)
    rows = "".join(f"co2,{y},{v},Mt\n" for y, v in STEADY.items())
    import_indicators(workspace, write("co2.csv", "indicator,year,value,unit\n" + rows), user="ana")
    [emissions] = [
        o for o in monitor_mission(workspace, "clean-air").objectives if o.objective.id == "emissions"
    ]
    on_track = emissions.assessment.status.value == "on_track"
    assert on_track == any("not ambitious" in m for m in _realism(workspace, "emissions"))
