"""``missionboard demo``: build the demo workspace, show its missions and their quality check."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from missionboard.cli import lazy
from missionboard.cli.context import app_context, console, errors
from missionboard.cli.mission import render_report
from missionboard.cli.web import DEMO_PASSWORD, DEMO_USER, ensure_demo_account

if TYPE_CHECKING:
    from missionboard.services import missions
    from missionboard.services.demo import build
    from missionboard.store import workspace as store
else:
    missions = lazy.module("missionboard.services.missions")
    build = lazy.module("missionboard.services.demo.build")
    store = lazy.module("missionboard.store.workspace")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    ctx: typer.Context,
    workspace: Path | None = typer.Option(
        None,
        "--workspace",
        "-w",
        help="Where to build the demo workspace (default: demo-workspace/missionboard.db).",
    ),
    serve: bool = typer.Option(
        True, "--serve/--no-serve", help="Serve the web app on the demo workspace afterwards."
    ),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
) -> None:
    """Build a deterministic demo workspace: missions, a 3,000-project portfolio, indicators."""
    app = app_context(ctx)
    path = workspace or (
        app.settings.workspace
        if app.settings.workspace.name != "missionboard.db" or app.settings.workspace.parent != Path(".")
        else Path("demo-workspace/missionboard.db")
    )
    started = time.perf_counter()
    build.build_demo(path, report=lambda line: errors.print(f"  {line}", highlight=False))
    console.print(f"demo workspace built at {path} in {time.perf_counter() - started:.1f} s", highlight=False)
    ws = store.Workspace.open(f"sqlite:///{path}")
    try:
        ensure_demo_account(ws)
        table = Table("mission", "deadline", "objectives", "quality", "verdict", title="Demo missions")
        reports = []
        for version in missions.list_missions(ws):
            report = missions.check_mission(ws, version.mission)
            reports.append(report)
            table.add_row(
                version.mission_id,
                str(version.mission.deadline or "—"),
                str(len(version.mission.objectives)),
                f"{report.score}/100",
                report.verdict,
            )
        console.print(table)
        for report in reports:
            render_report(report)
    finally:
        ws.close()
    console.print(
        f"\nTry: missionboard --workspace {path} mission show school-meals\n"
        f"     missionboard --workspace {path} mission check digital-leadership"
        "   (one programme relabelled as a mission)\n"
        f"     missionboard --workspace {path} analyze digital-leadership"
        "   (an objective with no projects)\n"
        f"     missionboard --workspace {path} duplicates --across-funders"
        "   (the same work funded twice)\n"
        f"     missionboard --workspace {path} decisions   (stops where milestones were missed)\n"
        f"     missionboard --workspace {path} serve   (log in as {DEMO_USER} / {DEMO_PASSWORD})\n"
        "What the demo holds, and what to look for: README.md",
        highlight=False,
    )
    if serve:
        _serve(path, host, port)


def _serve(path: Path, host: str, port: int) -> None:
    from missionboard.cli.web import serve_workspace

    serve_workspace(f"sqlite:///{path}", host=host, port=port, demo=True)
