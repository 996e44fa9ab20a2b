"""The accounts service on SQLite and PostgreSQL, and the ``users`` and ``serve`` commands."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner
from web_support import START, Clock

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


# --- login throttling: a lockout slows guessing down and always ends ---------------------------------


def _fail(workspace: Workspace, times: int, *, user: str = "ana", address: str = "10.0.0.1") -> None:
    for _ in range(times):
        with pytest.raises(accounts.AuthenticationFailed, match="wrong user name or password"):
            accounts.authenticate(workspace, user, "wrong password", address=address)


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(0, 0), (4, 0), (5, 30), (6, 60), (7, 120), (8, 240), (9, 300), (10, 300), (1000, 300)],
)
def test_the_lockout_doubles_with_each_failure_past_five_up_to_five_minutes(
    failures: int, seconds: int
) -> None:
    assert accounts.lockout(failures, accounts.MAX_FAILURES_PER_USER) == dt.timedelta(seconds=seconds)


def test_a_locked_user_name_may_log_in_once_the_backoff_has_passed(
    workspace: Workspace, clock: Clock
) -> None:
    accounts.create_user(workspace, "ana", PASSWORD, by="setup")
    _fail(workspace, accounts.MAX_FAILURES_PER_USER)
    with pytest.raises(accounts.TooManyAttempts, match="try again in 30 seconds") as refused:
        accounts.authenticate(workspace, "ana", PASSWORD, address="10.0.0.2")
    assert refused.value.retry_after == 30
    clock.advance(seconds=30)
    assert accounts.authenticate(workspace, "ana", PASSWORD, address="10.0.0.2").username == "ana"


def test_tries_refused_during_a_lockout_are_not_counted(workspace: Workspace, clock: Clock) -> None:
    from sqlalchemy import func, select

    from missionboard.store.web_tables import LoginAttemptRow

    accounts.create_user(workspace, "ana", PASSWORD, by="setup")
    _fail(workspace, accounts.MAX_FAILURES_PER_USER)
    for _ in range(29):
        clock.advance(seconds=1)
        with pytest.raises(accounts.TooManyAttempts):
            accounts.authenticate(workspace, "ana", "another guess", address="10.0.0.1")
    with workspace.reading() as session:
        recorded = session.scalar(select(func.count()).select_from(LoginAttemptRow))
    assert recorded == accounts.MAX_FAILURES_PER_USER
    clock.advance(seconds=1)
    assert accounts.login_wait(workspace, "ana", "10.0.0.3") == dt.timedelta(0)


def test_an_attacker_guessing_for_hours_never_locks_the_owner_out_longer_than_the_cap(
    workspace: Workspace, clock: Clock
) -> None:
    accounts.create_user(workspace, "ana", PASSWORD, by="setup")
    end = START + dt.timedelta(hours=3)
    longest = dt.timedelta(0)
    while clock.now < end:  # the attacker guesses as soon as each lockout ends, and in between
        wait = accounts.login_wait(workspace, "ana", "10.9.9.9")
        longest = max(longest, wait)
        if wait:
            with pytest.raises(accounts.TooManyAttempts):
                accounts.authenticate(workspace, "ana", "guess", address="10.9.9.9")
            clock.advance(seconds=wait.total_seconds())
        else:
            _fail(workspace, 1, address=f"10.9.{clock.now.minute}.9")
    assert longest == accounts.MAX_LOCKOUT
    clock.advance(seconds=accounts.login_wait(workspace, "ana", "10.0.0.7").total_seconds())
    assert accounts.authenticate(workspace, "ana", PASSWORD, address="10.0.0.7").username == "ana"


def test_failures_are_forgotten_after_fifteen_minutes(workspace: Workspace, clock: Clock) -> None:
    accounts.create_user(workspace, "ana", PASSWORD, by="setup")
    _fail(workspace, accounts.MAX_FAILURES_PER_USER - 1)
    clock.advance(seconds=accounts.FAILURE_MEMORY.total_seconds() + 1)
    _fail(workspace, 1)
    assert accounts.login_wait(workspace, "ana", "10.0.0.1") == dt.timedelta(0)


def test_a_successful_login_forgets_the_user_names_failures(workspace: Workspace, clock: Clock) -> None:
    accounts.create_user(workspace, "ana", PASSWORD, by="setup")
    _fail(workspace, accounts.MAX_FAILURES_PER_USER - 1)
    accounts.authenticate(workspace, "ana", PASSWORD, address="10.0.0.1")
    _fail(workspace, accounts.MAX_FAILURES_PER_USER - 1)
    assert accounts.login_wait(workspace, "ana", "10.0.0.2") == dt.timedelta(0)


def test_one_address_guessing_many_user_names_is_slowed_down_too(workspace: Workspace, clock: Clock) -> None:
    accounts.create_user(workspace, "ana", PASSWORD, by="setup")
    for n in range(accounts.MAX_FAILURES_PER_ADDRESS):
        _fail(workspace, 1, user=f"user{n}", address="10.6.6.6")
    with pytest.raises(accounts.TooManyAttempts):
        accounts.authenticate(workspace, "ana", PASSWORD, address="10.6.6.6")
    assert accounts.authenticate(workspace, "ana", PASSWORD, address="10.0.0.1").username == "ana"


def test_an_expired_token_grants_nothing(workspace: Workspace, clock: Clock) -> None:
    accounts.create_user(workspace, "ana", PASSWORD, by="setup")
    token = accounts.create_token(workspace, "ana", "t", by="setup", expires_at=START + dt.timedelta(days=1))
    assert accounts.resolve_token(workspace, token).account.username == "ana"
    clock.advance(days=1)
    with pytest.raises(accounts.AuthenticationFailed, match="expired"):
        accounts.resolve_token(workspace, token)
    assert accounts.token_account(workspace, token) is None


# --- passwords: long enough and not one everybody guesses first --------------------------------------


@pytest.mark.parametrize(
    "password",
    ["password1234", "Password123!", "qwertyuiop", "1234567890", "iloveyou!!!!", "  Sunshine2026 "],
)
def test_a_common_password_is_refused_even_with_digits_or_symbols_added(
    workspace: Workspace, password: str
) -> None:
    with pytest.raises(InputError, match="most common passwords"):
        accounts.create_user(workspace, "ana", password, by="setup")


@pytest.mark.parametrize("password", [PASSWORD, "long enough pw", "mauve-otter-ladder", "Tr0mbone.Harbour"])
def test_an_uncommon_password_is_accepted(password: str) -> None:
    assert not accounts.is_common_password(password)


def test_changing_to_a_common_password_is_refused(workspace: Workspace) -> None:
    accounts.create_user(workspace, "ana", PASSWORD, by="setup")
    with pytest.raises(InputError, match="most common passwords"):
        accounts.set_password(workspace, "ana", "football123", by="ana")


def test_the_common_password_list_is_shipped_not_fetched() -> None:
    # the 30,000 passwords of zxcvbn's list, read from the installed package
    assert len(accounts._common_passwords()) == 30_000


# --- serve: proxy headers only from proxies named on the command line --------------------------------


@pytest.mark.parametrize(
    ("options", "proxy_headers", "allowed"),
    [
        ([], False, None),
        (["--forwarded-allow-ips", "10.0.0.5"], True, "10.0.0.5"),
        (["--workers", "2"], False, None),
        (["--workers", "2", "--forwarded-allow-ips", "10.0.0.5,10.0.0.6"], True, "10.0.0.5,10.0.0.6"),
    ],
)
def test_serve_trusts_forwarded_headers_only_from_the_proxies_it_is_given(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    options: list[str],
    proxy_headers: bool,
    allowed: str | None,
) -> None:
    import uvicorn

    from missionboard.web import workers

    Workspace.open(f"sqlite:///{tmp_path / 'cli.db'}", create=True).close()
    served: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: served.append(kwargs))
    monkeypatch.setattr(workers, "serve_workers", lambda app, **kwargs: served.append(kwargs))
    for name in ("MISSIONBOARD_DATABASE_URL", "MISSIONBOARD_SECURE_COOKIES"):  # serve --workers sets them
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    app, base = _cli(tmp_path)
    result = CliRunner().invoke(app, [*base, "serve", *options])
    assert result.exit_code == 0, result.output
    assert (served[0]["proxy_headers"], served[0]["forwarded_allow_ips"]) == (proxy_headers, allowed)


def test_the_demo_server_ignores_forwarded_headers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from missionboard.cli import web

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    Workspace.open(url, create=True).close()
    served: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: served.append(kwargs))
    web.serve_workspace(url, port=8123)
    assert served[0]["proxy_headers"] is False
