"""The JSON API: every endpoint, each role allowed or refused, pagination, filtering and the audit trail."""

from __future__ import annotations

import pytest
from web_support import ROLES, Web

from missionboard.missionfile import mission_document
from missionboard.services import missions as mission_service
from missionboard.store.audit import events

EVERYONE = ("admin", *ROLES, "outsider")


def _allowed(who: str, allowed: tuple[str, ...]) -> int:
    return 200 if who in allowed else 403


def _mission_body(web: Web, **changes: object) -> dict[str, object]:
    document = mission_document(mission_service.get_mission(web.workspace, "ocean").mission)
    document.update(changes)
    return document


# --- missions ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_mission_list_shows_members_their_missions_and_everyone_the_public_ones(web: Web, who: str) -> None:
    items = web.client.get("/api/v1/missions", headers=web.token(who)).json()["items"]
    ids = {m["id"] for m in items}
    assert "open-air" in ids
    assert ("ocean" in ids) == (who != "outsider")
    assert ("secret-lab" in ids) == (who == "admin")
    ocean = next((m for m in items if m["id"] == "ocean"), None)
    if ocean is not None:
        # 20 links, one proposed with score 0.48: under the portfolio rule's threshold of 0.5
        assert ocean["portfolio_size"] == 19 and ocean["deadline"] == "2030-12-31"


@pytest.mark.parametrize("who", EVERYONE)
def test_reading_a_private_mission_needs_a_role_on_it(web: Web, who: str) -> None:
    headers = web.token(who)
    expected = _allowed(who, ("admin", *ROLES))
    for path in ("", "/check", "/history", "/diff"):
        response = web.client.get(f"/api/v1/missions/ocean{path}", headers=headers)
        assert response.status_code == expected, (path, response.text)
    if expected == 200:
        assert web.client.get("/api/v1/missions/ocean", headers=headers).json()["mission"]["title"]
        assert "score" in web.client.get("/api/v1/missions/ocean/check", headers=headers).json()


def test_anonymous_callers_may_read_a_public_mission_but_not_a_private_one(web: Web) -> None:
    assert web.client.get("/api/v1/missions/open-air").status_code == 200
    assert web.client.get("/api/v1/missions/ocean").status_code == 401


def test_an_unknown_mission_is_404(web: Web) -> None:
    response = web.client.get("/api/v1/missions/nowhere", headers=web.token("admin"))
    assert response.status_code == 404
    assert "no mission 'nowhere'" in response.json()["error"]


@pytest.mark.parametrize("who", EVERYONE)
def test_editing_a_mission_needs_the_editor_role_or_more(web: Web, who: str) -> None:
    body = _mission_body(web, title=f"Edited by {who}")
    response = web.client.put("/api/v1/missions/ocean", json=body, headers=web.token(who))
    assert response.status_code == _allowed(who, ("admin", "owner", "editor"))
    current = mission_service.get_mission(web.workspace, "ocean")
    assert (current.mission.title == f"Edited by {who}") == (response.status_code == 200)


def test_an_edit_is_audited_with_who_and_before_and_after(web: Web) -> None:
    body = _mission_body(web, deadline="2031-06-30")
    response = web.client.put("/api/v1/missions/ocean?comment=later", json=body, headers=web.token("editor"))
    assert response.status_code == 200 and response.json()["version"] == 2
    with web.workspace.reading() as session:
        event = events(session, entity="mission", entity_id="ocean")[-1]
    assert event.actor == "editor" and event.action == "mission.update"
    assert event.before is not None and event.after is not None
    assert event.before["deadline"] == "2030-12-31" and event.after["deadline"] == "2031-06-30"


def test_editing_with_invalid_content_reports_the_field(web: Web) -> None:
    body = _mission_body(web, deadline="2019-01-01")
    response = web.client.put("/api/v1/missions/ocean", json=body, headers=web.token("editor"))
    assert response.status_code == 422
    assert "deadline" in response.text


def test_editing_cannot_change_a_missions_id(web: Web) -> None:
    body = _mission_body(web, id="other")
    response = web.client.put("/api/v1/missions/ocean", json=body, headers=web.token("owner"))
    assert response.status_code == 422


@pytest.mark.parametrize("who", EVERYONE)
def test_yaml_edits_follow_the_same_rule(web: Web, who: str) -> None:
    text = mission_service.export_mission(web.workspace, "ocean").replace("Coastal agency", "Coast guard")
    response = web.client.put("/api/v1/missions/ocean/yaml", json={"yaml": text}, headers=web.token(who))
    assert response.status_code == _allowed(who, ("admin", "owner", "editor"))


def test_yaml_problems_come_back_with_their_line(web: Web) -> None:
    text = "mission:\n  id: ocean\n  title: x\n  challenge: y\n  statement: z\n  owner: o\n  deadline: soon\n"
    response = web.client.put("/api/v1/missions/ocean/yaml", json={"yaml": text}, headers=web.token("owner"))
    assert response.status_code == 422
    problem = response.json()["problems"][0]
    assert problem["line"] == 7 and problem["field"] == "mission.deadline"


@pytest.mark.parametrize("who", EVERYONE)
def test_only_owners_and_admins_delete_a_mission(web: Web, who: str) -> None:
    response = web.client.delete("/api/v1/missions/ocean", headers=web.token(who))
    assert response.status_code == (204 if who in ("admin", "owner") else 403)


@pytest.mark.parametrize("who", ("admin", "owner", "outsider"))
def test_only_admins_create_missions(web: Web, who: str) -> None:
    body = _mission_body(web, id=f"new-{who}", title="New")
    response = web.client.post("/api/v1/missions", json=body, headers=web.token(who))
    assert response.status_code == (201 if who == "admin" else 403)


def test_creating_a_mission_that_exists_is_refused(web: Web) -> None:
    response = web.client.post("/api/v1/missions", json=_mission_body(web), headers=web.token("admin"))
    assert response.status_code == 422


@pytest.mark.parametrize("who", EVERYONE)
def test_only_owners_and_admins_manage_members(web: Web, who: str) -> None:
    headers = web.token(who)
    expected = _allowed(who, ("admin", "owner"))
    assert web.client.get("/api/v1/missions/ocean/members", headers=headers).status_code == expected
    response = web.client.put(
        "/api/v1/missions/ocean/members/outsider", json={"role": "viewer"}, headers=headers
    )
    assert response.status_code == expected


def test_giving_a_role_lets_the_user_in_and_is_audited(web: Web) -> None:
    outsider = web.token("outsider")
    assert web.client.get("/api/v1/missions/ocean", headers=outsider).status_code == 403
    web.client.put(
        "/api/v1/missions/ocean/members/outsider", json={"role": "viewer"}, headers=web.token("owner")
    )
    assert web.client.get("/api/v1/missions/ocean", headers=outsider).status_code == 200
    with web.workspace.reading() as session:
        event = events(session, entity="user", entity_id="outsider")[-1]
    assert event.actor == "owner" and event.after == {"mission": "ocean", "role": "viewer"}


@pytest.mark.parametrize("section", ["analytics", "monitoring"])
def test_analytics_and_monitoring_follow_the_missions_visibility(web: Web, section: str) -> None:
    response = web.client.get(f"/api/v1/missions/ocean/{section}", headers=web.token("viewer"))
    assert response.status_code == 200
    assert (
        web.client.get(f"/api/v1/missions/ocean/{section}", headers=web.token("outsider")).status_code == 403
    )


# --- projects ------------------------------------------------------------------------------------------


def test_projects_need_an_account(web: Web) -> None:
    assert web.client.get("/api/v1/projects").status_code == 401
    assert web.client.get("/api/v1/projects", headers=web.token("outsider")).status_code == 200


def test_projects_are_paged_with_an_exact_total(web: Web) -> None:
    body = web.client.get("/api/v1/projects?per_page=25&page=3", headers=web.token("viewer")).json()
    assert body["total"] == 60 and not body["total_is_lower_bound"]
    assert [p["id"] for p in body["items"]] == list(range(51, 61))
    assert body["has_next"] is False


def test_projects_filter_by_facets_search_and_link_status(web: Web) -> None:
    headers = web.token("viewer")

    def ids(query: str) -> set[int]:
        response = web.client.get(f"/api/v1/projects?per_page=500&{query}", headers=headers)
        assert response.status_code == 200, response.text
        return {p["id"] for p in response.json()["items"]}

    assert ids("funder=Research+Council") == {i for i in range(1, 61) if i % 3 == 0}
    assert ids("instrument=loan&stage=development") == {i for i in range(1, 61) if i % 3 == 1}
    assert ids("q=Beach") == {i for i in range(1, 61) if i % 2}
    assert ids("region=Vestland") == {i for i in range(1, 61) if i % 4 == 1}
    assert ids("region=SE") == {i for i in range(1, 61) if i % 2 == 0}
    assert ids("goal=mission:ocean/litter") == {i for i in range(1, 21) if i % 2}
    assert ids("goal=mission:ocean/litter&link_status=accepted") == {1, 3, 5}
    # project 30's only link is to a private mission the viewer may not see: unlinked, as far as they know
    assert ids("link_status=unlinked") == set(range(21, 61)) - {31}


def test_projects_sort_both_ways(web: Web) -> None:
    headers = web.token("viewer")
    up = web.client.get("/api/v1/projects?sort=budget&per_page=3", headers=headers).json()["items"]
    down = web.client.get("/api/v1/projects?sort=budget&desc=true&per_page=3", headers=headers).json()[
        "items"
    ]
    assert [p["id"] for p in up] == [1, 2, 3] and [p["id"] for p in down] == [60, 59, 58]


@pytest.mark.parametrize(
    "query", ["page=0", "per_page=100000", "sort=secret", "link_status=maybe", "page=abc", "goal=nogoalslash"]
)
def test_bad_project_queries_are_422_not_errors(web: Web, query: str) -> None:
    assert web.client.get(f"/api/v1/projects?{query}", headers=web.token("viewer")).status_code == 422


def test_a_project_comes_with_its_actors_links_and_decisions(web: Web) -> None:
    body = web.client.get("/api/v1/projects/1", headers=web.token("viewer")).json()
    assert body["source_id"] == "P001"
    assert body["links"][0]["taxonomy"] == "mission:ocean"
    assert body["decisions"][0]["decision"] == "continue"
    assert web.client.get("/api/v1/projects/99999", headers=web.token("viewer")).status_code == 404


def test_links_of_missions_a_user_cannot_see_are_hidden(web: Web) -> None:
    viewer = web.client.get("/api/v1/projects/30", headers=web.token("viewer")).json()
    admin = web.client.get("/api/v1/projects/30", headers=web.token("admin")).json()
    assert viewer["links"] == [] and admin["links"][0]["taxonomy"] == "mission:secret-lab"


@pytest.mark.parametrize("who", EVERYONE)
def test_recording_a_decision_needs_editor_on_a_mission_the_project_serves(web: Web, who: str) -> None:
    response = web.client.post(
        "/api/v1/projects/1/decisions",
        json={"decision": "scale", "rationale": "Strong results"},
        headers=web.token(who),
    )
    assert response.status_code == (201 if who in ("admin", "owner", "editor") else 403), response.text
    if response.status_code == 201:
        assert response.json()["decisions"][0]["decision"] == "scale"
        with web.workspace.reading() as session:
            assert events(session, entity="decision")[-1].actor == who


# --- links ---------------------------------------------------------------------------------------------


def test_links_list_in_review_order_and_hides_private_missions(web: Web) -> None:
    headers = web.token("viewer")
    body = web.client.get(
        "/api/v1/links?taxonomy=mission:ocean&status=proposed&by_uncertainty=true", headers=headers
    ).json()
    scores = [abs(link["score"] - 0.5) for link in body["items"]]
    assert scores == sorted(scores) and body["total"] == 15
    everything = web.client.get("/api/v1/links?per_page=500", headers=headers).json()["items"]
    assert {link["taxonomy"] for link in everything} == {"mission:ocean", "sdg"}
    refused = web.client.get("/api/v1/links?taxonomy=mission:secret-lab", headers=headers)
    assert refused.status_code == 403


@pytest.mark.parametrize("who", EVERYONE)
def test_reviewing_a_link_needs_the_reviewer_role_or_more(web: Web, who: str) -> None:
    response = web.client.post("/api/v1/links/10/review", json={"action": "accept"}, headers=web.token(who))
    if who == "outsider":  # the mission is private: to an outsider its links do not exist
        assert response.status_code == 404
    elif who not in ("admin", "owner", "editor", "reviewer"):
        assert response.status_code == 403
    else:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "accepted"


def test_links_of_other_taxonomies_are_reviewed_by_admins_only(web: Web) -> None:
    sdg_link = web.client.get("/api/v1/links?taxonomy=sdg", headers=web.token("admin")).json()["items"][0]
    response = web.client.post(
        f"/api/v1/links/{sdg_link['id']}/review", json={"action": "reject"}, headers=web.token("owner")
    )
    assert response.status_code == 403


def test_a_review_needs_a_known_action(web: Web) -> None:
    response = web.client.post(
        "/api/v1/links/10/review", json={"action": "maybe"}, headers=web.token("reviewer")
    )
    assert response.status_code == 422


# --- imports, audit, users -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ("admin", "owner"))
def test_only_admins_import_and_see_imports(web: Web, who: str) -> None:
    headers = web.token(who)
    assert web.client.get("/api/v1/imports", headers=headers).status_code == _allowed(who, ("admin",))
    files = {"file": ("p.csv", b"source_id,title\nA1,Test project\n", "text/csv")}
    response = web.client.post("/api/v1/imports", files=files, data={"dry_run": "true"}, headers=headers)
    if who != "admin":
        assert response.status_code == 403
    else:
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("who", EVERYONE)
def test_only_admins_read_the_audit_log_and_the_user_list(web: Web, who: str) -> None:
    headers = web.token(who)
    expected = _allowed(who, ("admin",))
    assert web.client.get("/api/v1/audit", headers=headers).status_code == expected
    assert web.client.get("/api/v1/users", headers=headers).status_code == expected


def test_the_audit_log_is_filtered_and_newest_first(web: Web) -> None:
    body = web.client.get("/api/v1/audit?entity=mission&per_page=2", headers=web.token("admin")).json()
    assert len(body["items"]) == 2 and body["total"] == 3
    assert body["items"][0]["id"] > body["items"][1]["id"]


def test_admins_add_users_with_checked_passwords(web: Web) -> None:
    headers = web.token("admin")
    short = web.client.post("/api/v1/users", json={"username": "new", "password": "short"}, headers=headers)
    assert short.status_code == 422 and "at least 10" in short.text
    made = web.client.post(
        "/api/v1/users", json={"username": "new", "password": "long enough pw"}, headers=headers
    )
    assert made.status_code == 201 and made.json()["username"] == "new"
    again = web.client.post(
        "/api/v1/users", json={"username": "new", "password": "long enough pw"}, headers=headers
    )
    assert again.status_code == 422
    refused = web.client.post(
        "/api/v1/users", json={"username": "x", "password": "long enough pw"}, headers=web.token("owner")
    )
    assert refused.status_code == 403


def test_me_describes_the_caller(web: Web) -> None:
    body = web.client.get("/api/v1/me", headers=web.token("reviewer")).json()
    assert body == {
        "username": "reviewer",
        "display_name": "reviewer",
        "is_admin": False,
        "is_active": True,
        "roles": {"ocean": "reviewer"},
    }


def test_the_openapi_schema_lists_every_endpoint_with_bearer_auth(web: Web) -> None:
    schema = web.client.get("/api/v1/openapi.json").json()
    paths = set(schema["paths"])
    for path in (
        "/api/v1/missions",
        "/api/v1/missions/{mission_id}",
        "/api/v1/missions/{mission_id}/check",
        "/api/v1/missions/{mission_id}/history",
        "/api/v1/projects",
        "/api/v1/projects/{project_id}",
        "/api/v1/links",
        "/api/v1/links/{link_id}/review",
        "/api/v1/imports",
        "/api/v1/audit",
    ):
        assert path in paths
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    assert not any(p.startswith("/missions") for p in paths)  # pages are not part of the API


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/projects?q=%00",
        "/api/v1/projects/99999999999999999999",
        "/api/v1/missions/UPPER",
        "/api/v1/links?project_id=-1",
        "/api/v1/audit?page=0",
    ],
)
def test_odd_requests_get_a_client_error_not_a_server_error(web: Web, url: str) -> None:
    response = web.client.get(url, headers=web.token("admin"))
    assert 400 <= response.status_code < 500, response.text


def test_filtering_projects_by_a_hidden_missions_goal_is_refused(web: Web) -> None:
    viewer, admin = web.token("viewer"), web.token("admin")
    assert web.client.get("/api/v1/projects?goal=mission:secret-lab/x", headers=viewer).status_code == 403
    assert web.client.get("/api/v1/projects?goal=mission:secret-lab/x", headers=admin).json()["total"] == 1


def test_deleting_a_mission_removes_its_roles(web: Web) -> None:
    assert web.client.delete("/api/v1/missions/ocean", headers=web.token("owner")).status_code == 204
    me = web.client.get("/api/v1/me", headers=web.token("viewer")).json()
    assert me["roles"] == {}


def _ocean_yaml(web: Web, title: str) -> str:
    from missionboard.missionfile import dump_mission

    mission = mission_service.get_mission(web.workspace, "ocean").mission
    return dump_mission(mission.model_copy(update={"title": title}))


def test_a_mission_edit_from_a_stale_version_is_refused_with_409_and_nothing_is_lost(web: Web) -> None:
    headers = web.token("editor")
    opened = web.client.get("/api/v1/missions/ocean", headers=headers)
    etag = opened.headers["etag"]
    first = web.client.put(
        "/api/v1/missions/ocean/yaml",
        json={"yaml": _ocean_yaml(web, "First editor's title")},
        headers={**headers, "If-Match": etag},
    )
    assert first.status_code == 200, first.text
    second = web.client.put(
        "/api/v1/missions/ocean/yaml",
        json={"yaml": _ocean_yaml(web, "Second editor's title")},
        headers={**headers, "If-Match": etag},
    )
    assert second.status_code == 409, second.text
    assert "reload" in second.json()["error"]
    assert mission_service.get_mission(web.workspace, "ocean").mission.title == "First editor's title"


def test_a_mission_edit_without_a_base_version_applies_to_the_latest(web: Web) -> None:
    response = web.client.put(
        "/api/v1/missions/ocean/yaml", json={"yaml": _ocean_yaml(web, "Plain")}, headers=web.token("editor")
    )
    assert response.status_code == 200


def test_the_edit_form_refuses_to_undo_a_version_saved_while_it_was_open(web: Web) -> None:
    csrf = web.login("editor")
    stale = mission_service.get_mission(web.workspace, "ocean").version
    web.client.put(
        "/api/v1/missions/ocean/yaml",
        json={"yaml": _ocean_yaml(web, "Saved meanwhile")},
        headers=web.token("admin"),
    )
    page = web.client.post(
        "/missions/ocean/yaml",
        data={"csrf_token": csrf, "yaml": _ocean_yaml(web, "Mine"), "base_version": str(stale)},
    )
    assert page.status_code == 409
    assert "while you edited" in page.text
    assert mission_service.get_mission(web.workspace, "ocean").mission.title == "Saved meanwhile"


@pytest.mark.parametrize("base", ["", "0", "-1", "abc", "1.0", "٣", "9" * 23])
def test_the_editor_refuses_a_base_version_it_cannot_read_instead_of_skipping_the_check(
    web: Web, base: str
) -> None:
    csrf = web.login("editor")
    before = mission_service.get_mission(web.workspace, "ocean").version
    page = web.client.post(
        "/missions/ocean/yaml",
        data={"csrf_token": csrf, "yaml": _ocean_yaml(web, "Mine"), "base_version": base},
    )
    assert page.status_code == 422
    assert mission_service.get_mission(web.workspace, "ocean").version == before


@pytest.mark.parametrize("header", ["", "abc", '"0"', '"1.5"'])
def test_an_if_match_header_that_is_not_a_version_is_refused(web: Web, header: str) -> None:
    response = web.client.put(
        "/api/v1/missions/ocean/yaml",
        json={"yaml": _ocean_yaml(web, "Mine")},
        headers={**web.token("editor"), "If-Match": header},
    )
    assert response.status_code == 422


def test_two_admins_creating_the_same_mission_get_one_201_and_one_refusal(web: Web) -> None:
    body = mission_service.get_mission(web.workspace, "ocean").mission.model_dump(mode="json")
    body["id"] = "twin"
    first = web.client.post("/api/v1/missions", json=body, headers=web.token("admin"))
    second = web.client.post("/api/v1/missions", json={**body, "title": "Other"}, headers=web.token("admin"))
    assert (first.status_code, second.status_code) == (201, 422)
    assert mission_service.get_mission(web.workspace, "twin").version == 1


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/api/v1/missions"), ("PUT", "/api/v1/missions/ocean")]
)
def test_an_anonymous_write_is_401_before_its_body_is_judged(web: Web, method: str, path: str) -> None:
    response = web.client.request(method, path, json={"id": ""})
    assert response.status_code == 401
