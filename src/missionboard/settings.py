"""The one typed settings object: environment variables, overridden by command-line flags."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_WORKSPACE = Path("missionboard.db")
MiB = 1024 * 1024


class Settings(BaseSettings):
    """Where the workspace lives and who is acting.

    ``database_url`` wins over ``workspace``; a bare workspace path means an embedded SQLite file.
    """

    model_config = SettingsConfigDict(env_prefix="MISSIONBOARD_", extra="ignore")

    database_url: str | None = Field(default=None, description="SQLAlchemy URL, e.g. postgresql+psycopg://…")
    workspace: Path = Field(default=DEFAULT_WORKSPACE, description="SQLite workspace file")
    user: str | None = Field(default=None, description="Who is acting; defaults to the login name")
    debug: bool = False
    body_limit: int = Field(
        default=2 * MiB,
        gt=0,
        description="Largest request body, in bytes, the web app reads (forms, JSON); larger ones get 413",
    )
    import_body_limit: int = Field(
        default=512 * MiB,
        gt=0,
        description="Largest upload, in bytes, an admin may import through the web app or the API",
    )

    def url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.workspace}"

    def acting_user(self) -> str:
        if self.user:
            return self.user
        import getpass

        try:
            return getpass.getuser()
        except Exception:  # no login name in some containers
            return "unknown"
