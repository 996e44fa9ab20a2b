"""The accounts service on SQLite and PostgreSQL, and the ``users`` and ``serve`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from missionboard.errors import InputError, NotFound
from missionboard.services import accounts
from missionboard.services.accounts import Role
from missionboard.store.audit import events
from missionboard.store.workspace import Workspace

PASSWORD = "correct horse battery"


def test_an_account_is_created_authenticated_and_audited(workspace: Workspace) -> None:
    accounts.create_user(workspace, "ana", PASSWORD, by="setup", display_name="Ana")
    account = accounts.authenticate(workspace, "ana", PASSWORD, address="127.0.0.1")
    assert account.username == "ana" and account.display_name == "Ana" and not account.is_admin
    with workspace.reading() as session:
        created = events(session, entity="user", entity_id="ana")[0]
    assert created.actor == "setup" and created.action == "user.create"
    assert created.after is not None and "password" not in json.dumps(created.after)


def test_roles_rank_owner_over_editor_over_reviewer_over_viewer(workspace: Workspace) -> None:
    accounts.create_user(workspace, "ed", PASSWORD, by="setup")
    account = accounts.set_role(workspace, "ed", "m1", "editor", by="setup")
    assert (
        account.has("m1", Role.VIEWER) and account.has("m1", Role.REVIEWER) and account.has("m1", Role.EDITOR)
    )
    assert not account.has("m1", Role.OWNER) and not account.has("m2", Role.VIEWER)
    assert not accounts.set_role(workspace, "ed", "m1", "none", by="setup").has("m1", Role.VIEWER)


def test_a_bad_role_or_unknown_user_is_a_clear_error(workspace: Workspace) -> None:
    accounts.create_user(workspace, "ed", PASSWORD, by="setup")
    with pytest.raises(InputError, match="must be one of owner, editor, reviewer, viewer"):
        accounts.set_role(workspace, "ed", "m1", "boss", by="setup")
    with pytest.raises(NotFound, match="no user 'nobody'"):
        accounts.set_role(workspace, "nobody", "m1", "viewer", by="setup")


def test_sessions_resolve_until_they_end(workspace: Workspace) -> None:
    account = accounts.create_user(workspace, "ana", PASSWORD, by="setup")
    secret, csrf = accounts.start_session(workspace, account)
    found = accounts.session_account(workspace, secret)
    assert found is not None and found[0].username == "ana" and found[1] == csrf
    accounts.end_session(workspace, secret)
    assert accounts.session_account(workspace, secret) is None


def test_failed_logins_are_rate_limited_per_user_name(workspace: Workspace) -> None:
    accounts.create_user(workspace, "ana", PASSWORD, by="setup")
    for _ in range(accounts.MAX_FAILURES_PER_USER):
        with pytest.raises(accounts.AuthenticationFailed):
            accounts.authenticate(workspace, "ana", "wrong password", address="10.0.0.1")
    with pytest.raises(accounts.TooManyAttempts):
        accounts.authenticate(workspace, "ana", PASSWORD, address="10.0.0.2")


def _cli(tmp_path: Path) -> tuple[typer.Typer, list[str]]:
    from missionboard.cli import web
    from missionboard.cli.app import root

    app = typer.Typer()
    app.callback()(root)
    web.register(app)
    return app, ["--workspace", str(tmp_path / "cli.db"), "--user", "tester"]


def test_users_commands_add_list_and_set_roles(tmp_path: Path) -> None:
    Workspace.open(f"sqlite:///{tmp_path / 'cli.db'}", create=True).close()
    app, base = _cli(tmp_path)
    runner = CliRunner()
    added = runner.invoke(app, [*base, "users", "add", "ana", "--password", PASSWORD, "--admin"])
    assert added.exit_code == 0, added.output
    assert "added ana (admin)" in added.output
    result = runner.invoke(app, [*base, "users", "list", "--format", "json"])
    assert json.loads(result.output)[0]["is_admin"] is True
    ws = Workspace.open(f"sqlite:///{tmp_path / 'cli.db'}")
    from missionboard.missionfile import parse_mission
    from missionboard.services.missions import save_mission

    text = "mission:\n  id: m1\n  title: T\n  challenge: C\n  statement: S\n  owner: O\n"
    save_mission(ws, parse_mission(text, "m.yaml"), user="tester")
    role = runner.invoke(app, [*base, "users", "set-role", "ana", "m1", "reviewer"])
    assert role.exit_code == 0 and "ana on m1: reviewer" in role.output
    assert accounts.get_account(ws, "ana").role_on("m1") == Role.REVIEWER
    token = runner.invoke(app, [*base, "users", "token", "ana", "--name", "nightly"])
    assert token.exit_code == 0 and accounts.token_account(ws, token.output.strip()) is not None
    with ws.reading() as session:
        assert {e.actor for e in events(session, entity="user")} == {"tester"}
    ws.close()


def test_a_short_password_is_refused_by_the_command(tmp_path: Path) -> None:
    Workspace.open(f"sqlite:///{tmp_path / 'cli.db'}", create=True).close()
    app, base = _cli(tmp_path)
    result = CliRunner().invoke(app, [*base, "users", "add", "ana", "--password", "short"])
    assert result.exit_code != 0
    assert isinstance(result.exception, InputError) and "at least 10 characters" in str(result.exception)


def test_serve_is_a_command_with_host_and_port(tmp_path: Path) -> None:
    app, base = _cli(tmp_path)
    result = CliRunner().invoke(app, [*base, "serve", "--help"])
    assert result.exit_code == 0 and "--host" in result.output and "--port" in result.output


def test_the_demo_is_served_with_a_printed_demo_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from missionboard.cli import web

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    Workspace.open(url, create=True).close()
    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: served.append((app, kwargs)))
    web.serve_workspace(url, port=8123, demo=True)
    assert served and served[0][1]["port"] == 8123  # type: ignore[index]
    ws = Workspace.open(url)
    assert accounts.authenticate(ws, web.DEMO_USER, web.DEMO_PASSWORD, address="127.0.0.1").is_admin
    ws.close()
