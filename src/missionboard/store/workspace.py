"""Open a workspace (SQLite file or PostgreSQL URL), bring its schema up to date, run transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from missionboard.errors import WorkspaceError

MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


class Workspace:
    """One workspace database. Every write goes through ``transaction()``: all or nothing."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        return safe_url(self.engine.url.render_as_string(hide_password=False))

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @classmethod
    def open(cls, url: str, *, create: bool = False) -> Workspace:
        """Open the workspace at ``url``; create (and migrate) it only when ``create`` is set."""
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
        try:
            engine = create_engine(url, future=True, pool_pre_ping=not is_sqlite)
        except (ArgumentError, ImportError) as exc:
            raise WorkspaceError(f"cannot use database URL {safe_url(url)}: {exc}") from exc
        if is_sqlite:
            event.listen(engine, "connect", _enable_sqlite_pragmas)
        workspace = cls(engine)
        workspace._prepare_schema(create=create)
        return workspace

    def _prepare_schema(self, *, create: bool) -> None:
        try:
            with self.engine.connect() as connection:
                current = set(MigrationContext.configure(connection).get_current_heads())
                has_tables = bool(inspect(connection).get_table_names())
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise WorkspaceError(f"cannot reach the workspace database {self.url}: {reason}") from exc
        heads = set(ScriptDirectory.from_config(_alembic_config(self.engine)).get_heads())
        if current == heads:
            return
        if not current and has_tables:
            raise WorkspaceError(f"{self.url} holds tables that are not a missionboard workspace")
        if not current and not create:
            raise WorkspaceError(
                f"{self.url} is not a missionboard workspace yet: run 'missionboard init' to create it"
            )
        self.migrate()

    def migrate(self) -> None:
        """Upgrade the schema to the newest migration (idempotent)."""
        try:
            command.upgrade(_alembic_config(self.engine), "heads")
        except SQLAlchemyError as exc:
            raise WorkspaceError(f"could not migrate {self.url}: {exc}") from exc

    def revision(self) -> str:
        """The applied migration heads, e.g. '0001_core' (areas may add branches of their own)."""
        with self.engine.connect() as connection:
            return ",".join(sorted(MigrationContext.configure(connection).get_current_heads()))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed together, or rolled back together on any error."""
        session = self._sessions()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads; nothing it does is committed."""
        session = self._sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def close(self) -> None:
        self.engine.dispose()
