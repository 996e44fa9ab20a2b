"""Rendering the pages: a Jinja environment per language (``templates`` is the English one, whose globals
every language shares, with the chart helpers), a page with what every template reads (who is logged in,
the CSRF token, the flash message, the path) in the language the user chose, the redirect after a posted
form, and the check of that form's CSRF token.

Every page module, the consultation pages and the app's error page render through this module; it
imports no route module and not the app.
"""

from __future__ import annotations

import functools
from collections import ChainMap
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.datastructures import FormData

from missionboard.errors import CsrfFailed, LoginRequired
from missionboard.services.accounts import Account
from missionboard.web import charts, i18n, vocabulary
from missionboard.web.security import CSRF_FIELD, caller, same_secret

HERE = Path(__file__).parent


def _environment(language: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        # templates are package files: checking each one's mtime on every render cost the server 7 % of
        # its time under load (py-spy, bench/web_load.py); a changed template needs a restart
        auto_reload=False,
    )
    env.policies["ext.i18n.trimmed"] = True  # msgids without the templates' line breaks and indents
    return env


TRANSLATED_KEPT = 20_000
"""Translated messages kept per language (without variables); past this the memo starts afresh."""


class _Gettext:
    """Jinja's new-style ``gettext`` (the message translated, escaped and formatted with its variables)
    that keeps what each message without variables gave: a page renders the same few messages hundreds
    of times (an option per region, a label per project), and Jinja's own took ~13 µs a call, 4–5 ms of
    the explorer page (py-spy, bench/web_load.py). The result is the same as Jinja's: it too formats a
    message without variables (``%%`` becomes ``%``)."""

    def __init__(self, catalogue: Any) -> None:
        self.translate = catalogue.gettext
        self.kept: dict[tuple[str, bool], str] = {}

    def __call__(self, context: Any, message: str, /, **variables: Any) -> str:
        escaping = bool(context.eval_ctx.autoescape)
        if variables:
            return self._formatted(message, escaping, variables)
        key = (message, escaping)
        found = self.kept.get(key)
        if found is None:
            if len(self.kept) >= TRANSLATED_KEPT:
                self.kept = {}
            found = self.kept[key] = self._formatted(message, escaping, {})
        return found

    def _formatted(self, message: str, escaping: bool, variables: dict[str, Any]) -> str:
        translated = self.translate(message)
        return (Markup(translated) if escaping else translated) % variables


@jinja2.pass_context
def _gettext_alias(context: Any, *args: Any, **kwargs: Any) -> Any:
    """``_()``: the context's ``gettext``, called directly where it is ours (Jinja's alias goes through
    ``Context.call`` twice)."""
    found = context.resolve("gettext")
    if isinstance(found, _Gettext):
        return found(context, *args, **kwargs)
    return context.call(found, *args, **kwargs)


@jinja2.pass_context
def select_options(context: Any, values: Sequence[str], selected: str) -> Markup:
    """The ``<option>``s of a filter's values, each labelled with the value in words and translated
    (``_(value|human|e)``), the ``selected`` one marked. A filter offers up to 500 values (the explorer's
    regions): each list is rendered once per language and kept."""
    gettext = context.resolve("gettext")
    rendered = _rendered_options(gettext, tuple(values), bool(context.eval_ctx.autoescape))
    return Markup("").join(chosen if value == selected else plain for value, plain, chosen in rendered)


@functools.lru_cache(maxsize=64)
def _rendered_options(
    gettext: _Gettext, values: tuple[str, ...], escaping: bool
) -> list[tuple[str, Markup, Markup]]:
    """(value, its option, its option selected) for each value, in the language of ``gettext``."""
    context = _LabelContext(escaping)
    rendered = []
    for value in values:
        label = gettext(context, escape(charts.human(value))) if value else ""
        plain = Markup('<option value="{}" >{}</option>').format(value, label)
        chosen = Markup('<option value="{}" selected>{}</option>').format(value, label)
        rendered.append((value, plain, chosen))
    return rendered


class _LabelContext:
    """What a ``gettext`` reads of a template's context (whether it escapes), for labels made outside one."""

    def __init__(self, escaping: bool) -> None:
        self.eval_ctx = self
        self.autoescape = escaping


def _install(env: jinja2.Environment, language: str) -> None:
    catalogue = i18n.translations(language, i18n.APP_DOMAIN)
    env.install_gettext_translations(catalogue, newstyle=True)  # type: ignore[attr-defined]
    env.globals["gettext"] = jinja2.pass_context(_Gettext(catalogue))
    env.globals["_"] = _gettext_alias
    env.globals["ui_language"] = language  # <html lang>, the language chooser
    env.globals["language_names"] = i18n.LANGUAGE_NAMES
    env.filters["long_date"] = functools.partial(i18n.long_date, language=language)


templates = Jinja2Templates(env=_environment("en"))
templates.env.globals.update(
    bars=charts.bars, columns=charts.columns, indicator_chart=charts.indicator, compact=charts.compact
)
templates.env.filters["human"] = charts.human  # stored codes in words: rd_grant → "R&D grant"
templates.env.globals.update(charts.TEMPLATE_GLOBALS)  # each chart in the language of its page
templates.env.globals.update(
    label=vocabulary.label,
    named=vocabulary.named,
    in_words=vocabulary.in_words,
    country_name=vocabulary.country_name,
    country_names=vocabulary.country_names,
    unit_word=vocabulary.unit_word,
    select_options=select_options,
)  # stored codes in words on every page; a mission's ids in words where a page passes ``names``
_install(templates.env, "en")


@functools.cache
def templates_in(language: str) -> Jinja2Templates:
    """The app's templates speaking ``language`` (English for one we lack). Globals and filters added to
    ``templates`` (the chart helpers, the sign-in provider's name) are seen in every language."""
    language = i18n.pick(language)
    if language == "en":
        return templates
    env = _environment(language)
    env.globals = ChainMap({}, templates.env.globals)  # type: ignore[assignment]
    env.filters = ChainMap({}, templates.env.filters)  # type: ignore[assignment]
    _install(env, language)
    return Jinja2Templates(env=env)


def language(request: Request) -> str:
    """The language of the app's pages for this request: the chosen one, else the browser's, else English."""
    return i18n.chosen(request.cookies.get(i18n.LANGUAGE_COOKIE), request.headers.get("accept-language"))


def templates_for(request: Request) -> Jinja2Templates:
    return templates_in(language(request))


def _(message: str) -> str:
    """Marks ``message`` for the ``app`` catalogue; :func:`render` translates it."""
    return message


MESSAGES = {
    "saved": _("Saved."),
    "unchanged": _("Nothing changed, so no new version was written."),
    "created": _("Created."),
    "deleted": _("Deleted."),
    "reviewed": _("Review recorded."),
    "reviewed_many": _("Reviews recorded for every link you confirmed."),
    "note": _("Note added to the learning log."),
    "role": _("Role updated."),
    "token": _("Token revoked."),
    "user": _("User updated."),
    "imported": _("Import finished."),
    "decision": _("Decision recorded."),
    "gate": _("Gate scheduled."),
    "appeal": _("Appeal lodged."),
    "ruling": _("Appeal ruled on."),
    "password": _("Password changed."),
    "commented": _("Comment added."),
    "assigned": _("Review queue assigned."),
    "assignment_done": _("Assignment marked as done."),
}
"""The flash messages a redirect names with ``?msg=``, in English; the page shows them translated."""


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The page ``name`` in the user's language (see :func:`language`)."""
    who = caller(request)
    lang = language(request)
    flash = MESSAGES.get(request.query_params.get("msg", ""), "")
    context.setdefault("me", who.account)
    context.setdefault("csrf", who.csrf)
    context.setdefault("message", i18n.gettext(lang, flash, i18n.APP_DOMAIN) if flash else "")
    context.setdefault("path", request.url.path)
    response: HTMLResponse = templates_in(lang).TemplateResponse(
        request, name, context, status_code=status_code
    )
    response.headers["content-language"] = lang
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
