"""``missionboard serve --workers N``: each worker listens on a socket of its own, so that the kernel spreads
the users' connections among the workers (with one shared socket one worker took 17 of 20 connections)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import httpx
import pytest
from reliability_support import MISSION, seed, serving

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads sockets from Linux's /proc"),
]

LISTEN, ESTABLISHED = "0A", "01"


def _sockets(port: int, state: str) -> set[str]:
    """Inodes of the TCP sockets on local ``port`` in ``state`` (IPv4 and IPv6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                found.add(fields[9])
    return found


def _held_by(pid: int) -> set[str]:
    """Inodes of the sockets process ``pid`` holds open."""
    held = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            held.add(target[len("socket:[") : -1])
    return held


def test_each_worker_listens_on_its_own_socket_and_connections_reach_both(tmp_path: Path) -> None:
    seeded = seed(f"sqlite:///{tmp_path / 'workspace.db'}")
    with serving(seeded.url, tmp_path, workers=2) as server:
        port = int(server.base.rsplit(":", 1)[1])
        deadline = time.monotonic() + 60
        while len(_sockets(port, LISTEN)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # the second worker may still be starting
        listening = _sockets(port, LISTEN)
        workers = [pid for pid in server.pids() if pid != server.process.pid and _held_by(pid) & listening]
        assert len(listening) == 2
        assert len(workers) == 2
        assert [len(_held_by(pid) & listening) for pid in workers] == [1, 1]
        assert _held_by(workers[0]) & _held_by(workers[1]) & listening == set()

        auth = {"Authorization": f"Bearer {seeded.token}"}
        users = [httpx.Client(base_url=server.base, headers=auth, timeout=60) for _ in range(20)]
        try:
            for user in users:  # twenty keep-alive connections, as twenty users hold them
                assert user.get(f"/api/v1/missions/{MISSION}").status_code == 200
            connected = _sockets(port, ESTABLISHED)
            served = [len(_held_by(pid) & connected) for pid in workers]
        finally:
            for user in users:
                user.close()
    assert sum(served) == 20
    assert min(served) >= 1, f"one worker took every connection: {served}"
