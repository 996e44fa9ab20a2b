"""How fast does a ``missionboard`` command start? (issue 15 item 7, issue 19 item 5: target ≤ 0.3 s)

Each command runs ``--runs`` times as a fresh process; printed per command: median and p90 wall time,
the median CPU time (user + system) of its runs, the largest peak RSS of its runs (both from
``resource.getrusage(RUSAGE_CHILDREN)``, read around each run), and the medians' ratios to two floors
measured in the same script: ``python -c pass`` (the interpreter alone) and ``python -c "import
sqlalchemy"`` (what any command that opens a workspace imports anyway). On a loaded machine the wall
time counts the waits for a core too; the CPU time counts only the work, so its ratio moves less.
The commands run on a temporary workspace made before the timing starts: one mission, or with
``--demo`` the demo's (5 missions, 3,023 projects, 112 decisions, 15 indicators; building it takes
10-60 s). ``mission list``, ``info``, ``mission show``, ``export``, ``history``, ``diff``, ``decisions``
(all, or one mission's), ``gate calendar``, ``gate list`` (with ``--demo``), ``indicators list``, ``ingest
runs``, ``rates list``, ``users list``, ``taxonomy list``, ``consult list`` and ``learn list`` (also
``--search`` and ``--about``) read a current SQLite workspace the quick way (``store/quick.py``, no
SQLAlchemy); each also runs given the same file as ``--database-url``, which takes the ordinary way
(SQLAlchemy, the ORM): the rows beside each other show what each way costs. Commands that do real work
(``monitor``, ``analyze`` …) are timed until they open the workspace, where their work starts: run so (by
this Python, ``Workspace.open`` replaced by an exit), a command does none of its work, and its row shows
what its start costs. ``--help`` is timed for the command list, for each command group (``mission
--help`` …) and for three commands; ``--helps`` times the help of every command and subcommand too.
The commands run with a bytecode cache of their own (``PYTHONPYCACHEPREFIX`` in the temporary folder,
written by the warm-up run), as an installed package has one, even where the caller's environment sets
``PYTHONDONTWRITEBYTECODE``: else every run would compile missionboard's sources again. The 1-minute
load average is printed before and after: on a busy 2-core machine the figures are high.

    python bench/cli_startup.py --runs 7
    python bench/cli_startup.py --runs 7 --demo
    python bench/cli_startup.py --runs 3 --helps
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MISSION = Path(__file__).resolve().parents[1] / "src/missionboard/services/demo/missions/school-meals.yaml"

QUICK = {
    "mission list": ["mission", "list"],
    "info": ["info"],
    "mission show school-meals": ["mission", "show", "school-meals"],
    "mission show school-meals --format json": ["mission", "show", "school-meals", "--format", "json"],
    "mission export school-meals": ["mission", "export", "school-meals"],
    "mission history school-meals": ["mission", "history", "school-meals"],
    "mission diff school-meals": ["mission", "diff", "school-meals"],
    "decisions": ["decisions"],
    "decisions school-meals": ["decisions", "school-meals"],
    "gate calendar school-meals": ["gate", "calendar", "school-meals"],
    "indicators list": ["indicators", "list"],
    "ingest runs": ["ingest", "runs"],
    "rates list": ["rates", "list"],
    "users list": ["users", "list"],
    "taxonomy list": ["taxonomy", "list"],
    "consult list": ["consult", "list"],
    "learn list school-meals": ["learn", "list", "school-meals"],
    "learn list school-meals --search school": ["learn", "list", "school-meals", "--search", "school"],
    "learn list school-meals --about food-waste": ["learn", "list", "school-meals", "--about", "food-waste"],
}
"""The commands that read a current SQLite workspace the quick way: each is timed both ways."""

DEMO_QUICK = {
    "gate list nordic-agencies:NIA-00004": ["gate", "list", "nordic-agencies:NIA-00004"],
}
"""More such commands, on what only the demo holds (a project with gates): timed with ``--demo``."""

WORK = {
    "monitor school-meals": ["monitor", "school-meals"],
    "analyze school-meals": ["analyze", "school-meals"],
    "story school-meals": ["story", "school-meals"],
    "compare": ["compare"],
    "indicators show organic_share": ["indicators", "show", "organic_share"],
}
"""Commands that do real work, timed until they open the workspace (``UNTIL_OPEN``)."""

UNTIL_OPEN = """
import sys
from missionboard.store.workspace import Workspace
def opened(*args, **kwargs):
    raise SystemExit(0)  # where the command's work would start
Workspace.open = opened
from missionboard.cli.app import main
sys.argv[0] = "missionboard"
sys.exit(main(sys.argv[1:]))
"""
"""``missionboard ARGS`` run by this Python, ending where it opens the workspace."""


HELP_COMMANDS = (("mission", "list"), ("analyze",), ("monitor",))
"""Commands whose help is timed besides the command list and the groups' (all with ``--helps``)."""


def _help_paths(*, every: bool) -> list[tuple[str, ...]]:
    """What ``--help`` is timed for: the command list, each command group, ``HELP_COMMANDS``; with
    ``every``, every command and subcommand (as the command modules register them)."""
    import importlib

    import typer.main

    from missionboard.cli.app import MODULES

    full = typer.Typer()
    for module in MODULES:
        importlib.import_module(f"missionboard.cli.{module}").register(full)
    found: list[tuple[str, ...]] = []
    groups: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        found.append(path)
        subcommands = getattr(command, "commands", None) or {}
        if subcommands and len(path) == 1:
            groups.append(path)
        for name, sub in subcommands.items():
            walk(sub, (*path, name))

    walk(typer.main.get_group(full), ())
    return found if every else [(), *groups, *HELP_COMMANDS]


def _missionboard() -> list[str]:
    """The installed entry point beside this Python, else the module run by it."""
    script = Path(sys.executable).with_name("missionboard")
    return [str(script)] if script.exists() else [sys.executable, "-m", "missionboard"]


def _run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall and CPU seconds of one run, and the peak RSS (KiB) of the largest child so far."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss


def _measure(argv: list[str], runs: int, env: dict[str, str]) -> tuple[float, float, float, float]:
    """Median and p90 wall seconds, median CPU seconds and peak RSS (MiB) of ``runs`` runs, after one
    unmeasured warm-up (so that every measured run finds the files in the page cache)."""
    _run_once(argv, env)
    walls: list[float] = []
    cpus: list[float] = []
    peak = 0
    for _ in range(runs):
        wall, cpu, rss = _run_once(argv, env)
        walls.append(wall)
        cpus.append(cpu)
        peak = max(peak, rss)
    walls.sort()
    p90 = walls[min(len(walls) - 1, round(0.9 * (len(walls) - 1)))]
    return statistics.median(walls), p90, statistics.median(cpus), peak / 1024


def _measure_alone(argv: list[str], runs: int, env: dict[str, str]) -> tuple[float, float, float, float]:
    """``_measure`` in a child of its own: ``RUSAGE_CHILDREN`` keeps the largest child ever waited for, so
    the peak RSS it gives is then this command's own, not that of an earlier, larger one."""
    code = (
        "import json, os, sys; sys.path.insert(0, sys.argv[1]); import cli_startup as b; "
        "print(json.dumps(b._measure(json.loads(sys.argv[2]), int(sys.argv[3]), dict(os.environ))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent), json.dumps(argv), str(runs)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(out.stderr[-1000:])
    median, p90, cpu, rss = json.loads(out.stdout)
    return median, p90, cpu, rss


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7, help="Measured runs per command (default 7).")
    parser.add_argument(
        "--demo", action="store_true", help="Time on the demo workspace instead of one with one mission."
    )
    parser.add_argument(
        "--helps",
        action="store_true",
        help="Time the help of every command and subcommand, not only of the groups and three commands.",
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="cli-startup-"))
    try:
        workspace = folder / "ws.db"
        env = {
            **os.environ,
            "MISSIONBOARD_WORKSPACE": str(workspace),
            "MISSIONBOARD_USER": "bench",
            "PYTHONPYCACHEPREFIX": str(folder / "pycache"),
        }
        env.pop("MISSIONBOARD_DATABASE_URL", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        mb = _missionboard()
        if args.demo:
            _run_once([*mb, "demo", "--workspace", str(workspace), "--no-serve"], env)
        else:
            _run_once([*mb, "mission", "import", str(MISSION)], env)

        load_before = os.getloadavg()
        floors = {
            "python -c pass": [sys.executable, "-c", "pass"],
            'python -c "import sqlalchemy"': [sys.executable, "-c", "import sqlalchemy"],
        }
        commands = {
            " ".join(("missionboard", *path, "--help")): [*mb, *path, "--help"]
            for path in _help_paths(every=args.helps)
        }
        ordinary = ["--database-url", f"sqlite:///{workspace}"]
        for name, argv in {**QUICK, **(DEMO_QUICK if args.demo else {})}.items():
            commands[f"missionboard {name}"] = [*mb, *argv]
            commands[f"missionboard {name}, the ordinary way (--database-url)"] = [*mb, *ordinary, *argv]
        for name, argv in WORK.items():
            commands[f"missionboard {name}, until it opens the workspace"] = [
                sys.executable,
                "-c",
                UNTIL_OPEN,
                *argv,
            ]
        results = {
            name: _measure_alone(argv, args.runs, env) for name, argv in {**floors, **commands}.items()
        }
        load_after = os.getloadavg()
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    bare = results["python -c pass"][0]
    sqlalchemy, _, sqlalchemy_cpu, _ = results['python -c "import sqlalchemy"']
    print(
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {args.runs} runs each (after one warm-up), "
        f"{'the demo workspace' if args.demo else 'a workspace with one mission'}"
    )
    print(f"load average (1, 5, 15 min): before {_load(load_before)}, after {_load(load_after)}")
    print()
    print(
        "| command | median s | p90 s | median CPU s | peak RSS MiB | median / python -c pass "
        "| median / import sqlalchemy | CPU / import sqlalchemy's CPU |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, (median, p90, cpu, rss) in results.items():
        print(
            f"| `{name}` | {median:.3f} | {p90:.3f} | {cpu:.3f} | {rss:.0f} | {median / bare:.1f} "
            f"| {median / sqlalchemy:.2f} | {cpu / sqlalchemy_cpu:.2f} |"
        )


def _load(values: tuple[float, float, float]) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
