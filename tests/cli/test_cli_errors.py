"""Every error a user can act on is one line and exit code 2, also as JSON with --format json, and a
busy, read-only or full workspace is such an error, never a traceback (issue 12)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from missionboard.services import glance
from missionboard.services.demo.build import mission_files

MISSIONBOARD = str(Path(sys.executable).parent / "missionboard")
MISSION = mission_files()[[p.name for p in mission_files()].index("school-meals.yaml")]


@pytest.fixture
def workspace(cli) -> Path:  # type: ignore[no-untyped-def]
    assert cli("mission", "import", str(MISSION)).exit_code == 0
    return Path(cli.workspace)


@pytest.mark.parametrize(
    ("message", "kind", "words"),
    [
        ("database is locked", "WorkspaceBusy", "busy"),
        ("attempt to write a readonly database", "WorkspaceReadOnly", "read-only"),
        ("database or disk is full", "WorkspaceFull", "full"),
    ],
)
@pytest.mark.parametrize("raw", [False, True])
def test_a_raw_database_error_escaping_a_command_is_one_line_and_exit_code_2(
    cli, workspace: Path, monkeypatch: pytest.MonkeyPatch, message: str, kind: str, words: str, raw: bool
) -> None:  # type: ignore[no-untyped-def]
    def failing(*args: object, **kwargs: object) -> None:
        if raw:  # a driver error no SQLAlchemy call wrapped
            raise sqlite3.OperationalError(message)
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError(message))

    monkeypatch.setattr(glance, "mission_summaries", failing)
    text = cli("mission", "list")
    assert text.exit_code == 2
    assert len(text.stderr.strip().splitlines()) == 1
    assert words in text.stderr and "Traceback" not in text.stderr
    as_json = cli("mission", "list", "--format", "json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["kind"] == kind


@pytest.mark.parametrize(
    "args",
    [
        ("mission", "show", "nope", "--format", "json"),
        ("mission", "show", "nope", "--format=json"),
        ("analyze", "nope", "-f", "json"),
    ],
)
def test_with_format_json_an_error_is_one_json_object_on_stdout(
    cli, workspace: Path, args: tuple[str, ...]
) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args)
    assert result.exit_code == 2
    answer = json.loads(result.stdout)
    assert answer["kind"] == "NotFound"
    assert "nope" in answer["error"] and "\n" not in answer["error"]


def test_a_missing_workspace_with_json_is_a_workspace_error_object(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("info", "--json", workspace=tmp_path / "missing.db")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["kind"] == "WorkspaceError"


def test_an_error_message_with_brackets_is_printed_as_written(cli, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("mission", "show", "[bold]x[/bold]")
    assert result.exit_code == 2
    assert "[bold]x[/bold]" in result.stderr


def run(workspace: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MISSIONBOARD, "--workspace", str(workspace), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_a_write_while_another_process_holds_the_lock_is_busy_in_one_line(
    workspace: Path, tmp_path: Path
) -> None:
    projects = tmp_path / "projects.csv"
    projects.write_text("id,title,description,funder\nA1,Solar mini-grids,Solar for villages,Norad\n")
    holder = sqlite3.connect(workspace, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer, in the middle of a long transaction
    try:
        text = run(workspace, "mission", "import", str(MISSION), MISSIONBOARD_BUSY_TIMEOUT_MS="300")
        as_json = run(
            workspace, "ingest", "csv", str(projects), "--format", "json", MISSIONBOARD_BUSY_TIMEOUT_MS="300"
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert text.returncode == 2
    assert len(text.stderr.strip().splitlines()) == 1 and "busy" in text.stderr
    assert "Traceback" not in text.stderr
    assert as_json.returncode == 2
    assert json.loads(as_json.stdout)["kind"] == "WorkspaceBusy"


# --- read-only workspaces: reading commands work, writes are one line -------------------------------

READING = [("mission", "list"), ("info",), ("analyze", "school-meals", "--format", "json")]


@pytest.mark.parametrize("args", READING)
def test_reading_commands_work_with_read_only(cli, workspace: Path, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    result = cli("--read-only", *args)
    assert result.exit_code == 0, result.stderr


def contents(path: Path) -> list[str]:
    """The workspace's logical content: the file's bytes may change when a closing connection of an
    earlier command checkpoints its write-ahead log, which changes no data."""
    with closing(sqlite3.connect(path)) as reader:
        return list(reader.iterdump())


def test_a_write_with_read_only_is_one_line_and_changes_nothing(cli, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    before = contents(workspace)
    result = cli("--read-only", "--format", "json", "mission", "import", str(MISSION))
    assert result.exit_code == 2
    result = cli("--read-only", "mission", "import", str(MISSION))
    assert result.exit_code == 2
    assert "read-only" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert contents(workspace) == before


def _without_write_rights() -> list[str]:
    """A prefix that runs a command unable to write files it does not own: root drops its override."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root, where chmod does not stop writes, and setpriv is not installed")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}", "--"]


@pytest.mark.parametrize("args", READING)
def test_reading_commands_work_on_a_read_only_file_in_a_read_only_folder(
    workspace: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    target = folder / "workspace.db"
    with sqlite3.connect(workspace) as writer:  # everything in the main file, as a closed workspace has it
        writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(workspace, target)
    target.chmod(0o444)
    folder.chmod(0o555)
    try:
        result = subprocess.run(
            [*_without_write_rights(), MISSIONBOARD, "--workspace", str(target), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        folder.chmod(0o755)
    assert result.returncode == 0, result.stderr
