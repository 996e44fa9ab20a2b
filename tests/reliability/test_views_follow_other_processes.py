"""What the web shows follows writes made by other processes (a CLI command, another worker) within
seconds, not after its caches' five minutes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from reliability_support import MISSION, login, run_cli, seed, serving

pytestmark = pytest.mark.slow


def test_a_decision_recorded_by_the_cli_appears_on_the_mission_page_of_a_running_server(
    tmp_path: Path,
) -> None:
    seeded = seed(f"sqlite:///{tmp_path / 'workspace.db'}")
    with serving(seeded.url, tmp_path, workers=2) as server:
        browser = login(server.base, "editor0")
        for _ in range(4):  # both workers have the mission's tree cached now
            assert "seen from the command line" not in browser.get(f"/missions/{MISSION}").text
        decided = run_cli(
            seeded.url,
            "decide",
            "seed:S0005",
            "--decision",
            "pivot",
            "--rationale",
            "seen from the command line",
        )
        assert decided.returncode == 0, decided.stderr
        deadline = time.monotonic() + 15
        shown = 0
        while time.monotonic() < deadline and shown < 4:  # four answers in a row, whichever worker gives them
            page = browser.get(f"/missions/{MISSION}")
            shown = shown + 1 if "seen from the command line" in page.text else 0
            time.sleep(0.3)
        assert shown == 4, "the mission page still shows the portfolio as it was before the CLI's decision"
