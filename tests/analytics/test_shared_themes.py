"""The workspace's themes are computed once, stored, and shared by ``themes`` and ``analyze`` for every
scope, so that diversity compares across missions, funders and years (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

from missionboard.analytics import analyze_portfolio
from missionboard.analytics.theme_sets import CORPUS, shared_themes
from missionboard.domain.missions import Mission
from missionboard.services import mapping as mapping_service
from missionboard.store.analytics_tables import ThemeMemberRow, ThemeRow, ThemeSetRow
from missionboard.store.missions import MissionStore
from missionboard.store.tables import LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

# eight topics with words of their own; every text also draws on words common to all of them
TOPICS = [
    "battery lithium cathode electrolyte anode cell recycling cobalt graphite charging",
    "wind turbine offshore blade rotor nacelle foundation gearbox tower floating",
    "hydrogen electrolyser fuel ammonia pipeline storage electrolysis catalyst membrane steel",
    "forest biodiversity wetland species pollinators habitat restoration peatland woodland meadow",
    "vaccine antibody pathogen clinical trial immune infection diagnostic patient hospital",
    "bus tram railway commuter ticketing timetable passenger metro station cycling",
    "wheat harvest soil fertiliser livestock dairy farm irrigation crop grain",
    "school pupils teacher classroom curriculum literacy learning reading education student",
]
COMMON = [
    "innovation",
    "research",
    "pilot",
    "new",
    "approach",
    "partners",
    "results",
    "impact",
    "scale",
    "region",
]


def _text(rng: random.Random, topic: int) -> tuple[str, str]:
    own = TOPICS[topic].split()
    title = " ".join(rng.sample(own, 3)).capitalize()
    words = rng.choices(own, k=12) + rng.choices(COMMON, k=4)
    rng.shuffle(words)
    return title, " ".join(words) + "."


def add_projects(
    ws: Workspace, topics: list[int], *, start_id: int, seed: int = 1, funder: str = "Agency"
) -> list[int]:
    """One project per entry of ``topics`` (its topic), ids from ``start_id``, budget 100 EUR each."""
    rng = random.Random(seed)
    ids = []
    with ws.transaction() as session:
        for n, topic in enumerate(topics):
            pid = start_id + n
            title, abstract = _text(rng, topic)
            session.add(
                ProjectRow(
                    id=pid,
                    source="test",
                    source_id=str(pid),
                    title=title,
                    abstract=abstract,
                    funder=funder,
                    budget_amount=Decimal(100),
                    budget_currency="EUR",
                    start=dt.date(2021, 1, 1),
                    content_hash=str(pid),
                )
            )
            ids.append(pid)
    return ids


def add_mission(ws: Workspace, mission_id: str, project_ids: list[int]) -> None:
    mission = {
        "id": mission_id,
        "title": f"Mission {mission_id}",
        "challenge": "A challenge",
        "statement": "Reach a measurable end state by 2030",
        "owner": "Agency",
        "objectives": [{"id": "o1", "title": "First objective"}],
    }
    with ws.transaction() as session:
        MissionStore(session).save(Mission.model_validate(mission), author="test")
        for pid in project_ids:
            session.add(
                LinkRow(
                    project_id=pid,
                    taxonomy=f"mission:{mission_id}",
                    goal="o1",
                    score=1.0,
                    method="manual",
                    status="accepted",
                )
            )


def topics_of(count: int, per_topic: int) -> list[int]:
    return [t for t in range(count) for _ in range(per_topic)]


@pytest.fixture
def two_missions(workspace: Workspace) -> tuple[Workspace, list[int], list[int]]:
    """Five topics × 24 projects; mission 'energy' holds topics 0–2, mission 'nature' topics 3–4."""
    ids = add_projects(workspace, topics_of(5, 24), start_id=1)
    energy, nature = ids[: 3 * 24], ids[3 * 24 :]
    add_mission(workspace, "energy", energy)
    add_mission(workspace, "nature", nature)
    return workspace, energy, nature


def value(figure: dict[str, Any]) -> Any:
    return figure["value"]


@pytest.mark.parametrize("topics", [3, 8])
def test_k_follows_the_number_of_topics_in_the_data(workspace: Workspace, topics: int) -> None:
    add_projects(workspace, topics_of(topics, 20), start_id=1)
    themes = shared_themes(workspace)
    assert themes.k == topics
    assert themes.chosen_by["silhouette"][str(topics)] == max(themes.chosen_by["silhouette"].values())


def test_each_theme_gathers_one_topic(workspace: Workspace) -> None:
    ids = add_projects(workspace, topics_of(3, 20), start_id=1)
    themes = shared_themes(workspace)
    found = themes.themes_of(np.array(ids))
    for topic in range(3):
        assert len(set(found[topic * 20 : (topic + 1) * 20].tolist())) == 1


def test_themes_and_analyze_report_the_same_k_and_assignment(
    two_missions: tuple[Workspace, list[int], list[int]],
) -> None:
    ws, _, _ = two_missions
    report = mapping_service.themes(ws, mission_id="energy")
    analysis = analyze_portfolio(ws, "energy").to_dict()
    assert analysis["diversity"]["theme_set"]["k"] == report.k
    assert analysis["diversity"]["theme_set"]["generation"] == report.theme_set["generation"]
    by_theme = {r["theme"]: r["projects"] for r in analysis["themes"]["rows"]}
    assert by_theme == {t.theme: t.size for t in report.themes}


def test_the_whole_workspace_has_at_least_the_variety_of_any_mission(
    two_missions: tuple[Workspace, list[int], list[int]],
) -> None:
    ws, _, _ = two_missions
    whole = value(analyze_portfolio(ws).to_dict()["diversity"]["variety"])
    energy = value(analyze_portfolio(ws, "energy").to_dict()["diversity"]["variety"])
    nature = value(analyze_portfolio(ws, "nature").to_dict()["diversity"]["variety"])
    assert (whole, energy, nature) == (5, 3, 2)


def test_two_disjoint_missions_are_measured_on_the_same_theme_set(
    two_missions: tuple[Workspace, list[int], list[int]],
) -> None:
    ws, _, _ = two_missions
    energy = analyze_portfolio(ws, "energy").to_dict()
    nature = analyze_portfolio(ws, "nature").to_dict()
    assert energy["diversity"]["theme_set"]["generation"] == nature["diversity"]["theme_set"]["generation"]
    assert value(energy["diversity"]["themes"]) == value(nature["diversity"]["themes"]) == 5
    energy_themes = {r["theme"] for r in energy["themes"]["rows"]}
    nature_themes = {r["theme"] for r in nature["themes"]["rows"]}
    assert energy_themes.isdisjoint(nature_themes)


def test_stirling_of_a_scope_uses_the_stored_distances_between_themes(
    two_missions: tuple[Workspace, list[int], list[int]],
) -> None:
    ws, _, nature = two_missions
    themes = shared_themes(ws)
    a, b = sorted(set(themes.themes_of(np.array(nature)).tolist()))
    diversity = analyze_portfolio(ws, "nature").to_dict()["diversity"]
    # 24 projects of 100 EUR in each of the two themes: p = ½, ½
    assert value(diversity["stirling"]) == pytest.approx(2 * 0.25 * themes.distances[a - 1, b - 1], abs=1e-6)


def test_themes_are_reused_after_a_small_import_and_recomputed_after_a_large_one(
    workspace: Workspace,
) -> None:
    add_projects(workspace, topics_of(3, 20), start_id=1)
    first = shared_themes(workspace)
    assert (first.generation, first.status) == (1, "computed")
    again = shared_themes(workspace)
    assert (again.generation, again.status) == (1, "reused")
    small = add_projects(workspace, [0, 1, 2], start_id=1001, seed=2)  # 5 % more
    topped = shared_themes(workspace)
    assert (topped.generation, topped.status) == (1, "topped up")
    assert topped.themes_of(np.array(small)).tolist() == first.themes_of(np.array([1, 21, 41])).tolist()
    add_projects(workspace, topics_of(3, 5), start_id=2001, seed=3)  # now 30 % more than it was computed from
    large = shared_themes(workspace)
    assert large.status == "computed"
    assert large.generation > first.generation
    assert large.projects == 78


def test_analyze_reads_the_stored_themes_instead_of_clustering_again(
    two_missions: tuple[Workspace, list[int], list[int]],
) -> None:
    ws, _, _ = two_missions
    first = analyze_portfolio(ws, "energy").to_dict()["meta"]["theme_set"]
    second = analyze_portfolio(ws, "nature").to_dict()["meta"]["theme_set"]
    assert first == "computed"
    assert second == "reused"


def test_a_user_given_k_replaces_the_shared_set_for_analyze_too(
    two_missions: tuple[Workspace, list[int], list[int]],
) -> None:
    ws, _, _ = two_missions
    assert mapping_service.themes(ws, k=3).k == 3
    evidence = analyze_portfolio(ws).to_dict()["diversity"]["theme_set"]
    assert evidence["k"] == 3
    assert "set by the user" in evidence["chosen_by"]["rule"]


def _compute(url: str) -> int:
    ws = Workspace.open(url)
    try:
        return shared_themes(ws, recompute=True).generation
    finally:
        ws.close()


def test_two_processes_computing_themes_at_once_leave_one_whole_set(workspace: Workspace) -> None:
    ids = add_projects(workspace, topics_of(4, 20), start_id=1)
    url = workspace.engine.url.render_as_string(hide_password=False)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        generations = pool.map(_compute, [url, url])
    with workspace.reading() as session:
        sets = [(row.generation, row.k) for row in session.scalars(select(ThemeSetRow))]
        k = sets[0][1]
        themes = session.scalar(select(func.count()).select_from(ThemeRow).where(ThemeRow.corpus == CORPUS))
        members = session.execute(select(ThemeMemberRow.project_id, ThemeMemberRow.theme)).all()
    assert len(sets) == 1
    assert sets[0][0] in generations  # each process returned a published set; the last one is it
    assert themes == k
    assert sorted(pid for pid, _ in members) == ids
    assert {theme for _, theme in members} <= set(range(1, k + 1))


def test_the_themes_and_analyze_commands_print_the_same_k(cli) -> None:  # type: ignore[no-untyped-def]
    import json

    ws = Workspace.open(f"sqlite:///{cli.workspace}", create=True)
    add_projects(ws, topics_of(4, 15), start_id=1)
    ws.close()
    themes = cli("themes", "--format", "json")
    assert themes.exit_code == 0, themes.stderr
    analysis = cli("analyze", "--format", "json")
    assert analysis.exit_code == 0, analysis.stderr
    shown = json.loads(themes.stdout)
    analysed = json.loads(analysis.stdout)
    assert shown["k"] == analysed["diversity"]["theme_set"]["k"] == 4
    assert {t["theme"]: t["size"] for t in shown["themes"]} == {
        r["theme"]: r["projects"] for r in analysed["themes"]["rows"]
    }


def test_a_read_only_workspace_gets_themes_without_storing_them(sqlite_url: str) -> None:
    ws = Workspace.open(sqlite_url, create=True)
    add_projects(ws, topics_of(3, 20), start_id=1)
    ws.close()
    reader = Workspace.open(sqlite_url, read_only=True)
    try:
        themes = shared_themes(reader)
        assert themes.k == 3
        assert themes.status.startswith("computed (read-only")
        with reader.reading() as session:
            assert session.scalar(select(func.count()).select_from(ThemeSetRow)) == 0
    finally:
        reader.close()
