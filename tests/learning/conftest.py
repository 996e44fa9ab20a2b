"""Fixtures of the learning tests: the small seeded mission (``learning_support``) on each database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from learning_support import seed_mission

from missionboard.store.workspace import Workspace


@pytest.fixture
def ocean(workspace: Workspace) -> Iterator[Workspace]:
    """The seeded mission on SQLite and on PostgreSQL (where a server runs)."""
    seed_mission(workspace)
    yield workspace
