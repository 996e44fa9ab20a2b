"""Fixtures for the mapping tests: small real portfolios in a workspace, labelled snippets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mapping_support import PORTFOLIO, add_projects

from missionboard.store.workspace import Workspace

HERE = Path(__file__).parent


@pytest.fixture
def portfolio(workspace: Workspace) -> tuple[Workspace, dict[str, int]]:
    """A workspace (SQLite and PostgreSQL) with six projects on energy, water, education and health."""
    return workspace, add_projects(workspace, PORTFOLIO)


@pytest.fixture
def snippets() -> list[dict[str, Any]]:
    """Short project texts we labelled ourselves (7 languages), one or two SDGs each."""
    return [
        json.loads(line)
        for line in (HERE / "labelled_snippets.jsonl").read_text("utf-8").splitlines()
        if line
    ]
