"""Helpers shared by the web tests (imported as a plain module: the test folders are not packages)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from missionboard.services import accounts
from missionboard.store.workspace import Workspace

PASSWORD = "correct horse battery"
MISSION = "ocean"
ROLES = ("owner", "editor", "reviewer", "viewer")
CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
)


START = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


class Clock:
    """Stands in for the accounts service's clock (the ``clock`` fixture)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **step: float) -> None:
        self.now += dt.timedelta(**step)


@dataclass
class Web:
    workspace: Workspace
    client: TestClient

    def login(self, username: str, password: str = PASSWORD) -> str:
        """Log in through the form; returns the session's CSRF token (read from a page)."""
        page = self.client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        response = self.client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": token.group(1), "next": "/"},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return self.csrf()

    def csrf(self) -> str:
        page = self.client.get("/account")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        return token.group(1)

    def token(self, username: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {accounts.create_token(self.workspace, username, 'test', by='test')}"
        }
