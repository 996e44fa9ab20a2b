"""Translations of the participation pages: standard gettext catalogues read with Babel.

The catalogues live in ``locales/<language>/LC_MESSAGES/messages.po`` and are compiled in memory the first
time a language is needed (no build step, no ``.mo`` files to keep in step). Each language has its own
Jinja environment with ``jinja2.ext.i18n`` installed, so concurrent requests in different languages never
share gettext callables.
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

LANGUAGE_NAMES: dict[str, str] = {"en": "English", "nb": "Norsk bokmål", "sv": "Svenska"}
"""Each language named in itself, as the language switch shows it."""


def catalogue_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def pick(language: str | None, default: str = "en") -> str:
    """``language`` where we have it, else ``default`` (and English as the last resort)."""
    if language in LANGUAGES:
        return str(language)
    return default if default in LANGUAGES else "en"


@functools.cache
def translations(language: str) -> Translations:
    """The compiled catalogue of ``language`` (fuzzy entries are left out, as msgfmt does)."""
    language = pick(language)
    with catalogue_path(language).open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def gettext(language: str, message: str) -> str:
    """``message`` in ``language`` (for text built outside the templates)."""
    return str(translations(language).gettext(message))


@functools.cache
def templates(language: str) -> Jinja2Templates:
    """A template set that renders ``{% trans %}`` and ``_()`` in ``language``."""
    language = pick(language)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.policies["ext.i18n.trimmed"] = True  # msgids without the templates' line breaks and indents
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]

    def long_date(value: Any) -> str:
        return str(format_date(value, format="long", locale=language))

    env.filters["long_date"] = long_date
    env.globals["language_names"] = LANGUAGE_NAMES
    return Jinja2Templates(env=env)


__all__ = ["LANGUAGE_NAMES", "LOCALES", "catalogue_path", "gettext", "pick", "templates", "translations"]
