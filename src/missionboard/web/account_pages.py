"""Pages of one's own account: logging in and out, API tokens, the password."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from missionboard.errors import CsrfFailed
from missionboard.services import accounts
from missionboard.web.rendering import check_csrf, redirect, render
from missionboard.web.security import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    client_address,
    require_account,
    same_secret,
    workspace_of,
)

router = APIRouter(include_in_schema=False)


# --- logging in -----------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    import secrets

    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, "login.html", next=_safe_next(next), login_csrf=token, error="")
    _set_login_cookie(request, response, token)
    return response


def _set_login_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.config.secure_cookies,
        max_age=3600,
    )


def _safe_next(target: str) -> str:
    """Only same-site paths: never redirect a login to another host."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.post("/login")
async def login_post(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_login, request, form)


def _login(request: Request, form: FormData) -> Response:

    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    sent = str(form.get(CSRF_FIELD, ""))
    if not same_secret(sent, cookie):
        raise CsrfFailed("the login form's security token is missing or out of date; reload the page")
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    next_url = _safe_next(str(form.get("next", "/")))
    try:
        account = accounts.authenticate(
            workspace_of(request), username, password, address=client_address(request)
        )
    except accounts.AuthenticationFailed as exc:
        status = 429 if isinstance(exc, accounts.TooManyAttempts) else 401
        response = render(
            request,
            "login.html",
            status_code=status,
            next=next_url,
            login_csrf=cookie,
            error=str(exc),
            username=username,
        )
        if isinstance(exc, accounts.TooManyAttempts):
            response.headers["retry-after"] = str(exc.retry_after)
        return response
    secret, _csrf = accounts.start_session(workspace_of(request), account)
    done = redirect(next_url)
    done.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=request.app.state.config.secure_cookies,
        max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
    )
    done.delete_cookie(LOGIN_CSRF_COOKIE)
    return done


@router.post("/logout")
async def logout_post(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_logout, request, form)


def _logout(request: Request, form: FormData) -> Response:
    check_csrf(request, form)
    accounts.end_session(workspace_of(request), request.cookies.get(SESSION_COOKIE, ""))
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


# --- account --------------------------------------------------------------------------------------


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request) -> Response:
    account = require_account(request)
    tokens = accounts.list_tokens(workspace_of(request), account.username)
    return render(request, "account.html", tokens=tokens, new_token="")


@router.post("/account/tokens")
async def account_token_post(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_new_token, request, form)


def _new_token(request: Request, form: FormData) -> Response:
    account = check_csrf(request, form)
    expires = str(form.get("expires", "")).strip()
    token = accounts.create_token(
        workspace_of(request),
        account.username,
        str(form.get("name", "")).strip()[:100] or "script",
        by=account.username,
        expires_at=accounts.parse_expiry(expires) if expires else None,
        read_only=form.get("read_only") == "1",
    )
    tokens = accounts.list_tokens(workspace_of(request), account.username)
    return render(request, "account.html", tokens=tokens, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
async def account_revoke_post(request: Request, token_id: int) -> Response:
    form = await request.form()
    return await run_in_threadpool(_revoke, request, token_id, form)


def _revoke(request: Request, token_id: int, form: FormData) -> Response:
    account = check_csrf(request, form)
    accounts.revoke_token(workspace_of(request), account.username, token_id, by=account.username)
    return redirect("/account", "token")


@router.post("/account/password")
async def account_password_post(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_password, request, form)


def _password(request: Request, form: FormData) -> Response:
    account = check_csrf(request, form)
    workspace = workspace_of(request)
    accounts.authenticate(
        workspace, account.username, str(form.get("current", "")), address=client_address(request)
    )
    accounts.set_password(workspace, account.username, str(form.get("new", "")), by=account.username)
    response = redirect("/login", "password")
    response.delete_cookie(SESSION_COOKIE)
    return response
