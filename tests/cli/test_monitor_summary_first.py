"""`missionboard monitor` prints the board's summary first and lists the projects only with --projects.

The summary is the mission, its portfolio's figures, each objective's status, forecast and probability
with its regional targets, the rebalancing suggestions and a --move what-if; the per-project lists (the
projects behind each objective, the flagged projects with their flags, the recent decisions) follow
with --projects, and without it one line says how many projects there are. JSON is always complete.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import missionboard.services.demo
from missionboard.cli.app import main
from missionboard.services.demo.build import build_demo

MISSION = "school-meals"
WHAT_IF = (
    "--move",
    "100000",
    "--from",
    "food-waste",
    "--to",
    "meal-climate",
    "--effect",
    "meal-climate=-0.01",
)
SECTIONS = ("Projects", "Flagged projects", "Recent decisions")
"""The headings of the per-project lists."""
PROJECT_ID = "nordic-agencies:"
"""How every demo project's id begins."""


def _run(workspace: Path, *args: str) -> str:
    """What ``missionboard monitor`` prints on stdout (asserting it exits 0)."""
    out = io.StringIO()
    capture = pytest.MonkeyPatch()
    capture.setattr(sys, "stdout", out)
    try:
        code = main(["--workspace", str(workspace), "monitor", *args])
    finally:
        capture.undo()
    assert code == 0, out.getvalue()
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo-monitor") / "missionboard.db"
    build_demo(path)
    return path


@pytest.fixture(scope="module")
def printed(demo: Path) -> Iterator[dict[str, str]]:
    """What monitor printed on the demo's school-meals mission, by the options given (run once each)."""
    yield {
        "text": _run(demo, MISSION),
        "projects": _run(demo, MISSION, "--projects"),
        "what-if": _run(demo, MISSION, *WHAT_IF),
        "what-if --projects": _run(demo, MISSION, *WHAT_IF, "--projects"),
        "json": _run(demo, MISSION, "--format", "json"),
        "json --projects": _run(demo, MISSION, "--format", "json", "--projects"),
    }


def _first_line(text: str, *starts: str) -> int:
    """The number of the first line that starts with one of ``starts`` (after its indent); -1 if none."""
    lines = [line.strip() for line in text.splitlines()]
    return next((n for n, line in enumerate(lines) if line.startswith(starts)), -1)


def _first_project_level_line(text: str) -> int:
    """The number of the first line of a per-project list or naming a project; -1 if none."""
    lines = text.splitlines()
    found = [_first_line(text, *SECTIONS)]
    found.append(next((n for n, line in enumerate(lines) if PROJECT_ID in line), -1))
    return min((n for n in found if n >= 0), default=-1)


# --- without --projects: the summary and one line for the projects ---------------------------------


def test_the_default_text_is_short(printed: dict[str, str]) -> None:
    assert len(printed["text"].splitlines()) < 200


def test_the_default_text_starts_with_the_mission_then_its_portfolio(printed: dict[str, str]) -> None:
    lines = printed["text"].splitlines()
    assert lines[0].startswith(f"{MISSION} — ")
    assert lines[1].startswith("Portfolio ")


def test_the_default_text_gives_each_objectives_status_and_probability(printed: dict[str, str]) -> None:
    board = json.loads(printed["json"])
    words = " ".join(printed["text"].split())
    for objective in board["objectives"]:
        assert f"{objective['objective']}: {' '.join(objective['reason'].split())}" in words


def test_the_default_text_shows_the_regional_targets(printed: dict[str, str]) -> None:
    regions = [r for o in json.loads(printed["json"])["objectives"] for r in o["regions"]]
    assert regions  # the demo's school-meals has regional targets
    for region in regions:
        assert _first_line(printed["text"], f"region {region['region']}:") >= 0


SUGGESTING = "drought-resilience"
"""A demo mission whose board makes rebalancing suggestions (released money, objectives off track)."""


def test_the_default_text_has_the_rebalancing_suggestions_before_the_project_pointer(demo: Path) -> None:
    board = json.loads(_run(demo, SUGGESTING, "--format", "json"))
    assert board["suggestions"], "the demo mission chosen here must make suggestions"
    text = _run(demo, SUGGESTING)
    suggestions = _first_line(text, "Rebalancing suggestions")
    assert suggestions >= 0
    pointer = next(i for i, line in enumerate(text.splitlines()) if "projects in the portfolio (" in line)
    assert suggestions < pointer


QUIET = "circular-construction"
"""A demo mission whose board makes no rebalancing suggestion."""


def test_a_board_without_suggestions_prints_no_heading_for_them(demo: Path) -> None:
    assert not json.loads(_run(demo, QUIET, "--format", "json"))["suggestions"], (
        "the demo mission chosen here must make no suggestion"
    )
    assert _first_line(_run(demo, QUIET), "Rebalancing suggestions") == -1


@pytest.mark.parametrize("heading", SECTIONS)
def test_the_default_text_has_no_per_project_list(printed: dict[str, str], heading: str) -> None:
    assert _first_line(printed["text"], heading) == -1


def test_the_default_text_names_no_project(printed: dict[str, str]) -> None:
    assert PROJECT_ID not in printed["text"]


def test_the_default_text_counts_the_projects_and_their_flags_and_points_to_projects_option(
    printed: dict[str, str],
) -> None:
    board = json.loads(printed["json"])
    count = len({p["project"] for o in board["objectives"] for p in o["funding"]["projects"]})
    last = printed["text"].splitlines()[-1]
    assert last.startswith(
        f"{count:,} projects in the portfolio ({len(board['flagged_projects'])} with flags)"
    )
    assert "--projects lists them" in last


# --- with --projects: the same summary, then the projects --------------------------------------------


def test_projects_adds_the_lists_after_the_same_summary(printed: dict[str, str]) -> None:
    summary = printed["text"].splitlines()[:-1]  # all but the line pointing to --projects
    assert printed["projects"].splitlines()[: len(summary)] == summary


@pytest.mark.parametrize("heading", SECTIONS)
def test_projects_prints_each_per_project_section(printed: dict[str, str], heading: str) -> None:
    assert _first_line(printed["projects"], heading) >= 0


def test_projects_lists_every_project_behind_an_objective(printed: dict[str, str]) -> None:
    board = json.loads(printed["json"])
    shown = {
        line.split()[1] for line in printed["projects"].splitlines() if line.startswith(f"│ {PROJECT_ID}")
    }
    assert shown == {p["project"] for o in board["objectives"] for p in o["funding"]["projects"]}


def test_projects_gives_each_flagged_project_its_flags(printed: dict[str, str]) -> None:
    words = " ".join(printed["projects"].split())
    for flagged in json.loads(printed["json"])["flagged_projects"]:
        assert f"{flagged['project']} — {' '.join(flagged['title'].split())}" in words
        for reason in flagged["reasons"]:
            assert f"• {' '.join(reason.split())}" in words


def test_projects_drops_the_line_pointing_to_it(printed: dict[str, str]) -> None:
    assert "--projects" not in printed["projects"]


# --- the what-if comes before anything project-level ------------------------------------------------


@pytest.mark.parametrize("run", ["what-if", "what-if --projects"])
def test_the_what_if_answer_comes_before_anything_project_level(printed: dict[str, str], run: str) -> None:
    what_if = _first_line(printed[run], "What if")
    project_level = _first_project_level_line(printed[run])
    assert what_if >= 0
    assert project_level == -1 or what_if < project_level


def test_the_what_if_answer_states_the_assumed_effect(printed: dict[str, str]) -> None:
    assert "assumed by the user: -0.01" in printed["what-if"]


def test_the_short_text_with_a_what_if_stays_short(printed: dict[str, str]) -> None:
    assert len(printed["what-if"].splitlines()) < 200


# --- JSON is complete either way ---------------------------------------------------------------------


def test_json_is_the_same_with_and_without_projects(printed: dict[str, str]) -> None:
    assert json.loads(printed["json --projects"]) == json.loads(printed["json"])


def test_json_keeps_every_project_under_its_objectives(printed: dict[str, str]) -> None:
    board = json.loads(printed["json"])
    assert all(o["funding"]["projects"] for o in board["objectives"])
    assert board["flagged_projects"] and board["decisions"]


# --- a mission with no projects yet ------------------------------------------------------------------


def test_a_mission_without_projects_says_so_and_points_nowhere(tmp_path: Path) -> None:
    missions = Path(missionboard.services.demo.__file__).parent / "missions" / f"{MISSION}.yaml"
    workspace = tmp_path / "missionboard.db"
    assert main(["--workspace", str(workspace), "mission", "import", str(missions)]) == 0
    last = _run(workspace, MISSION).splitlines()[-1]
    assert last == "no projects in the portfolio"
