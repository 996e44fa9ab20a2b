"""The learning page: notes with search and filters, writing a note (editors and admins, CSRF checked),
and two review rounds compared."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from learning_support import seed_mission

from missionboard.services import accounts, learning
from missionboard.store.workspace import Workspace

PASSWORD = "correct horse battery"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Workspace, TestClient]]:
    from argon2 import PasswordHasher

    from missionboard.web import create_app

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    ws = Workspace.open(f"sqlite:///{tmp_path / 'web.db'}", create=True)
    seed_mission(ws)
    accounts.create_user(ws, "admin", PASSWORD, admin=True, by="seed")
    for role in ("editor", "viewer"):
        accounts.create_user(ws, role, PASSWORD, by="seed")
        accounts.set_role(ws, role, "ocean", role, by="seed")
    accounts.create_user(ws, "outsider", PASSWORD, by="seed")
    with TestClient(create_app(ws, secure_cookies=False), base_url="http://127.0.0.1") as client:
        yield ws, client
    ws.close()


def _token(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def login(client: TestClient, username: str) -> str:
    """Log in through the form; returns the session's CSRF token."""
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "csrf_token": _token(client, "/login"),
            "next": "/",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return _token(client, "/account")


def _post(client: TestClient, csrf: str, **fields: str | list[str]) -> int:
    data: dict[str, str | list[str]] = {"kind": "lesson", "text": "Prizes reach new actors", **fields}
    if csrf:
        data["csrf_token"] = csrf
    return client.post("/missions/ocean/learning", data=data, follow_redirects=False).status_code


@pytest.mark.parametrize("user", ["editor", "admin"])
def test_an_editor_or_admin_writes_a_note_shown_with_its_links(
    site: tuple[Workspace, TestClient], user: str
) -> None:
    ws, client = site
    csrf = login(client, user)
    assert _post(client, csrf, objective=["litter"], projects="test:P2, 3", round="Q4") == 303
    [note] = learning.notes(ws, "ocean")
    assert note.author == user
    assert [link.target for link in note.links] == ["litter", "2", "3"]
    page = client.get("/missions/ocean/learning").text
    assert "Prizes reach new actors" in page
    assert 'href="/projects/2"' in page
    assert 'href="/missions/ocean#litter"' in page


@pytest.mark.parametrize("user", ["viewer", "outsider"])
def test_a_viewer_or_outsider_may_not_write_a_note(site: tuple[Workspace, TestClient], user: str) -> None:
    ws, client = site
    csrf = login(client, user)
    assert _post(client, csrf) == 403
    assert learning.notes(ws, "ocean") == []


def test_a_note_without_the_csrf_token_is_refused(site: tuple[Workspace, TestClient]) -> None:
    ws, client = site
    login(client, "editor")
    assert _post(client, "") == 403
    assert learning.notes(ws, "ocean") == []


def test_a_note_linking_an_unknown_objective_is_refused_and_nothing_is_written(
    site: tuple[Workspace, TestClient],
) -> None:
    ws, client = site
    csrf = login(client, "editor")
    assert _post(client, csrf, objective=["oceans"]) == 404
    assert learning.notes(ws, "ocean") == []


def test_the_page_searches_and_filters_the_notes(site: tuple[Workspace, TestClient]) -> None:
    ws, client = site
    learning.add_note(ws, "ocean", "lesson", "Fishing gear returns", user="editor")
    learning.add_note(ws, "ocean", "risk", "Storms wash litter ashore", user="editor")
    login(client, "viewer")
    found = client.get("/missions/ocean/learning", params={"q": "GEAR"}).text
    assert "Fishing gear returns" in found
    assert "Storms wash litter ashore" not in found
    risks = client.get("/missions/ocean/learning", params={"kind": "risk"}).text
    assert "Fishing gear returns" not in risks
    assert "Storms wash litter ashore" in risks


def test_a_viewer_sees_no_form_and_the_tabs_link_the_learning_page(
    site: tuple[Workspace, TestClient],
) -> None:
    _, client = site
    login(client, "viewer")
    page = client.get("/missions/ocean/learning").text
    assert 'href="/missions/ocean/learning"' in page
    assert 'action="/missions/ocean/learning"' not in page


def test_an_outsider_may_not_read_a_private_missions_log(site: tuple[Workspace, TestClient]) -> None:
    _, client = site
    login(client, "outsider")
    assert client.get("/missions/ocean/learning").status_code == 403


def test_two_rounds_are_compared_on_the_page(site: tuple[Workspace, TestClient]) -> None:
    ws, client = site
    learning.close_round(ws, "ocean", "Q3", user="admin")
    learning.add_note(ws, "ocean", "pivot", "Deposit schemes", user="editor", round="Q4")
    learning.close_round(ws, "ocean", "Q4", user="admin")
    login(client, "viewer")
    assert 'action="/missions/ocean/learning/compare"' in client.get("/missions/ocean/learning").text
    page = client.get("/missions/ocean/learning/compare", params={"a": "Q3", "b": "Q4"})
    assert page.status_code == 200
    assert "Review rounds Q3 → Q4" in page.text
    assert "Halve beach litter" in page.text
    assert "Deposit schemes" in page.text
    assert client.get("/missions/ocean/learning/compare", params={"a": "Q3", "b": "Q9"}).status_code == 404


def test_the_printable_report_carries_the_learning_log(site: tuple[Workspace, TestClient]) -> None:
    ws, client = site
    learning.add_note(ws, "ocean", "lesson", "Beach counts need the same volunteers each year", user="admin")
    login(client, "viewer")
    report = client.get("/missions/ocean/report").text
    assert 'id="learning-h">Learning log</h2>' in report
    assert "Beach counts need the same volunteers each year" in report
