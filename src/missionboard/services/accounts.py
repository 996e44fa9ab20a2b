"""Accounts for the web app and the API: users, per-mission roles, sessions, API tokens, login throttling.

Passwords are hashed with argon2id and must not be one of the most common passwords; session ids and API
tokens are random and stored only as SHA-256 digests, so a copy of the database does not let anyone log
in. API tokens may expire and may be read-only. Failed logins slow further tries down for a while (an
exponential backoff with a cap), never for ever. Every change to an account is written to the audit log
by the person who made it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
import string
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from missionboard.domain.accounts import RANK as RANK  # re-exported: the web, review
from missionboard.domain.accounts import Account as Account
from missionboard.domain.accounts import Role as Role
from missionboard.domain.accounts import may_see as may_see
from missionboard.domain.common import utc_aware
from missionboard.domain.missions import MissionVersion
from missionboard.errors import AuthenticationFailed as AuthenticationFailed  # re-exported: tests, pages
from missionboard.errors import Forbidden as Forbidden
from missionboard.errors import InputError, NotFound, Problem
from missionboard.errors import TooManyAttempts as TooManyAttempts
from missionboard.services import missions as mission_service
from missionboard.store import audit
from missionboard.store.accounts import AccountStore, User, note_token_use
from missionboard.store.accounts import PendingOidcLogin as PendingOidcLogin  # re-exported: the web
from missionboard.store.workspace import Workspace

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$")
MIN_PASSWORD = 10
SESSION_LIFETIME = dt.timedelta(hours=12)
FAILURE_MEMORY = dt.timedelta(minutes=15)
"""Failed logins older than this no longer count towards any lockout."""
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20
"""Failed logins (within ``FAILURE_MEMORY``) allowed per user name and per address before the backoff."""
FIRST_LOCKOUT = dt.timedelta(seconds=30)
MAX_LOCKOUT = dt.timedelta(minutes=5)
"""The wait after the allowed failures doubles with each further failure, up to ``MAX_LOCKOUT``."""
TOKEN_USE_NOTED = dt.timedelta(minutes=5)
"""How stale a token's ``last_used_at`` may get: noting every call would make each read a write."""
OIDC_LOGIN_LIFETIME = dt.timedelta(minutes=10)
"""How long a sign-in through an OpenID Connect provider may take, from leaving for it to coming back."""
NO_PASSWORD = "!oidc"
"""The password hash of an account created by a sign-in through a provider: no hash, so no password fits."""
EXPIRY = re.compile(r"^(\d{1,5})([hdw])$")
EXPIRY_UNITS = {"h": "hours", "d": "days", "w": "weeks"}

_hasher = PasswordHasher()
# Verifying against this keeps the time of a login for an unknown user like that of a known one. It is
# made by the first login of the process (known user or not, so that the cost of making it tells nothing),
# not at import: hashing takes a noticeable time that every command would otherwise pay at start.
_DUMMY_HASH: str | None = None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _dummy_hash() -> str:
    """The hash an unknown user's password is checked against, made once on first use."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash("missionboard-timing-equaliser")
    return _DUMMY_HASH


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _account(store: AccountStore, user: User) -> Account:
    roles = {mission_id: Role(role) for mission_id, role in store.roles(user.id)}
    return Account(
        id=user.id,
        username=user.username,
        display_name=user.display_name or user.username,
        is_admin=user.is_admin,
        is_active=user.is_active,
        roles=roles,
    )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(
            Problem("account", None, "password", f"must be at least {MIN_PASSWORD} characters long")
        )
    if is_common_password(password):
        raise InputError(
            Problem(
                "account",
                None,
                "password",
                "is one of the most common passwords (or one with digits or symbols added); choose another",
            )
        )


_PADDING = string.digits + string.punctuation + string.whitespace


def is_common_password(password: str) -> bool:
    """True where the password, ignoring case and digits or symbols added before or after it, is among the
    30,000 most common passwords (the list zxcvbn ships, from real leaks), so 'Password123!' counts."""
    common = _common_passwords()
    lowered = password.lower()
    core = lowered.strip(_PADDING)
    return lowered in common or (len(core) >= 4 and core in common)


@functools.cache
def _common_passwords() -> frozenset[str]:
    # imported late: the module holds several word lists (about 2 MB) that only a password change needs
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in reversed(Role))
        raise InputError(
            Problem("account", None, "role", f"must be one of {choices} or 'none' (got {role!r})")
        ) from None


# --- users ------------------------------------------------------------------------------------


def create_user(
    workspace: Workspace,
    username: str,
    password: str,
    *,
    by: str,
    admin: bool = False,
    display_name: str = "",
) -> Account:
    """Add a local account. Raises ``InputError`` for a bad name, a short password or a taken name."""
    if not USERNAME.match(username):
        raise InputError(
            Problem("account", None, "username", "use letters, digits, '.', '_', '-' or '@' (at most 100)")
        )
    _check_password(password)
    with workspace.transaction() as session:
        store = AccountStore(session)
        if store.taken(username):
            raise InputError(Problem("account", None, "username", f"'{username}' is already taken"))
        user = store.add(
            username=username,
            display_name=display_name,
            password_hash=_hasher.hash(password),
            is_admin=admin,
            created_at=_now(),
        )
        account = _account(store, user)
        audit.record(
            session,
            actor=by,
            action="user.create",
            entity="user",
            entity_id=username,
            after=account.as_dict(),
        )
    return account


def visible_missions(
    workspace: Workspace, account: Account | None, missions: Iterable[MissionVersion] | None = None
) -> frozenset[str] | None:
    """Ids of the missions whose objectives, links and decision evidence ``account`` may see (anonymous
    callers: ``None`` as account); ``None`` means every mission, past and present (workspace admins).
    ``missions``: every mission's current version, where the caller holds them already (else read)."""
    if account is not None and account.is_admin:
        return None
    return frozenset(
        version.mission_id
        for version in (mission_service.list_missions(workspace) if missions is None else missions)
        if may_see(account, version)
    )


def get_account(workspace: Workspace, username: str) -> Account:
    with workspace.reading() as session:
        store = AccountStore(session)
        return _account(store, store.get(username))


def list_users(workspace: Workspace) -> list[Account]:
    with workspace.reading() as session:
        store = AccountStore(session)
        return [_account(store, user) for user in store.all()]


def mission_members(workspace: Workspace, mission_id: str) -> list[tuple[str, Role]]:
    """Who holds which role on a mission, by user name."""
    with workspace.reading() as session:
        return [(name, Role(role)) for name, role in AccountStore(session).members(mission_id)]


def set_role(workspace: Workspace, username: str, mission_id: str, role: str | None, *, by: str) -> Account:
    """Give ``username`` a role on a mission; ``None`` or 'none' removes it."""
    wanted = None if role in (None, "", "none") else _role(str(role))
    with workspace.transaction() as session:
        store = AccountStore(session)
        user = store.get(username)
        after = None if wanted is None else wanted.value
        before = store.set_role(user.id, mission_id, after)
        if before != after:
            audit.record(
                session,
                actor=by,
                action="user.set_role",
                entity="user",
                entity_id=username,
                before={"mission": mission_id, "role": before},
                after={"mission": mission_id, "role": after},
            )
        store.flush()
        return _account(store, user)


def forget_mission(workspace: Workspace, mission_id: str, *, by: str) -> None:
    """Remove every role on a deleted mission, so that a new mission with the same id starts with none."""
    with workspace.transaction() as session:
        for username, role in AccountStore(session).remove_roles_on(mission_id):
            audit.record(
                session,
                actor=by,
                action="user.set_role",
                entity="user",
                entity_id=username,
                before={"mission": mission_id, "role": role},
                after={"mission": mission_id, "role": None},
            )


def _set_flag(
    workspace: Workspace, username: str, flag: Literal["is_admin", "is_active"], value: bool, *, by: str
) -> Account:
    """Change one of an account's yes/no flags, auditing the change; a no-op records nothing."""
    with workspace.transaction() as session:
        store = AccountStore(session)
        user = store.get(username)
        before = getattr(user, flag)
        if before != value:
            audit.record(
                session,
                actor=by,
                action=f"user.set_{flag.removeprefix('is_')}",
                entity="user",
                entity_id=username,
                before={flag: before},
                after={flag: value},
            )
            user = store.set_flag(user.id, flag, value)
            if flag == "is_active" and not value:
                store.end_sessions_of(user.id)
        return _account(store, user)


def set_admin(workspace: Workspace, username: str, admin: bool, *, by: str) -> Account:
    return _set_flag(workspace, username, "is_admin", admin, by=by)


def set_active(workspace: Workspace, username: str, active: bool, *, by: str) -> Account:
    """Disable or re-enable an account; disabling ends its sessions and tokens stop working."""
    return _set_flag(workspace, username, "is_active", active, by=by)


def set_password(workspace: Workspace, username: str, password: str, *, by: str) -> None:
    _check_password(password)
    with workspace.transaction() as session:
        store = AccountStore(session)
        user = store.get(username)
        store.set_password_hash(user.id, _hasher.hash(password))
        store.end_sessions_of(user.id)
        audit.record(
            session,
            actor=by,
            action="user.set_password",
            entity="user",
            entity_id=username,
            after={"password": "changed"},
        )


# --- logging in ---------------------------------------------------------------------------------


def lockout(failures: int, allowed: int) -> dt.timedelta:
    """How long to wait after the last of ``failures`` recent failed logins, where ``allowed`` are free:
    none up to the allowance, then ``FIRST_LOCKOUT`` doubling with each further failure, at most
    ``MAX_LOCKOUT``."""
    if failures < allowed:
        return dt.timedelta(0)
    doublings = min(failures - allowed, 16)  # 30 s * 2**16 is far past the cap already
    return min(FIRST_LOCKOUT * (1 << doublings), MAX_LOCKOUT)


def _wait(
    store: AccountStore, now: dt.datetime, by: Literal["username", "address"], value: str, allowed: int
) -> dt.timedelta:
    failures, last = store.recent_failures(by, value, now - FAILURE_MEMORY)
    if last is None:
        return dt.timedelta(0)
    return max(utc_aware(last) + lockout(failures, allowed) - now, dt.timedelta(0))


def login_wait(workspace: Workspace, username: str, address: str) -> dt.timedelta:
    """How long a login for ``username`` from ``address`` would be refused now (zero: it would be tried)."""
    with workspace.reading() as session:
        return _login_wait(AccountStore(session), _now(), username[:100], address[:100])


def _login_wait(store: AccountStore, now: dt.datetime, username: str, address: str) -> dt.timedelta:
    return max(
        _wait(store, now, "username", username, MAX_FAILURES_PER_USER),
        _wait(store, now, "address", address, MAX_FAILURES_PER_ADDRESS),
    )


def authenticate(workspace: Workspace, username: str, password: str, *, address: str) -> Account:
    """Check a password, counting failures per user name and per address.

    After too many recent failures, tries are refused with ``TooManyAttempts`` until the backoff of
    ``lockout`` has passed; a refused try is not checked and not counted, so a lockout always ends. A
    successful login forgets the user name's failures.
    """
    now = _now()
    name, where = username[:100], address[:100]
    refusal: AuthenticationFailed | None = None
    account: Account | None = None
    # The attempt is recorded in the same transaction whatever the outcome; the refusal is raised after
    # the commit, so that failed attempts count.
    with workspace.transaction() as session:
        store = AccountStore(session)
        _refuse_if_throttled(store, now, name, where)
        attempt = store.add_attempt(username=name, address=where, at=now)
        user = store.find(username)
        dummy = _dummy_hash()
        ok: bool
        try:
            ok = _hasher.verify(user.password_hash if user is not None else dummy, password)
        except (VerificationError, InvalidHashError):
            ok = False
        if ok and user is not None and user.is_active:
            store.mark_success(attempt)
            # attempts older than a day no longer count towards any limit, nor the user name's failures
            store.forget_attempts(older_than=now - dt.timedelta(days=1), failures_of=name)
            if _hasher.check_needs_rehash(user.password_hash):
                store.set_password_hash(user.id, _hasher.hash(password))
            account = _account(store, user)
        else:
            refusal = AuthenticationFailed("wrong user name or password")
    if account is None:
        raise refusal or AuthenticationFailed("wrong user name or password")
    return account


def _refuse_if_throttled(store: AccountStore, now: dt.datetime, username: str, address: str) -> None:
    _refuse_after(_login_wait(store, now, username, address))


def _refuse_after(wait: dt.timedelta) -> None:
    """Raise ``TooManyAttempts`` where a login must wait."""
    if wait > dt.timedelta(0):
        seconds = max(1, int(-(-wait.total_seconds() // 1)))
        raise TooManyAttempts(
            f"too many failed logins; try again in {_duration(seconds)}", retry_after=seconds
        )


# --- signing in through an OpenID Connect provider -------------------------------------------------


def begin_oidc_login(
    workspace: Workspace, state: str, *, nonce: str, code_verifier: str, next_url: str, redirect_uri: str
) -> None:
    """Keep a sign-in under way, for ``OIDC_LOGIN_LIFETIME``, until the provider sends the browser back
    with ``state``."""
    now = _now()
    pending = PendingOidcLogin(nonce, code_verifier, next_url, redirect_uri, now + OIDC_LOGIN_LIFETIME)
    with workspace.transaction() as session:
        AccountStore(session).add_oidc_login(_digest(state), pending, now)


def take_oidc_login(workspace: Workspace, state: str) -> PendingOidcLogin:
    """The sign-in under way for ``state``, usable once; ``AuthenticationFailed`` where there is none
    (forged, used already) or it is older than ``OIDC_LOGIN_LIFETIME``."""
    with workspace.transaction() as session:
        pending = AccountStore(session).take_oidc_login(_digest(state)) if state else None
    if pending is None:
        raise AuthenticationFailed("the sign-in is unknown or was used already; start it again")
    if utc_aware(pending.expires_at) < _now():
        raise AuthenticationFailed("the sign-in took too long; start it again")
    return pending


def check_oidc_throttle(workspace: Workspace, address: str) -> None:
    """Refuse (``TooManyAttempts``) a sign-in from an address with too many recent failed logins."""
    with workspace.reading() as session:
        wait = _wait(AccountStore(session), _now(), "address", address[:100], MAX_FAILURES_PER_ADDRESS)
    _refuse_after(wait)


def note_failed_login(workspace: Workspace, address: str) -> None:
    """Count a refused sign-in (a bad token, say) against its address, as a wrong password counts."""
    with workspace.transaction() as session:
        AccountStore(session).add_attempt(username="", address=address[:100], at=_now())


def oidc_sign_in(
    workspace: Workspace,
    *,
    issuer: str,
    subject: str,
    username: str,
    display_name: str = "",
    auto_create: bool = False,
    address: str,
) -> Account:
    """The account a provider's verified identity signs in as, throttled and counted as password logins are.

    An identity linked before finds its account by (issuer, subject), whatever name it now claims;
    otherwise the account named ``username`` is linked to it, unless that account is linked to another
    subject at the issuer. With ``auto_create`` an unknown name gets a new account without roles (and
    without a password); without it the login is refused. Audited as ``login.oidc``.
    """
    now = _now()
    name, where = username[:100], address[:100]
    refusal: AuthenticationFailed | None = None
    account: Account | None = None
    with workspace.transaction() as session:  # the attempt lands whatever the outcome
        store = AccountStore(session)
        _refuse_if_throttled(store, now, name, where)
        attempt = store.add_attempt(username=name, address=where, at=now)
        user = store.identity_user(issuer, subject)
        if user is None:
            user, refusal = _link_or_create(store, issuer, subject, name, display_name, auto_create, now)
        if user is not None and not user.is_active:
            refusal = AuthenticationFailed(f"the account '{user.username}' is disabled")
        elif user is not None:
            store.mark_success(attempt)
            store.forget_attempts(older_than=now - dt.timedelta(days=1), failures_of=name)
            account = _account(store, user)
            audit.record(
                session,
                actor=user.username,
                action="login.oidc",
                entity="user",
                entity_id=user.username,
                after={"issuer": issuer, "subject": subject},
            )
    if account is None:
        raise refusal or AuthenticationFailed("the sign-in was refused")
    return account


def _link_or_create(
    store: AccountStore,
    issuer: str,
    subject: str,
    username: str,
    display_name: str,
    auto_create: bool,
    now: dt.datetime,
) -> tuple[User | None, AuthenticationFailed | None]:
    user = store.find(username)
    if user is not None:
        if store.identity_subject(user.id, issuer) is not None:
            return None, AuthenticationFailed(
                f"the account '{username}' belongs to another identity at this provider"
            )
        store.link_identity(user.id, issuer, subject, now)
        return user, None
    if not auto_create:
        return None, AuthenticationFailed(
            f"there is no account '{username}' here; ask a workspace admin to create it"
        )
    if not USERNAME.match(username):
        return None, AuthenticationFailed(
            f"the provider's user name {username!r} cannot name an account here"
        )
    user = store.add(
        username=username,
        display_name=display_name[:200],
        password_hash=NO_PASSWORD,
        is_admin=False,
        created_at=now,
    )
    store.link_identity(user.id, issuer, subject, now)
    audit.record(
        store.session,
        actor=username,
        action="user.create",
        entity="user",
        entity_id=username,
        after={**_account(store, user).as_dict(), "issuer": issuer, "subject": subject},
    )
    return user, None


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{-(-seconds // 60)} minutes"


def start_session(workspace: Workspace, account: Account) -> tuple[str, str]:
    """A new session for ``account``: returns (cookie value, CSRF token). Old expired sessions are purged."""
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = _now()
    with workspace.transaction(counted=False) as session:  # no figure reads sessions
        AccountStore(session).start_session(
            digest=_digest(secret),
            user_id=account.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    return secret, csrf


def session_account(workspace: Workspace, secret: str) -> tuple[Account, str] | None:
    """The account and CSRF token of a live session, or None."""
    if not secret:
        return None
    with workspace.reading() as session:
        store = AccountStore(session)
        found = store.session_user(_digest(secret))
        if found is None:
            return None
        web_session, user = found
        if utc_aware(web_session.expires_at) < _now() or not user.is_active:
            return None
        return _account(store, user), web_session.csrf_token


def end_session(workspace: Workspace, secret: str) -> None:
    with workspace.transaction() as session:
        AccountStore(session).end_session(_digest(secret))


# --- API tokens -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenGrant:
    """What an API token lets its bearer do: act as ``account``, only reading where ``read_only``."""

    account: Account
    name: str
    read_only: bool
    expires_at: dt.datetime | None


def parse_expiry(text: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """When a token given ``--expires TEXT`` stops working: ``30d``, ``12h`` or ``2w`` from ``now``, or a
    date ``YYYY-MM-DD`` (at 00:00 UTC that day). Raises ``InputError`` for anything else or a past time."""
    now = now or _now()
    value = text.strip().lower()
    found = EXPIRY.match(value)
    if found is not None:
        moment = now + dt.timedelta(**{EXPIRY_UNITS[found.group(2)]: int(found.group(1))})
    else:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise InputError(
                Problem("token", None, "expires", f"use 30d, 12h, 2w or a date YYYY-MM-DD (got {text!r})")
            ) from None
        moment = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    if moment <= now:
        raise InputError(
            Problem("token", None, "expires", f"{moment:%Y-%m-%d %H:%M} UTC is not in the future")
        )
    return moment


def create_token(
    workspace: Workspace,
    username: str,
    name: str,
    *,
    by: str,
    expires_at: dt.datetime | None = None,
    read_only: bool = False,
) -> str:
    """A new API token for ``username``; the token is returned once and only its digest is kept.

    Without ``expires_at`` it works until revoked; with ``read_only`` it may only read (GET, HEAD).
    """
    now = _now()
    if expires_at is not None and utc_aware(expires_at) <= now:
        raise InputError(Problem("token", None, "expires", "must be in the future"))
    token = "mb_" + secrets.token_urlsafe(32)
    with workspace.transaction() as session:
        store = AccountStore(session)
        user = store.get(username)
        store.add_token(
            user_id=user.id,
            name=name or "token",
            token_hash=_digest(token),
            created_at=now,
            expires_at=None if expires_at is None else utc_aware(expires_at),
            read_only=read_only,
        )
        audit.record(
            session,
            actor=by,
            action="token.create",
            entity="user",
            entity_id=username,
            after={
                "token": name,
                "expires_at": None if expires_at is None else utc_aware(expires_at).isoformat(),
                "read_only": read_only,
            },
        )
    return token


def list_tokens(workspace: Workspace, username: str) -> list[dict[str, object]]:
    now = _now()
    with workspace.reading() as session:
        store = AccountStore(session)
        user = store.get(username)
        return [
            {
                "id": r.id,
                "name": r.name,
                "created_at": r.created_at,
                "last_used_at": r.last_used_at,
                "revoked": r.revoked,
                "expires_at": None if r.expires_at is None else utc_aware(r.expires_at),
                "expired": r.expires_at is not None and utc_aware(r.expires_at) <= now,
                "read_only": r.read_only,
            }
            for r in store.tokens(user.id)
        ]


def revoke_token(workspace: Workspace, username: str, token_id: int, *, by: str) -> None:
    with workspace.transaction() as session:
        store = AccountStore(session)
        user = store.get(username)
        row = store.token(token_id)
        if row is None or row.user_id != user.id:
            raise NotFound(f"{username} has no token {token_id}")
        if not row.revoked:
            store.revoke_token(token_id)
            audit.record(
                session,
                actor=by,
                action="token.revoke",
                entity="user",
                entity_id=username,
                before={"token": row.name, "revoked": False},
                after={"token": row.name, "revoked": True},
            )


def resolve_token(workspace: Workspace, token: str) -> TokenGrant:
    """What ``token`` grants now; raises ``AuthenticationFailed`` saying why where it grants nothing
    (unknown, revoked, expired, or the account is disabled).

    It only reads, so a script's reads go on while another process writes and on a read-only workspace;
    when the token was last used is noted at most every ``TOKEN_USE_NOTED`` and skipped where the
    workspace cannot take the write.
    """
    now = _now()
    verified = _verified(workspace, token, now)
    _note_use(workspace, verified, now)
    return verified.grant


@dataclass
class _Verified:
    """A token found valid: what it grants, its row id and when its use was last noted."""

    grant: TokenGrant
    token_id: int
    last_used_at: dt.datetime | None


def _verified(workspace: Workspace, token: str, now: dt.datetime) -> _Verified:
    unknown = AuthenticationFailed("the API token is unknown, revoked or belongs to a disabled account")
    if not token:
        raise unknown
    with workspace.reading() as session:
        store = AccountStore(session)
        found = store.token_user(_digest(token))
        if found is None:
            raise unknown
        row, user = found
        if row.revoked or not user.is_active:
            raise unknown
        expires_at = None if row.expires_at is None else utc_aware(row.expires_at)
        _refuse_expired(expires_at, now)
        grant = TokenGrant(_account(store, user), row.name, row.read_only, expires_at)
        last_used = None if row.last_used_at is None else utc_aware(row.last_used_at)
        return _Verified(grant, row.id, last_used)


def _refuse_expired(expires_at: dt.datetime | None, now: dt.datetime) -> None:
    if expires_at is not None and expires_at <= now:
        raise AuthenticationFailed(
            f"the API token expired at {expires_at:%Y-%m-%d %H:%M} UTC; make a new one"
        )


def _note_use(workspace: Workspace, verified: _Verified, now: dt.datetime) -> None:
    """Note the token's use where the last note is older than ``TOKEN_USE_NOTED`` (and the workspace can
    take the write: skipped where it cannot)."""
    last = verified.last_used_at
    if (last is None or now - last > TOKEN_USE_NOTED) and not workspace.read_only:
        verified.last_used_at = now
        note_token_use(workspace, verified.token_id, now)


VERIFIED_KEPT = 1_000
"""Tokens a process keeps verified at once; past this the oldest is verified afresh on its next use."""


class VerifiedTokens:
    """API tokens a long-running process (the web server) found valid, each kept with the count of the
    workspace's writes (``Workspace.changes()``) it was verified at, by the SHA-256 digest of the token.

    Revoking a token, disabling an account and changing a role are counted writes, here or in any other
    process: while the count read for a request equals the one a token was verified at, its grant is what
    reading the database would give, and costs no query (resolving a token was 16 % of a web worker's time
    under load). Its expiry is checked on every use, and its use still noted every ``TOKEN_USE_NOTED``.
    Only valid tokens are kept: an unknown one is looked up every time.
    """

    def __init__(self, limit: int = VERIFIED_KEPT) -> None:
        self.limit = limit
        self._kept: dict[str, tuple[int, _Verified]] = {}
        self._lock = threading.Lock()

    def resolve(self, workspace: Workspace, token: str, changes: int) -> TokenGrant:
        """As ``resolve_token``, where ``changes`` is the workspace's count of writes read before this call."""
        now = _now()
        digest = _digest(token)
        kept = self._kept.get(digest)
        if kept is not None and kept[0] == changes:
            verified = kept[1]
            _refuse_expired(verified.grant.expires_at, now)
        else:
            with self._lock:
                self._kept.pop(digest, None)
            verified = _verified(workspace, token, now)
            with self._lock:
                self._kept[digest] = (changes, verified)
                while len(self._kept) > self.limit:
                    del self._kept[next(iter(self._kept))]
        _note_use(workspace, verified, now)
        return verified.grant


def token_account(workspace: Workspace, token: str) -> Account | None:
    """The account an API token acts for, or None where it grants nothing now."""
    try:
        return resolve_token(workspace, token).account
    except AuthenticationFailed:
        return None
