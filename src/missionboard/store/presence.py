"""Who else has a workspace open: a registry each process announces itself in while it runs.

SQLite: a folder beside the database, ``<db>.presence/``, holds one ``<pid>.json`` per process. The
process keeps an exclusive ``flock`` on its file while alive; the kernel drops the lock when the
process ends, however it ends, so a file whose lock can be taken belongs to a dead process and is
removed. A file is written under a temporary name, locked, then renamed into place: a reader never
sees an unlocked file of a live process.

PostgreSQL: the process holds one idle connection whose ``application_name`` is
``missionboard:<kind>:<pid>`` and whose last statement carries the details as a JSON comment; readers
list ``pg_stat_activity`` for the same database. The server ends the row when the process ends.

Announcing is best effort: a workspace whose folder cannot be written (read-only) or a database that
refuses one more connection still works; it only goes unseen.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import re
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection

# SQLAlchemy loads only where a PostgreSQL workspace is announced or listed (or an unusual SQLite URL is
# read): ``missionboard info`` on a SQLite file lists the folder registry without it (``store/quick.py``)

APPLICATION_PREFIX = "missionboard:"
COMMENT_MARK = "missionboard-presence "
_PASSWORD_IN_URL = re.compile(r"(\w[\w+.-]*://[^:/@\s]*:)[^@\s]*@")
FOLDER_SUFFIX = ".presence"
_PLAIN_SQLITE = "sqlite:///"


@dataclass(frozen=True)
class Presence:
    """One process that has the workspace open, as it announced itself."""

    kind: str
    """serve, import, map, analyze, decide … or cli for any other command."""
    pid: int
    host: str
    started: dt.datetime
    command: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def is_server(self) -> bool:
        return self.kind == "serve"

    def describe(self) -> str:
        """One line for people: what runs, where, since when."""
        since = self.started.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        what = {"serve": "web server", "import": "import"}.get(self.kind, self.kind)
        extras = ", ".join(f"{key} {value}" for key, value in self.detail.items() if value not in (None, ""))
        command = f" ({self.command})" if self.command and self.kind not in ("serve",) else ""
        tail = f", {extras}" if extras else ""
        return f"{what}{command}: pid {self.pid} on {self.host}{tail}, since {since}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "pid": self.pid,
            "host": self.host,
            "started": self.started.isoformat(),
            "command": self.command,
            "detail": dict(self.detail),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Presence:
        return cls(
            kind=str(data["kind"]),
            pid=int(data["pid"]),
            host=str(data.get("host", "")),
            started=dt.datetime.fromisoformat(str(data["started"])),
            command=str(data.get("command", "")),
            detail=dict(data.get("detail") or {}),
        )


@contextmanager
def announce(workspace_url: str, kind: str, detail: dict[str, Any] | None = None) -> Iterator[Presence]:
    """Say, while the block runs, that this process uses the workspace as ``kind`` (with ``detail``).

    Announcements nest: the innermost is what others see (``serve`` inside a ``cli`` command).
    """
    me = Presence(
        kind=kind,
        pid=os.getpid(),
        host=socket.gethostname(),
        started=dt.datetime.now(dt.UTC),
        command=_command_line(),
        detail=dict(detail or {}),
    )
    registry = _registry(workspace_url)
    if registry is None:
        yield me
        return
    with _stack_lock:
        stack = _stacks.setdefault(registry.key, [])
        stack.append(me)
        registry.publish(me)
    try:
        yield me
    finally:
        with _stack_lock:
            del stack[next(i for i, entry in enumerate(stack) if entry is me)]
            if stack:
                registry.publish(stack[-1])
            else:
                registry.withdraw()
                _stacks.pop(registry.key, None)


def others(workspace_url: str) -> list[Presence]:
    """The other live processes that announced themselves on this workspace, oldest first."""
    registry = _registry(workspace_url)
    if registry is None:
        return []
    found = [p for p in registry.list() if p.pid != os.getpid()]
    return sorted(found, key=lambda p: p.started)


# --- helpers -------------------------------------------------------------------------------------

_stack_lock = threading.RLock()
_stacks: dict[str, list[Presence]] = {}
_held: dict[str, Any] = {}  # registry key → what keeps this process visible (a locked file, a connection)


def _command_line() -> str:
    """This process's command line, passwords in URLs hidden (others may read it)."""
    argv = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv and sys.argv[0] else []
    return _PASSWORD_IN_URL.sub(r"\1***@", " ".join(argv))[:200]


def _registry(workspace_url: str) -> _FolderRegistry | _PostgresRegistry | None:
    plain = workspace_url.removeprefix(_PLAIN_SQLITE)
    if plain != workspace_url and plain and not {"?", "%"} & set(plain) and not plain.startswith("file:"):
        return _FolderRegistry(Path(os.path.realpath(plain) + FOLDER_SUFFIX))  # the URL Settings.url() makes
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(workspace_url)
    except ArgumentError:
        return None
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database or ""
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return _FolderRegistry(Path(os.path.realpath(database) + FOLDER_SUFFIX))
    if backend == "postgresql":
        return _PostgresRegistry(workspace_url)
    return None


class _FolderRegistry:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key = str(folder)

    def publish(self, me: Presence) -> None:
        """Write (or rewrite) this process's file; it stays locked until ``withdraw``."""
        document = json.dumps(me.to_dict()).encode()
        try:
            self.folder.mkdir(exist_ok=True)
            temporary = self.folder / f".{me.pid}.{threading.get_ident()}.tmp"
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError:
            return  # a read-only folder: this process goes unseen, it still works
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.write(fd, document)
            os.replace(temporary, self.folder / f"{me.pid}.json")
        except OSError:
            os.close(fd)
            temporary.unlink(missing_ok=True)
            return
        previous = _held.pop(self.key, None)
        _held[self.key] = fd
        if previous is not None:
            os.close(previous)  # the old file was replaced by the rename above

    def withdraw(self) -> None:
        fd = _held.pop(self.key, None)
        if fd is None:
            return
        with suppress(OSError):
            (self.folder / f"{os.getpid()}.json").unlink(missing_ok=True)
        os.close(fd)

    def list(self) -> list[Presence]:
        try:
            names = sorted(self.folder.glob("*.json"))
        except OSError:
            return []
        found = []
        for path in names:
            entry = self._read_if_alive(path)
            if entry is not None:
                found.append(entry)
        return found

    def _read_if_alive(self, path: Path) -> Presence | None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    return None
                return _parse(_read_all(fd))  # locked: its process is alive
            self._remove_stale(path, fd)
            return None
        finally:
            os.close(fd)

    @staticmethod
    def _remove_stale(path: Path, fd: int) -> None:
        """A file nobody locks belongs to a process that ended: remove it, unless it was just replaced."""
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                path.unlink()
        except OSError:
            pass  # gone already, or a read-only folder


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(document: bytes | str) -> Presence | None:
    try:
        return Presence.from_dict(json.loads(document))
    except (ValueError, KeyError, TypeError):
        return None


class _PostgresRegistry:
    def __init__(self, workspace_url: str) -> None:
        from missionboard.store.workspace import safe_url

        self.url = workspace_url
        self.key = safe_url(workspace_url)

    def publish(self, me: Presence) -> None:
        """Hold one idle connection named after this process, its details in its last statement."""
        from sqlalchemy import create_engine
        from sqlalchemy.exc import SQLAlchemyError
        from sqlalchemy.pool import NullPool

        connection = _held.get(self.key)
        try:
            if connection is None:
                # autocommit: no COMMIT follows the statement below, which stays the row's ``query``
                engine = create_engine(
                    self.url,
                    poolclass=NullPool,
                    isolation_level="AUTOCOMMIT",
                    connect_args={"application_name": self._name(me)},
                )
                connection = engine.connect()
                _held[self.key] = connection
            else:
                connection.exec_driver_sql(
                    "SELECT set_config('application_name', %(name)s, false)",
                    {"name": self._name(me)},
                )
            # as JSON string escapes: '%' would be read as a placeholder, '*/' would end the comment
            document = (
                json.dumps({**me.to_dict(), "workspace": self.key})
                .replace("%", "\\u0025")
                .replace("*/", "*\\u002f")
            )
            connection.exec_driver_sql(f"SELECT 1 /* {COMMENT_MARK}{document} */")
        except SQLAlchemyError:
            self._drop(connection)

    def _name(self, me: Presence) -> str:
        """The connection's name: kind, pid and which workspace (schema) — others read it even where
        the statement (with the details) is hidden from them, or not yet sent."""
        return f"{APPLICATION_PREFIX}{me.kind}:{me.pid}:{self.tag}"[:63]

    @property
    def tag(self) -> str:
        return hashlib.sha256(self.key.encode("utf-8")).hexdigest()[:12]

    def withdraw(self) -> None:
        self._drop(_held.get(self.key))

    def _drop(self, connection: Connection | None) -> None:
        from sqlalchemy.exc import SQLAlchemyError

        _held.pop(self.key, None)
        if connection is not None:
            try:
                connection.close()
                connection.engine.dispose()
            except SQLAlchemyError:
                pass

    def list(self) -> list[Presence]:
        from sqlalchemy import create_engine, text
        from sqlalchemy.exc import SQLAlchemyError
        from sqlalchemy.pool import NullPool

        try:
            engine = create_engine(self.url, poolclass=NullPool)
            try:
                with engine.connect() as connection:
                    rows = connection.execute(
                        text(
                            "SELECT pid, application_name, backend_start, client_hostname, "
                            "host(client_addr), query FROM pg_stat_activity "
                            "WHERE datname = current_database() AND application_name LIKE :prefix "
                            "AND pid <> pg_backend_pid()"
                        ),
                        {"prefix": APPLICATION_PREFIX + "%"},
                    ).all()
            finally:
                engine.dispose()
        except SQLAlchemyError:
            return []
        found = []
        for _backend, name, started, client_host, client_addr, query in rows:
            entry = self._entry(name, started, client_host or client_addr or "", query or "")
            if entry is not None:
                found.append(entry)
        return found

    def _entry(self, name: str, started: dt.datetime, client: str, query: str) -> Presence | None:
        marker = query.find(COMMENT_MARK)
        if marker >= 0:
            document = query[marker + len(COMMENT_MARK) :].rsplit("*/", 1)[0]
            try:
                data = json.loads(document)
            except ValueError:
                data = None
            if isinstance(data, dict):
                if data.get("workspace") != self.key:
                    return None  # another workspace (schema) in the same database
                return _parse(json.dumps(data))
        # the details are hidden from this role, or not sent yet: what the connection's name and row say
        _, kind, pid, tag = [*name.split(":"), "", "", ""][:4]
        if not pid.isdigit() or tag != self.tag:
            return None  # another workspace (schema) in the same database
        return Presence(kind=kind or "cli", pid=int(pid), host=client, started=started)
