"""Names shared by the browser journey's conftest and tests (imported as a plain module, as the web
tests import ``web_support``)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from missionboard.store.workspace import Workspace

COLLEAGUE = "kari"
"""A second analyst of the demo agency, with the reviewer role on every mission: queues go to her."""


@dataclass(frozen=True)
class DemoServer:
    """The demo app on a free port, and the workspace behind it (to check what the pages wrote)."""

    base: str
    workspace: Workspace


@dataclass(frozen=True)
class Focus:
    """What the analyst prepares the board for: the first objective on the side-by-side page, the weakest
    objective of the mission least likely to meet its target (ids and the title the pages show)."""

    mission: str
    objective: str
    objective_title: str


class Shots:
    """Full-page screenshots, one per step, into the test's folder and, where it is set, into
    ``$MISSIONBOARD_SCREENSHOTS`` (to be looked at)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        keep = os.environ.get("MISSIONBOARD_SCREENSHOTS")
        self.keep = Path(keep) if keep else None

    def __call__(self, page: Any, name: str) -> Path:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if self.keep is not None:
            self.keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, self.keep / path.name)
        return path
