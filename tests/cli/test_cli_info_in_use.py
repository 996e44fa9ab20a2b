"""`missionboard info` names the other processes using the workspace, found with real processes
(issue 12, deliver 3): a running `serve`, and a long write warns that web users will wait."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

MISSIONBOARD = str(Path(sys.executable).parent / "missionboard")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def missionboard(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MISSIONBOARD, "--workspace", str(workspace), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "workspace.db"
    assert missionboard(path, "init").returncode == 0
    return path


@pytest.fixture
def server(workspace: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``missionboard serve`` in its own process, ready once /healthz answers."""
    port = free_port()
    process = subprocess.Popen(
        [MISSIONBOARD, "--workspace", str(workspace), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("missionboard serve did not start")
        time.sleep(0.2)
    yield process, port
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


def test_info_names_a_running_server_and_forgets_it_once_killed(
    workspace: Path, server: tuple[subprocess.Popen[bytes], int]
) -> None:
    process, port = server
    shown = missionboard(workspace, "info")
    assert shown.returncode == 0
    assert f"web server: pid {process.pid}" in shown.stdout
    assert f"address 127.0.0.1:{port}" in shown.stdout
    [entry] = json.loads(missionboard(workspace, "info", "--json").stdout)["in_use"]
    assert entry["kind"] == "serve" and entry["pid"] == process.pid
    assert entry["detail"] == {"address": f"127.0.0.1:{port}", "workers": 1}
    process.send_signal(signal.SIGKILL)  # no chance to say goodbye: the lock alone tells
    process.wait(timeout=10)
    after = missionboard(workspace, "info")
    assert "in use by: no other process" in after.stdout
    assert list((workspace.parent / "workspace.db.presence").glob("*.json")) == []


def test_a_long_write_while_a_server_runs_says_web_users_will_wait(
    workspace: Path, server: tuple[subprocess.Popen[bytes], int], tmp_path: Path
) -> None:
    process, _port = server
    projects = tmp_path / "projects.csv"
    projects.write_text("id,title,description,funder\nA1,Solar mini-grids,Solar for villages,Norad\n")
    imported = missionboard(workspace, "ingest", "csv", str(projects))
    assert imported.returncode == 0
    [note] = [line for line in imported.stderr.splitlines() if "wait" in line]
    assert f"pid {process.pid}" in note and "web users will wait while this import writes" in note


def test_a_long_write_without_a_server_says_nothing_about_waiting(workspace: Path, tmp_path: Path) -> None:
    projects = tmp_path / "projects.csv"
    projects.write_text("id,title,description,funder\nA1,Solar mini-grids,Solar for villages,Norad\n")
    imported = missionboard(workspace, "ingest", "csv", str(projects))
    assert imported.returncode == 0
    assert "wait" not in imported.stderr


def test_info_names_an_import_in_progress(workspace: Path) -> None:
    script = (
        "import sys, time\n"
        "from missionboard.store import presence\n"
        "with presence.announce(sys.argv[1], 'import', {'file': 'projects.csv'}):\n"
        "    print('ready', flush=True)\n"
        "    time.sleep(60)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, f"sqlite:///{workspace}"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        shown = missionboard(workspace, "info")
        assert "import (" in shown.stdout and f"pid {child.pid}" in shown.stdout
        assert "file projects.csv" in shown.stdout
    finally:
        child.terminate()
        child.wait(timeout=10)
    assert "no other process" in missionboard(workspace, "info").stdout


@pytest.mark.postgres
def test_info_on_postgresql_names_an_import_in_progress(cli, postgres_url: str) -> None:  # type: ignore[no-untyped-def]
    assert cli("--database-url", postgres_url, "init").exit_code == 0
    script = (
        "import sys, time\n"
        "from missionboard.store import presence\n"
        "with presence.announce(sys.argv[1], 'import', {'file': 'grants.json'}):\n"
        "    print('ready', flush=True)\n"
        "    time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script, postgres_url], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        shown = cli("--database-url", postgres_url, "info", "--json")
    finally:
        child.kill()
        child.wait(timeout=10)
    [entry] = json.loads(shown.stdout)["in_use"]
    assert entry["kind"] == "import" and entry["pid"] == child.pid
    assert entry["detail"] == {"file": "grants.json"}
