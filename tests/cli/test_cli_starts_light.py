"""Every ``missionboard`` command starts fast: the command line and its help load no heavy library; a
command imports its service, and what that needs, only when it runs (issue 15 item 7, issue 19 item 5).

Each check runs in a fresh interpreter, where ``sys.modules`` shows what starting really imports.
Speed itself is measured by ``bench/cli_startup.py``, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from missionboard.cli.app import app

MISSIONBOARD = str(Path(sys.executable).parent / "missionboard")

HEAVY = (
    "sklearn",
    "scipy",
    "statsmodels",
    "pandas",
    "duckdb",
    "matplotlib",
    "pyarrow",
    "alembic",
    "argon2",
    "sqlalchemy",
)
"""Libraries only the commands that use them may import."""

LOADED = """
import json, sys
{run}
print(json.dumps(sorted(name.partition(".")[0] for name in sys.modules)))
"""


def _loaded_after(run: str) -> set[str]:
    """The top-level packages in ``sys.modules`` of a fresh interpreter after ``run``."""
    done = subprocess.run(
        [sys.executable, "-c", LOADED.format(run=run)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.fixture(scope="module")
def loaded_by_import() -> set[str]:
    return _loaded_after("import missionboard.cli.app")


@pytest.mark.parametrize("library", HEAVY)
def test_importing_the_command_line_loads_no_heavy_library(loaded_by_import: set[str], library: str) -> None:
    assert library not in loaded_by_import


@pytest.mark.parametrize(
    "argv", [["--help"], ["mission", "list", "--help"], ["analyze", "--help"]], ids=" ".join
)
def test_asking_for_help_loads_no_heavy_library(argv: list[str]) -> None:
    run = f"""
from missionboard.cli.app import main
import contextlib, io
with contextlib.redirect_stdout(io.StringIO()):
    assert main({argv!r}) == 0
"""
    loaded = _loaded_after(run)
    assert not loaded & set(HEAVY), f"missionboard {' '.join(argv)} loaded {sorted(loaded & set(HEAVY))}"


def test_missionboard_help_exits_0_and_lists_every_command() -> None:
    done = subprocess.run([MISSIONBOARD, "--help"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    listed = {line.strip(" │").split(" ")[0] for line in done.stdout.splitlines()}
    commands = set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert commands <= listed, f"missing from --help: {sorted(commands - listed)}"
