"""The landscape in the API and on the mission's landscape page: the answer is the one its model and the
OpenAPI description declare; a private mission's landscape is for its members; the page says how to
compute a landscape where there is none."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from analyze_support import MISSION, record, save_mission, write_parquet
from fastapi.testclient import TestClient

from missionboard.services import accounts
from missionboard.services.landscape import analyze_landscape
from missionboard.store.workspace import Workspace
from missionboard.web.landscape_api import LandscapeOut

PASSWORD = "correct horse battery"
PATH = f"/api/v1/missions/{MISSION}/landscape"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Workspace, TestClient]]:
    from argon2 import PasswordHasher

    from missionboard.web import create_app

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    ws = Workspace.open(f"sqlite:///{tmp_path / 'web.db'}", create=True)
    save_mission(ws)  # private: not public
    accounts.create_user(ws, "viewer", PASSWORD, by="seed")
    accounts.set_role(ws, "viewer", MISSION, "viewer", by="seed")
    accounts.create_user(ws, "outsider", PASSWORD, by="seed")
    with TestClient(create_app(ws, secure_cookies=False), base_url="http://127.0.0.1") as client:
        yield ws, client
    ws.close()


@pytest.fixture
def analysed(site: tuple[Workspace, TestClient], tmp_path: Path) -> tuple[Workspace, TestClient]:
    ws, _ = site
    write_parquet(
        tmp_path / "mapped" / "part-00000.parquet",
        [
            record(
                "w1",
                ("decarbonise", 0.9),
                year=2024,
                amount_eur=2_500_000.0,
                organisations=["Hydrogen Works Oy"],
                countries=["FI"],
                fields=["engineering and technology"],
            ),
            record(
                "w2", ("ecosystems", 0.8), year=2021, organisations=["Fjord Cluster AS"], countries=["NO"]
            ),
            record("w3", ("health", 0.7), year=2023, amount_eur=90_000.0),
        ],
    )
    analyze_landscape(ws, MISSION, tmp_path / "mapped", user="analyst")
    return site


def _bearer(ws: Workspace, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.create_token(ws, username, 'test', by='test')}"}


def _schema_errors(client: TestClient, body: Any) -> list[str]:
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    description = client.get("/api/v1/openapi.json").json()
    declared = description["paths"]["/api/v1/missions/{mission_id}/landscape"]["get"]["responses"]["200"]
    schema = {**declared["content"]["application/json"]["schema"], "components": description["components"]}
    return [f"{e.instance_path}: {e.message}" for e in jsonschema_rs.validator_for(schema).iter_errors(body)]


def test_the_api_answers_the_landscape_as_its_model_declares(analysed: tuple[Workspace, TestClient]) -> None:
    ws, client = analysed
    response = client.get(PATH, headers=_bearer(ws, "viewer"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert LandscapeOut.model_validate(body).analyzed is True
    assert _schema_errors(client, body) == []
    decarbonise = next(o for o in body["objectives"] if o["objective"] == "decarbonise")
    assert [o["name"] for o in decarbonise["outside_portfolio"]] == ["Hydrogen Works Oy", "Fjord Cluster AS"]


def test_the_api_answers_a_mission_never_analysed_with_no_run(site: tuple[Workspace, TestClient]) -> None:
    ws, client = site
    body = client.get(PATH, headers=_bearer(ws, "viewer")).json()
    assert (body["analyzed"], body["run"], body["objectives"]) == (False, None, [])
    assert _schema_errors(client, body) == []


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("outsider", 403)])
def test_a_private_missions_landscape_is_only_for_its_members(
    analysed: tuple[Workspace, TestClient], who: str | None, status: int
) -> None:
    ws, client = analysed
    response = client.get(PATH, headers=_bearer(ws, who) if who else {})
    assert response.status_code == status
    assert "Hydrogen Works" not in response.text


def test_the_landscape_of_an_unknown_mission_is_not_found(site: tuple[Workspace, TestClient]) -> None:
    ws, client = site
    assert client.get("/api/v1/missions/nowhere/landscape", headers=_bearer(ws, "viewer")).status_code == 404


def _login(client: TestClient, username: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def test_the_page_shows_who_works_on_each_objective_outside_the_portfolio(
    analysed: tuple[Workspace, TestClient],
) -> None:
    _, client = analysed
    _login(client, "viewer")
    page = client.get(f"/missions/{MISSION}/landscape")
    assert page.status_code == 200
    assert "Most active organisations outside the portfolio" in page.text
    assert "Hydrogen Works Oy" in page.text
    assert "Decarbonise industry" in page.text


def test_the_page_of_a_mission_never_analysed_says_how_to_map_and_analyse(
    site: tuple[Workspace, TestClient],
) -> None:
    _, client = site
    _login(client, "viewer")
    page = client.get(f"/missions/{MISSION}/landscape")
    assert page.status_code == 200
    assert "missionboard landscape map --taxonomy mission:cleantech" in page.text
    assert "missionboard landscape analyze --mission cleantech --input" in page.text


def test_the_page_of_a_private_mission_shows_nothing_to_an_outsider(
    analysed: tuple[Workspace, TestClient],
) -> None:
    _, client = analysed
    _login(client, "outsider")
    page = client.get(f"/missions/{MISSION}/landscape")
    assert page.status_code == 403
    assert "Hydrogen Works" not in page.text
