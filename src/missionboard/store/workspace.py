"""Open a workspace (SQLite file or PostgreSQL URL), bring its schema up to date, run transactions.

Several processes use one workspace at once (web workers, CLI commands, imports). On SQLite every
write transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock first, waiting for it up to
the busy timeout, so a writer never fails half-way because another one committed after it had read.
A lock that is not had in time, a read-only database and a full disk become ``WorkspaceBusy``,
``WorkspaceReadOnly`` and ``WorkspaceFull``: one clear line, nothing written.
"""

from __future__ import annotations

__all__ = ["Session", "Workspace"]

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    inspect,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DataError, DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import SingletonThreadPool, StaticPool

from missionboard.errors import (
    UnstorableValue,
    WorkspaceBusy,
    WorkspaceError,
    WorkspaceFull,
    WorkspaceReadOnly,
)
from missionboard.store import analytics_tables, quick
from missionboard.store.quick import SCHEMA_HEADS, read_only_uri

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = quick.BUSY_TIMEOUT_MS
"""How long a SQLite writer waits for another process's write lock before giving up (WorkspaceBusy)."""
BEGIN = "missionboard_begin"
"""Execution option: the BEGIN statement a SQLite transaction starts with (IMMEDIATE for writers)."""

_open_sqlite_files: dict[str, int] = {}
_open_files_lock = threading.Lock()


def sqlite_files_open_here() -> frozenset[str]:
    """Real paths of the SQLite files this process holds as workspaces.

    No other SQLite library (ADBC, DuckDB's scanner …) may open one of them in this process: closing
    it would drop the POSIX locks of the workspace's connections, and a later process would then
    delete the WAL file under them.
    """
    with _open_files_lock:
        return frozenset(_open_sqlite_files)


_ALEMBIC_VERSION = Table("alembic_version", MetaData(), Column("version_num", String(32)))


def _applied_heads(connection: Connection, tables: list[str]) -> set[str]:
    """The migration heads applied to the database (empty for one Alembic never touched)."""
    if "alembic_version" not in tables:
        return set()
    return {str(v) for v in connection.scalars(select(_ALEMBIC_VERSION.c.version_num))}


def _load_every_table() -> None:
    """Put every area's tables on ``Base.metadata``, as Alembic's environment compares against it.

    Opening an up-to-date workspace needs none but ``analytics_tables`` (its counter of changes): each
    store module imports the tables it uses (their foreign keys all point into ``store/tables.py``), and a
    command that loads no other area's tables also spares SQLAlchemy configuring their classes.
    """
    from missionboard.store import (  # noqa: F401  (imported for their tables)
        consult_tables,
        landscape_tables,
        mapping_tables,
        monitoring_tables,
        review_tables,
        web_tables,
    )


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config  # loaded only to migrate: opening a current workspace needs none

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def _sqlite_connected(read_only: bool) -> Any:
    def connected(dbapi_connection: Any, _record: Any) -> None:
        # the driver must not open transactions of its own: ``_sqlite_begin`` says how each one starts
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS:d}")
        cursor.execute("PRAGMA foreign_keys=ON")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        else:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return connected


def _postgres_connected(dbapi_connection: Any, _record: Any) -> None:
    # a writer that waits for another's row or table lock gives up as a SQLite writer does
    cursor = dbapi_connection.cursor()
    cursor.execute("SELECT set_config('lock_timeout', %s, false)", (f"{BUSY_TIMEOUT_MS:d}ms",))
    cursor.close()
    dbapi_connection.commit()


def _read_only_sqlite_url(database: str) -> str:
    """A SQLAlchemy URL that opens ``database`` without writing anything (see ``quick.read_only_uri``)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return f"sqlite:///{database}"
    return f"sqlite:///{read_only_uri(database)}&uri=true"


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql(connection.get_execution_options().get(BEGIN, "BEGIN"))


def translate(exc: DBAPIError, url: str) -> WorkspaceError | UnstorableValue | None:
    """The user error a database error stands for (busy, read-only, full workspace; a value it cannot
    store), or None for others."""
    if isinstance(exc, DataError):  # e.g. a NUL character or an out-of-range number
        return UnstorableValue("a value the database cannot store or compare: nothing was written")
    original = exc.orig
    reason = (str(original) if original is not None else str(exc)).strip().splitlines()[0:1]
    text = reason[0].lower() if reason else ""
    code = getattr(original, "sqlstate", None) or ""
    if "database is locked" in text or "database is busy" in text or "database table is locked" in text:
        return WorkspaceBusy(
            f"the workspace {url} is busy: another process is writing to it; try again in a few seconds"
        )
    if code in ("55P03", "40P01", "40001") or "lock timeout" in text or "could not obtain lock" in text:
        return WorkspaceBusy(f"the workspace {url} is busy: {reason[0] if reason else 'locked'}; try again")
    if "readonly database" in text or "read-only" in text or code == "25006":
        return WorkspaceReadOnly(f"the workspace {url} is read-only: nothing was written")
    if "disk is full" in text or "database or disk is full" in text or code in ("53100", "53200"):
        return WorkspaceFull(f"the disk of the workspace {url} is full: nothing was written")
    return None


def workspace_error(exc: BaseException, url: str) -> WorkspaceError | UnstorableValue | None:
    """The workspace error (busy, read-only, full) a database error stands for, looked for along the
    chain of ``exc`` (a SQLAlchemy error, or a driver's error no SQLAlchemy call wrapped); None for
    anything else, a bug included."""
    if not (isinstance(exc, SQLAlchemyError) or _is_driver_error(exc)):
        return None
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) or _is_driver_error(current):
            wrapped = current if isinstance(current, DBAPIError) else OperationalError(None, None, current)
            found = translate(wrapped, url)
            if found is not None:
                return found
        current = current.__cause__ or current.__context__
    return None


def _is_driver_error(exc: BaseException) -> bool:
    """An error of a database driver that no SQLAlchemy call wrapped (sqlite3 or psycopg used directly)."""
    return isinstance(exc, sqlite3.Error) or type(exc).__module__.startswith("psycopg")


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


_CHANGES_READ = select(analytics_tables.DataVersionRow.version).where(
    analytics_tables.DataVersionRow.name == analytics_tables.CHANGES
)


class Workspace:
    """One workspace database. Every write goes through ``transaction()``: all or nothing."""

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self.engine = engine
        self.read_only = read_only
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._writers = sessionmaker(
            engine.execution_options(**{BEGIN: "BEGIN IMMEDIATE"}), expire_on_commit=False
        )
        self._file: str | None = None
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        if database and database.startswith("file:"):
            database = unquote(database.removeprefix("file:").split("?", 1)[0])
        if database and database != ":memory:":
            self._file = os.path.realpath(database)
            with _open_files_lock:
                _open_sqlite_files[self._file] = _open_sqlite_files.get(self._file, 0) + 1

    @property
    def url(self) -> str:
        return safe_url(self.engine.url.render_as_string(hide_password=False))

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def shared_across_threads(self) -> bool:
        """Whether another thread of this process reads the same database: not so for an in-memory SQLite
        database, where each thread's connection is a database of its own (or all share one connection,
        which two threads must not use at once)."""
        return not isinstance(self.engine.pool, SingletonThreadPool | StaticPool)

    @classmethod
    def open(cls, url: str, *, create: bool = False, read_only: bool = False) -> Workspace:
        """Open the workspace at ``url``; create (and migrate) it only when ``create`` is set.

        ``read_only`` opens it for reading alone: every write fails with ``WorkspaceReadOnly`` and the
        schema is not migrated (it must be current).
        """
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise WorkspaceError(f"not a database URL: {url!r}") from exc
        is_sqlite = parsed.get_backend_name() == "sqlite"
        if is_sqlite:
            database = parsed.database or ""
            if database and database != ":memory:":
                path = Path(database)
                if not path.exists() and not create:
                    raise WorkspaceError(
                        f"no workspace at {path}: create one with 'missionboard init --workspace {path}' "
                        "or 'missionboard demo'"
                    )
                if create:
                    path.parent.mkdir(parents=True, exist_ok=True)
        if is_sqlite and read_only:
            url = _read_only_sqlite_url(parsed.database or "")
        try:
            engine = create_engine(url, future=True, pool_pre_ping=not is_sqlite)
        except (ArgumentError, ImportError) as exc:
            raise WorkspaceError(f"cannot use database URL {safe_url(url)}: {exc}") from exc
        if is_sqlite:
            event.listen(engine, "connect", _sqlite_connected(read_only))
            event.listen(engine, "begin", _sqlite_begin)
        elif engine.dialect.name == "postgresql":
            event.listen(engine, "connect", _postgres_connected)
            if read_only:
                engine = engine.execution_options(postgresql_readonly=True)
        workspace = cls(engine, read_only=read_only)
        try:
            workspace._prepare_schema(create=create and not read_only)
        except BaseException:
            workspace.close()
            raise
        return workspace

    def _prepare_schema(self, *, create: bool) -> None:
        try:
            with self.engine.connect() as connection:
                tables = inspect(connection).get_table_names()
                current = _applied_heads(connection, tables)
                has_tables = bool(tables)
        except DBAPIError as exc:
            found = translate(exc, self.url)
            if found is not None:
                raise found from exc
            reason = (str(exc.orig).strip().splitlines() or [""])[0] if exc.orig else str(exc)
            if self.is_sqlite and not isinstance(exc, OperationalError):
                raise WorkspaceError(
                    f"{self.url} is not a missionboard workspace (not a SQLite database, or a damaged one): "
                    f"{reason}"
                ) from exc
            raise WorkspaceError(f"cannot reach the workspace database {self.url}: {reason}") from exc
        if current == SCHEMA_HEADS:
            return
        if not current and has_tables:
            raise WorkspaceError(f"{self.url} holds tables that are not a missionboard workspace")
        if not current and not create:
            raise WorkspaceError(
                f"{self.url} is not a missionboard workspace yet: run 'missionboard init' to create it"
            )
        if self.read_only:
            raise WorkspaceReadOnly(
                f"{self.url} needs a schema upgrade, which a read-only workspace cannot do: "
                "open it once for writing"
            )
        self.migrate()

    def migrate(self) -> None:
        """Upgrade the schema to the newest migration (idempotent)."""
        from alembic import command

        _load_every_table()

        try:
            command.upgrade(_alembic_config(self.engine), "heads")
        except SQLAlchemyError as exc:
            raise WorkspaceError(f"could not migrate {self.url}: {exc}") from exc

    def revision(self) -> str:
        """The applied migration heads, e.g. '0001_core' (areas may add branches of their own)."""
        with self.engine.connect() as connection:
            return ",".join(sorted(_applied_heads(connection, inspect(connection).get_table_names())))

    @contextmanager
    def transaction(self, *, counted: bool = True) -> Iterator[Session]:
        """A session whose work is committed together, or rolled back together on any error.

        On SQLite it holds the write lock from its first statement (``BEGIN IMMEDIATE``): keep it short.
        Each one is counted (``changes``), so that the caches of every process drop what they computed
        before it; ``counted=False`` is for bookkeeping no figure reads (when a token was last used, a
        login session): counting it would make every web worker recompute every figure after it.
        """
        if self.read_only:
            raise WorkspaceReadOnly(f"the workspace {self.url} is open read-only: nothing was written")
        session = self._writers()
        try:
            with session.begin():
                yield session
                if counted:
                    analytics_tables.count_change(session)  # other processes' caches see that it changed
        except DBAPIError as exc:
            raise self._translated(exc) from exc
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads; nothing it does is committed."""
        session = self._sessions()
        try:
            yield session
        except DBAPIError as exc:
            raise self._translated(exc) from exc
        finally:
            session.rollback()
            session.close()

    def changes(self) -> int:
        """How many write transactions the workspace has committed: a cheap stamp for caches.

        One compiled (and cached) statement on a pooled connection, without a session, which took 0.6 ms
        (the web reads it for every request that a cache answers)."""
        with self.engine.connect() as connection:
            return connection.scalar(_CHANGES_READ) or 0

    def _translated(self, exc: DBAPIError) -> Exception:
        found = translate(exc, self.url)
        return found if found is not None else exc

    def close(self) -> None:
        self.engine.dispose()
        if self._file is not None:
            with _open_files_lock:
                left = _open_sqlite_files.get(self._file, 0) - 1
                if left > 0:
                    _open_sqlite_files[self._file] = left
                else:
                    _open_sqlite_files.pop(self._file, None)
            self._file = None
