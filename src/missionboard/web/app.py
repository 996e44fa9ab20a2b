"""The ASGI app: server-rendered pages, the JSON API under /api/v1, and how errors become responses."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from missionboard import __version__
from missionboard.errors import InputError, MissionboardError, NotFound
from missionboard.services.accounts import AuthenticationFailed, Forbidden, TooManyAttempts
from missionboard.services.consultations import AlreadyResponded, RateLimited
from missionboard.store import web_tables  # noqa: F401  (registers the web tables on the metadata)
from missionboard.store.workspace import Workspace
from missionboard.web import charts
from missionboard.web.integrations import NotAvailable
from missionboard.web.queries import TtlCache
from missionboard.web.security import SECURITY_HEADERS, CsrfFailed, LoginRequired, WebConfig, caller

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals.update(
    bars=charts.bars, columns=charts.columns, indicator_chart=charts.indicator, compact=charts.compact
)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(
    request: Request, status: int, message: str, problems: list[dict[str, Any]] | None = None
) -> Response:
    if _is_api(request):
        body: dict[str, Any] = {"error": message}
        if problems:
            body["problems"] = problems
        headers = {"www-authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(body, status_code=status, headers=headers)
    who = getattr(request.state, "caller", None)
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "status": status,
            "message": message,
            "problems": problems or [],
            "me": who.account if who else None,
            "csrf": who.csrf if who else "",
            "path": request.url.path,
        },
        status_code=status,
    )


ERROR_STATUS: tuple[tuple[type[MissionboardError], int], ...] = (
    (CsrfFailed, 403),
    (Forbidden, 403),
    (TooManyAttempts, 429),
    (RateLimited, 429),
    (AuthenticationFailed, 401),
    (NotFound, 404),
    (AlreadyResponded, 409),
    (InputError, 422),
    (NotAvailable, 501),
)
"""The HTTP status of each error a user can cause (most specific first); any other one is a 400."""


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    def _login_required(request: Request, exc: LoginRequired) -> Response:
        if _is_api(request):
            return _error(request, 401, str(exc))
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(MissionboardError)
    def _user_error(request: Request, exc: MissionboardError) -> Response:
        status = next((code for kind, code in ERROR_STATUS if isinstance(exc, kind)), 400)
        problems = [p.as_dict() for p in exc.problems] if isinstance(exc, InputError) else None
        return _error(request, status, str(exc), problems)

    @app.exception_handler(RequestValidationError)
    def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {
                "file": "",
                "line": None,
                "field": ".".join(str(p) for p in e.get("loc", ())),
                "message": e.get("msg", ""),
            }
            for e in exc.errors()
        ]
        return _error(request, 422, "the request is not valid", problems)

    @app.exception_handler(DataError)
    def _data(request: Request, exc: DataError) -> Response:
        # e.g. a NUL character or an out-of-range number that the database refuses to store or compare
        return _error(request, 422, "the request holds a value the database cannot store or compare")

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail))


def _prewarm(app: FastAPI) -> None:
    from missionboard.web import pages

    try:
        pages.prewarm(app)
    except Exception as exc:  # a cold cache is slower, not broken
        logging.getLogger("missionboard.web").warning("prewarming the caches failed: %s", exc)
    finally:
        app.state.warm.set()


def create_app(workspace: Workspace, *, secure_cookies: bool = True, prewarm: bool = False) -> FastAPI:
    """The web app over ``workspace``. ``secure_cookies=False`` only for plain HTTP on loopback;
    ``prewarm`` fills the explorer's facets and the mission trees in the background at start."""
    from missionboard.web import api, consultations, pages

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
    app.state.config = WebConfig(secure_cookies=secure_cookies)
    app.state.cache = TtlCache(300)
    app.state.facets = TtlCache(300)
    app.state.warm = threading.Event()
    if not prewarm:
        app.state.warm.set()
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(api.router, prefix="/api/v1")
    app.include_router(pages.router)
    app.include_router(consultations.router)
    _install_error_handlers(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz(request: Request) -> dict[str, Any]:
        """For load balancers and scripts: this worker answers, and whether its caches are filled yet."""
        return {"status": "ok", "warm": request.app.state.warm.is_set()}

    @app.middleware("http")
    async def _headers(request: Request, call_next: Any) -> Response:
        if "\x00" in unquote(request.url.path) or "\x00" in unquote(request.url.query):
            response: Response = _error(request, 400, "the address holds a NUL character")
        else:
            response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith("/static/"):
            response.headers.setdefault("cache-control", "public, max-age=3600")
        else:
            response.headers.setdefault("cache-control", "no-store")
        return response

    return app


def from_environment() -> FastAPI:
    """The app for uvicorn's ``--factory`` with several worker processes: the workspace and cookie
    setting come from ``MISSIONBOARD_DATABASE_URL``/``MISSIONBOARD_WORKSPACE`` and
    ``MISSIONBOARD_SECURE_COOKIES`` (set by ``missionboard serve --workers N``)."""
    import os

    from missionboard.settings import Settings

    secure = os.environ.get("MISSIONBOARD_SECURE_COOKIES", "1") not in ("0", "false", "no")
    return create_app(Workspace.open(Settings().url()), secure_cookies=secure, prewarm=True)


__all__ = ["caller", "create_app", "from_environment", "templates"]
