"""Who is asking, and may they: sessions and API tokens, CSRF checks, security headers.

Pages authenticate with a session cookie (HTTP-only, SameSite=Lax, Secure unless the app serves plain
HTTP on loopback) and every form carries the session's CSRF token. Scripts authenticate with
``Authorization: Bearer <token>``; such requests carry no cookie and so need no CSRF token. A browser
calling the API with its cookie must send the token in ``X-CSRF-Token``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request

from missionboard.errors import MissionboardError
from missionboard.services import accounts
from missionboard.services.accounts import Account
from missionboard.store.workspace import Workspace

SESSION_COOKIE = "mb_session"
LOGIN_CSRF_COOKIE = "mb_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class LoginRequired(MissionboardError):
    """No valid session or token: pages redirect to the login page, the API answers 401."""


class CsrfFailed(MissionboardError):
    """A form or cookie-authenticated API call came without the session's CSRF token."""


@dataclass(frozen=True)
class WebConfig:
    secure_cookies: bool = True
    title: str = "missionboard"


@dataclass
class Caller:
    """The account behind a request (None for anonymous), how it authenticated, and its CSRF token."""

    account: Account | None
    via: str  # "session", "token" or "anonymous"
    csrf: str = ""

    @property
    def name(self) -> str:
        return self.account.username if self.account else "anonymous"


def workspace_of(request: Request) -> Workspace:
    workspace: Workspace = request.app.state.workspace
    return workspace


def client_address(request: Request) -> str:
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
        account = accounts.token_account(workspace, header[7:].strip())
        if account is None:
            raise LoginRequired("the API token is unknown, revoked or belongs to a disabled account")
        result = Caller(account, "token")
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


def check_api_csrf(request: Request) -> None:
    """Cookie-authenticated unsafe API calls must carry the CSRF header; token-authenticated ones need not."""
    who = caller(request)
    if request.method in UNSAFE_METHODS and who.via == "session":
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not secrets.compare_digest(sent, who.csrf):
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
