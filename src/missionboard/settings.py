"""The one typed settings object: environment variables, overridden by command-line flags.

Each setting is read from ``MISSIONBOARD_<NAME>`` (the name in any case), as pydantic-settings reads an
environment with ``env_prefix="MISSIONBOARD_"``: the text is validated as the field's type, and a value
given when the object is made wins. The reading is done here rather than by pydantic-settings, whose
import (with asyncio) cost every command 26 ms of its start for a plain lookup of a dozen names.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

DEFAULT_WORKSPACE = Path("missionboard.db")
MiB = 1024 * 1024
ENV_PREFIX = "MISSIONBOARD_"


class Settings(BaseModel):
    """Where the workspace lives and who is acting.

    ``database_url`` wins over ``workspace``; a bare workspace path means an embedded SQLite file.
    """

    model_config = ConfigDict(extra="ignore", validate_default=True)

    def __init__(self, **given: Any) -> None:
        """The environment's settings, with ``given`` ones (by field name) winning over them."""
        super().__init__(**{**_from_environment(type(self).model_fields), **given})

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

    oidc_issuer: str | None = Field(
        default=None,
        description="OpenID Connect issuer URL (its /.well-known/openid-configuration is read at first use); "
        "set it with oidc_client_id to offer 'Sign in with …'",
    )
    oidc_client_id: str | None = Field(default=None, description="The client id registered at the provider")
    oidc_client_secret: SecretStr | None = Field(
        default=None, description="The client's secret; none for a public client (PKCE only)"
    )
    oidc_scopes: str = Field(default="openid email profile", description="Scopes asked for, space-separated")
    oidc_username_claim: str = Field(
        default="preferred_username",
        description="The ID token claim naming the account; 'email', then 'sub', where it is missing",
    )
    oidc_auto_create: bool = Field(
        default=False,
        description="Create a plain account (no roles) at a first sign-in; otherwise only accounts an admin "
        "created may sign in",
    )
    oidc_provider_name: str = Field(
        default="", description="Shown as 'Sign in with NAME'; default: the issuer's host name"
    )
    public_base_url: str | None = Field(
        default=None,
        description="The app's public address, e.g. https://board.example.org; the OpenID Connect redirect "
        "URI is this + /login/oidc/callback (default: built from the request)",
    )

    @field_validator("oidc_issuer", "public_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    def oidc_enabled(self) -> bool:
        """Whether sign-in through an OpenID Connect provider is configured (issuer and client id)."""
        return bool(self.oidc_issuer and self.oidc_client_id)

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


def _from_environment(names: Iterable[str]) -> dict[str, str]:
    """``MISSIONBOARD_<NAME>`` of each field name that the environment sets, the variable's name in any
    case (where two differ only in case, the later one in the environment wins)."""
    environment = {key.lower(): value for key, value in os.environ.items()}
    prefix = ENV_PREFIX.lower()
    return {name: environment[prefix + name] for name in names if prefix + name in environment}
