"""A private mission leaves no trace for those who may not see it: not in a project's links, not in a
decision's evidence, not among the explorer's filters, in the JSON API and on the pages alike."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from web_support import PASSWORD, Web

from missionboard.missionfile import parse_mission
from missionboard.services import accounts
from missionboard.services import explorer as queries
from missionboard.services import missions as mission_service
from missionboard.store.tables import DecisionRow, LinkRow

PROJECT = 41  # linked to nothing in the seed workspace
SHARED_YAML = """mission:
  id: sunny-fields
  title: Solar on every farm
  challenge: Farms buy their power
  statement: By 2030 half of the farms make their own power.
  owner: Energy agency
  deadline: 2030-12-31
  public: true
  objectives:
    - id: sun-goal
      title: Farms with solar panels
      indicator: {id: farm_solar, name: Share of farms with solar panels, unit: "%"}
      baseline: {value: 5, year: 2020}
      target: {value: 50, year: 2030}
"""
HIDDEN_YAML = """mission:
  id: hidden-harbour
  title: Quayside quietness
  challenge: Noise in the harbour
  statement: By 2030 halve the night-time noise in the harbour.
  owner: Port authority
  deadline: 2030-12-31
  public: false
  objectives:
    - id: zeta-goal
      title: Zeta objective of quiet nights
      indicator: {id: night_noise, name: Night-time noise in dB, unit: dB}
      baseline: {value: 70, year: 2020}
      target: {value: 55, year: 2030}
"""
TRACES = ("hidden-harbour", "zeta-goal", "Zeta objective", "Quayside quietness")
"""Everything that would tell an outsider the hidden mission exists."""


@pytest.fixture
def world(web: Web) -> Web:
    """Project 41 serves a public mission and a private one; 'farmer' edits the public one only and
    records a decision, whose evidence snapshot then holds both missions' objectives."""
    ws = web.workspace
    for text in (SHARED_YAML, HIDDEN_YAML):
        mission_service.save_mission(ws, parse_mission(text, "test.yaml"), user="test", origin="test")
    accounts.create_user(ws, "farmer", PASSWORD, by="test")
    accounts.set_role(ws, "farmer", "sunny-fields", "editor", by="test")
    with ws.transaction() as session:
        for taxonomy, goal in (("mission:sunny-fields", "sun-goal"), ("mission:hidden-harbour", "zeta-goal")):
            session.add(
                LinkRow(
                    project_id=PROJECT,
                    taxonomy=taxonomy,
                    goal=goal,
                    score=0.9,
                    method="query",
                    evidence={"matched": [goal]},
                    status="accepted",
                )
            )
    return web


def _decide(web: Web) -> dict[str, object]:
    response = web.client.post(
        f"/api/v1/projects/{PROJECT}/decisions",
        json={"decision": "continue", "rationale": "Keep going"},
        headers=web.token("farmer"),
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _traces(text: str) -> list[str]:
    return [trace for trace in TRACES if trace in text]


def test_the_stored_evidence_holds_the_hidden_mission_so_the_filter_has_something_to_hide(world: Web) -> None:
    _decide(world)
    with world.workspace.reading() as session:
        evidence = session.scalars(
            select(DecisionRow.evidence).where(DecisionRow.project_id == PROJECT)
        ).one()
    assert {o["mission"] for o in evidence["objectives"]} == {"sunny-fields", "hidden-harbour"}


def test_a_decision_answer_shows_only_the_deciders_missions_in_its_evidence(world: Web) -> None:
    body = _decide(world)
    assert _traces(json.dumps(body)) == []
    objectives = body["decisions"][0]["evidence"]["objectives"]  # type: ignore[index]
    assert [o["mission"] for o in objectives] == ["sunny-fields"]


def test_an_admin_sees_the_private_mission_in_links_and_evidence(world: Web) -> None:
    _decide(world)
    body = world.client.get(f"/api/v1/projects/{PROJECT}", headers=world.token("admin")).json()
    assert {link["taxonomy"] for link in body["links"]} == {"mission:sunny-fields", "mission:hidden-harbour"}
    missions = {o["mission"] for o in body["decisions"][0]["evidence"]["objectives"]}
    assert missions == {"sunny-fields", "hidden-harbour"}


API_PATHS = (
    f"/api/v1/projects/{PROJECT}",
    "/api/v1/projects?per_page=500",
    "/api/v1/projects?goal=mission:sunny-fields/sun-goal",
    "/api/v1/links?per_page=500",
    f"/api/v1/links?project_id={PROJECT}",
    "/api/v1/links?goal=zeta-goal",
    "/api/v1/missions",
    "/api/v1/missions/sunny-fields",
)


@pytest.mark.parametrize("path", API_PATHS)
@pytest.mark.parametrize("who", ["outsider", "farmer"])
def test_the_api_shows_nothing_of_a_private_mission_to_users_without_a_role_on_it(
    world: Web, path: str, who: str
) -> None:
    _decide(world)
    response = world.client.get(path, headers=world.token(who))
    assert response.status_code == 200, response.text
    assert _traces(response.text) == []


PAGES = (f"/projects/{PROJECT}", "/projects", "/missions/sunny-fields", "/")


@pytest.mark.parametrize("path", PAGES)
def test_the_pages_show_nothing_of_a_private_mission_to_a_user_without_roles(world: Web, path: str) -> None:
    _decide(world)
    world.login("outsider")
    response = world.client.get(path)
    assert response.status_code == 200, response.text
    assert _traces(response.text) == []


def test_the_project_page_still_shows_the_public_missions_link_to_a_user_without_roles(world: Web) -> None:
    world.login("outsider")
    page = world.client.get(f"/projects/{PROJECT}").text
    assert "mission:sunny-fields" in page


def test_the_project_page_shows_the_private_mission_to_its_members(world: Web) -> None:
    accounts.set_role(world.workspace, "outsider", "hidden-harbour", "viewer", by="test")
    world.login("outsider")
    assert "mission:hidden-harbour" in world.client.get(f"/projects/{PROJECT}").text


def test_filtering_by_a_private_missions_goal_is_refused(world: Web) -> None:
    response = world.client.get(
        "/api/v1/projects?goal=mission:hidden-harbour/zeta-goal", headers=world.token("outsider")
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("taxonomy", "missions", "shown"),
    [
        ("mission:a", None, True),
        ("mission:a", {"a"}, True),
        ("mission:a", {"b"}, False),
        ("mission:deleted", set(), False),
        ("sdg", set(), True),
    ],
)
def test_links_show_where_their_mission_is_visible_and_other_taxonomies_always(
    taxonomy: str, missions: set[str] | None, shown: bool
) -> None:
    assert queries.shows_taxonomy(taxonomy, missions) is shown


def test_decision_evidence_keeps_the_projects_own_facts_and_only_visible_objectives() -> None:
    evidence = {
        "flags": [{"code": "overdue", "reason": "late"}],
        "objectives": [{"mission": "a", "objective": "x"}, {"mission": "b", "objective": "y"}, "odd"],
    }
    shown = queries.visible_evidence(evidence, {"a"})
    assert shown["flags"] == evidence["flags"]
    assert shown["objectives"] == [{"mission": "a", "objective": "x"}]
    assert queries.visible_evidence(evidence, None) is evidence


ONLY_HIDDEN = 42
"""A project whose only link is to the hidden mission."""


@pytest.fixture
def hidden_only(world: Web) -> Web:
    with world.workspace.transaction() as session:
        session.add(
            LinkRow(
                project_id=ONLY_HIDDEN,
                taxonomy="mission:hidden-harbour",
                goal="zeta-goal",
                score=0.9,
                method="query",
                status="accepted",
            )
        )
    return world


@pytest.mark.parametrize(("user", "accepted", "unlinked"), [("outsider", 0, 1), ("admin", 1, 0)])
def test_filtering_by_link_status_counts_only_the_links_the_caller_may_see(
    hidden_only: Web, user: str, accepted: int, unlinked: int
) -> None:
    def found(status: str) -> int:
        params = {"q": f"P{ONLY_HIDDEN:03d}", "link_status": status}
        response = hidden_only.client.get("/api/v1/projects", params=params, headers=hidden_only.token(user))
        assert response.status_code == 200, response.text
        return int(response.json()["total"])

    assert found("accepted") == accepted
    assert found("unlinked") == unlinked


def test_the_explorer_export_counts_only_visible_links_for_a_user_without_roles(hidden_only: Web) -> None:
    hidden_only.login("outsider")
    query = {"q": f"P{ONLY_HIDDEN:03d}", "link_status": "accepted"}
    exported = hidden_only.client.get("/projects/export.csv", params=query)
    assert exported.status_code == 200
    assert f"P{ONLY_HIDDEN:03d}" not in exported.text
    page = hidden_only.client.get("/projects", params=query)
    assert page.status_code == 200
    assert f'href="/projects/{ONLY_HIDDEN}"' not in page.text


def test_reviewing_a_link_of_a_hidden_mission_answers_as_if_it_did_not_exist(hidden_only: Web) -> None:
    with hidden_only.workspace.reading() as session:
        link_id = session.scalars(
            select(LinkRow.id).where(
                LinkRow.taxonomy == "mission:hidden-harbour", LinkRow.project_id == ONLY_HIDDEN
            )
        ).first()
    response = hidden_only.client.post(
        f"/api/v1/links/{link_id}/review", json={"action": "accept"}, headers=hidden_only.token("outsider")
    )
    assert response.status_code == 404
    assert _traces(response.text) == []
