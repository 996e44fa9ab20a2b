"""How the web answers what goes wrong: a busy, read-only or full workspace, a stray database error, a
bug, and hostile input. Each gets its status, one line (JSON ``{"error": …}`` under /api, the error page
elsewhere) and the security headers; none is an unhandled 500."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from web_support import Web

from missionboard.missionfile import dump_mission, mission_document
from missionboard.services import missions as mission_service
from missionboard.store.workspace import Workspace
from missionboard.web import create_app
from missionboard.web.security import SECURITY_HEADERS


def assert_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name


def _path(workspace: Workspace) -> str:
    database = workspace.engine.url.database
    assert database is not None
    return database


@contextmanager
def pragma_on_connect(workspace: Workspace, statement: str) -> Iterator[None]:
    """Run ``statement`` on each new connection of ``workspace`` (after its own settings)."""

    def run(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(statement)

    event.listen(workspace.engine, "connect", run)
    workspace.engine.dispose()
    try:
        yield
    finally:
        event.remove(workspace.engine, "connect", run)
        workspace.engine.dispose()


@contextmanager
def write_locked(workspace: Workspace) -> Iterator[None]:
    """Another connection holds the workspace's write lock; the app waits only 50 ms for it."""
    with pragma_on_connect(workspace, "PRAGMA busy_timeout=50"):
        other = sqlite3.connect(_path(workspace), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()


def _renamed(workspace: Workspace) -> str:
    """The ocean mission's YAML with a new title: a valid edit."""
    return dump_mission(mission_service.get_mission(workspace, "ocean").mission).replace(
        "Plastic-free", "Litter-free"
    )


def _yaml_edit(web: Web, csrf: str) -> httpx.Response:
    """Rename the ocean mission through the YAML editor page."""
    yaml = _renamed(web.workspace)
    return web.client.post("/missions/ocean/yaml", data={"csrf_token": csrf, "yaml": yaml})


# --- a workspace that cannot take the write ----------------------------------------------------------


def test_a_write_to_a_busy_workspace_is_503_with_retry_after_in_the_api(web: Web) -> None:
    headers = web.token("admin")
    yaml = _renamed(web.workspace)
    with write_locked(web.workspace):
        response = web.client.put("/api/v1/missions/ocean/yaml", json={"yaml": yaml}, headers=headers)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {
        "error": "the workspace is busy: another process is writing to it; try again in a few seconds"
    }
    assert_headers(response)


def test_a_write_to_a_busy_workspace_is_503_with_retry_after_on_a_page(web: Web) -> None:
    csrf = web.login("admin")
    with write_locked(web.workspace):
        response = _yaml_edit(web, csrf)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "another process is writing to it" in response.text
    assert response.headers["content-type"].startswith("text/html")
    assert_headers(response)


def test_reading_goes_on_while_another_process_writes(web: Web) -> None:
    web.login("admin")
    with write_locked(web.workspace):
        response = web.client.get("/missions/ocean")
    assert response.status_code == 200


def test_an_api_token_reads_while_another_process_writes(web: Web) -> None:
    headers = web.token("admin")
    with write_locked(web.workspace):
        response = web.client.get("/api/v1/missions/ocean", headers=headers)
    assert response.status_code == 200


def test_nothing_was_written_when_the_workspace_was_busy(web: Web) -> None:
    csrf = web.login("admin")
    with write_locked(web.workspace):
        _yaml_edit(web, csrf)
    assert mission_service.get_mission(web.workspace, "ocean").mission.title == "Plastic-free coastal waters"


def test_a_read_only_workspace_refuses_writes_with_503_and_still_reads(web_workspace: Workspace) -> None:
    from missionboard.services import accounts

    token = {"Authorization": f"Bearer {accounts.create_token(web_workspace, 'admin', 'ro', by='test')}"}
    yaml = _renamed(web_workspace)
    read_only = Workspace.open(f"sqlite:///{_path(web_workspace)}", read_only=True)
    try:
        with TestClient(create_app(read_only, secure_cookies=False)) as client:
            write = client.put("/api/v1/missions/ocean/yaml", json={"yaml": yaml}, headers=token)
            read = client.get("/api/v1/missions/ocean", headers=token)
    finally:
        read_only.close()
    assert write.status_code == 503
    assert write.json()["error"] == "the workspace is read-only: nothing was written; reading still works"
    assert "retry-after" not in write.headers
    assert read.status_code == 200


def test_a_full_disk_is_507_and_nothing_is_written(web: Web) -> None:
    headers = web.token("admin")
    path = _path(web.workspace)
    with sqlite3.connect(path) as probe:
        pages = probe.execute("PRAGMA page_count").fetchone()[0]
    web.workspace.engine.dispose()
    with pragma_on_connect(web.workspace, f"PRAGMA max_page_count={pages}"):
        response = web.client.put(
            "/api/v1/missions/ocean",
            json=_ocean_document(web, comment_size=200_000),
            headers=headers,
        )
    assert response.status_code == 507, response.text
    assert response.json() == {"error": "the workspace's disk is full: nothing was written"}
    assert_headers(response)


def _ocean_document(web: Web, comment_size: int) -> dict[str, Any]:
    document = mission_document(mission_service.get_mission(web.workspace, "ocean").mission)
    document["challenge"] = {"title": "Plastic", "description": "x" * comment_size}
    return document


# --- a database error or a bug that escapes a route --------------------------------------------------


def _raise(exc: Exception) -> Any:
    def raising(*_args: Any, **_kwargs: Any) -> Any:
        raise exc

    return raising


LOCKED = OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))


@pytest.mark.parametrize("path", ["/api/v1/missions", "/"])
def test_a_database_is_locked_error_escaping_a_route_is_the_same_503(
    web: Web, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.setattr(mission_service, "list_missions", _raise(LOCKED))
    response = web.client.get(path, headers=web.token("admin"))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert_headers(response)


@pytest.mark.parametrize("path", ["/api/v1/missions", "/"])
def test_a_bug_answers_a_generic_500_with_the_headers_and_logs_the_traceback(
    web: Web, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    monkeypatch.setattr(mission_service, "list_missions", _raise(RuntimeError("secret detail")))
    with caplog.at_level(logging.ERROR, logger="missionboard.web"):
        response = web.client.get(path, headers=web.token("admin"))
    assert response.status_code == 500
    assert "secret detail" not in response.text
    assert "something went wrong on our side" in response.text
    assert_headers(response)
    assert any(r.exc_info and "secret detail" in str(r.exc_info[1]) for r in caplog.records)


# --- hostile input: 4xx with the usual page or JSON error ---------------------------------------------

BIG = str(10**30)
HUGE = str(2**70)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"/projects/{HUGE}", 422),
        (f"/projects?page={BIG}", 200),  # clamped to the last page
        (f"/review?page={BIG}", 422),
        (f"/admin/audit?page={BIG}", 422),
        (f"/missions/ocean/history?page={BIG}", 200),  # one page holds every version
        (f"/missions/ocean/export.yaml?version={BIG}", 422),
        (f"/missions/ocean/report?version={HUGE}", 200),  # the report is of the current version
        (f"/api/v1/projects?page={BIG}", 422),
        (f"/api/v1/projects/{HUGE}", 422),
        (f"/api/v1/missions/ocean?version={HUGE}", 422),
        (f"/api/v1/links?project_id={HUGE}", 422),
        (f"/api/v1/audit?per_page={BIG}", 422),
    ],
)
def test_an_oversized_number_in_an_address_is_a_client_error(web: Web, url: str, status: int) -> None:
    web.login("admin")
    response = web.client.get(url)
    assert response.status_code == status, response.text[:300]
    assert_headers(response)


@pytest.mark.parametrize(
    "url",
    [
        f"/projects/{HUGE}/decisions",
        f"/review/{HUGE}",
        f"/account/tokens/{HUGE}/revoke",
        f"/consultations/x/responses/{HUGE}/hide",
    ],
)
def test_an_oversized_number_in_a_form_address_is_a_client_error(web: Web, url: str) -> None:
    csrf = web.login("admin")
    response = web.client.post(url, data={"csrf_token": csrf, "decision": "stop", "rationale": "r"})
    assert 400 <= response.status_code < 500, response.text[:300]
    assert_headers(response)


@pytest.mark.parametrize(
    "fields",
    [
        {"obj-0-id": "litter", "obj-0-title": "t", "obj-0-baseline_value": "1e400"},
        {"obj-0-id": "litter", "obj-0-title": "t", "obj-0-baseline_year": BIG},
        {"obj-0-id": "litter", "obj-0-title": "t", "obj-0-target_value": "nan"},
        {"deadline": "99999-01-01"},
        {"start": "2030-13-45"},
        {"rows": BIG, "status": "\x00"},
        {"title": "\x00", "statement": "\x7f\x1b"},
        {"public": "maybe", "programmes": "," * 10_000},
    ],
)
def test_a_malformed_editor_field_is_shown_on_the_form_not_a_500(web: Web, fields: dict[str, str]) -> None:
    csrf = web.login("admin")
    response = web.client.post("/missions/ocean/edit", data={"csrf_token": csrf, "title": "T", **fields})
    assert response.status_code in (200, 303, 400, 422), response.text[:300]
    assert_headers(response)


def test_a_form_that_is_not_utf_8_is_a_client_error(web: Web) -> None:
    csrf = web.login("admin")
    body = f"csrf_token={csrf}&title=%ED%A0%80%FF&statement=%00".encode()
    response = web.client.post(
        "/missions/ocean/edit",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code in (200, 400, 422), response.text[:300]
    assert_headers(response)


CONTROL_YAML = "mission:\n  id: ocean\n  title: bell \x07 escape \x1b\n"


def test_yaml_with_control_characters_is_422_in_the_api(web: Web) -> None:
    response = web.client.put(
        "/api/v1/missions/ocean/yaml", json={"yaml": CONTROL_YAML}, headers=web.token("admin")
    )
    assert response.status_code == 422
    assert "not valid YAML" in response.json()["error"]
    assert "#x0007" in response.json()["error"]
    assert_headers(response)


@pytest.mark.parametrize("path", ["/missions/ocean/yaml", "/missions/new"])
def test_yaml_with_control_characters_is_shown_on_the_page(web: Web, path: str) -> None:
    csrf = web.login("admin")
    response = web.client.post(path, data={"csrf_token": csrf, "yaml": CONTROL_YAML})
    assert response.status_code == 422
    assert "not valid YAML" in response.text
    assert "#x0007" in response.text
    assert_headers(response)


@pytest.mark.parametrize(
    "body",
    [
        "[" * 10_000 + "]" * 10_000,
        '{"a":' * 10_000 + "1" + "}" * 10_000,
        '{"yaml": ' + "[" * 10_000 + "]" * 10_000 + "}",
    ],
    ids=["array", "object", "inside-a-field"],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/v1/missions/ocean"),
        ("PUT", "/api/v1/missions/ocean/yaml"),
        ("POST", "/api/v1/users"),
        ("POST", "/api/v1/projects/1/decisions"),
    ],
)
def test_deeply_nested_json_is_a_client_error(web: Web, body: str, method: str, path: str) -> None:
    headers = {**web.token("admin"), "content-type": "application/json"}
    response = web.client.request(method, path, content=body, headers=headers)
    assert 400 <= response.status_code < 500, response.text[:300]
    assert "error" in response.json()
    assert_headers(response)


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe{", b'{"decision": "stop", "rationale": NaN}', b'{"yaml": 1e999}', b"", b"null"],
)
def test_malformed_json_is_a_client_error(web: Web, body: bytes) -> None:
    headers = {**web.token("admin"), "content-type": "application/json"}
    response = web.client.put("/api/v1/missions/ocean/yaml", content=body, headers=headers)
    assert 400 <= response.status_code < 500, response.text[:300]
    assert_headers(response)


@pytest.mark.parametrize("rows", ["abc", "1e3", " ", "²", "9" * 5000, "-4"])
def test_a_row_count_that_is_not_a_number_is_not_a_500(web: Web, rows: str) -> None:
    csrf = web.login("admin")
    response = web.client.post("/missions/ocean/edit", data={"csrf_token": csrf, "title": "T", "rows": rows})
    assert response.status_code in (200, 303, 422), response.text[:300]
    assert_headers(response)


@pytest.mark.parametrize("token", ["é", "\ufffd\ufffd", "😀" * 40])
def test_a_csrf_token_with_odd_characters_on_the_login_form_is_refused_not_a_500(
    web: Web, token: str
) -> None:
    web.client.cookies.clear()
    for cookie, sent in ((token, "abc"), ("abc", token)):
        response = web.client.post(
            "/login",
            data={"username": "admin", "password": "x", "csrf_token": sent},
            headers=[(b"cookie", f"mb_login_csrf={cookie}".encode())],
        )
        assert response.status_code == 403, response.text[:300]
        assert_headers(response)


def test_a_csrf_token_with_odd_characters_on_a_logged_in_form_is_refused_not_a_500(web: Web) -> None:
    web.login("admin")
    response = web.client.post("/missions/ocean/delete", data={"csrf_token": "é"})
    assert response.status_code == 403, response.text[:300]
    assert_headers(response)


def test_a_csrf_header_with_odd_bytes_on_a_session_api_call_is_refused_not_a_500(web: Web) -> None:
    web.login("admin")
    response = web.client.post(
        "/api/v1/projects/1/decisions",
        json={"decision": "stop", "rationale": "x"},
        headers=[(b"x-csrf-token", b"\xe9\xe9")],
    )
    assert response.status_code == 403, response.text[:300]
    assert_headers(response)


@pytest.mark.parametrize("path", ["/login", "/healthz", "/api/v1/openapi.json"])
def test_head_answers_like_get_without_a_body(web: Web, path: str) -> None:
    response = web.client.head(path)
    assert response.status_code == 200
    assert response.content == b""
    assert_headers(response)
