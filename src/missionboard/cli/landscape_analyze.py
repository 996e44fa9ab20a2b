"""``missionboard landscape analyze``: per mission objective, who works on it outside the portfolio."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``analyze`` to the ``landscape`` group."""
