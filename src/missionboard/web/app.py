"""The ASGI app: server-rendered pages, the JSON API under /api/v1, and how errors become responses."""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from missionboard import __version__
from missionboard.errors import InputError, LoginRequired, MissionboardError
from missionboard.services.accounts import VerifiedTokens
from missionboard.settings import Settings
from missionboard.store.workspace import Workspace, workspace_error
from missionboard.web import (
    account_pages,
    admin_pages,
    api,
    board_pages,
    compare_pages,
    consultations,
    decision_pages,
    import_pages,
    landscape_api,
    landscape_pages,
    language_pages,
    learning_pages,
    mission_pages,
    oidc,
    project_pages,
    review_pages,
)
from missionboard.web.figures import prewarm as prewarm_caches
from missionboard.web.limits import BodyLimit, Upload
from missionboard.web.queries import Stamped, TtlCache
from missionboard.web.rendering import templates, templates_for
from missionboard.web.security import (
    SECURITY_HEADERS,
    WebConfig,
    caller,
    require_account,
)

HERE = Path(__file__).parent
PAGES = (
    account_pages.router,
    oidc.router,
    compare_pages.router,
    board_pages.router,
    learning_pages.router,
    landscape_pages.router,
    mission_pages.router,
    project_pages.router,
    decision_pages.router,
    review_pages.router,
    import_pages.router,
    admin_pages.router,
    consultations.router,
    language_pages.router,
)
"""The server-rendered pages, one router per group, mounted after the API in this order."""


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(
    request: Request,
    status: int,
    message: str,
    problems: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    headers = dict(headers or {})
    if _is_api(request):
        body: dict[str, Any] = {"error": message}
        if problems:
            body["problems"] = problems
        if status == 401:
            headers["www-authenticate"] = "Bearer"
        return JSONResponse(body, status_code=status, headers=headers)
    who = getattr(request.state, "caller", None)
    if who is None and status != 401:  # a page that failed before it asked who calls: keep the signed-in nav
        try:
            who = caller(request)
        except Exception:  # an unreadable session or a busy workspace: the page shows "Log in"
            who = None
    return templates_for(request).TemplateResponse(  # in the user's language
        request,
        "error.html",
        {
            "status": status,
            "error_message": message,
            "problems": problems or [],
            "me": who.account if who else None,
            "csrf": who.csrf if who else "",
            "path": request.url.path,
        },
        status_code=status,
        headers=headers,
    )


WEB_LINES: dict[str, str] = {
    "workspace.busy": "the workspace is busy: another process is writing to it; try again in a few seconds",
    "workspace.read_only": "the workspace is read-only: nothing was written; reading still works",
    "workspace.full": "the workspace's disk is full: nothing was written",
    "input.unstorable": "the request holds a value the database cannot store or compare",
}
"""What the web says instead of the error's own message, by the error's ``key``: when the workspace
cannot take a write, one line without the server's file path or database URL that the CLI's message
names."""

log = logging.getLogger("missionboard.web")


def answer(request: Request, exc: Exception) -> Response:
    """The response for any error: a user's or the workspace's gets its status and one line (the API as
    JSON ``{"error": …}``, pages as the error page); anything else is a bug, logged with its traceback
    and answered with a generic 500."""
    if isinstance(exc, LoginRequired):
        if _is_api(request):
            return _error(request, 401, str(exc))
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    if not isinstance(exc, MissionboardError):  # a database's: a lock, a read-only file, a full disk, a NUL …
        exc = workspace_error(exc, request.app.state.workspace.url) or exc
    if isinstance(exc, MissionboardError):
        problems = [p.as_dict() for p in exc.problems] if isinstance(exc, InputError) else None
        retry_after = exc.params.get("retry_after")  # busy workspace, throttled login, rate limit
        headers = {"retry-after": str(retry_after)} if retry_after is not None else None
        return _error(request, exc.http_status, WEB_LINES.get(exc.key, str(exc)), problems, headers)
    if isinstance(exc, RequestValidationError):
        return _error(request, 422, "the request is not valid", _validation_problems(exc))
    if isinstance(exc, OverflowError) and "convert" in str(exc):
        # an id or page number beyond 64 bits: "Python int too large to convert to SQLite INTEGER"
        return _error(request, 422, "a number in the request is out of range")
    if isinstance(exc, StarletteHTTPException):
        return _error(request, exc.status_code, str(exc.detail), headers=exc.headers)
    log.error("unexpected error answering %s %s", request.method, request.url.path, exc_info=exc)
    message = "something went wrong on our side; it has been logged"
    try:
        return _error(request, 500, message)
    except Exception:  # the error page itself failed: plain JSON still carries the headers
        return JSONResponse({"error": message}, status_code=500)


def _validation_problems(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "file": "",
            "line": None,
            "field": ".".join(str(p) for p in e.get("loc", ())),
            "message": e.get("msg", ""),
        }
        for e in exc.errors()
    ]


def _install_error_handlers(app: FastAPI) -> None:
    handled = (MissionboardError, RequestValidationError, OverflowError, StarletteHTTPException)
    for kind in handled:
        app.add_exception_handler(kind, answer)
    # Unexpected errors are answered by the headers middleware in create_app; this catches what fails
    # outside it (Starlette's ServerErrorMiddleware), so even that 500 carries the security headers.
    app.add_exception_handler(Exception, _outermost)


def _outermost(request: Request, exc: Exception) -> Response:
    response = answer(request, exc)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _may_import(request: Request) -> None:
    require_account(request).require_admin("import files")


def _uploads(settings: Settings) -> list[Upload]:
    """The routes that take large bodies, and who may send one (checked before reading it)."""
    imports = settings.import_body_limit
    return [
        Upload("POST", re.compile(r"/api/v1/imports"), imports, _may_import),
        Upload("POST", re.compile(r"/import"), imports, _may_import),
        Upload(
            "POST",
            re.compile(r"/consultations/[^/]+/import"),
            max(settings.body_limit, consultations.IMPORT_LIMIT + consultations.FORM_ENVELOPE),
            consultations.may_import,
        ),
    ]


def _prewarm(app: FastAPI) -> None:
    try:
        prewarm_caches(app)
    except Exception as exc:  # a cold cache is slower, not broken
        logging.getLogger("missionboard.web").warning("prewarming the caches failed: %s", exc)
    finally:
        app.state.warm.set()


def create_app(
    workspace: Workspace,
    *,
    secure_cookies: bool = True,
    prewarm: bool = False,
    settings: Settings | None = None,
) -> FastAPI:
    """The web app over ``workspace``. ``secure_cookies=False`` only for plain HTTP on loopback;
    ``prewarm`` fills the explorer's facets and the mission trees in the background at start;
    ``settings`` (default: from the environment) gives the request-body limits, the public base URL of
    links that leave the app and the OpenID Connect sign-in."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if prewarm:
            threading.Thread(target=_prewarm, args=(app,), name="missionboard-prewarm", daemon=True).start()
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="missionboard",
        version=__version__,
        summary="Missions, portfolios, mapping, analytics and monitoring for mission-oriented innovation policy.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.workspace = workspace
    app.state.settings = settings  # sign-in through OpenID Connect reads its settings here
    app.state.config = WebConfig(
        secure_cookies=secure_cookies, public_base_url=settings.public_base_url or ""
    )
    app.state.cache = TtlCache(300, stamp=workspace.changes)  # follows writes of other processes
    app.state.facets = TtlCache(300, stamp=workspace.changes)
    # the explorer's charts, keyed by the count of writes they were computed at: never stale
    app.state.summaries = TtlCache(math.inf, limit=256)
    app.state.tokens = VerifiedTokens()  # API tokens verified at the workspace's current count of writes
    app.state.missions = Stamped()  # missions as read at the current count of writes
    app.state.warm = threading.Event()
    if not prewarm:
        app.state.warm.set()
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(api.router, prefix="/api/v1")
    app.include_router(landscape_api.router, prefix="/api/v1")
    for router in PAGES:
        app.include_router(router)
    _install_error_handlers(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz(request: Request) -> dict[str, Any]:
        """For load balancers and scripts: this worker answers, and whether its caches are filled yet."""
        return {"status": "ok", "warm": request.app.state.warm.is_set()}

    # Added first, so it runs inside the headers middleware below: its refusals carry the headers too.
    app.add_middleware(BodyLimit, limit=settings.body_limit, uploads=_uploads(settings), refuse=answer)
    app.add_middleware(HeadAsGet)

    app.add_middleware(SecurityHeaders)

    return app


class SecurityHeaders:
    """The outermost layer: every response carries the security headers and a cache policy (static files
    an hour, everything else never), an address with a NUL character is refused, and an error nothing
    inside answered (a bug) becomes a logged 500 with the headers. Plain ASGI: Starlette's
    ``BaseHTTPMiddleware`` ran each request through a task and a memory stream (7.6 % of a worker's time
    under load with py-spy, bench/web_load.py)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        cache = "public, max-age=3600" if request.url.path.startswith("/static/") else "no-store"
        started = False

        async def with_headers(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("cache-control", cache)
            await send(message)

        if "\x00" in unquote(request.url.path) or "\x00" in unquote(request.url.query):
            await _error(request, 400, "the address holds a NUL character")(scope, receive, with_headers)
            return
        try:
            await self.app(scope, receive, with_headers)
        except Exception as exc:  # the last resort: a bug, answered 500 with the headers, and logged
            if started:
                raise
            await answer(request, exc)(scope, receive, with_headers)


class HeadAsGet:
    """``HEAD`` answers as ``GET`` would, without the body (RFC 9110): probes and link checkers use it, and
    the routes declare GET only. Uvicorn sends no body for a HEAD request; this drops it for any server."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Any) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


def from_environment() -> FastAPI:
    """The app for uvicorn's ``--factory`` with several worker processes: the workspace and cookie
    setting come from ``MISSIONBOARD_DATABASE_URL``/``MISSIONBOARD_WORKSPACE`` and
    ``MISSIONBOARD_SECURE_COOKIES`` and ``MISSIONBOARD_READ_ONLY`` (set by ``missionboard serve --workers N``)."""
    import os

    from missionboard.settings import Settings

    secure = os.environ.get("MISSIONBOARD_SECURE_COOKIES", "1") not in ("0", "false", "no")
    read_only = os.environ.get("MISSIONBOARD_READ_ONLY", "0") in ("1", "true", "yes")
    workspace = Workspace.open(Settings().url(), read_only=read_only)
    return create_app(workspace, secure_cookies=secure, prewarm=True)


__all__ = ["caller", "create_app", "from_environment", "templates"]
