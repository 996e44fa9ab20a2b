"""Logging in, sessions, CSRF, rate limiting and what anonymous visitors may see."""

from __future__ import annotations

import re
import socket
import threading
import time

import pytest
from web_support import PASSWORD, Web

from missionboard.services import accounts
from missionboard.store.audit import events


def test_anonymous_visitors_are_sent_to_the_login_page_for_private_pages(web: Web) -> None:
    for path in ("/projects", "/review", "/admin/audit", "/missions/ocean", "/account", "/import"):
        response = web.client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")


def test_anonymous_visitors_see_only_public_missions(web: Web) -> None:
    page = web.client.get("/")
    assert page.status_code == 200
    assert "Clean air in cities" in page.text
    assert "Plastic-free coastal waters" not in page.text and "An internal mission" not in page.text
    assert web.client.get("/missions/open-air").status_code == 200
    api = web.client.get("/api/v1/missions").json()
    assert [m["id"] for m in api["items"]] == ["open-air"]


def test_the_api_answers_401_without_credentials(web: Web) -> None:
    response = web.client.get("/api/v1/projects")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_login_sets_an_http_only_same_site_session_cookie(web: Web) -> None:
    page = web.client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = web.client.post(
        "/login",
        data={"username": "viewer", "password": PASSWORD, "csrf_token": token, "next": "/missions/ocean"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/missions/ocean"
    cookie = response.headers["set-cookie"]
    assert "mb_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_cookies_are_secure_unless_the_app_serves_plain_http_on_loopback(web_workspace) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from missionboard.web import create_app

    with TestClient(create_app(web_workspace), base_url="https://testserver") as client:
        page = client.get("/login")
        assert "Secure" in page.headers["set-cookie"]


def test_login_refuses_a_wrong_password_without_saying_which_part_was_wrong(web: Web) -> None:
    page = web.client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = web.client.post("/login", data={"username": "viewer", "password": "nope", "csrf_token": token})
    assert response.status_code == 401
    assert "wrong user name or password" in response.text
    assert "mb_session" not in response.headers.get("set-cookie", "")


def test_login_without_its_csrf_token_is_refused(web: Web) -> None:
    web.client.get("/login")
    response = web.client.post(
        "/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403


def test_login_never_redirects_to_another_site(web: Web) -> None:
    page = web.client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = web.client.post(
        "/login",
        data={"username": "viewer", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_five_failed_logins_lock_the_user_name_for_a_while(web: Web) -> None:
    page = web.client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    for _ in range(accounts.MAX_FAILURES_PER_USER):
        bad = web.client.post("/login", data={"username": "editor", "password": "wrong", "csrf_token": token})
        assert bad.status_code == 401
    locked = web.client.post("/login", data={"username": "editor", "password": PASSWORD, "csrf_token": token})
    assert locked.status_code == 429
    assert "too many failed logins" in locked.text
    assert int(locked.headers["retry-after"]) > 0


def test_every_form_post_needs_the_sessions_csrf_token(web: Web) -> None:
    web.login("admin")
    for path, data in (
        ("/missions/ocean/delete", {}),
        ("/missions/ocean/yaml", {"yaml": "x"}),
        ("/admin/users", {"action": "create", "username": "x", "password": "p" * 12}),
        ("/account/tokens", {"name": "x"}),
        ("/logout", {}),
    ):
        assert web.client.post(path, data=data).status_code == 403, path
        assert web.client.post(path, data={**data, "csrf_token": "wrong"}).status_code == 403, path
    assert web.client.get("/missions/ocean").status_code == 200  # still there, still logged in


def test_api_writes_with_a_session_cookie_need_the_csrf_header(web: Web) -> None:
    csrf = web.login("admin")
    body = {"role": "viewer"}
    assert web.client.put("/api/v1/missions/ocean/members/outsider", json=body).status_code == 403
    ok = web.client.put("/api/v1/missions/ocean/members/outsider", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200


def test_api_tokens_need_no_csrf_header_and_are_stored_only_as_a_hash(web: Web) -> None:
    headers = web.token("admin")
    token = headers["Authorization"].split()[1]
    response = web.client.put(
        "/api/v1/missions/ocean/members/outsider", json={"role": "viewer"}, headers=headers
    )
    assert response.status_code == 200
    with web.workspace.reading() as session:
        from sqlalchemy import select

        from missionboard.store.web_tables import ApiTokenRow

        stored = session.scalars(select(ApiTokenRow.token_hash)).all()
    assert token not in stored and all(len(h) == 64 for h in stored)


def test_a_revoked_or_unknown_token_is_refused(web: Web) -> None:
    assert web.client.get("/api/v1/me", headers={"Authorization": "Bearer mb_nothing"}).status_code == 401
    headers = web.token("viewer")
    assert web.client.get("/api/v1/me", headers=headers).json()["username"] == "viewer"
    token_id = accounts.list_tokens(web.workspace, "viewer")[0]["id"]
    accounts.revoke_token(web.workspace, "viewer", int(str(token_id)), by="test")
    assert web.client.get("/api/v1/me", headers=headers).status_code == 401


def test_logging_out_ends_the_session_on_the_server(web: Web) -> None:
    csrf = web.login("viewer")
    cookie = web.client.cookies.get("mb_session")
    assert web.client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    web.client.cookies.set("mb_session", cookie or "")
    assert web.client.get("/projects", follow_redirects=False).status_code == 303


def test_passwords_are_stored_as_argon2_hashes(web: Web) -> None:
    from sqlalchemy import select

    from missionboard.store.web_tables import UserRow

    with web.workspace.reading() as session:
        hashes = session.scalars(select(UserRow.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert all(PASSWORD not in h for h in hashes)


def test_a_disabled_account_cannot_log_in_and_loses_its_sessions(web: Web) -> None:
    web.login("reviewer")
    accounts.set_active(web.workspace, "reviewer", False, by="admin")
    assert web.client.get("/projects", follow_redirects=False).status_code == 303
    with web.workspace.reading() as session:
        assert any(
            e.action == "user.set_active" for e in events(session, entity="user", entity_id="reviewer")
        )


def test_pages_carry_security_headers(web: Web) -> None:
    response = web.client.get("/login")
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_health_check_says_only_whether_the_worker_is_up_and_warm(web_workspace) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from missionboard.web import create_app

    with TestClient(create_app(web_workspace, secure_cookies=False, prewarm=True)) as client:
        response = client.get("/healthz")
        assert response.status_code == 200 and set(response.json()) == {"status", "warm"}
        client.app.state.warm.wait(30)  # type: ignore[attr-defined]
        assert client.get("/healthz").json() == {"status": "ok", "warm": True}


# --- the caller's address: the TCP peer, unless serve is told which proxies to trust -----------------


def _attempt_addresses(workspace) -> list[str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from missionboard.store.web_tables import LoginAttemptRow

    with workspace.reading() as session:
        return list(session.scalars(select(LoginAttemptRow.address).order_by(LoginAttemptRow.id)))


def _failed_login(client, forwarded_for: str) -> int:  # type: ignore[no-untyped-def]
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/login",
        data={"username": "editor", "password": "wrong", "csrf_token": token},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return int(response.status_code)


def test_the_app_itself_never_takes_the_address_from_x_forwarded_for(web: Web) -> None:
    for n in range(accounts.MAX_FAILURES_PER_USER):
        assert _failed_login(web.client, f"203.0.113.{n}") == 401
    assert set(_attempt_addresses(web.workspace)) == {"testclient"}
    assert _failed_login(web.client, "198.51.100.1") == 429  # a new claimed address does not reset the lock


@pytest.mark.parametrize(("trusted", "seen"), [(None, "127.0.0.1"), ("127.0.0.1", "203.0.113.7")])
def test_the_server_trusts_x_forwarded_for_only_from_proxies_named_with_forwarded_allow_ips(
    web_workspace, trusted: str | None, seen: str
) -> None:  # type: ignore[no-untyped-def]
    import httpx
    import uvicorn

    from missionboard.cli.web import server_options
    from missionboard.web import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    options = server_options("127.0.0.1", port, trusted)
    server = uvicorn.Server(uvicorn.Config(create_app(web_workspace, secure_cookies=False), **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            assert _failed_login(client, "203.0.113.7") == 401
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert _attempt_addresses(web_workspace) == [seen]
