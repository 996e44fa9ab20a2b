"""Signing in through an OpenID Connect provider: the authorization-code flow with PKCE against a real
provider (oidc-provider-mock, served over HTTP by the tests), in headless Chromium and with httpx.

The mock does not check PKCE itself, so the tests make it: its authorization endpoint refuses a request
without an S256 code challenge, and its token endpoint a code verifier that matches no challenge it saw.
Tokens the mock cannot forge (a wrong nonce, audience, issuer or key; expired; unsigned) come from a small
provider of the tests' own, built with joserfc.
"""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import needs_chromium

from missionboard.services import accounts
from missionboard.settings import Settings
from missionboard.store.audit import events
from missionboard.store.workspace import Workspace

oidc_provider_mock = pytest.importorskip("oidc_provider_mock")
flask = pytest.importorskip("flask")
werkzeug_serving = pytest.importorskip("werkzeug.serving")
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # noqa: E402
from joserfc import jwt  # noqa: E402
from joserfc.jwk import RSAKey  # noqa: E402

CLIENT_ID = "missionboard"
USERS = [
    oidc_provider_mock.User(
        sub="sub-viewer",
        claims={"preferred_username": "viewer", "name": "Vera Viewer", "email": "v@x.example"},
    ),
    oidc_provider_mock.User(sub="sub-editor", claims={"preferred_username": "editor"}),
    oidc_provider_mock.User(sub="sub-newcomer", claims={"preferred_username": "newcomer"}),
    oidc_provider_mock.User(sub="sub-mailonly", claims={"email": "reviewer"}),
]


# --- a real provider ---------------------------------------------------------------------------------


@dataclass
class MockProvider:
    issuer: str
    challenges: set[str] = field(default_factory=set)
    verifiers: list[str] = field(default_factory=list)


def _enforce_pkce(app: Any, provider: MockProvider) -> None:
    @app.before_request
    def pkce() -> Any:
        request = flask.request
        if request.path == "/oauth2/authorize":
            challenge = request.args.get("code_challenge", "")
            if request.args.get("code_challenge_method") != "S256" or not challenge:
                return "PKCE with S256 is required", 400
            provider.challenges.add(challenge)
        if request.path == "/oauth2/token":
            verifier = request.form.get("code_verifier", "")
            provider.verifiers.append(verifier)
            if not verifier or create_s256_code_challenge(verifier) not in provider.challenges:
                return flask.jsonify(error="invalid_grant", error_description="PKCE verifier wrong"), 400
        return None


@pytest.fixture(scope="module")
def provider() -> Iterator[MockProvider]:
    app = oidc_provider_mock.app(user_claims=USERS, require_nonce=True)
    server = werkzeug_serving.make_server("localhost", 0, app, threaded=True)
    found = MockProvider(issuer=f"http://localhost:{server.server_port}")
    _enforce_pkce(app, found)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield found
    server.shutdown()
    thread.join(timeout=5)


def _app(workspace: Workspace, issuer: str, **settings: Any) -> FastAPI:
    from missionboard.web import create_app, oidc

    app = create_app(workspace, secure_cookies=False)
    options: dict[str, Any] = {
        "oidc_issuer": issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": "client-secret",
        "oidc_provider_name": "Agency ID",
    }
    oidc.configure(app, Settings(**{**options, **settings}))
    return app


@pytest.fixture
def client_for(web_workspace: Workspace) -> Iterator[Callable[..., TestClient]]:
    opened: list[TestClient] = []

    def open_client(issuer: str, **settings: Any) -> TestClient:
        client = TestClient(_app(web_workspace, issuer, **settings), base_url="http://127.0.0.1")
        opened.append(client.__enter__())
        return client

    yield open_client
    for client in opened:
        client.__exit__(None, None, None)


def sign_in(client: TestClient, sub: str, next_url: str = "/") -> httpx.Response:
    """Start at the app, choose ``sub`` at the provider, and come back: the callback's answer."""
    start = client.get("/login/oidc", params={"next": next_url}, follow_redirects=False)
    assert start.status_code == 303, start.text
    chosen = httpx.post(start.headers["location"], data={"sub": sub}, follow_redirects=False)
    assert chosen.status_code == 302, chosen.text
    return client.get(chosen.headers["location"], follow_redirects=False)


def audit_of(workspace: Workspace, username: str) -> list[Any]:
    with workspace.reading() as session:
        return events(session, entity="user", entity_id=username)


# --- a real browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def oidc_server(
    seed_workspace: Path, provider: MockProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    import uvicorn

    from conftest import _free_port

    target = tmp_path_factory.mktemp("oidc-browser") / "browser.db"
    shutil.copy(seed_workspace, target)
    workspace = Workspace.open(f"sqlite:///{target}")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(_app(workspace, provider.issuer), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    workspace.close()


@needs_chromium
def test_a_user_signs_in_through_the_provider_in_a_browser(
    oidc_server: str, browser: Any, provider: MockProvider, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{oidc_server}/login")
        assert page.get_by_label("Password").is_visible()  # an admin can still log in locally
        page.get_by_role("link", name="Sign in with Agency ID").click()
        page.wait_for_url(f"{provider.issuer}/**")
        page.get_by_role("button", name="sub-viewer").click()
        page.wait_for_url(f"{oidc_server}/")
        assert page.get_by_role("heading", name="Missions").is_visible()
        assert page.get_by_text("viewer").first.is_visible()
        screenshot = tmp_path / "signed-in.png"
        page.screenshot(path=str(screenshot), full_page=True)
        assert screenshot.stat().st_size > 0
    finally:
        context.close()


# --- the flow without a browser ------------------------------------------------------------------------


def test_a_sign_in_asks_for_the_code_with_pkce_s256_state_and_nonce(
    client_for: Callable[..., TestClient], provider: MockProvider
) -> None:
    client = client_for(provider.issuer)
    start = client.get("/login/oidc", follow_redirects=False)
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == ["http://127.0.0.1/login/oidc/callback"]
    assert query["state"][0] and query["nonce"][0]


def test_a_known_user_signs_in_and_lands_where_they_were_going(
    client_for: Callable[..., TestClient], provider: MockProvider, web_workspace: Workspace
) -> None:
    client = client_for(provider.issuer)
    done = sign_in(client, "sub-viewer", "/projects")
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/projects"
    assert provider.verifiers[-1]  # the code was exchanged with its verifier
    assert client.get("/account").status_code == 200
    logins = [e for e in audit_of(web_workspace, "viewer") if e.action == "login.oidc"]
    assert logins[-1].after == {"issuer": provider.issuer, "subject": "sub-viewer"}


def test_the_session_is_a_password_session_whose_forms_need_the_csrf_token(
    client_for: Callable[..., TestClient], provider: MockProvider
) -> None:
    client = client_for(provider.issuer)
    assert sign_in(client, "sub-viewer").status_code == 303
    refused = client.post("/account/tokens", data={"name": "x"})
    assert refused.status_code == 403
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account").text)
    assert token is not None
    made = client.post("/account/tokens", data={"name": "x", "csrf_token": token.group(1)})
    assert made.status_code == 200


def test_the_email_claim_names_the_account_where_the_user_name_claim_is_missing(
    client_for: Callable[..., TestClient], provider: MockProvider, web_workspace: Workspace
) -> None:
    client = client_for(provider.issuer)
    assert sign_in(client, "sub-mailonly").status_code == 303
    assert any(e.action == "login.oidc" for e in audit_of(web_workspace, "reviewer"))


def test_a_linked_identity_finds_its_account_after_the_provider_renames_it(
    client_for: Callable[..., TestClient], provider: MockProvider, web_workspace: Workspace
) -> None:
    client = client_for(provider.issuer)
    assert sign_in(client, "sub-editor").status_code == 303
    renamed = httpx.put(f"{provider.issuer}/users/sub-editor", json={"preferred_username": "someone-else"})
    assert renamed.status_code == 204
    again = client_for(provider.issuer)
    assert sign_in(again, "sub-editor").status_code == 303
    logins = [e for e in audit_of(web_workspace, "editor") if e.action == "login.oidc"]
    assert len(logins) == 2


def test_an_unknown_user_is_refused_without_auto_create(
    client_for: Callable[..., TestClient], provider: MockProvider
) -> None:
    client = client_for(provider.issuer)
    refused = sign_in(client, "sub-newcomer")
    assert refused.status_code == 401
    assert "no account 'newcomer'" in html.unescape(refused.text)
    assert "mb_session" not in client.cookies


def test_an_unknown_user_gets_a_plain_account_with_auto_create(
    client_for: Callable[..., TestClient], provider: MockProvider, web_workspace: Workspace
) -> None:
    client = client_for(provider.issuer, oidc_auto_create=True)
    assert sign_in(client, "sub-newcomer").status_code == 303
    account = accounts.get_account(web_workspace, "newcomer")
    assert (account.is_admin, account.roles) == (False, {})
    with pytest.raises(accounts.AuthenticationFailed):  # no password signs in as it
        accounts.authenticate(web_workspace, "newcomer", "!oidc", address="test")


def test_a_forged_state_is_refused(client_for: Callable[..., TestClient], provider: MockProvider) -> None:
    client = client_for(provider.issuer)
    start = client.get("/login/oidc", follow_redirects=False)
    chosen = httpx.post(start.headers["location"], data={"sub": "sub-viewer"}, follow_redirects=False)
    callback = chosen.headers["location"]
    forged = re.sub(r"state=[^&]+", "state=forged", callback)
    refused = client.get(forged, follow_redirects=False)
    assert refused.status_code == 401
    assert "state" in refused.text
    assert "mb_session" not in client.cookies


def test_a_provider_that_cannot_be_reached_gets_one_line_not_a_traceback(
    client_for: Callable[..., TestClient],
) -> None:
    from conftest import _free_port

    client = client_for(f"http://127.0.0.1:{_free_port()}")
    answer = client.get("/login/oidc", follow_redirects=False)
    assert answer.status_code == 502
    assert "cannot be reached" in answer.text
    assert "Traceback" not in answer.text


def test_the_login_page_offers_the_provider_beside_the_password_form(
    client_for: Callable[..., TestClient], provider: MockProvider
) -> None:
    page = client_for(provider.issuer).get("/login").text
    assert "Sign in with Agency ID" in page
    assert 'name="password"' in page


def test_the_login_page_offers_no_provider_where_none_is_configured(anonymous: TestClient) -> None:
    page = anonymous.get("/login").text
    assert "Sign in with" not in page
    assert anonymous.get("/login/oidc", follow_redirects=False).status_code == 404


# --- tokens the mock cannot forge: a provider of the tests' own ----------------------------------------

PROVIDER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})


@dataclass
class OwnProvider:
    issuer: str
    id_token: str = ""


@pytest.fixture(scope="module")
def own_provider() -> Iterator[OwnProvider]:
    found = OwnProvider(issuer="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                self._json(
                    {
                        "issuer": found.issuer,
                        "authorization_endpoint": f"{found.issuer}/authorize",
                        "token_endpoint": f"{found.issuer}/token",
                        "jwks_uri": f"{found.issuer}/jwks",
                        "id_token_signing_alg_values_supported": ["RS256"],
                    }
                )
            else:
                self._json({"keys": [PROVIDER_KEY.as_dict(private=False)]})

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self._json({"access_token": "x", "token_type": "Bearer", "id_token": found.id_token})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield found
    server.shutdown()
    thread.join(timeout=5)


def _unsigned(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}."


FORGERIES = [
    pytest.param({"nonce": "another-sign-in"}, PROVIDER_KEY, "nonce", id="wrong nonce"),
    pytest.param({"aud": "another-client"}, PROVIDER_KEY, "audience", id="wrong audience"),
    pytest.param({"iss": "https://elsewhere.example"}, PROVIDER_KEY, "issued by", id="wrong issuer"),
    pytest.param({"exp": -3600, "iat": -7200}, PROVIDER_KEY, "expired", id="expired"),
    pytest.param({}, OTHER_KEY, "signature", id="signed by another key"),
    pytest.param({}, RSAKey.generate_key(2048, parameters={"kid": "k9"}), "key", id="unpublished key"),
    pytest.param({}, None, "algorithm", id="unsigned"),
]


@pytest.mark.parametrize(("changes", "key", "said"), FORGERIES)
def test_an_id_token_that_fails_a_check_is_refused(
    client_for: Callable[..., TestClient],
    own_provider: OwnProvider,
    changes: dict[str, Any],
    key: Any,
    said: str,
) -> None:
    client = client_for(own_provider.issuer)
    start = client.get("/login/oidc", follow_redirects=False)
    query = parse_qs(urlsplit(start.headers["location"]).query)
    now = int(time.time())
    claims = {
        "iss": own_provider.issuer,
        "aud": CLIENT_ID,
        "sub": "sub-viewer",
        "preferred_username": "viewer",
        "nonce": query["nonce"][0],
        "iat": now,
        "exp": now + 300,
    }
    claims |= {name: now + value if name in ("exp", "iat") else value for name, value in changes.items()}
    own_provider.id_token = (
        _unsigned(claims) if key is None else jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
    )
    answer = client.get(
        "/login/oidc/callback", params={"code": "c", "state": query["state"][0]}, follow_redirects=False
    )
    assert answer.status_code == 401, answer.text
    assert said in answer.text
    assert "mb_session" not in client.cookies


def test_an_id_token_that_passes_every_check_signs_in(
    client_for: Callable[..., TestClient], own_provider: OwnProvider
) -> None:
    client = client_for(own_provider.issuer)
    start = client.get("/login/oidc", follow_redirects=False)
    query = parse_qs(urlsplit(start.headers["location"]).query)
    now = int(time.time())
    claims = {
        "iss": own_provider.issuer,
        "aud": [CLIENT_ID],
        "sub": "own-viewer",
        "preferred_username": "viewer",
        "nonce": query["nonce"][0],
        "iat": now,
        "exp": now + 300,
    }
    own_provider.id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, PROVIDER_KEY)
    answer = client.get(
        "/login/oidc/callback", params={"code": "c", "state": query["state"][0]}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
