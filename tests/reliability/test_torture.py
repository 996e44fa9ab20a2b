"""Many writers at once on one workspace, with real processes: nothing acknowledged is lost, nothing is a 500.

For ``MISSIONBOARD_TORTURE_SECONDS`` (default 60) the web app (2 worker processes) takes logins, mission
edits, link reviews and decisions from threads of this test, while CLI processes import files, map,
analyse and record decisions on the same workspace — on SQLite and on PostgreSQL. Afterwards a fresh
process reads the workspace and every acknowledged write must be there. A busy workspace may make a
request wait or answer 503 with ``Retry-After``; the CLI may exit 2 with one line; nothing else is allowed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from reliability_support import (
    MISSION,
    MISSION_YAML,
    PROJECTS,
    csrf_of,
    login,
    run_cli,
    seed,
    serving,
    write_csv,
)

pytestmark = pytest.mark.slow

SECONDS = float(os.environ.get("MISSIONBOARD_TORTURE_SECONDS", "60"))
IMPORT_ROWS = int(os.environ.get("MISSIONBOARD_TORTURE_IMPORT_ROWS", "400"))

VERIFY = r"""
import json, sys
from sqlalchemy import text
from missionboard.store.workspace import Workspace
ws = Workspace.open(sys.argv[1])
with ws.reading() as s:
    out = {
        "decisions": [r[0] for r in s.execute(text("select rationale from decisions"))],
        "versions": {str(r[0]): r[1] for r in s.execute(text(
            "select version, yaml_text from mission_versions where mission_id = 'ocean'"))},
        "links": {str(r[0]): r[1] for r in s.execute(text("select id, status from links"))},
        "projects": [r[0] for r in s.execute(text("select source_id from projects"))],
        "sessions": {r[0]: r[1] for r in s.execute(text(
            "select u.username, count(*) from web_sessions w join users u on u.id = w.user_id group by u.username"))},
    }
ws.close()
print(json.dumps(out))
"""


@dataclass
class Ledger:
    """What the workspace acknowledged, and everything that went wrong."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    decisions: list[str] = field(default_factory=list)
    versions: dict[int, str] = field(default_factory=dict)
    reviews: dict[int, str] = field(default_factory=dict)
    imported: list[str] = field(default_factory=list)
    logins: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    busy: int = 0

    def answer(self, what: str, response: httpx.Response, started: float) -> bool:
        """Record a web answer; True when it acknowledged the write."""
        with self.lock:
            self.waits.append(time.monotonic() - started)
            self.statuses[f"{what} {response.status_code}"] += 1
            if response.status_code >= 500 and response.status_code != 503:
                self.failures.append(f"{what}: {response.status_code} {response.text[:300]}")
            if response.status_code == 503:
                self.busy += 1
                if not response.headers.get("retry-after"):
                    self.failures.append(f"{what}: 503 without Retry-After")
        return response.status_code < 300

    def cli(self, what: str, done: subprocess.CompletedProcess[str]) -> bool:
        with self.lock:
            self.statuses[f"cli {what} exit {done.returncode}"] += 1
            if done.returncode == 2:
                lines = [line for line in done.stderr.splitlines() if line.strip()]
                if len(lines) != 1 or "busy" not in lines[0]:
                    self.failures.append(f"cli {what} exit 2 is not one busy line: {done.stderr[-500:]}")
            elif done.returncode != 0:
                self.failures.append(f"cli {what} exit {done.returncode}: {done.stderr[-800:]}")
        return done.returncode == 0


def _until(deadline: float, step: Callable[[int], None]) -> Callable[[], None]:
    def loop() -> None:
        n = 0
        while time.monotonic() < deadline:
            step(n)
            n += 1

    return loop


def _guarded(ledger: Ledger, name: str, body: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        try:
            body()
        except Exception as exc:  # a writer that dies is a failure of the test, reported with the rest
            with ledger.lock:
                ledger.failures.append(f"{name} crashed: {type(exc).__name__}: {exc}")

    return run


def _torture(
    url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    record_property: Callable[[str, object], None],
) -> None:
    seeded = seed(url)
    ledger = Ledger()
    admin = {"Authorization": f"Bearer {seeded.token}"}
    with serving(url, tmp_path, workers=2) as server:
        deadline = time.monotonic() + SECONDS
        api = httpx.Client(base_url=server.base, headers=admin, timeout=60)

        def post(what: str, method: str, path: str, **kwargs: object) -> httpx.Response | None:
            started = time.monotonic()
            try:
                response = api.request(method, path, **kwargs)  # type: ignore[arg-type]
            except httpx.HTTPError as exc:
                with ledger.lock:
                    ledger.failures.append(f"{what}: {type(exc).__name__} {exc}")
                return None
            return response if ledger.answer(what, response, started) else None

        def edit_mission(n: int) -> None:
            title = f"Plastic-free coastal waters, edit {n}"
            text = MISSION_YAML.replace("title: Plastic-free coastal waters", f"title: {title}", 1)
            done = post("mission edit", "PUT", f"/api/v1/missions/{MISSION}/yaml", json={"yaml": text})
            if done is not None:
                with ledger.lock:
                    ledger.versions[done.json()["version"]] = title

        def review(n: int) -> None:
            link_id = n + 1
            if link_id > PROJECTS:
                time.sleep(0.2)
                return
            action = "accept" if n % 2 else "reject"
            done = post("review", "POST", f"/api/v1/links/{link_id}/review", json={"action": action})
            if done is not None:
                with ledger.lock:
                    ledger.reviews[link_id] = "accepted" if action == "accept" else "rejected"

        def decide(n: int) -> None:
            rationale = f"web decision {n}"
            body = {"decision": "continue", "rationale": rationale}
            if (
                post("decision", "POST", f"/api/v1/projects/{n % PROJECTS + 1}/decisions", json=body)
                is not None
            ):
                with ledger.lock:
                    ledger.decisions.append(rationale)

        def log_in(n: int) -> None:
            user = seeded.users[n % len(seeded.users)]
            started = time.monotonic()
            try:
                browser = login(server.base, user)
                page = browser.get("/account")
                csrf_of(browser)
            except (httpx.HTTPError, AssertionError) as exc:
                with ledger.lock:
                    ledger.failures.append(f"login: {type(exc).__name__} {str(exc)[:300]}")
                return
            if ledger.answer("login", page, started):
                with ledger.lock:
                    ledger.logins[user] += 1
            browser.close()

        def cli_import(n: int) -> None:
            prefix = f"imp{n}"
            path = write_csv(tmp_path / f"{prefix}.csv", IMPORT_ROWS, prefix=prefix)
            done = run_cli(url, "ingest", "csv", str(path), "--source", "torture")
            if ledger.cli("import", done):
                with ledger.lock:
                    ledger.imported.extend(f"{prefix}-{i}" for i in range(1, IMPORT_ROWS + 1))

        def cli_map_and_analyze(n: int) -> None:
            if n % 2 == 0:
                ledger.cli(
                    "map", run_cli(url, "map", "--taxonomy", f"mission:{MISSION}", "--method", "query")
                )
            else:
                ledger.cli("analyze", run_cli(url, "analyze", "--format", "json"))

        def cli_decide(n: int) -> None:
            rationale = f"cli decision {n}"
            project = f"seed:S{n % PROJECTS + 1:04d}"
            done = run_cli(url, "decide", project, "--decision", "pivot", "--rationale", rationale)
            if ledger.cli("decide", done):
                with ledger.lock:
                    ledger.decisions.append(rationale)

        writers = {
            "mission edits": edit_mission,
            "reviews": review,
            "decisions": decide,
            "logins": log_in,
            "cli import": cli_import,
            "cli map/analyze": cli_map_and_analyze,
            "cli decide": cli_decide,
        }
        threads = [
            threading.Thread(target=_guarded(ledger, name, _until(deadline, step)), name=name)
            for name, step in writers.items()
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SECONDS + 600)
        api.close()

    verified = subprocess.run(
        [sys.executable, "-c", VERIFY, url], capture_output=True, text=True, check=True, timeout=300
    )
    found = json.loads(verified.stdout)
    lost: list[str] = []
    lost += [f"decision {r!r}" for r in ledger.decisions if r not in set(found["decisions"])]
    lost += [
        f"mission version {v}"
        for v, title in ledger.versions.items()
        if title not in found["versions"].get(str(v), "")
    ]
    lost += [f"review of link {k}" for k, s in ledger.reviews.items() if found["links"].get(str(k)) != s]
    projects = set(found["projects"])
    lost += [f"imported project {p}" for p in ledger.imported if p not in projects]
    lost += [f"logins of {u}" for u, n in ledger.logins.items() if found["sessions"].get(u, 0) < n]
    acknowledged = (
        len(ledger.decisions)
        + len(ledger.versions)
        + len(ledger.reviews)
        + len(ledger.imported)
        + sum(ledger.logins.values())
    )
    waits = sorted(ledger.waits)
    line = (
        f"{SECONDS:.0f} s: {acknowledged} acknowledged writes verified "
        f"({len(ledger.decisions)} decisions, {len(ledger.versions)} mission versions, {len(ledger.reviews)} "
        f"reviews, {len(ledger.imported)} imported projects, {sum(ledger.logins.values())} logins); "
        f"{ledger.busy} busy answers; web wait p50 {waits[len(waits) // 2] if waits else 0:.2f} s, "
        f"longest {waits[-1] if waits else 0:.2f} s; {dict(sorted(ledger.statuses.items()))}"
    )
    record_property("report", line)
    with capsys.disabled():
        print(f"\n[torture {url.split(':')[0]}] {line}")
    assert not ledger.failures, "\n".join(ledger.failures[:20])
    assert not lost, f"{len(lost)} acknowledged writes lost: {lost[:20]}"
    assert len(ledger.decisions) > 0 and len(ledger.versions) > 0 and len(ledger.imported) > 0
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as check:
            assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_sqlite_loses_no_acknowledged_write_under_concurrent_web_and_cli_writers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], record_property: Callable[[str, object], None]
) -> None:
    _torture(f"sqlite:///{tmp_path / 'workspace.db'}", tmp_path, capsys, record_property)


@pytest.mark.postgres
def test_postgres_loses_no_acknowledged_write_under_concurrent_web_and_cli_writers(
    postgres_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    record_property: Callable[[str, object], None],
) -> None:
    _torture(postgres_url, tmp_path, capsys, record_property)
