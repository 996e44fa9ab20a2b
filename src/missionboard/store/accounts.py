"""Accounts in SQL: users, their per-mission roles, web sessions, API tokens and login attempts, and their
identities at OpenID Connect providers with the sign-ins under way.

Only digests and hashes are handed in: the service hashes passwords and digests session ids and tokens.
A store keeps the rows it has read, so that a later change in the same transaction needs no new read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from missionboard.errors import NotFound, WorkspaceError
from missionboard.store.web_tables import (
    ApiTokenRow,
    LoginAttemptRow,
    MissionRoleRow,
    OidcLoginRow,
    UserIdentityRow,
    UserRow,
    WebSessionRow,
)
from missionboard.store.workspace import Workspace


@dataclass(frozen=True)
class User:
    """A user as stored; times and flags as the workspace holds them."""

    id: int
    username: str
    display_name: str
    password_hash: str
    is_admin: bool
    is_active: bool


@dataclass(frozen=True)
class WebSession:
    csrf_token: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class ApiToken:
    """An API token as stored (only its digest is kept); times as the workspace hands them back."""

    id: int
    user_id: int
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked: bool
    expires_at: dt.datetime | None
    read_only: bool


@dataclass(frozen=True)
class PendingOidcLogin:
    """An OpenID Connect sign-in under way: what the callback must check and where it goes after."""

    nonce: str
    code_verifier: str
    next_url: str
    redirect_uri: str
    expires_at: dt.datetime


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        password_hash=row.password_hash,
        is_admin=row.is_admin,
        is_active=row.is_active,
    )


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked=row.revoked,
        expires_at=row.expires_at,
        read_only=row.read_only,
    )


class AccountStore:
    """Reads and writes accounts inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # rows read in this transaction, held so that the session's identity map keeps them
        self._users: dict[int, UserRow] = {}
        self._tokens: dict[int, ApiTokenRow] = {}
        self._attempts: dict[int, LoginAttemptRow] = {}

    def flush(self) -> None:
        self.session.flush()

    # --- users ------------------------------------------------------------------------------------

    def _held(self, row: UserRow) -> User:
        self._users[row.id] = row
        return _user(row)

    def find(self, username: str) -> User | None:
        row = self.session.scalar(select(UserRow).where(UserRow.username == username))
        return None if row is None else self._held(row)

    def get(self, username: str) -> User:
        found = self.find(username)
        if found is None:
            raise NotFound(f"no user '{username}' (see 'missionboard users list')")
        return found

    def taken(self, username: str) -> bool:
        return self.session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None

    def add(
        self, *, username: str, display_name: str, password_hash: str, is_admin: bool, created_at: dt.datetime
    ) -> User:
        row = UserRow(
            username=username,
            display_name=display_name,
            password_hash=password_hash,
            is_admin=is_admin,
            is_active=True,
            created_at=created_at,
        )
        self.session.add(row)
        self.session.flush()
        return self._held(row)

    def all(self) -> list[User]:
        """Every user, by user name."""
        return [self._held(row) for row in self.session.scalars(select(UserRow).order_by(UserRow.username))]

    def _row(self, user_id: int) -> UserRow:
        row = self._users.get(user_id) or self.session.get(UserRow, user_id)
        if row is None:
            raise NotFound(f"no user with id {user_id}")
        return row

    def set_flag(self, user_id: int, flag: Literal["is_admin", "is_active"], value: bool) -> User:
        row = self._row(user_id)
        setattr(row, flag, value)
        return _user(row)

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self._row(user_id).password_hash = password_hash

    # --- roles ------------------------------------------------------------------------------------

    def roles(self, user_id: int) -> list[tuple[str, str]]:
        """(mission id, role) of each role the user holds."""
        return [
            (r.mission_id, r.role)
            for r in self.session.scalars(select(MissionRoleRow).where(MissionRoleRow.user_id == user_id))
        ]

    def members(self, mission_id: str) -> list[tuple[str, str]]:
        """(user name, role) of each holder of a role on the mission, by user name."""
        rows = self.session.execute(
            select(UserRow.username, MissionRoleRow.role)
            .join(MissionRoleRow, MissionRoleRow.user_id == UserRow.id)
            .where(MissionRoleRow.mission_id == mission_id)
            .order_by(UserRow.username)
        )
        return [(name, role) for name, role in rows]

    def set_role(self, user_id: int, mission_id: str, role: str | None) -> str | None:
        """Give the user ``role`` on the mission (None: take it away); returns the role held before."""
        row = self.session.scalar(
            select(MissionRoleRow).where(
                MissionRoleRow.user_id == user_id, MissionRoleRow.mission_id == mission_id
            )
        )
        before = None if row is None else row.role
        if role is None:
            if row is not None:
                self.session.delete(row)
        elif row is None:
            self.session.add(MissionRoleRow(user_id=user_id, mission_id=mission_id, role=role))
        else:
            row.role = role
        return before

    def remove_roles_on(self, mission_id: str) -> list[tuple[str, str]]:
        """Delete every role on the mission; returns (user name, role) of each one removed."""
        rows = self.session.execute(
            select(MissionRoleRow, UserRow.username)
            .join(UserRow, UserRow.id == MissionRoleRow.user_id)
            .where(MissionRoleRow.mission_id == mission_id)
        ).all()
        removed = []
        for row, username in rows:
            removed.append((username, row.role))
            self.session.delete(row)
        return removed

    # --- login attempts -----------------------------------------------------------------------------

    def recent_failures(
        self, by: Literal["username", "address"], value: str, since: dt.datetime
    ) -> tuple[int, dt.datetime | None]:
        """How many failed logins for a user name or from an address since ``since``, and the last one's time."""
        column = LoginAttemptRow.username if by == "username" else LoginAttemptRow.address
        failures, last = self.session.execute(
            select(func.count(), func.max(LoginAttemptRow.at)).where(
                column == value, LoginAttemptRow.at >= since, LoginAttemptRow.success.is_(False)
            )
        ).one()
        return int(failures), last

    def add_attempt(self, *, username: str, address: str, at: dt.datetime) -> int:
        """Record a login attempt as failed (``mark_success`` turns it into a success); returns its id."""
        attempt = LoginAttemptRow(username=username, address=address, at=at, success=False)
        self.session.add(attempt)
        # the next read would write it anyway (autoflush): writing it now gives its id
        self.session.flush()
        self._attempts[attempt.id] = attempt
        return attempt.id

    def mark_success(self, attempt_id: int) -> None:
        row = self._attempts.get(attempt_id) or self.session.get(LoginAttemptRow, attempt_id)
        if row is not None:
            row.success = True

    def forget_attempts(self, *, older_than: dt.datetime, failures_of: str) -> None:
        """Delete attempts older than ``older_than`` and every failed one for the user name ``failures_of``."""
        self.session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.at < older_than))
        self.session.execute(
            delete(LoginAttemptRow).where(
                LoginAttemptRow.username == failures_of, LoginAttemptRow.success.is_(False)
            )
        )

    # --- web sessions ---------------------------------------------------------------------------------

    def start_session(
        self, *, digest: str, user_id: int, csrf_token: str, created_at: dt.datetime, expires_at: dt.datetime
    ) -> None:
        """Add a session (by the digest of its cookie value), purging those expired at ``created_at``."""
        self.session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < created_at))
        self.session.add(
            WebSessionRow(
                id=digest,
                user_id=user_id,
                csrf_token=csrf_token,
                created_at=created_at,
                expires_at=expires_at,
            )
        )

    def session_user(self, digest: str) -> tuple[WebSession, User] | None:
        """The session with this digest and its user, or None."""
        found = self.session.execute(
            select(WebSessionRow, UserRow)
            .join(UserRow, UserRow.id == WebSessionRow.user_id)
            .where(WebSessionRow.id == digest)
        ).first()
        if found is None:
            return None
        web_session, user = found
        return WebSession(web_session.csrf_token, web_session.expires_at), self._held(user)

    def end_session(self, digest: str) -> None:
        self.session.execute(delete(WebSessionRow).where(WebSessionRow.id == digest))

    def end_sessions_of(self, user_id: int) -> None:
        self.session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user_id))

    # --- identities at OpenID Connect providers -----------------------------------------------------

    def identity_user(self, issuer: str, subject: str) -> User | None:
        """The user linked to (issuer, subject), or None."""
        row = self.session.scalar(
            select(UserRow)
            .join(UserIdentityRow, UserIdentityRow.user_id == UserRow.id)
            .where(UserIdentityRow.issuer == issuer, UserIdentityRow.subject == subject)
        )
        return None if row is None else self._held(row)

    def identity_subject(self, user_id: int, issuer: str) -> str | None:
        """The subject the user is linked to at ``issuer``, or None."""
        return self.session.scalar(
            select(UserIdentityRow.subject).where(
                UserIdentityRow.user_id == user_id, UserIdentityRow.issuer == issuer
            )
        )

    def link_identity(self, user_id: int, issuer: str, subject: str, at: dt.datetime) -> None:
        self.session.add(UserIdentityRow(user_id=user_id, issuer=issuer, subject=subject, created_at=at))
        self.session.flush()

    def add_oidc_login(self, state_digest: str, pending: PendingOidcLogin, now: dt.datetime) -> None:
        """Keep a sign-in under way (by the digest of its state), purging those expired at ``now``."""
        self.session.execute(delete(OidcLoginRow).where(OidcLoginRow.expires_at < now))
        self.session.add(
            OidcLoginRow(
                state=state_digest,
                nonce=pending.nonce,
                code_verifier=pending.code_verifier,
                next_url=pending.next_url,
                redirect_uri=pending.redirect_uri,
                expires_at=pending.expires_at,
            )
        )

    def take_oidc_login(self, state_digest: str) -> PendingOidcLogin | None:
        """The sign-in under way with this state digest, deleted so that it is used once; None if unknown."""
        row = self.session.get(OidcLoginRow, state_digest)
        if row is None:
            return None
        pending = PendingOidcLogin(
            row.nonce, row.code_verifier, row.next_url, row.redirect_uri, row.expires_at
        )
        self.session.delete(row)
        return pending

    # --- API tokens -----------------------------------------------------------------------------------

    def add_token(
        self,
        *,
        user_id: int,
        name: str,
        token_hash: str,
        created_at: dt.datetime,
        expires_at: dt.datetime | None,
        read_only: bool,
    ) -> None:
        self.session.add(
            ApiTokenRow(
                user_id=user_id,
                name=name,
                token_hash=token_hash,
                created_at=created_at,
                expires_at=expires_at,
                read_only=read_only,
            )
        )

    def tokens(self, user_id: int) -> list[ApiToken]:
        """The user's tokens, oldest first."""
        rows = self.session.scalars(
            select(ApiTokenRow).where(ApiTokenRow.user_id == user_id).order_by(ApiTokenRow.id)
        )
        return [_token(r) for r in rows]

    def token(self, token_id: int) -> ApiToken | None:
        row = self.session.get(ApiTokenRow, token_id)
        if row is None:
            return None
        self._tokens[row.id] = row
        return _token(row)

    def revoke_token(self, token_id: int) -> None:
        row = self._tokens.get(token_id) or self.session.get(ApiTokenRow, token_id)
        if row is not None:
            row.revoked = True

    def token_user(self, token_hash: str) -> tuple[ApiToken, User] | None:
        """The token with this digest and its user, or None."""
        found = self.session.execute(
            select(ApiTokenRow, UserRow)
            .join(UserRow, UserRow.id == ApiTokenRow.user_id)
            .where(ApiTokenRow.token_hash == token_hash)
        ).first()
        if found is None:
            return None
        row, user = found
        return _token(row), self._held(user)

    def note_token_use(self, token_id: int, at: dt.datetime) -> None:
        self.session.execute(update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=at))


def note_token_use(workspace: Workspace, token_id: int, at: dt.datetime) -> None:
    """Note when a token was last used, in a transaction of its own; skipped where it cannot be written."""
    try:
        with workspace.transaction(counted=False) as session:  # no figure reads it
            AccountStore(session).note_token_use(token_id, at)
    except (WorkspaceError, OperationalError):
        pass  # bookkeeping only: a busy, full or read-only workspace must not refuse the call
