"""A small real workspace for the web tests: users in every role, two missions, projects and links.

Hashing passwords with argon2 is deliberately slow, so the workspace is built once per session and
copied for each test.
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_support import CHROMIUM, MISSION, PASSWORD, ROLES, START, Clock, Web

from missionboard.missionfile import parse_mission
from missionboard.services import accounts
from missionboard.services import missions as mission_service
from missionboard.store.tables import DecisionRow, LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

OCEAN_YAML = """mission:
  id: ocean
  title: Plastic-free coastal waters
  challenge: Plastic pollution of coastal waters
  statement: By 2030 halve the plastic litter found on the beaches of the region.
  owner: Coastal agency
  start: 2022-01-01
  deadline: 2030-12-31
  geography: "NO"
  public: false
  objectives:
    - id: litter
      title: Halve beach litter
      indicator: {id: beach_litter, name: Litter items per 100 m of beach, unit: items}
      baseline: {value: 400, year: 2020}
      target: {value: 200, year: 2030}
    - id: recycling
      title: Recycle fishing gear
      indicator: {id: gear_recycling, name: Share of fishing gear recycled, unit: "%"}
      baseline: {value: 10, year: 2020}
      target: {value: 60, year: 2030}
"""

PRIVATE_YAML = """mission:
  id: secret-lab
  title: An internal mission
  challenge: Something internal
  statement: By 2028 do something measurable.
  owner: Agency
  deadline: 2028-12-31
"""

PUBLIC_YAML = """mission:
  id: open-air
  title: Clean air in cities
  challenge: Urban air pollution
  statement: By 2030 no city exceeds the WHO limit for NO2.
  owner: Environment agency
  deadline: 2030-12-31
  public: true
"""


def _seed(path: Path) -> None:
    ws = Workspace.open(f"sqlite:///{path}", create=True)
    accounts.create_user(ws, "admin", PASSWORD, admin=True, display_name="Ada Admin", by="seed")
    for role in ROLES:
        accounts.create_user(ws, role, PASSWORD, by="seed")
    accounts.create_user(ws, "outsider", PASSWORD, by="seed")
    for text in (OCEAN_YAML, PRIVATE_YAML, PUBLIC_YAML):
        mission_service.save_mission(ws, parse_mission(text, "seed.yaml"), user="seed", origin="seed")
    for role in ROLES:
        accounts.set_role(ws, role, MISSION, role, by="seed")
    funders = ["Research Council", "Innovation Agency", "Regional Fund"]
    instruments = ["rd_grant", "loan", "challenge_prize"]
    with ws.transaction() as session:
        for i in range(1, 61):
            session.add(
                ProjectRow(
                    id=i,
                    source="test",
                    source_id=f"P{i:03d}",
                    title=f"{'Beach cleanup' if i % 2 else 'Fishing gear recycling'} project {i}",
                    abstract="A test project.",
                    funder=funders[i % 3],
                    programme=f"Programme {i % 2}",
                    instrument=instruments[i % 3],
                    stage=["research", "development", "deployment"][i % 3],
                    budget_amount=1000 * i,
                    budget_currency="EUR",
                    start=dt.date(2020 + i % 5, 1, 1),
                    status="active",
                    countries=["NO"] if i % 2 else ["SE"],
                    regions=["Vestland"] if i % 4 == 1 else [],
                    content_hash=f"{i:064d}",
                )
            )
        session.flush()
        for i in range(1, 21):
            session.add(
                LinkRow(
                    project_id=i,
                    taxonomy="mission:ocean",
                    goal="litter" if i % 2 else "recycling",
                    score=0.3 + i * 0.03,
                    method="query",
                    evidence={"matched": ["beach"] if i % 2 else ["gear"]},
                    status="proposed" if i > 5 else "accepted",
                )
            )
        session.add(
            LinkRow(
                project_id=30,
                taxonomy="mission:secret-lab",
                goal="x",
                score=0.9,
                method="query",
                status="proposed",
            )
        )
        session.add(
            LinkRow(project_id=31, taxonomy="sdg", goal="14", score=0.8, method="query", status="proposed")
        )
        session.add(
            DecisionRow(
                project_id=1,
                decision="continue",
                rationale="On track",
                by="owner",
                at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
            )
        )
    ws.close()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The accounts service's clock, standing still at ``START`` until a test advances it."""
    found = Clock(START)
    monkeypatch.setattr(accounts, "_now", found)
    return found


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashing() -> Iterator[None]:
    """argon2id with the smallest cost, so that the many logins of these tests stay fast; the production
    parameters are argon2-cffi's defaults (RFC 9106 low-memory profile)."""
    from argon2 import PasswordHasher

    saved = accounts._hasher, accounts._DUMMY_HASH
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    accounts._DUMMY_HASH = accounts._hasher.hash("timing")
    yield
    accounts._hasher, accounts._DUMMY_HASH = saved


@pytest.fixture(scope="session")
def seed_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("web-seed") / "seed.db"
    _seed(path)
    return path


@pytest.fixture
def web_workspace(seed_workspace: Path, tmp_path: Path) -> Iterator[Workspace]:
    target = tmp_path / "web.db"
    shutil.copy(seed_workspace, target)
    ws = Workspace.open(f"sqlite:///{target}")
    yield ws
    ws.close()


@pytest.fixture
def web(web_workspace: Workspace) -> Iterator[Web]:
    from missionboard.web import create_app

    app = create_app(web_workspace, secure_cookies=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield Web(web_workspace, client)


@pytest.fixture
def anonymous(web: Web) -> TestClient:
    return web.client


# --- real headless Chromium (the browser tests) ----------------------------------------------------

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(seed_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Workspace]]:
    """The app served by uvicorn on 127.0.0.1 in a background thread, over a copy of the seed workspace."""
    import uvicorn

    from missionboard.web import create_app

    target = tmp_path_factory.mktemp("browser") / "browser.db"
    shutil.copy(seed_workspace, target)
    workspace = Workspace.open(f"sqlite:///{target}")
    port = _free_port()
    config = uvicorn.Config(
        create_app(workspace, secure_cookies=False), host="127.0.0.1", port=port, log_level="warning"
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", workspace
    instance.should_exit = True
    thread.join(timeout=10)
    workspace.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield instance
        instance.close()
