"""Tables of the web app: accounts, per-mission roles, API tokens, sessions and login attempts, and the
identities accounts sign in with through OpenID Connect (with the sign-ins under way).

Secrets are never stored: passwords as argon2 hashes, session ids and API tokens as SHA-256 digests.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from missionboard.store.tables import Base, LinkRow, ProjectRow, utcnow


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MissionRoleRow(Base):
    """A user's role on one mission: owner, editor, reviewer or viewer."""

    __tablename__ = "mission_roles"
    __table_args__ = (UniqueConstraint("user_id", "mission_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    mission_id: Mapped[str] = mapped_column(String(80), index=True)
    role: Mapped[str] = mapped_column(String(20))


class ApiTokenRow(Base):
    """An API token: it stops working when revoked or after ``expires_at``; a read-only one may not write."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    read_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class WebSessionRow(Base):
    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, doc="SHA-256 of the cookie value")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LoginAttemptRow(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    success: Mapped[bool] = mapped_column(Boolean, default=False)


class UserIdentityRow(Base):
    """An account's identity at an OpenID Connect provider: its subject, stable where names change."""

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OidcLoginRow(Base):
    """An OpenID Connect sign-in under way: kept server-side (so any worker may take the callback) until
    the provider sends the browser back, used once, and forgotten after a few minutes."""

    __tablename__ = "oidc_logins"

    state: Mapped[str] = mapped_column(String(64), primary_key=True, doc="SHA-256 of the state")
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_url: Mapped[str] = mapped_column(String(2000))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


# Indexes the web app's pages and the monitoring board need on the core tables (web_0001, web_0002,
# web_0004).
Index("ix_web_projects_instrument", ProjectRow.instrument)
Index("ix_web_projects_stage", ProjectRow.stage)
Index("ix_web_projects_start", ProjectRow.start)
Index("ix_web_projects_funder_programme", ProjectRow.funder, ProjectRow.programme)
# a mission's links in the order the portfolio sums them, with their projects: one covering read
Index(
    "ix_web_links_rank_project",
    LinkRow.taxonomy,
    LinkRow.goal,
    LinkRow.status,
    LinkRow.score,
    LinkRow.id,
    LinkRow.project_id,
)
Index("ix_web_links_portfolio_goal", LinkRow.taxonomy, LinkRow.status, LinkRow.project_id, LinkRow.goal)
