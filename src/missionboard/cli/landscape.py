"""``missionboard landscape``: map whole public corpora to a taxonomy (in-process or on Apache Spark) and
analyse who else works on each mission objective."""

from __future__ import annotations

import typer

from missionboard.cli import landscape_analyze

landscape_app = typer.Typer(
    help="The landscape beyond the portfolio: map public corpora to missions, then analyse them.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``landscape`` group to the root app."""
    landscape_analyze.register(landscape_app)
    app.add_typer(landscape_app, name="landscape")
