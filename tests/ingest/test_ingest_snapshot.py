"""An import that changes a large portfolio leaves its analytics snapshot current, and saves it without
loading the analysis stack: the child process that saves it is the only one to need DuckDB and Arrow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ingest_helpers import PROJECT_HEADER, PROJECTS, write_csv

IMPORT = r"""
import json, sys
from pathlib import Path
import missionboard.analytics.loader as loader
from missionboard.analytics import snapshot
from missionboard.services.ingest import ingest_files
from missionboard.store.workspace import Workspace

loader.SNAPSHOT_FROM_PROJECTS = 0  # keep a snapshot of this small portfolio, as of a large one
workspace = Workspace.open(f"sqlite:///{sys.argv[1]}", create=True)
run = ingest_files(workspace, "csv", [Path(sys.argv[2])], source="agency")
root = snapshot.folder(workspace)
stamp = snapshot.fingerprint(workspace, loader.snapshot_signature())
print(json.dumps({
    "inserted": run.inserted,
    "current": (root / f"{snapshot.PREFIX}{stamp}" / snapshot.MANIFEST).is_file(),
    "loaded": sorted(name for name in ("duckdb", "pyarrow") if name in sys.modules),
}))
"""


def _import_in_a_fresh_process(tmp_path: Path) -> dict[str, object]:
    path = write_csv(tmp_path / "projects.csv", PROJECT_HEADER, PROJECTS)
    done = subprocess.run(
        [sys.executable, "-c", IMPORT, str(tmp_path / "workspace.db"), str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_an_import_leaves_the_snapshot_of_the_portfolio_it_wrote(tmp_path: Path) -> None:
    result = _import_in_a_fresh_process(tmp_path)
    assert result["inserted"] == len(PROJECTS)
    assert result["current"] is True


def test_an_import_saves_the_snapshot_without_loading_duckdb_or_arrow(tmp_path: Path) -> None:
    assert _import_in_a_fresh_process(tmp_path)["loaded"] == []
