"""Fixtures that build small, real workspaces: SQLite files, and PostgreSQL schemas where a server runs."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from missionboard.store.workspace import Workspace

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
POSTGRES_URL = os.environ.get(
    "MISSIONBOARD_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def shared_data() -> Path:
    """The real public sample files beside the project (../shared/data); skip where absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared sample data not found at {SHARED_DATA}")
    return SHARED_DATA


def _postgres_reachable() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return None
    except (OperationalError, ImportError) as exc:
        return str(exc).splitlines()[0]


@pytest.fixture(scope="session")
def postgres_server() -> str:
    reason = _postgres_reachable()
    if reason is not None:
        pytest.skip(f"no PostgreSQL server reachable at {POSTGRES_URL}: {reason}")
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A URL to a fresh, private schema in the test database, dropped afterwards."""
    schema = f"mb_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres_server else "?"
    yield f"{postgres_server}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'workspace.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'workspace.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def workspace(database_url: str) -> Iterator[Workspace]:
    ws = Workspace.open(database_url, create=True)
    yield ws
    ws.close()


@pytest.fixture
def sqlite_workspace(sqlite_url: str) -> Iterator[Workspace]:
    ws = Workspace.open(sqlite_url, create=True)
    yield ws
    ws.close()


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run ``missionboard`` in-process against a temporary workspace file (unless args name another)."""
    from missionboard.cli.app import main

    default_workspace = tmp_path / "cli-workspace.db"

    def run(*args: str, workspace: Path | None = default_workspace) -> CliResult:
        argv = list(args)
        if workspace is not None and "--workspace" not in argv and "--database-url" not in argv:
            argv = ["--workspace", str(workspace), *argv]
        capsys.readouterr()
        code = main(argv)
        out = capsys.readouterr()
        return CliResult(code, out.out, out.err)

    run.workspace = default_workspace  # type: ignore[attr-defined]
    return run


# Reliability tests report what they verified (e.g. how many acknowledged writes) at the end of the run,
# also under pytest-xdist, where a test's own output is not shown: through ``record_property("report", …)``.
# The hook lives here, in the root conftest: under xdist the controller loads no other conftest.
def pytest_terminal_summary(terminalreporter: Any) -> None:
    lines = [
        f"{report.nodeid}: {value}"
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if getattr(report, "when", "call") == "call"
        for name, value in getattr(report, "user_properties", [])
        if name == "report"
    ]
    if lines:
        terminalreporter.section("reliability")
        for line in lines:
            terminalreporter.write_line(line)
