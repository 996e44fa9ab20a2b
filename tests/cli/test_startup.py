"""``missionboard`` starts on what the command needs (issue 19 item 5, issue 15 item 7).

``missionboard --help`` lists every command without importing a command module; ``missionboard X``
imports X's module alone, and a service (with SQLAlchemy, scikit-learn …) only when X runs. Nothing
computes a password hash when it is imported. Each check runs in a fresh interpreter, whose
``sys.modules`` shows what starting really loads; the time it takes is measured by
``bench/cli_startup.py``, not here.
"""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys

import pytest
import typer
import typer.main

from missionboard.cli.app import COMMANDS, MODULES, LazyGroup, app
from missionboard.services.demo.build import mission_files

HEAVY = (
    "sklearn",
    "scipy",
    "pandas",
    "numpy",
    "duckdb",
    "pyarrow",
    "matplotlib",
    "statsmodels",
    "sqlalchemy",
    "alembic",
    "argon2",
    "pydantic_settings",
    "fastapi",
)
"""Libraries that asking for help must not load: only commands that run may."""

GROUPS = ["mission", "ingest", "rates", "taxonomy", "indicators", "progress", "gate", "appeal", "learn"]
GROUPS += ["landscape", "consult", "users"]
"""The command groups (``test_the_group_list_names_every_group`` keeps it whole)."""

HELP = [
    list(argv)
    for argv in dict.fromkeys(
        [
            ("--help",),
            *[
                (next(name for name, listed in COMMANDS.items() if listed.module == module), "--help")
                for module in MODULES
            ],
            *[(group, "--help") for group in GROUPS],
        ]
    )
]
"""``missionboard --help``, the help of one command of each command module and of each group."""

LOADED_BY = """
import contextlib, io, json, sys
from missionboard.cli.app import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main({argv!r})
print(json.dumps({{"code": code, "modules": sorted(sys.modules)}}))
"""


def _loaded_by(argv: list[str]) -> set[str]:
    """Every module in ``sys.modules`` of a fresh interpreter after ``missionboard ARGV`` (which must
    exit 0)."""
    done = subprocess.run(
        [sys.executable, "-c", LOADED_BY.format(argv=argv)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["code"] == 0
    return set(result["modules"])


def _packages(modules: set[str]) -> set[str]:
    return {name.partition(".")[0] for name in modules}


@pytest.mark.parametrize("argv", HELP, ids=" ".join)
def test_asking_for_help_loads_no_heavy_library(argv: list[str]) -> None:
    heavy = _packages(_loaded_by(argv)) & set(HEAVY)
    assert not heavy, f"missionboard {' '.join(argv)} loaded {sorted(heavy)}"


def test_the_command_list_imports_no_command_module() -> None:
    loaded = _loaded_by(["--help"])
    modules = {f"missionboard.cli.{module}" for module in MODULES}
    assert not loaded & modules, sorted(loaded & modules)


def test_the_command_list_loads_no_validation_library() -> None:
    assert "pydantic" not in _packages(_loaded_by(["--help"]))


def test_the_group_list_names_every_group() -> None:
    full = typer.Typer()
    for module in MODULES:
        importlib.import_module(f"missionboard.cli.{module}").register(full)
    groups = [
        name
        for name, command in typer.main.get_group(full).commands.items()
        if getattr(command, "commands", None)
    ]
    assert groups == GROUPS


def test_a_command_imports_its_own_module_and_no_other() -> None:
    loaded = _loaded_by(["mission", "list", "--help"])
    modules = {f"missionboard.cli.{module}" for module in MODULES}
    assert loaded & modules == {"missionboard.cli.mission"}


LISTING_LOADS_NONE_OF = (
    "sqlalchemy",
    "alembic",
    "sklearn",
    "scipy",
    "pandas",
    "numpy",
    "duckdb",
    "pyarrow",
    "matplotlib",
    "statsmodels",
    "argon2",
    "fastapi",
    "starlette",
    "pydantic_settings",
)
"""Libraries the quick commands have no use for on an up-to-date SQLite workspace: they read it with the
standard library's ``sqlite3`` (``store/quick.py``), so not even SQLAlchemy loads."""

QUICK_COMMANDS = [
    ["mission", "list"],
    ["info"],
    ["mission", "show", "school-meals"],
    ["mission", "show", "school-meals", "--format", "json"],
    ["mission", "export", "school-meals"],
    ["mission", "history", "school-meals"],
    ["mission", "diff", "school-meals"],
    ["decisions"],
    ["decisions", "--format", "json"],
    ["decisions", "school-meals"],
    ["gate", "calendar", "school-meals"],
    ["gate", "calendar", "school-meals", "--format", "json"],
    ["gate", "list", "agency:p-1"],
    ["gate", "list", "agency:p-1", "--format", "json"],
    ["indicators", "list"],
    ["ingest", "runs"],
    ["ingest", "runs", "--format", "json"],
    ["rates", "list"],
    ["rates", "list", "--to", "eur", "--format", "json"],
    ["users", "list"],
    ["users", "list", "--format", "json"],
    ["taxonomy", "list"],
    ["taxonomy", "list", "--format", "json"],
    ["consult", "list"],
    ["consult", "list", "--format", "json"],
    ["learn", "list", "school-meals"],
    ["learn", "list", "school-meals", "--format", "md"],
    ["learn", "list", "school-meals", "--search", "pupils meals"],
    ["learn", "list", "school-meals", "--about", "agency:p-1"],
    ["learn", "list", "school-meals", "--about", "food-waste", "--format", "json"],
]
"""The commands that read a current SQLite workspace the quick way (``services/glance*.py``)."""


@pytest.fixture(scope="module")
def up_to_date(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The options naming a workspace with a mission, two projects, a gate, a decision at it with its
    detail, an indicator's observations and an exchange rate."""
    folder = tmp_path_factory.mktemp("quick")
    projects = folder / "projects.csv"
    projects.write_text(
        "id,title,abstract,budget,currency,start_date\n"
        "p-1,School meals,Healthy school meals,1000,EUR,2024-01-01\n"
        "p-2,Food waste,Less food waste in schools,2000,EUR,2024-02-01\n",
        encoding="utf-8",
    )
    observations = folder / "observations.csv"
    observations.write_text("indicator,year,value,unit\nmeals,2020,1.5,%\n", encoding="utf-8")
    rates = folder / "rates.csv"
    rates.write_text("currency,reporting_currency,year,rate\nSEK,EUR,2023,0.087\n", encoding="utf-8")
    workspace = ["--workspace", str(folder / "ws.db"), "--user", "tester"]
    mission = next(path for path in mission_files() if path.name == "school-meals.yaml")
    _loaded_by([*workspace, "mission", "import", str(mission)])
    _loaded_by([*workspace, "ingest", "csv", str(projects), "--source", "agency"])
    _loaded_by(
        [
            *workspace,
            "gate",
            "add",
            "agency:p-1",
            "--name",
            "G1",
            "--date",
            "2026-06-30",
            "--criterion",
            "Runs",
        ]
    )
    _loaded_by(
        [*workspace, "decide", "agency:p-1", "--decision", "scale", "--rationale", "Works", "--gate", "G1"]
    )
    _loaded_by([*workspace, "indicators", "import", str(observations)])
    _loaded_by([*workspace, "rates", "import", str(rates)])
    return workspace


@pytest.mark.parametrize("command", QUICK_COMMANDS, ids=" ".join)
def test_a_quick_read_of_an_up_to_date_workspace_loads_no_heavy_library(
    up_to_date: list[str], command: list[str]
) -> None:
    heavy = _packages(_loaded_by([*up_to_date, *command])) & set(LISTING_LOADS_NONE_OF)
    assert not heavy, f"missionboard {' '.join(command)} loaded {sorted(heavy)}"


def test_the_quick_decision_log_builds_the_decisions_it_lists(up_to_date: list[str]) -> None:
    assert "missionboard.domain.decisions" in _loaded_by([*up_to_date, "decisions"])


def test_the_quick_gate_calendar_draws_the_calendar_it_prints(up_to_date: list[str]) -> None:
    assert "missionboard.domain.gate_calendar" in _loaded_by(
        [*up_to_date, "gate", "calendar", "school-meals"]
    )


def test_one_module_of_monitoring_loads_without_the_board_and_its_forecasts() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys, missionboard.monitoring.gates; print(json.dumps(sorted(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded = set(json.loads(done.stdout))
    assert not loaded & {
        "missionboard.monitoring.board",
        "missionboard.monitoring.forecast",
        "statsmodels",
    }


def _registered() -> dict[str, tuple[str, str]]:
    """Every top-level command as the command modules register it, in the order ``--help`` lists them
    when every module is loaded: name → (its module, the first paragraph of its help)."""
    full = typer.Typer()
    module_of: dict[str, str] = {}
    for module in MODULES:
        importlib.import_module(f"missionboard.cli.{module}").register(full)
        for name in typer.main.get_group(full).commands:
            module_of.setdefault(name, module)
    return {
        name: (module_of[name], inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0])
        for name, command in typer.main.get_group(full).commands.items()
    }


def test_the_command_table_names_every_command_in_help_order() -> None:
    assert list(COMMANDS) == list(_registered())


def test_the_command_table_says_what_each_command_says_of_itself() -> None:
    registered = _registered()
    stale = {
        name: registered[name]
        for name, listed in COMMANDS.items()
        if name in registered and (listed.module, listed.summary) != registered[name]
    }
    assert not stale, f"update COMMANDS in missionboard/cli/app.py: {stale}"


def test_the_command_list_reads_the_same_with_every_module_loaded(
    capsys: pytest.CaptureFixture[str],
) -> None:
    group = typer.main.get_command(app)
    assert isinstance(group, LazyGroup)
    ctx = typer.Context(group, info_name="missionboard")
    group.get_help(ctx)
    listed = capsys.readouterr().out
    for name in group.list_commands(ctx):
        assert group.get_command(ctx, name) is not None
    group.get_help(ctx)
    assert "mission " in listed
    assert capsys.readouterr().out == listed


NO_HASHING = """
import importlib, pkgutil, sys
import argon2, argon2.low_level

def refuse(*args, **kwargs):
    raise AssertionError("a password hash was computed while importing")

argon2.PasswordHasher.hash = refuse
argon2.low_level.hash_secret = argon2.low_level.hash_secret_raw = refuse
import missionboard
failed = []
for module in pkgutil.walk_packages(missionboard.__path__, "missionboard."):
    try:
        importlib.import_module(module.name)
    except Exception as exc:
        failed.append(f"{module.name}: {exc!r}")
print("\\n".join(failed))
"""


def test_no_module_computes_a_password_hash_when_imported() -> None:
    done = subprocess.run(
        [sys.executable, "-c", NO_HASHING], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
