"""Rendering the pages: the one Jinja environment (``templates``, with the chart helpers as globals), a
page with what every template reads (who is logged in, the CSRF token, the flash message, the path), the
redirect after a posted form, and the check of that form's CSRF token.

Every page module, the consultation pages and the app's error page render through this module; it
imports no route module and not the app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from missionboard.errors import CsrfFailed, LoginRequired
from missionboard.services.accounts import Account
from missionboard.web import charts
from missionboard.web.security import CSRF_FIELD, caller, same_secret

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals.update(
    bars=charts.bars, columns=charts.columns, indicator_chart=charts.indicator, compact=charts.compact
)
templates.env.filters["human"] = charts.human  # stored codes in words: rd_grant → "R&D grant"


MESSAGES = {
    "saved": "Saved.",
    "unchanged": "Nothing changed, so no new version was written.",
    "created": "Created.",
    "deleted": "Deleted.",
    "reviewed": "Review recorded.",
    "reviewed_many": "Reviews recorded for every link you confirmed.",
    "note": "Note added to the learning log.",
    "role": "Role updated.",
    "token": "Token revoked.",
    "user": "User updated.",
    "imported": "Import finished.",
    "decision": "Decision recorded.",
    "gate": "Gate scheduled.",
    "appeal": "Appeal lodged.",
    "ruling": "Appeal ruled on.",
    "password": "Password changed.",
    "commented": "Comment added.",
    "assigned": "Review queue assigned.",
    "assignment_done": "Assignment marked as done.",
}


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    who = caller(request)
    context.setdefault("me", who.account)
    context.setdefault("csrf", who.csrf)
    context.setdefault("message", MESSAGES.get(request.query_params.get("msg", ""), ""))
    context.setdefault("path", request.url.path)
    response: HTMLResponse = templates.TemplateResponse(request, name, context, status_code=status_code)
    return response


def redirect(url: str, msg: str | None = None) -> RedirectResponse:
    if msg:
        url += ("&" if "?" in url else "?") + urlencode({"msg": msg})
    return RedirectResponse(url, status_code=303)


def check_csrf(request: Request, form: FormData) -> Account:
    """The logged-in account, once the form's CSRF token matches its session."""

    who = caller(request)
    if who.account is None:
        raise LoginRequired("log in first")
    sent = str(form.get(CSRF_FIELD, ""))
    if who.via != "session" or not same_secret(sent, who.csrf):
        raise CsrfFailed("the form's security token is missing or out of date; reload the page and try again")
    return who.account
