"""Who is asking, and may they: sessions and API tokens, CSRF checks, security headers.

Pages authenticate with a session cookie (HTTP-only, SameSite=Lax, Secure unless the app serves plain
HTTP on loopback) and every form carries the session's CSRF token. Scripts authenticate with
``Authorization: Bearer <token>``; such requests carry no cookie and so need no CSRF token. A browser
calling the API with its cookie must send the token in ``X-CSRF-Token``. A read-only token may only read:
any other method is refused with 403; an expired token is refused with 401.

The caller's address is the TCP peer as the server hands it over. The app never reads
``X-Forwarded-For`` itself: only ``missionboard serve --forwarded-allow-ips`` makes uvicorn replace the
peer by the address a trusted proxy reports.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request

from missionboard.errors import AuthenticationFailed, CsrfFailed, Forbidden, LoginRequired
from missionboard.services import accounts
from missionboard.services.accounts import Account
from missionboard.store.workspace import Workspace

SESSION_COOKIE = "mb_session"
LOGIN_CSRF_COOKIE = "mb_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class WebConfig:
    secure_cookies: bool = True
    title: str = "missionboard"
    public_base_url: str = ""
    """Where people reach the app (``https://missions.agency.example``), for links that leave it:
    invitations, the report-back. Empty: the address of the request that makes the link."""


@dataclass
class Caller:
    """The account behind a request (None for anonymous), how it authenticated, and its CSRF token."""

    account: Account | None
    via: str  # "session", "token" or "anonymous"
    csrf: str = ""
    read_only: bool = False  # a read-only API token

    @property
    def name(self) -> str:
        return self.account.username if self.account else "anonymous"


def workspace_of(request: Request) -> Workspace:
    workspace: Workspace = request.app.state.workspace
    return workspace


def changes(request: Request) -> int:
    """The workspace's count of writes (``Workspace.changes()``), read once per request, before anything
    it validates: a value kept at this count is what the database holds for this request."""
    found = getattr(request.state, "changes", None)
    if not isinstance(found, int):
        found = request.state.changes = workspace_of(request).changes()
    return found


def client_address(request: Request) -> str:
    """The peer's address, for login throttling, rate limits and the audit log (never a header's claim)."""
    return request.client.host if request.client else "unknown"


def caller(request: Request) -> Caller:
    """Resolve (once per request) who is calling."""
    cached = getattr(request.state, "caller", None)
    if isinstance(cached, Caller):
        return cached
    workspace = workspace_of(request)
    header = request.headers.get("authorization", "")
    result = Caller(None, "anonymous")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
        verified: accounts.VerifiedTokens | None = getattr(request.app.state, "tokens", None)
        try:
            if verified is not None and request.method.upper() in SAFE_METHODS:
                grant = verified.resolve(workspace, token, changes(request))
            else:  # a write checks its token against the database itself
                grant = accounts.resolve_token(workspace, token)
        except AuthenticationFailed as exc:
            raise LoginRequired(str(exc)) from None
        if grant.read_only and request.method.upper() not in SAFE_METHODS:
            raise Forbidden(f"the API token '{grant.name}' is read-only: it may not {request.method} here")
        result = Caller(grant.account, "token", read_only=grant.read_only)
    else:
        cookie = request.cookies.get(SESSION_COOKIE, "")
        found = accounts.session_account(workspace, cookie) if cookie else None
        if found is not None:
            result = Caller(found[0], "session", found[1])
    request.state.caller = result
    return result


def require_account(request: Request) -> Account:
    account = caller(request).account
    if account is None:
        raise LoginRequired("log in first")
    return account


def same_secret(sent: str, expected: str) -> bool:
    """Constant-time comparison of a token someone sent with the one we hold; any text, never an error.

    ``secrets.compare_digest`` refuses non-ASCII ``str``: compared as UTF-8 bytes, a forged token with
    odd characters is simply wrong.
    """
    if not sent or not expected:
        return False
    return secrets.compare_digest(
        sent.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


def check_api_csrf(request: Request) -> None:
    """Unsafe API calls need an account — checked here, before the body is read and validated, so an
    anonymous write is a 401, not a list of what its body got wrong — and cookie-authenticated ones must
    carry the CSRF header; token-authenticated ones need not."""
    who = caller(request)
    if request.method in UNSAFE_METHODS and who.account is None:
        raise LoginRequired("log in first")
    if request.method in UNSAFE_METHODS and who.via == "session":
        sent = request.headers.get(CSRF_HEADER, "")
        if not same_secret(sent, who.csrf):
            raise CsrfFailed("missing or wrong X-CSRF-Token header")


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}
