"""Translations: standard gettext catalogues read with Babel, in two domains.

``messages`` holds the participation pages (``locales/<language>/LC_MESSAGES/messages.po``), shown in the
consultation's language; ``app`` holds the app's own pages (``app.po``), shown in the language the user
chose (a cookie) or their browser asks for. Catalogues are compiled in memory the first time a language is
needed (no build step, no ``.mo`` files to keep in step). Each language has its own Jinja environment with
``jinja2.ext.i18n`` installed, so concurrent requests in different languages never share gettext callables.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi.templating import Jinja2Templates

from missionboard.domain.consultations import LANGUAGES

HERE = Path(__file__).parent
LOCALES = HERE / "locales"
DOMAIN = "messages"
APP_DOMAIN = "app"
LANGUAGE_COOKIE = "missionboard_lang"
"""The cookie that remembers the language a user chose for the app's pages."""
APP_TEMPLATES: tuple[str, ...] = (
    "base.html",
    "_analytics.html",
    "_consult_tabs.html",
    "_decisions.html",
    "_gates.html",
    "_insights.html",
    "_learning.html",
    "_map.html",
    "_mission_tabs.html",
    "_monitoring.html",
    "_quality.html",
    "_tree.html",
    "_value.html",
    "account.html",
    "admin_audit.html",
    "admin_users.html",
    "api_docs.html",
    "compare.html",
    "consult_admin.html",
    "consult_list.html",
    "consult_new.html",
    "consult_report_back.html",
    "consult_responses.html",
    "consult_synthesis.html",
    "error.html",
    "explorer.html",
    "import.html",
    "insights.html",
    "landscape.html",
    "learning.html",
    "login.html",
    "mission.html",
    "mission_edit.html",
    "mission_gates.html",
    "mission_history.html",
    "mission_members.html",
    "mission_new.html",
    "missions.html",
    "project.html",
    "report.html",
    "review.html",
    "review_confirm.html",
    "story.html",
)
"""The templates whose every message is in the ``app`` catalogues: every page but the participation pages
(``consult_public_*.html``, domain ``messages``)."""

LANGUAGE_NAMES: dict[str, str] = {"en": "English", "nb": "Norsk bokmål", "sv": "Svenska"}
"""Each language named in itself, as the language switch shows it."""


def catalogue_path(language: str, domain: str = DOMAIN) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{domain}.po"


def pick(language: str | None, default: str = "en") -> str:
    """``language`` where we have it, else ``default`` (and English as the last resort)."""
    if language in LANGUAGES:
        return str(language)
    return default if default in LANGUAGES else "en"


def chosen(cookie: str | None, accept_language: str | None) -> str:
    """The language of the app's pages: the one the user chose (``cookie``), else the first of ours that
    the browser's ``Accept-Language`` asks for (by its q-values), else English."""
    if cookie in LANGUAGES:
        return str(cookie)
    wanted: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().replace("_", "-").split("-")[0]
        primary = "nb" if primary in ("no", "nn") else primary  # Norwegian without a written standard: bokmål
        if primary in LANGUAGES and quality > 0:
            wanted.append((-quality, index, primary))
    return min(wanted)[2] if wanted else "en"


@functools.cache
def translations(language: str, domain: str = DOMAIN) -> Translations:
    """The compiled catalogue of ``language`` in ``domain`` (fuzzy entries are left out, as msgfmt does)."""
    language = pick(language)
    with catalogue_path(language, domain).open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=domain)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=domain)


def gettext(language: str, message: str, domain: str = DOMAIN) -> str:
    """``message`` in ``language`` (for text built outside the templates)."""
    return str(translations(language, domain).gettext(message))


def long_date(value: Any, language: str) -> str:
    """A date as people write it in ``language``: "31 December 2030", "31. desember 2030" …"""
    return str(format_date(value, format="long", locale=pick(language)))


@functools.cache
def templates(language: str) -> Jinja2Templates:
    """A template set that renders ``{% trans %}`` and ``_()`` in ``language``."""
    language = pick(language)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        # templates are package files: checking each one's mtime on every render cost the server 7 % of
        # its time under load (py-spy, bench/web_load.py); a changed template needs a restart
        auto_reload=False,
    )
    env.policies["ext.i18n.trimmed"] = True  # msgids without the templates' line breaks and indents
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]

    env.filters["long_date"] = functools.partial(long_date, language=language)
    env.globals["language_names"] = LANGUAGE_NAMES
    return Jinja2Templates(env=env)


__all__ = [
    "APP_DOMAIN",
    "APP_TEMPLATES",
    "LANGUAGE_COOKIE",
    "LANGUAGE_NAMES",
    "LOCALES",
    "catalogue_path",
    "chosen",
    "gettext",
    "long_date",
    "pick",
    "templates",
    "translations",
]
