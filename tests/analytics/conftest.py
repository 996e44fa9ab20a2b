"""Fixtures: the hand-computed portfolio of analytics_portfolio.py on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from analytics_portfolio import build_portfolio
from sqlalchemy import create_engine, text

from missionboard.analytics import analyze_portfolio
from missionboard.store.workspace import Workspace


@pytest.fixture
def portfolio(workspace: Workspace) -> Iterator[Workspace]:
    """The hand-computed portfolio, on SQLite and on PostgreSQL."""
    yield build_portfolio(workspace)


@pytest.fixture
def sqlite_portfolio(sqlite_workspace: Workspace) -> Iterator[Workspace]:
    yield build_portfolio(sqlite_workspace)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def analysed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """``analyze_portfolio(…, "clean-air")`` of the hand-computed portfolio, computed once per module and backend."""
    if request.param == "sqlite":
        url, drop = f"sqlite:///{tmp_path_factory.mktemp('analysed') / 'workspace.db'}", None
    else:
        server = request.getfixturevalue("postgres_server")
        schema = f"mb_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(server)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in server else "?"
        url, drop = f"{server}{sep}options=-csearch_path%3D{schema}", schema
    ws = build_portfolio(Workspace.open(url, create=True))
    try:
        yield analyze_portfolio(ws, "clean-air").to_dict()
    finally:
        ws.close()
        if drop is not None:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{drop}" CASCADE'))
            admin.dispose()
