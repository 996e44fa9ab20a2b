"""``missionboard --read-only serve``: every worker reads, no worker writes, and the file stays as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
from reliability_support import MISSION, run_cli, seed, serving

pytestmark = pytest.mark.slow


def test_a_read_only_server_with_two_workers_reads_and_refuses_writes_with_503(tmp_path: Path) -> None:
    database = tmp_path / "workspace.db"
    seeded = seed(f"sqlite:///{database}")
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    auth = {"Authorization": f"Bearer {seeded.token}"}
    with (
        serving(seeded.url, tmp_path, workers=2, read_only=True) as server,
        httpx.Client(base_url=server.base, headers=auth, timeout=60) as web,
    ):
        for _ in range(6):  # several requests, so both workers answer some
            assert web.get(f"/api/v1/missions/{MISSION}").status_code == 200
            assert web.get("/api/v1/projects", params={"per_page": 5}).status_code == 200
        refused = web.post("/api/v1/projects/3/decisions", json={"decision": "stop", "rationale": "no"})
        assert refused.status_code == 503, refused.text
        assert "read-only" in refused.json()["error"]
        listed = run_cli(seeded.url, "--read-only", "mission", "list")
        assert listed.returncode == 0, listed.stderr
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
