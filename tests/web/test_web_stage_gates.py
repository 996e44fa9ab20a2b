"""Stage-gates through the real app: scheduling a gate, deciding at it, a duplicate refused with 409,
an appeal lodged by an editor and ruled on by an owner, the gate calendar page; every write authorised
by role and, from a page, CSRF-checked."""

from __future__ import annotations

import pytest
from web_support import Web

from missionboard.store.audit import events

PROJECT = 3  # accepted into the 'ocean' mission in the seed workspace, no end date
GATE = {"name": "G1", "due": "2025-06-30", "criteria": ["Prototype at sea", "Two harbours signed"]}
STOP = {"decision": "stop", "rationale": "No harbour signed", "gate": "G1", "met": [1]}


def _schedule(web: Web, who: str = "editor") -> int:
    return web.client.post(f"/api/v1/projects/{PROJECT}/gates", json=GATE, headers=web.token(who)).status_code


def _stop(web: Web) -> dict[str, object]:
    assert _schedule(web) == 201
    response = web.client.post(
        f"/api/v1/projects/{PROJECT}/decisions", json=STOP, headers=web.token("editor")
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _status(web: Web) -> str:
    return str(web.client.get(f"/api/v1/projects/{PROJECT}", headers=web.token("viewer")).json()["status"])


@pytest.mark.parametrize(
    ("who", "status"), [("viewer", 403), ("reviewer", 403), ("outsider", 403), ("editor", 201)]
)
def test_scheduling_a_gate_needs_the_editor_role_on_a_mission_the_project_serves(
    web: Web, who: str, status: int
) -> None:
    assert _schedule(web, who) == status


def test_a_stop_at_a_gate_terminates_the_project_and_the_same_stop_again_is_409(web: Web) -> None:
    _stop(web)
    assert _status(web) == "terminated"
    again = web.client.post(f"/api/v1/projects/{PROJECT}/decisions", json=STOP, headers=web.token("owner"))
    assert again.status_code == 409, again.text
    assert "was stopped on" in again.json()["error"]
    gates = web.client.get(f"/api/v1/projects/{PROJECT}/gates", headers=web.token("viewer")).json()
    assert gates["gates"][0]["decision"]["criteria_met"] == 1
    calendar = web.client.get("/api/v1/missions/ocean/gates", headers=web.token("viewer")).json()
    assert [(g["project_id"], g["state"]) for g in calendar["gates"]] == [(PROJECT, "decided")]


def test_an_appeal_is_lodged_by_an_editor_and_ruled_on_by_an_owner_and_logged(web: Web) -> None:
    _stop(web)
    decisions = web.client.get(f"/api/v1/projects/{PROJECT}", headers=web.token("viewer")).json()["decisions"]
    decision_id = decisions[0]["id"]
    appeal = {"reason": "A harbour signed the day before"}
    lodge = f"/api/v1/decisions/{decision_id}/appeals"
    assert web.client.post(lodge, json=appeal, headers=web.token("reviewer")).status_code == 403
    lodged = web.client.post(lodge, json=appeal, headers=web.token("editor"))
    assert lodged.status_code == 201, lodged.text
    [entry] = [d for d in lodged.json()["decisions"] if d["id"] == decision_id]
    appeal_id = entry["appeals"][0]["id"]
    assert web.client.post(lodge, json=appeal, headers=web.token("editor")).status_code == 409  # still open
    ruling = {"outcome": "overturned", "ruling": "The signature counts"}
    rule = f"/api/v1/appeals/{appeal_id}/ruling"
    assert web.client.post(rule, json=ruling, headers=web.token("editor")).status_code == 403
    ruled = web.client.post(rule, json=ruling, headers=web.token("owner"))
    assert ruled.status_code == 200, ruled.text
    assert _status(web) == "active"
    assert web.client.post(rule, json=ruling, headers=web.token("owner")).status_code == 409
    with web.workspace.reading() as session:
        logged = [(e.action, e.actor) for e in events(session, entity="appeal")]
    assert logged == [("appeal.lodge", "editor"), ("appeal.rule", "owner")]


def test_pages_decide_and_appeal_only_with_the_forms_csrf_token(web: Web) -> None:
    assert _schedule(web) == 201
    csrf = web.login("editor")
    form = {"decision": "continue", "rationale": "Prototype works", "gate": "G1", "met": ["1", "2"]}
    forged = web.client.post(f"/projects/{PROJECT}/decisions", data=form, follow_redirects=False)
    assert forged.status_code == 403
    posted = web.client.post(
        f"/projects/{PROJECT}/decisions", data={**form, "csrf_token": csrf}, follow_redirects=False
    )
    assert posted.status_code == 303, posted.text
    page = web.client.get(f"/projects/{PROJECT}").text
    assert "continue</strong> at gate G1" in page
    assert "met: Two harbours signed" in page
    again = web.client.post(
        f"/projects/{PROJECT}/decisions", data={**form, "csrf_token": csrf}, follow_redirects=False
    )
    assert again.status_code == 409
    with web.workspace.reading() as session:
        [decision] = [e for e in events(session, entity="decision") if e.actor == "editor"]
    appeal = {"reason": "Criteria misread", "csrf_token": csrf}
    lodged = web.client.post(f"/decisions/{decision.entity_id}/appeals", data=appeal, follow_redirects=False)
    assert lodged.status_code == 303, lodged.text
    assert "Appeal #1 by editor" in web.client.get(f"/projects/{PROJECT}").text
    calendar = web.client.get("/missions/ocean/gates?as_of=2025-06-01")
    assert calendar.status_code == 200
    assert "Two harbours signed" in calendar.text
    assert "in 29 days" in calendar.text
