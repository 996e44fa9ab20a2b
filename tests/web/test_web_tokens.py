"""API tokens may expire and may be read-only; a token made without either keeps the rights it always had."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from web_support import START, Clock, Web

import missionboard.store
from missionboard.errors import InputError
from missionboard.services import accounts
from missionboard.store.workspace import Workspace


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


WRITES: list[tuple[str, str, dict[str, object]]] = [
    ("PUT", "/api/v1/missions/ocean/members/outsider", {"role": "viewer"}),
    ("POST", "/api/v1/projects/1/decisions", {"decision": "stop", "rationale": "Done"}),
    ("POST", "/api/v1/links/1/review", {"action": "reject"}),
    ("POST", "/api/v1/users", {"username": "newbie", "password": "long enough pw"}),
    ("DELETE", "/api/v1/missions/ocean", {}),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_read_only_token_is_refused_every_write_with_403(
    web: Web, method: str, path: str, body: dict[str, object]
) -> None:
    token = accounts.create_token(web.workspace, "admin", "reports", by="test", read_only=True)
    response = web.client.request(method, path, json=body or None, headers=_bearer(token))
    assert response.status_code == 403, response.text
    assert "read-only" in response.json()["error"]


def test_a_refused_write_changes_nothing(web: Web) -> None:
    token = accounts.create_token(web.workspace, "admin", "reports", by="test", read_only=True)
    web.client.put("/api/v1/missions/ocean/members/outsider", json={"role": "viewer"}, headers=_bearer(token))
    assert accounts.get_account(web.workspace, "outsider").role_on("ocean") is None


@pytest.mark.parametrize(
    "path",
    ["/api/v1/me", "/api/v1/projects", "/api/v1/projects/1", "/api/v1/links", "/api/v1/missions/ocean"],
)
def test_a_read_only_token_reads_everything_its_account_may(web: Web, path: str) -> None:
    token = accounts.create_token(web.workspace, "admin", "reports", by="test", read_only=True)
    assert web.client.get(path, headers=_bearer(token)).status_code == 200


def test_a_token_made_without_options_keeps_its_accounts_rights_to_write(web: Web) -> None:
    token = accounts.create_token(web.workspace, "admin", "script", by="test")
    response = web.client.put(
        "/api/v1/missions/ocean/members/outsider", json={"role": "viewer"}, headers=_bearer(token)
    )
    assert response.status_code == 200


def test_an_expired_token_is_refused_with_401_saying_it_expired(web: Web, clock: Clock) -> None:
    token = accounts.create_token(
        web.workspace, "viewer", "short", by="test", expires_at=START + dt.timedelta(hours=1)
    )
    assert web.client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    clock.advance(hours=1)
    response = web.client.get("/api/v1/me", headers=_bearer(token))
    assert response.status_code == 401
    assert "expired" in response.json()["error"]


def test_a_token_cannot_be_made_already_expired(web: Web, clock: Clock) -> None:
    with pytest.raises(InputError, match="must be in the future"):
        accounts.create_token(web.workspace, "viewer", "x", by="test", expires_at=START)


def test_the_token_list_says_which_tokens_expired_and_which_are_read_only(web: Web, clock: Clock) -> None:
    accounts.create_token(web.workspace, "viewer", "a", by="test", expires_at=START + dt.timedelta(days=1))
    accounts.create_token(web.workspace, "viewer", "b", by="test", read_only=True)
    clock.advance(days=2)
    listed = {t["name"]: t for t in accounts.list_tokens(web.workspace, "viewer")}
    assert (listed["a"]["expired"], listed["a"]["read_only"]) == (True, False)
    assert (listed["b"]["expired"], listed["b"]["read_only"], listed["b"]["expires_at"]) == (
        False,
        True,
        None,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", START + dt.timedelta(days=30)),
        ("12h", START + dt.timedelta(hours=12)),
        ("2w", START + dt.timedelta(weeks=2)),
        ("2027-01-31", dt.datetime(2027, 1, 31, tzinfo=dt.UTC)),
    ],
)
def test_an_expiry_is_a_duration_from_now_or_a_date(text: str, expected: dt.datetime) -> None:
    assert accounts.parse_expiry(text, now=START) == expected


@pytest.mark.parametrize(("text", "message"), [("soon", "use 30d"), ("2020-01-01", "not in the future")])
def test_an_expiry_that_means_nothing_or_has_passed_is_refused(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        accounts.parse_expiry(text, now=START)


def _token_command(tmp_path: Path) -> Callable[..., object]:
    import typer
    from typer.testing import CliRunner

    from missionboard.cli import web
    from missionboard.cli.app import root

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    ws = Workspace.open(url, create=True)
    accounts.create_user(ws, "ana", "long enough pw", by="setup")
    ws.close()
    app = typer.Typer()
    app.callback()(root)
    web.register(app)

    def run(*options: str) -> object:
        return CliRunner().invoke(
            app,
            ["--workspace", str(tmp_path / "cli.db"), "--user", "tester", "users", "token", "ana", *options],
        )

    return run


def test_the_token_command_makes_expiring_read_only_tokens(tmp_path: Path) -> None:
    run = _token_command(tmp_path)
    result = run("--name", "nightly", "--expires", "30d", "--read-only")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    ws = Workspace.open(f"sqlite:///{tmp_path / 'cli.db'}")
    grant = accounts.resolve_token(ws, result.output.strip())  # type: ignore[attr-defined]
    ws.close()
    assert grant.read_only is True
    assert grant.expires_at is not None
    days = (grant.expires_at - dt.datetime.now(dt.UTC)) / dt.timedelta(days=1)
    assert 29.9 < days <= 30


def test_the_token_command_without_options_makes_a_token_for_ever_with_full_rights(tmp_path: Path) -> None:
    run = _token_command(tmp_path)
    result = run("--name", "script")
    ws = Workspace.open(f"sqlite:///{tmp_path / 'cli.db'}")
    grant = accounts.resolve_token(ws, result.output.strip())  # type: ignore[attr-defined]
    ws.close()
    assert (grant.read_only, grant.expires_at) == (False, None)


def test_the_token_command_refuses_a_past_expiry(tmp_path: Path) -> None:
    result = _token_command(tmp_path)("--expires", "2020-01-01")
    assert result.exit_code != 0  # type: ignore[attr-defined]
    assert "not in the future" in str(result.exception)  # type: ignore[attr-defined]


def test_a_token_made_before_the_upgrade_keeps_its_rights(tmp_path: Path) -> None:
    """A workspace at web_0002 (tokens without expiry or scope) is upgraded; its token still writes."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(Path(missionboard.store.__file__).parent / "migrations"))
    config.attributes["engine"] = engine
    command.upgrade(config, "web_0002")
    digest = accounts._digest("mb_old-token")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, username, display_name, password_hash, is_admin, is_active, created_at)"
                " VALUES (1, 'old', '', 'x', 1, 1, :at)"
            ),
            {"at": START},
        )
        connection.execute(
            text(
                "INSERT INTO api_tokens (user_id, name, token_hash, created_at, revoked)"
                " VALUES (1, 'old', :digest, :at, 0)"
            ),
            {"digest": digest, "at": START},
        )
    engine.dispose()
    ws = Workspace.open(url)
    grant = accounts.resolve_token(ws, "mb_old-token")
    ws.close()
    assert (grant.account.username, grant.read_only, grant.expires_at) == ("old", False, None)


def test_a_token_only_reads_to_authenticate_so_it_works_on_a_read_only_workspace(
    web_workspace: Workspace,
) -> None:
    from fastapi.testclient import TestClient

    from missionboard.web import create_app

    token = accounts.create_token(web_workspace, "viewer", "reports", by="test")
    path = web_workspace.engine.url.database
    read_only = Workspace.open(f"sqlite:///{path}", read_only=True)
    try:
        with TestClient(create_app(read_only, secure_cookies=False)) as client:
            response = client.get("/api/v1/me", headers=_bearer(token))
    finally:
        read_only.close()
    assert response.status_code == 200, response.text


def test_the_account_page_makes_a_read_only_token_with_an_expiry(web: Web) -> None:
    csrf = web.login("admin")
    page = web.client.post(
        "/account/tokens", data={"csrf_token": csrf, "name": "dashboard", "expires": "30d", "read_only": "1"}
    )
    assert page.status_code == 200
    listed = {t["name"]: t for t in accounts.list_tokens(web.workspace, "admin")}
    assert listed["dashboard"]["read_only"] is True
    assert listed["dashboard"]["expires_at"] is not None
    assert "read-only" in page.text


def test_the_account_page_refuses_an_expiry_it_cannot_read(web: Web) -> None:
    csrf = web.login("admin")
    page = web.client.post("/account/tokens", data={"csrf_token": csrf, "name": "x", "expires": "soon"})
    assert page.status_code == 422
    assert "dashboard" not in {t["name"] for t in accounts.list_tokens(web.workspace, "admin")}
