"""A workspace another process keeps locked: the web answers 503 with Retry-After, the CLI one line and exit 2.

Nothing waits forever and nothing is a 500; once the lock is gone the same write goes through.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from reliability_support import run_cli, seed, serving
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.slow

DECISION = {"decision": "continue", "rationale": "while locked"}


@contextmanager
def _locked(url: str) -> Iterator[None]:
    """Another process's write lock on the workspace (here: this test's own connection)."""
    if url.startswith("sqlite"):
        holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = create_engine(url)
    with engine.connect() as connection:
        transaction = connection.begin()
        connection.execute(text("LOCK TABLE decisions IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            transaction.rollback()
    engine.dispose()


def _busy(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded = seed(url)
    monkeypatch.setenv("MISSIONBOARD_BUSY_TIMEOUT_MS", "400")
    auth = {"Authorization": f"Bearer {seeded.token}"}
    with (
        serving(url, tmp_path) as server,
        httpx.Client(base_url=server.base, headers=auth, timeout=30) as web,
    ):
        with _locked(url):
            refused = web.post("/api/v1/projects/3/decisions", json=DECISION)
            text_run = run_cli(url, "decide", "seed:S0003", "--decision", "stop", "--rationale", "cli locked")
            json_run = run_cli(
                url,
                "decide",
                "seed:S0003",
                "--decision",
                "stop",
                "--rationale",
                "cli locked",
                "--format",
                "json",
            )
        assert refused.status_code == 503, refused.text
        assert int(refused.headers["retry-after"]) > 0
        assert "busy" in refused.json()["error"]
        assert refused.headers.get("x-content-type-options") == "nosniff"
        assert text_run.returncode == 2, text_run.stderr
        assert len([line for line in text_run.stderr.splitlines() if line.strip()]) == 1, text_run.stderr
        assert "busy" in text_run.stderr
        assert json_run.returncode == 2, json_run.stderr
        assert json.loads(json_run.stdout or json_run.stderr)["kind"] == "WorkspaceBusy"
        accepted = web.post("/api/v1/projects/3/decisions", json=DECISION)
        assert accepted.status_code == 201, accepted.text
        rationales = [d["rationale"] for d in accepted.json()["decisions"]]
        assert rationales.count("while locked") == 1
        assert "cli locked" not in rationales


def test_a_locked_sqlite_workspace_is_refused_cleanly_by_web_and_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _busy(f"sqlite:///{tmp_path / 'workspace.db'}", tmp_path, monkeypatch)


@pytest.mark.postgres
def test_a_locked_postgres_workspace_is_refused_cleanly_by_web_and_cli(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _busy(postgres_url, tmp_path, monkeypatch)
