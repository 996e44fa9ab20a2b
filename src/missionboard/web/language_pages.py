"""The language chooser: ``/language?lang=nb&next=/…`` remembers the choice in a cookie and goes back."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from missionboard.web import i18n

router = APIRouter(include_in_schema=False)

CHOICE_LIFETIME = 365 * 24 * 3600
"""How long the browser remembers the chosen language, in seconds (a year)."""


@router.get("/language")
def choose_language(request: Request, lang: str = "en", next: str = "/") -> Response:
    """Remember ``lang`` (English for one we lack) and go back to ``next``, a path of this site."""
    response = RedirectResponse(same_site(next), status_code=303)
    response.set_cookie(
        i18n.LANGUAGE_COOKIE,
        i18n.pick(lang),
        max_age=CHOICE_LIFETIME,
        samesite="lax",
        secure=request.app.state.config.secure_cookies,
    )
    return response


def same_site(target: str) -> str:
    """``target`` when it is a path of this site, else ``/``: the chooser never sends anyone elsewhere."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(c) < 32 or ord(c) == 127 for c in target):  # a header split, or a tab browsers drop
        return "/"
    return target


__all__ = ["CHOICE_LIFETIME", "choose_language", "router", "same_site"]
