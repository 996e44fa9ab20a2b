"""What every command receives: the settings and a lazily opened workspace."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape

from missionboard.errors import InputError, MissionboardError, Problem

if TYPE_CHECKING:
    from missionboard.services.workspace import Presence
    from missionboard.settings import Settings
    from missionboard.store.workspace import Workspace


class OutputFormat(StrEnum):
    """``--format`` of the commands that print either a Rich rendering or JSON."""

    TEXT = "text"
    JSON = "json"


class DocumentFormat(StrEnum):
    """``--format`` of the commands that print a Rich rendering, JSON or Markdown."""

    TEXT = "text"
    JSON = "json"
    MD = "md"


def option_date(value: str | None, option: str = "--as-of") -> dt.date | None:
    """A date option's value (``YYYY-MM-DD``); a bad one is an input error naming the option."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(Problem("", None, option, f"'{value}' is not a date: write YYYY-MM-DD")) from None


console = Console()
errors = Console(stderr=True)

KINDS = {"ingest": "import", "map": "map", "analyze": "analyze", "decide": "decide", "serve": "serve"}
"""How a command shows in ``missionboard info`` of other processes (any other: ``cli``)."""


@dataclass
class AppContext:
    overrides: dict[str, object] = field(default_factory=dict)
    """Settings given on the command line (``--workspace``, ``--user`` …): they win over the environment."""
    read_only: bool = False
    command: typer.Context | None = field(default=None, repr=False)
    """The context of the command being run (set by ``app_context``)."""
    _workspace: Workspace | None = field(default=None, repr=False)
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        """The environment's settings with ``overrides`` applied, read when first asked for: pydantic and
        pydantic-settings load with the first command that needs a setting, not with ``--help``."""
        if self._settings is None:
            from missionboard.settings import Settings

            self._settings = Settings().model_copy(update=self.overrides)
        return self._settings

    def url_if_read(self) -> str | None:
        """The workspace URL where the settings have been read (for an error message), else None."""
        return None if self._settings is None else self._settings.url()

    def optional_workspace(self) -> Workspace | None:
        """The workspace if one was named and exists, else None: commands that map with built-in taxonomies
        (classify, landscape map, taxonomy) work without one."""
        if self.settings.database_url or Path(self.settings.workspace).exists():
            return self.workspace(create=False)
        return None

    def workspace(self, *, create: bool = False) -> Workspace:
        """The workspace named by --workspace/--database-url; created only where ``create`` is set.

        It is opened read-only with --read-only, or when it is a SQLite file this process may not write.
        While the command runs, other processes see it in ``missionboard info``.
        """
        if self._workspace is None:
            # SQLAlchemy and the store load with the first command that opens a workspace, not with --help
            from missionboard.store.workspace import Workspace

            url = self.settings.url()
            read_only = self.read_only or self._sqlite_not_writable()
            if read_only:
                self._workspace = Workspace.open(url, read_only=True)
            else:
                self._workspace = Workspace.open(url, create=create)
            self._announce(url)
        return self._workspace

    def long_write(self, kind: str, detail: dict[str, Any] | None = None) -> None:
        """Announce a long write (import, map …); say on stderr when a web server will have to wait for it."""
        from missionboard.services.workspace import announce, others

        if self.workspace().read_only:
            return  # the write will be refused: nothing to announce, no one will wait
        if self.command is not None:
            self.command.find_root().with_resource(announce(self.settings.url(), kind, detail))
        servers = [p for p in others(self.settings.url()) if p.is_server]
        if servers:
            errors.print(
                f"[yellow]note:[/yellow] {escape(servers[0].describe())} uses this workspace: "
                f"web users will wait while this {kind} writes",
                highlight=False,
                soft_wrap=True,
            )

    def serving(self, host: str, port: int, workers: int) -> AbstractContextManager[Presence]:
        """While the block runs, ``missionboard info`` of other processes names this web server."""
        from missionboard.services.workspace import announce

        return announce(self.settings.url(), "serve", {"address": f"{host}:{port}", "workers": workers})

    def _announce(self, url: str) -> None:
        from missionboard.services.workspace import announce

        if self.command is None:
            return
        path = self.command.command_path.split()
        kind = KINDS.get(path[1], "cli") if len(path) > 1 else "cli"
        self.command.find_root().with_resource(announce(url, kind, {}))

    def _sqlite_not_writable(self) -> bool:
        if self.settings.database_url:
            return False
        path = Path(self.settings.workspace)
        if not path.exists():
            return False
        return not (os.access(path, os.W_OK) and os.access(path.resolve().parent, os.W_OK))

    @property
    def user(self) -> str:
        return self.settings.acting_user()


def app_context(ctx: typer.Context) -> AppContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):  # a command invoked without the root callback (tests)
        obj = AppContext()
        ctx.find_root().obj = obj
    obj.command = ctx
    return obj


def print_json(data: Any) -> None:
    """Machine-readable output: one JSON document on stdout, nothing else."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all: a temporary file in the same folder, then a rename.

    On any failure the file keeps what it held before and no temporary file is left behind. A symbolic
    link is followed (its target is replaced, the link stays); a device or a pipe (``/dev/stdout``, a
    FIFO) is written to as it is, never replaced by a file.
    """
    path = Path(os.path.realpath(path))
    if path.exists() and not path.is_file() and not path.is_dir():
        try:
            with path.open("w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise MissionboardError(f"cannot write {path}: {exc.strerror or exc}") from exc
        return
    folder = path.parent if str(path.parent) else Path(".")
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise MissionboardError(f"cannot write {path}: {exc.strerror or exc}") from exc
    temporary = Path(name)
    try:
        with open(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise MissionboardError(f"cannot write {path}: {exc.strerror or exc}; it was left as it was") from exc
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_stdout(text: str) -> None:
    """Write a finished document to stdout in one go (the caller made all of it before writing any)."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        raise MissionboardError(f"cannot write to standard output: {exc.strerror or exc}") from exc
