"""The demo workspace served by uvicorn and driven by Debian's Chromium, as an analyst would use it.

The demo is built once and kept in pytest's cache until a file of the package changes (under
pytest-xdist the workers share one build through a lock); each module serves its own copy, with one
server and one signed-in browser context. The browser launch options, the free-port helper and the
``browser`` fixture are the web tests' own, imported from ``tests/web/conftest.py`` rather than copied.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

WEB_TESTS = Path(__file__).resolve().parents[1] / "web"
if str(WEB_TESTS) not in sys.path:
    sys.path.insert(0, str(WEB_TESTS))

from browser_support import COLLEAGUE, DemoServer, Focus, Shots  # noqa: E402
from web_support import PASSWORD  # noqa: E402

from missionboard.cli.web import DEMO_PASSWORD, DEMO_USER, ensure_demo_account  # noqa: E402
from missionboard.services import accounts  # noqa: E402
from missionboard.store.workspace import Workspace  # noqa: E402


def _web_fixtures() -> ModuleType:
    """``tests/web/conftest.py`` as a plain module (pytest imports it as a conftest of another folder)."""
    name = "missionboard_web_test_fixtures"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, WEB_TESTS / "conftest.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_web = _web_fixtures()
browser = _web.browser
"""Headless Chromium at /usr/bin/chromium, launched once per module (the web tests' fixture)."""
quick_password_hashing = _web.quick_password_hashing
"""argon2id at its smallest cost for the accounts these tests make and sign in with (autouse)."""


@pytest.fixture(scope="session")
def demo_build(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Path:
    """The pristine demo workspace, built once and kept in pytest's cache until a file of the package
    changes (see ``demo_key``); xdist workers wait on one lock. Without the cache plugin it is built in
    the run's temporary folder."""
    from missionboard.services.demo.build import build_demo

    cache = getattr(request.config, "cache", None)
    if cache is not None:
        root = Path(cache.mkdir("analyst-demo"))
    else:
        base = tmp_path_factory.getbasetemp()
        root = base if worker_id == "master" else base.parent  # the run's folder, shared by its workers
    key = demo_key()
    target = root / key / "missionboard.db"
    with open(root / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target.parent / "built").exists():
            for stale in root.iterdir():  # an older package's demo
                if stale.is_dir():
                    shutil.rmtree(stale)
            target.parent.mkdir(parents=True)
            build_demo(target)
            (target.parent / "built").touch()
    return target


def demo_key() -> str:
    """A digest of every file of the installed ``missionboard`` package (code, mission YAML, templates):
    the demo is rebuilt when any of them changes."""
    import missionboard

    package = Path(missionboard.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(package)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="module")
def demo_server(demo_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """The demo served by uvicorn on a free port of 127.0.0.1, over this module's own copy of the demo;
    besides the demo admin, a colleague with the reviewer role on every mission."""
    import uvicorn

    from missionboard.services import missions as mission_service
    from missionboard.web import create_app

    target = tmp_path_factory.mktemp("analyst") / "missionboard.db"
    shutil.copy(demo_build, target)
    workspace = Workspace.open(f"sqlite:///{target}")
    ensure_demo_account(workspace)
    accounts.create_user(workspace, COLLEAGUE, PASSWORD, display_name="Kari Nordmann", by="test")
    for version in mission_service.list_missions(workspace):
        accounts.set_role(workspace, COLLEAGUE, version.mission_id, "reviewer", by="test")
    port = _web._free_port()
    config = uvicorn.Config(
        create_app(workspace, secure_cookies=False), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the demo server did not start")
        time.sleep(0.05)
    yield DemoServer(f"http://127.0.0.1:{port}", workspace)
    server.should_exit = True
    thread.join(timeout=10)
    workspace.close()


@pytest.fixture(scope="module")
def analyst(browser: Any, demo_server: DemoServer) -> Iterator[Any]:
    """One browser context for the module, signed in as the demo's analyst (its admin account)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{demo_server.base}/login?next=/")
    page.get_by_label("User name").fill(DEMO_USER)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{demo_server.base}/")
    yield page
    context.close()


@pytest.fixture(scope="module")
def focus(analyst: Any, demo_server: DemoServer) -> Focus:
    """The weakest objective, read once from the side-by-side page as the analyst reads it: the first
    mission there (least likely to meet its target) and its first objective row."""
    analyst.goto(f"{demo_server.base}/missions/compare")
    first = analyst.locator("section.compare-mission").first
    row = first.locator("tr.compare-objective").first
    return Focus(
        mission=(first.get_attribute("aria-labelledby") or "").removeprefix("cmp-"),
        objective=row.get_attribute("data-objective") or "",
        objective_title=row.locator("th").evaluate("th => th.firstChild.textContent.trim()"),  # less its unit
    )


@pytest.fixture
def shot(tmp_path: Path) -> Shots:
    return Shots(tmp_path)
