"""What the web keeps between requests (verified API tokens, missions, how many projects a view holds) is
exact: a change written by another process — the CLI, another web worker — counts from the next request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from web_support import MISSION, Clock, Web

from missionboard.domain.common import utc_aware
from missionboard.services import accounts, explorer
from missionboard.services import missions as mission_service
from missionboard.store.workspace import Workspace


@pytest.fixture
def other_process(web: Web) -> Iterator[Workspace]:
    """The same workspace opened a second time, as another process (the CLI) would open it."""
    database = web.workspace.engine.url.database
    ws = Workspace.open(f"sqlite:///{database}")
    yield ws
    ws.close()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _revoke(ws: Workspace) -> None:
    (token,) = accounts.list_tokens(ws, "viewer")
    accounts.revoke_token(ws, "viewer", int(str(token["id"])), by="admin")


def _disable(ws: Workspace) -> None:
    accounts.set_active(ws, "viewer", False, by="admin")


def _take_role(ws: Workspace) -> None:
    accounts.set_role(ws, "viewer", MISSION, None, by="admin")


CHANGES: list[tuple[Callable[[Workspace], None], int]] = [(_revoke, 401), (_disable, 401), (_take_role, 403)]


@pytest.mark.parametrize(("change", "status"), CHANGES, ids=["revoked", "disabled", "role-taken"])
def test_a_token_read_through_the_cache_loses_its_rights_on_the_request_after_another_process_changes_them(
    web: Web, other_process: Workspace, change: Callable[[Workspace], None], status: int
) -> None:
    token = accounts.create_token(web.workspace, "viewer", "script", by="test")
    assert web.client.get(f"/api/v1/missions/{MISSION}", headers=_bearer(token)).status_code == 200
    assert web.client.get(f"/api/v1/missions/{MISSION}", headers=_bearer(token)).status_code == 200  # kept
    change(other_process)
    assert web.client.get(f"/api/v1/missions/{MISSION}", headers=_bearer(token)).status_code == status


def test_a_write_with_a_token_revoked_in_another_process_is_refused(
    web: Web, other_process: Workspace
) -> None:
    token = accounts.create_token(web.workspace, "admin", "script", by="test")
    assert web.client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    (kept,) = accounts.list_tokens(other_process, "admin")
    accounts.revoke_token(other_process, "admin", int(str(kept["id"])), by="admin")
    response = web.client.put(
        f"/api/v1/missions/{MISSION}/members/outsider", json={"role": "viewer"}, headers=_bearer(token)
    )
    assert response.status_code == 401
    assert accounts.get_account(web.workspace, "outsider").role_on(MISSION) is None


def test_a_kept_token_is_refused_once_it_expires(web: Web, clock: Clock) -> None:
    token = accounts.create_token(
        web.workspace, "admin", "script", by="test", expires_at=clock.now + dt.timedelta(hours=1)
    )
    assert web.client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    clock.advance(hours=1)
    response = web.client.get("/api/v1/me", headers=_bearer(token))
    assert response.status_code == 401
    assert "expired" in response.json()["error"]


def test_a_kept_token_still_notes_when_it_was_last_used(web: Web, clock: Clock) -> None:
    token = accounts.create_token(web.workspace, "admin", "script", by="test")
    web.client.get("/api/v1/me", headers=_bearer(token))
    clock.advance(minutes=10)
    web.client.get("/api/v1/me", headers=_bearer(token))
    (found,) = accounts.list_tokens(web.workspace, "admin")
    assert found["last_used_at"] is not None
    assert utc_aware(found["last_used_at"]) == clock.now  # type: ignore[arg-type]


def test_an_unknown_token_is_refused_every_time(web: Web) -> None:
    for _ in range(2):
        assert web.client.get("/api/v1/me", headers=_bearer("mb_not-a-token")).status_code == 401


def test_a_mission_edited_in_another_process_shows_its_new_title_on_the_next_view(
    web: Web, other_process: Workspace
) -> None:
    headers = web.token("admin")
    assert "Plastic-free coastal waters" in web.client.get(f"/missions/{MISSION}", headers=headers).text
    current = mission_service.get_mission(other_process, MISSION).mission
    edited = current.model_copy(update={"title": "Litter-free coastal waters"})
    mission_service.save_mission(other_process, edited, user="admin", origin="test")
    assert "Litter-free coastal waters" in web.client.get(f"/missions/{MISSION}", headers=headers).text
    assert "Litter-free coastal waters" in web.client.get("/projects", headers=headers).text


def test_a_view_is_counted_once_for_all_its_pages_until_something_is_written(
    web: Web, other_process: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: list[explorer.ProjectFilter] = []
    count = explorer.count_projects

    def counting(session: object, view: explorer.ProjectFilter, visible: object = None) -> int:
        counted.append(view)
        return count(session, view, visible)  # type: ignore[arg-type]

    monkeypatch.setattr(explorer, "count_projects", counting)
    headers = web.token("admin")
    for page in (1, 2, 1):
        assert web.client.get(f"/projects?per_page=25&page={page}", headers=headers).status_code == 200
    assert len(counted) == 1
    accounts.set_role(other_process, "outsider", MISSION, "viewer", by="admin")
    page = web.client.get("/projects?per_page=25&page=2", headers=headers)
    assert len(counted) == 2
    assert "60 projects" in page.text


@pytest.mark.parametrize(
    ("query", "option"),
    [
        ("instrument=rd_grant", '<option value="rd_grant" selected>R&amp;D grant</option>'),
        ("instrument=loan", '<option value="rd_grant" >R&amp;D grant</option>'),
        ("region=Vestland", '<option value="Vestland" selected>Vestland</option>'),
    ],
)
def test_the_explorer_offers_each_filter_value_in_words_with_the_chosen_one_selected(
    web: Web, query: str, option: str
) -> None:
    page = web.client.get(f"/projects?{query}", headers=web.token("admin"))
    assert option in page.text
