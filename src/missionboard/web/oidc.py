"""Signing in through an OpenID Connect provider (Keycloak, Entra ID, Google …): the authorization-code flow
with PKCE.

``GET /login/oidc`` keeps a new sign-in server-side (its state, nonce and PKCE code verifier, for
``OIDC_LOGIN_LIFETIME``), ties it to the browser with a short-lived HTTP-only cookie holding the state, and
sends the browser to the provider. ``GET /login/oidc/callback`` takes that sign-in once, exchanges the code
at the token endpoint with the code verifier, and checks the ID token: its signature with the provider's
key of its ``kid`` (from the JWKS), ``iss``, ``aud`` (and ``azp``), ``exp``, ``iat`` and ``nonce``. The
account is then found by the identity linked before, or by the user-name claim, and a session starts as
after a password login (same cookie, CSRF token and throttling; audited as ``login.oidc``).

The provider's configuration and keys are read at the first sign-in, not at import or start, and kept
for the app's lifetime (the keys are read again when a token names a key they lack). Any failure answers
the error page with one line, and nobody is signed in.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import KeySet

from missionboard.errors import AuthenticationFailed, NotFound, ProviderUnreachable, TooManyAttempts
from missionboard.services import accounts
from missionboard.settings import Settings
from missionboard.web.rendering import render, templates
from missionboard.web.security import SESSION_COOKIE, client_address, same_secret, workspace_of

router = APIRouter(include_in_schema=False)

STATE_COOKIE = "mb_oidc_state"
CALLBACK = "/login/oidc/callback"
HTTP_TIMEOUT = 5.0
"""Seconds to wait for the provider's configuration, keys or token endpoint."""
MAX_ANSWER = 1024 * 1024
LEEWAY = 60
"""Seconds the provider's clock and ours may differ when checking ``exp`` and ``iat``."""
SIGNING_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
"""Accepted ID token signatures: public-key ones only (no 'none', no shared-secret HMAC)."""


@dataclass(frozen=True)
class Provider:
    """What the provider's ``/.well-known/openid-configuration`` says and this client needs."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: frozenset[str]
    basic_auth: bool


class OidcClient:
    """The app's client of one provider; caches its configuration and keys (safe across threads)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._provider: Provider | None = None
        self._keys: KeySet | None = None

    @property
    def enabled(self) -> bool:
        return self.settings.oidc_enabled()

    @property
    def name(self) -> str:
        if self.settings.oidc_provider_name:
            return self.settings.oidc_provider_name
        return urlsplit(self.settings.oidc_issuer or "").hostname or "your identity provider"

    @property
    def client_id(self) -> str:
        return self.settings.oidc_client_id or ""

    def provider(self) -> Provider:
        with self._lock:
            if self._provider is None:
                self._provider = _discover(self.settings.oidc_issuer or "")
            return self._provider

    def keys(self, *, refresh: bool = False) -> KeySet:
        with self._lock:
            if self._keys is None or refresh:
                provider = self._provider or _discover(self.settings.oidc_issuer or "")
                answer = _fetch_json(provider.jwks_uri, what="keys (JWKS)")
                try:
                    self._keys = KeySet.import_key_set(answer)  # type: ignore[arg-type]
                except (JoseError, ValueError, KeyError, TypeError) as exc:
                    raise ProviderUnreachable(
                        f"the identity provider's keys (JWKS) cannot be read: {exc}"
                    ) from None
            return self._keys

    def authorization_url(self, redirect_uri: str, state: str, nonce: str, verifier: str) -> str:
        endpoint = self.provider().authorization_endpoint
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "scope": self.settings.oidc_scopes,
                "state": state,
                "nonce": nonce,
                "code_challenge": create_s256_code_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        return endpoint + ("&" if "?" in endpoint else "?") + query

    def exchange(self, code: str, verifier: str, redirect_uri: str) -> str:
        """The ID token the token endpoint gives for ``code``; refusals raise ``AuthenticationFailed``."""
        provider = self.provider()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": self.client_id,
        }
        headers: dict[str, str] = {}
        secret = self.settings.oidc_client_secret
        if secret is not None and provider.basic_auth:
            pair = f"{_form(self.client_id)}:{_form(secret.get_secret_value())}".encode()
            headers["authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        elif secret is not None:
            form["client_secret"] = secret.get_secret_value()
        answer = _fetch_json(provider.token_endpoint, what="token endpoint", form=form, headers=headers)
        token = answer.get("id_token")
        if not isinstance(token, str) or not token:
            raise AuthenticationFailed(
                "the identity provider sent no ID token (is 'openid' among the scopes?)"
            )
        return token

    def validate(self, token: str, nonce: str) -> dict[str, Any]:
        """The claims of a valid ID token for this sign-in; ``AuthenticationFailed`` says what is wrong."""
        provider = self.provider()
        try:
            header = jws.extract_compact(token.encode("ascii")).protected
        except (JoseError, ValueError, UnicodeError):
            raise AuthenticationFailed("the ID token is not a signed JSON Web Token") from None
        algorithm = header.get("alg")
        if algorithm not in provider.algorithms:
            raise AuthenticationFailed(f"the ID token's signature algorithm {algorithm!r} is not accepted")
        key = self._key(header.get("kid"))
        try:
            claims = jwt.decode(token, key, algorithms=[str(algorithm)]).claims
        except BadSignatureError:
            raise AuthenticationFailed("the ID token's signature does not match the provider's key") from None
        except (JoseError, ValueError) as exc:
            raise AuthenticationFailed(f"the ID token cannot be read: {exc}") from None
        _check_claims(claims, issuer=provider.issuer, client_id=self.client_id, nonce=nonce)
        return claims

    def _key(self, kid: object) -> Any:
        for refresh in (False, True):  # a key not seen yet: the provider may have rotated its keys
            keys = [key for key in self.keys(refresh=refresh).keys if key.get("use") in (None, "sig")]
            if kid is None and len(keys) == 1:
                return keys[0]
            found = [key for key in keys if kid is not None and key.kid == kid]
            if found:
                return found[0]
        raise AuthenticationFailed(f"the ID token names a key ({kid!r}) the provider does not publish")

    def username(self, claims: dict[str, Any]) -> str:
        """The account name the claims give: the configured claim, else ``email``, else ``sub``."""
        for claim in (self.settings.oidc_username_claim, "email", "sub"):
            value = claims.get(claim)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return ""


def configure(app: FastAPI, settings: Settings) -> OidcClient:
    """Use ``settings``' provider for ``app`` (without this, the environment's settings at first use)."""
    client = OidcClient(settings)
    app.state.oidc = client
    return client


def client_of(request: Request) -> OidcClient:
    client = getattr(request.app.state, "oidc", None)
    if not isinstance(client, OidcClient):
        with _CONFIGURING:
            client = getattr(request.app.state, "oidc", None)
            if not isinstance(client, OidcClient):
                settings = getattr(request.app.state, "settings", None)
                client = configure(request.app, settings if isinstance(settings, Settings) else Settings())
    return client


_CONFIGURING = threading.Lock()


def provider_name(request: Request) -> str:
    """The provider's name for 'Sign in with …', or '' where no provider is configured."""
    client = client_of(request)
    return client.name if client.enabled else ""


templates.env.globals["oidc_provider_name"] = provider_name


# --- the routes -----------------------------------------------------------------------------------


@router.get("/login/oidc", response_class=HTMLResponse)
def oidc_start(request: Request, next: str = "/") -> Response:
    client = _enabled_client(request)
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    redirect_uri = _redirect_uri(request, client)
    try:
        target = client.authorization_url(redirect_uri, state, nonce, verifier)
    except ProviderUnreachable as exc:
        return _refusal(request, 502, str(exc))
    accounts.begin_oidc_login(
        workspace_of(request),
        state,
        nonce=nonce,
        code_verifier=verifier,
        next_url=_same_site(next),
        redirect_uri=redirect_uri,
    )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        STATE_COOKIE,
        state,
        max_age=int(accounts.OIDC_LOGIN_LIFETIME.total_seconds()),
        path="/login/oidc",
        httponly=True,
        samesite="lax",  # sent when the provider sends the browser back (a top-level GET)
        secure=request.app.state.config.secure_cookies,
    )
    return response


@router.get(CALLBACK, response_class=HTMLResponse)
def oidc_callback(request: Request) -> Response:
    client = _enabled_client(request)
    workspace = workspace_of(request)
    address = client_address(request)
    try:
        accounts.check_oidc_throttle(workspace, address)
        pending = _take(request)
        claims = _verified_claims(request, client, pending)
    except TooManyAttempts:
        raise
    except ProviderUnreachable as exc:
        return _refusal(request, 502, str(exc))
    except AuthenticationFailed as exc:
        accounts.note_failed_login(workspace, address)
        return _refusal(request, 401, str(exc))
    account = accounts.oidc_sign_in(
        workspace,
        issuer=client.provider().issuer,
        subject=str(claims["sub"]),
        username=client.username(claims),
        display_name=str(claims.get("name") or ""),
        auto_create=client.settings.oidc_auto_create,
        address=address,
    )
    secret, _csrf = accounts.start_session(workspace, account)
    done = RedirectResponse(pending.next_url, status_code=303)
    done.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=request.app.state.config.secure_cookies,
        max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
    )
    done.delete_cookie(STATE_COOKIE, path="/login/oidc")
    return done


def _take(request: Request) -> accounts.PendingOidcLogin:
    """The sign-in under way that this callback finishes: its state must be this browser's."""
    state = request.query_params.get("state", "")
    if not same_secret(state, request.cookies.get(STATE_COOKIE, "")):
        raise AuthenticationFailed("the sign-in's state does not match this browser's; start it again")
    return accounts.take_oidc_login(workspace_of(request), state)


def _verified_claims(
    request: Request, client: OidcClient, pending: accounts.PendingOidcLogin
) -> dict[str, Any]:
    error = request.query_params.get("error")
    if error:
        detail = request.query_params.get("error_description", "")
        raise AuthenticationFailed(
            f"the identity provider refused the sign-in: {error} {detail}".strip()[:300]
        )
    code = request.query_params.get("code", "")
    if not code:
        raise AuthenticationFailed("the identity provider sent no authorization code")
    token = client.exchange(code, pending.code_verifier, pending.redirect_uri)
    return client.validate(token, pending.nonce)


def _enabled_client(request: Request) -> OidcClient:
    client = client_of(request)
    if not client.enabled:
        raise NotFound("sign-in through an identity provider is not configured here")
    return client


def _redirect_uri(request: Request, client: OidcClient) -> str:
    base = client.settings.public_base_url or str(request.base_url).rstrip("/")
    return base + CALLBACK


def _same_site(target: str) -> str:
    """Only same-site paths: never send a signed-in browser to another host."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def _refusal(request: Request, status: int, line: str) -> Response:
    response = render(
        request, "error.html", status_code=status, status=status, error_message=line, problems=[]
    )
    response.delete_cookie(STATE_COOKIE, path="/login/oidc")
    return response


# --- talking to the provider ------------------------------------------------------------------------


def _discover(issuer: str) -> Provider:
    answer = _fetch_json(f"{issuer}/.well-known/openid-configuration", what="configuration")
    stated = answer.get("issuer")
    if not isinstance(stated, str) or stated.rstrip("/") != issuer.rstrip("/"):
        raise ProviderUnreachable(
            f"the identity provider's configuration names the issuer {stated!r}, not {issuer!r}"
        )
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = answer.get(name)
        if not isinstance(value, str) or not value.startswith(("https://", "http://")):
            raise ProviderUnreachable(f"the identity provider's configuration lacks a usable {name}")
        endpoints[name] = value
    offered = answer.get("id_token_signing_alg_values_supported") or ["RS256"]
    methods = answer.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    return Provider(
        issuer=stated,
        authorization_endpoint=endpoints["authorization_endpoint"],
        token_endpoint=endpoints["token_endpoint"],
        jwks_uri=endpoints["jwks_uri"],
        algorithms=frozenset(str(a) for a in offered) & SIGNING_ALGORITHMS,
        basic_auth="client_secret_basic" in methods,
    )


def _fetch_json(
    url: str, *, what: str, form: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """A JSON object from the provider; ``ProviderUnreachable`` where it cannot be had, and
    ``AuthenticationFailed`` where the token endpoint refuses (an OAuth error answer)."""
    if not url.startswith(("https://", "http://")):
        raise ProviderUnreachable(f"the identity provider's {what} is not at an http(s) address")
    data = urlencode(form).encode("ascii") if form is not None else None
    request = urllib.request.Request(
        url, data=data, headers={"accept": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as answer:
            body = answer.read(MAX_ANSWER)
    except urllib.error.HTTPError as exc:
        refusal = _oauth_error(exc) if form is not None else None
        if refusal:
            raise AuthenticationFailed(f"the identity provider refused the sign-in: {refusal}") from None
        raise ProviderUnreachable(f"the identity provider's {what} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ProviderUnreachable(f"the identity provider's {what} cannot be reached ({reason})") from None
    try:
        parsed = json.loads(body)
    except ValueError:
        raise ProviderUnreachable(f"the identity provider's {what} did not answer JSON") from None
    if not isinstance(parsed, dict):
        raise ProviderUnreachable(f"the identity provider's {what} did not answer a JSON object")
    return parsed


def _oauth_error(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read(MAX_ANSWER))
    except (ValueError, OSError):
        return ""
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return ""
    return f"{body['error']} {body.get('error_description') or ''}".strip()[:300]


def _form(value: str) -> str:
    """A client id or secret as HTTP Basic authentication at a token endpoint wants it (RFC 6749 2.3.1)."""
    return quote_plus(value)


def _check_claims(claims: dict[str, Any], *, issuer: str, client_id: str, nonce: str) -> None:
    if claims.get("iss") != issuer:
        raise AuthenticationFailed(f"the ID token was issued by {claims.get('iss')!r}, not {issuer!r}")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
    if client_id not in audiences:
        raise AuthenticationFailed("the ID token is meant for another client (its audience lacks this one)")
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise AuthenticationFailed("the ID token has several audiences and was not issued to this client")
    now = time.time()
    expires, issued = claims.get("exp"), claims.get("iat")
    if not isinstance(expires, int | float) or isinstance(expires, bool):
        raise AuthenticationFailed("the ID token has no expiry time")
    if expires + LEEWAY < now:
        raise AuthenticationFailed("the ID token has expired")
    if not isinstance(issued, int | float) or isinstance(issued, bool) or issued - LEEWAY > now:
        raise AuthenticationFailed("the ID token has no issue time, or one in the future")
    sent = claims.get("nonce")
    if not isinstance(sent, str) or not same_secret(sent, nonce):
        raise AuthenticationFailed("the ID token's nonce does not match this sign-in (a replayed token?)")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise AuthenticationFailed("the ID token names no subject")
