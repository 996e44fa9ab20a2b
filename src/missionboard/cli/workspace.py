"""``missionboard init`` and ``missionboard info``: create a workspace and say what is in it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from missionboard.cli import lazy
from missionboard.cli.context import app_context, console, print_json

if TYPE_CHECKING:
    from missionboard.services import glance
    from missionboard.services import workspace as service
else:
    glance = lazy.module("missionboard.services.glance")
    service = lazy.module("missionboard.services.workspace")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("info")(info)


def init(ctx: typer.Context) -> None:
    """Create an empty workspace (or bring an existing one's schema up to date)."""
    ws = app_context(ctx).workspace(create=True)
    ws.migrate()
    console.print(f"workspace ready: {ws.url} (schema {ws.revision()})", highlight=False)


def info(ctx: typer.Context, json_output: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Count what the workspace holds, and say who else has it open (web server, imports, commands)."""
    app = app_context(ctx)
    summary = glance.workspace_summary(
        app.settings, lambda: service.workspace_summary(app.workspace(), app.settings.url())
    )
    if json_output:
        print_json(summary.to_dict())
        return
    console.print(f"workspace: {summary.url} (schema {summary.schema})", highlight=False)
    for name, count in summary.counts.items():
        console.print(f"  {name:<16} {count:>10,}", highlight=False)
    if not summary.in_use:
        console.print("in use by: no other process", highlight=False)
        return
    console.print("in use by:", highlight=False)
    for entry in summary.in_use:
        console.print(f"  {escape(glance.Presence.from_dict(entry).describe())}", highlight=False)
