"""The presence registry: a process that announces itself is seen by others until it ends, however it
ends, on SQLite (a folder of locked files) and PostgreSQL (pg_stat_activity)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from missionboard.store import presence

ANNOUNCER = (
    "import sys, time\n"
    "from missionboard.store import presence\n"
    "with presence.announce(sys.argv[1], sys.argv[2], {'file': 'grants.json'}):\n"
    "    print('ready', flush=True)\n"
    "    time.sleep(120)\n"
)


@contextmanager
def announcer(url: str, kind: str = "import") -> Iterator[subprocess.Popen[str]]:
    """Another process that announces itself on ``url`` and stays until killed."""
    child = subprocess.Popen([sys.executable, "-c", ANNOUNCER, url, kind], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=10)


def eventually(condition: Callable[[], bool], seconds: float = 10) -> bool:
    """PostgreSQL ends the row of a dead client's backend a moment after the process is gone."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'workspace.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.mark.parametrize("ending", [signal.SIGTERM, signal.SIGKILL])
def test_another_process_is_seen_while_it_runs_and_not_after_it_ends(url: str, ending: int) -> None:
    with announcer(url) as child:
        [seen] = presence.others(url)
        assert seen.pid == child.pid and seen.kind == "import"
        assert seen.detail == {"file": "grants.json"}
        child.send_signal(ending)
        child.wait(timeout=10)
        assert eventually(lambda: presence.others(url) == [])


def test_a_process_does_not_see_itself(url: str) -> None:
    with presence.announce(url, "map"):
        assert presence.others(url) == []


def test_announcements_nest_and_the_innermost_is_shown(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'workspace.db'}"
    script = (
        "import sys\n"
        "from missionboard.store import presence\n"
        "with presence.announce(sys.argv[1], 'cli'):\n"
        "    with presence.announce(sys.argv[1], 'serve', {'address': '127.0.0.1:8000'}):\n"
        "        print('inner', flush=True); sys.stdin.readline()\n"
        "    print('outer', flush=True); sys.stdin.readline()\n"
        "print('none', flush=True); sys.stdin.readline()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        seen = []
        for _ in range(3):
            child.stdout.readline()
            seen.append([p.kind for p in presence.others(url)])
            child.stdin.write("\n")
            child.stdin.flush()
    finally:
        child.kill()
        child.wait(timeout=10)
    assert seen == [["serve"], ["cli"], []]


def test_a_folder_that_cannot_be_written_leaves_the_process_unseen_not_failing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'workspace.db'}"
    with presence.announce(url, "import") as me:
        assert me.kind == "import"
    assert presence.others(url) == []


def test_postgres_workspaces_in_other_schemas_are_not_confused(
    postgres_server: str, request: pytest.FixtureRequest
) -> None:
    first = str(request.getfixturevalue("postgres_url"))
    other = first.rsplit("search_path%3D", 1)[0] + "search_path%3Dsomewhere_else"
    with announcer(first):
        assert len(presence.others(first)) == 1
        assert presence.others(other) == []


def test_describe_says_what_runs_where_and_since_when() -> None:
    import datetime as dt

    entry = presence.Presence(
        kind="serve",
        pid=42,
        host="box",
        started=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        command="missionboard serve",
        detail={"address": "127.0.0.1:8000", "workers": 2},
    )
    assert entry.describe() == (
        "web server: pid 42 on box, address 127.0.0.1:8000, workers 2, since 2026-01-02 03:04:05 UTC"
    )


def test_an_announced_command_line_hides_passwords(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'workspace.db'}"
    argv = ["/venv/bin/missionboard", "--database-url", "postgresql+psycopg://bob:s3cret@db/x", "info"]
    monkeypatch.setattr(sys, "argv", argv)
    with presence.announce(url, "cli") as me:
        assert "s3cret" not in me.command
        assert "postgresql+psycopg://bob:***@db/x" in me.command


@pytest.mark.postgres
def test_a_connection_named_for_another_schema_of_the_same_database_is_not_this_workspaces(
    postgres_url: str,
) -> None:
    """Before its first statement (or where the statement is hidden) only the connection's name tells
    which workspace it serves: a process on another schema must not show up here."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url)
    ours = presence._PostgresRegistry(postgres_url).tag
    named = {
        "ours": f"{presence.APPLICATION_PREFIX}import:4242:{ours}",
        "theirs": f"{presence.APPLICATION_PREFIX}import:4343:{'0' * 12}",
    }
    connections = [
        psycopg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            dbname=url.database,
            application_name=name,
        )
        for name in named.values()
    ]
    try:
        assert eventually(lambda: [p.pid for p in presence.others(postgres_url)] == [4242])
    finally:
        for connection in connections:
            connection.close()
