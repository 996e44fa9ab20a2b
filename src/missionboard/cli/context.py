"""What every command receives: the settings and a lazily opened workspace."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import typer
from rich.console import Console

from missionboard.settings import Settings
from missionboard.store.workspace import Workspace


class OutputFormat(StrEnum):
    """``--format`` of the commands that print either a Rich rendering or JSON."""

    TEXT = "text"
    JSON = "json"


console = Console()
errors = Console(stderr=True)


@dataclass
class AppContext:
    settings: Settings
    _workspace: Workspace | None = field(default=None, repr=False)

    def workspace(self, *, create: bool = False) -> Workspace:
        """The workspace named by --workspace/--database-url; created only where ``create`` is set."""
        if self._workspace is None:
            self._workspace = Workspace.open(self.settings.url(), create=create)
        return self._workspace

    @property
    def user(self) -> str:
        return self.settings.acting_user()


def app_context(ctx: typer.Context) -> AppContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):  # a command invoked without the root callback (tests)
        obj = AppContext(settings=Settings())
        ctx.find_root().obj = obj
    return obj


def print_json(data: Any) -> None:
    """Machine-readable output: one JSON document on stdout, nothing else."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
