"""The report of issue 12, replayed with real processes: a server and a CLI on one SQLite workspace.

Once, viewing a mission's analytics made the server open the workspace through ADBC's own SQLite library;
closing that connection dropped the POSIX locks of the server's connections, so the next CLI command to
finish deleted the WAL under the server. Its later writes were acknowledged and lost. Now no second
SQLite library opens the file in a process that holds workspace connections.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from reliability_support import MISSION, login, mapped_libraries, open_files, run_cli, seed, serving

from missionboard.store.workspace import Workspace

pytestmark = pytest.mark.slow


def _decisions(url: str) -> list[str]:
    """Read by a process of its own: what any other process would see."""
    code = (
        "import sys; from sqlalchemy import create_engine, text; c = create_engine(sys.argv[1]).connect(); "
        "print('\\n'.join(r[0] for r in c.execute(text('select rationale from decisions order by id'))))"
    )
    done = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'workspace.db'}"
    return str(request.getfixturevalue("postgres_url"))


def test_a_web_write_after_analytics_and_a_cli_command_is_seen_by_every_other_process(
    url: str, tmp_path: Path
) -> None:
    database = tmp_path / "workspace.db"
    seeded = seed(url)
    auth = {"Authorization": f"Bearer {seeded.token}"}
    with serving(seeded.url, tmp_path) as server, httpx.Client(base_url=server.base, headers=auth) as web:
        assert web.get(f"/api/v1/missions/{MISSION}").status_code == 200
        analytics = web.get(f"/api/v1/missions/{MISSION}/analytics", timeout=120)
        assert analytics.status_code == 200, analytics.text
        assert analytics.json()["meta"]["load_method"] == (
            "sqlite3-arrow" if url.startswith("sqlite") else "sqlalchemy"
        )
        browser = login(server.base, "editor0")
        page = browser.get(f"/missions/{MISSION}")
        assert page.status_code == 200, page.text
        fragment = browser.get(
            f"/missions/{MISSION}/insights", params={"fragment": True, "part": "analytics"}
        )
        assert fragment.status_code == 200, fragment.text

        listed = run_cli(seeded.url, "mission", "list")
        assert listed.returncode == 0, listed.stderr

        written = web.post(
            "/api/v1/projects/7/decisions", json={"decision": "continue", "rationale": "after cli"}
        )
        assert written.status_code == 201, written.text
        decided = run_cli(
            seeded.url, "decide", "seed:S0008", "--decision", "pivot", "--rationale", "from cli"
        )
        assert decided.returncode == 0, decided.stderr
        second = web.post(
            "/api/v1/projects/9/decisions", json={"decision": "scale", "rationale": "web again"}
        )
        assert second.status_code == 201, second.text

        assert _decisions(url) == ["after cli", "from cli", "web again"]
        assert browser.get(f"/missions/{MISSION}").status_code == 200
        if url.startswith("sqlite"):
            wal = open_files(server.pids(), str(database) + "-wal")
            assert wal, "the server holds no connection to the WAL file"
            assert not [target for target in wal if target.endswith("(deleted)")]
            assert not [lib for lib in mapped_libraries(server.pids()) if "adbc" in lib.lower()]
    # after the server stopped, the writes are still there, and the file is sound
    assert _decisions(url) == ["after cli", "from cli", "web again"]
    if url.startswith("sqlite"):
        with sqlite3.connect(database) as check:
            assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_adbc_refuses_a_file_this_process_holds_as_a_workspace(tmp_path: Path) -> None:
    pytest.importorskip("adbc_driver_sqlite")
    from missionboard.analytics.save_snapshot import SecondSqliteLibrary, adbc_connect

    database = tmp_path / "workspace.db"
    workspace = Workspace.open(f"sqlite:///{database}", create=True)
    try:
        with pytest.raises(SecondSqliteLibrary):
            adbc_connect(str(database))
    finally:
        workspace.close()
    adbc_connect(str(database)).close()  # once closed here, the snapshot process may read it
