"""Real processes on one workspace: a seeded workspace, ``missionboard serve`` as a child process, CLI runs.

Imported as a plain module (the test folders are not packages).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from missionboard.missionfile import parse_mission
from missionboard.services import accounts
from missionboard.services import missions as mission_service
from missionboard.store.tables import LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

PASSWORD = "a long and unusual passphrase 7"
MISSION = "ocean"
PROJECTS = 120
MISSION_YAML = """mission:
  id: ocean
  title: Plastic-free coastal waters
  challenge: Plastic pollution of coastal waters
  statement: By 2030 halve the plastic litter found on the beaches of the region.
  owner: Coastal agency
  start: 2022-01-01
  deadline: 2030-12-31
  geography: "NO"
  public: false
  objectives:
    - id: litter
      title: Halve beach litter
      indicator: {id: beach_litter, name: Litter items per 100 m of beach, unit: items}
      baseline: {value: 400, year: 2020}
      target: {value: 200, year: 2030}
      queries: ["beach AND (litter OR cleanup)"]
    - id: recycling
      title: Recycle fishing gear
      indicator: {id: gear_recycling, name: Share of fishing gear recycled, unit: "%"}
      baseline: {value: 10, year: 2020}
      target: {value: 60, year: 2030}
      queries: ["fishing AND gear"]
"""
CSV_HEADER = ["id", "title", "abstract", "funder", "budget", "currency", "start", "end"]


def missionboard() -> list[str]:
    """The installed ``missionboard`` command (beside this Python), run as a child process."""
    return [str(Path(sys.executable).parent / "missionboard")]


@dataclass(frozen=True)
class Seeded:
    url: str
    token: str
    users: tuple[str, ...]
    """Accounts that may log in (editors of the mission), with ``PASSWORD``."""


def seed(url: str, *, users: int = 4) -> Seeded:
    """A workspace with an admin, editors, one mission, projects and proposed links; an admin API token."""
    workspace = Workspace.open(url, create=True)
    try:
        accounts.create_user(workspace, "admin", PASSWORD, admin=True, by="seed")
        names = tuple(f"editor{i}" for i in range(users))
        for name in names:
            accounts.create_user(workspace, name, PASSWORD, by="seed")
        mission_service.save_mission(workspace, parse_mission(MISSION_YAML, "seed.yaml"), user="seed")
        for name in names:
            accounts.set_role(workspace, name, MISSION, "editor", by="seed")
        with workspace.transaction() as session:
            # ids come from the database (a PostgreSQL sequence does not move for explicit ids): in
            # insertion order they are 1 … PROJECTS in a new workspace, as the tests expect
            projects: list[ProjectRow] = []
            for i in range(1, PROJECTS + 1):
                projects.append(
                    ProjectRow(
                        source="seed",
                        source_id=f"S{i:04d}",
                        title=f"{'Beach litter cleanup' if i % 2 else 'Fishing gear recycling'} {i}",
                        abstract="A seeded project.",
                        funder=["Research Council", "Innovation Agency"][i % 2],
                        instrument="rd_grant",
                        budget_amount=1000 * i,
                        budget_currency="EUR",
                        start=dt.date(2023, 1, 1),
                        end=dt.date(2029, 12, 31),
                        status="active",
                        countries=["NO"],
                        content_hash=f"{i:064d}",
                    )
                )
                session.add(projects[-1])
                session.flush()
            assert [p.id for p in projects] == list(range(1, PROJECTS + 1))
            for i in range(1, PROJECTS + 1):
                session.add(
                    LinkRow(
                        project_id=i,
                        taxonomy=f"mission:{MISSION}",
                        goal="litter" if i % 2 else "recycling",
                        score=0.5,
                        method="query",
                        evidence={"matched": ["beach"]},
                        status="proposed",
                    )
                )
                session.flush()
        token = accounts.create_token(workspace, "admin", "reliability", by="seed")
    finally:
        workspace.close()
    return Seeded(url=url, token=token, users=names)


def write_csv(path: Path, rows: int, *, prefix: str, start: int = 1) -> Path:
    """A portfolio CSV of ``rows`` projects with ids ``prefix``-N."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        for i in range(start, start + rows):
            kind = "beach litter cleanup" if i % 2 else "fishing gear recycling"
            writer.writerow(
                [
                    f"{prefix}-{i}",
                    f"Coastal {kind} {i}",
                    f"Work on {kind}.",
                    "Agency",
                    5000 + i,
                    "EUR",
                    "2024-01-01",
                    "2028-12-31",
                ]
            )
    return path


def login(base: str, username: str, password: str = PASSWORD) -> httpx.Client:
    """A browser-like client logged in through the form (session cookie and CSRF token)."""
    client = httpx.Client(base_url=base, timeout=120)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None, page.text[:500]
    done = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token.group(1), "next": "/"}
    )
    assert done.status_code in (200, 303), done.text[:500]
    return client


def csrf_of(client: httpx.Client) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account").text)
    assert token is not None
    return token.group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MISSIONBOARD_WORKSPACE", None)
    env.pop("MISSIONBOARD_DATABASE_URL", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_cli(url: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``missionboard --database-url URL ARGS…`` as a child process, to the end."""
    return subprocess.run(
        [*missionboard(), "--database-url", url, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        check=False,
    )


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def pids(self) -> list[int]:
        """The server process and its worker processes."""
        found = [self.process.pid]
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent in found and int(pid) not in found:
                found.append(int(pid))
        return found


@contextmanager
def serving(url: str, folder: Path, *, workers: int = 1, read_only: bool = False) -> Iterator[Server]:
    """``missionboard serve`` on a free loopback port until the block ends; waits for /healthz."""
    port = free_port()
    log = folder / f"serve-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                *missionboard(),
                "--database-url",
                url,
                *(["--read-only"] if read_only else []),
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--insecure-cookies",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=cli_env(),
            start_new_session=True,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: {log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{server.base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def open_files(pids: list[int], name_prefix: str) -> list[str]:
    """The targets of the file descriptors of ``pids`` that start with ``name_prefix`` ('(deleted)' kept)."""
    targets: list[str] = []
    for pid in pids:
        folder = Path(f"/proc/{pid}/fd")
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            try:
                target = os.readlink(entry)
            except OSError:
                continue
            if target.startswith(name_prefix):
                targets.append(target)
    return targets


def mapped_libraries(pids: list[int]) -> set[str]:
    """Shared objects mapped into ``pids``."""
    found: set[str] = set()
    for pid in pids:
        try:
            lines = Path(f"/proc/{pid}/maps").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            parts = line.split(maxsplit=5)
            if len(parts) == 6 and ".so" in parts[5]:
                found.add(parts[5].strip())
    return found
