"""The app's own pages in English, Norwegian (bokmål) and Swedish: the ``app`` catalogues are complete for
the translated templates, the chooser remembers a language in a cookie, the browser's language is the
default, and English stays the default for everyone else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_support import PASSWORD, Web

from missionboard.missionfile import parse_mission
from missionboard.services import missions as mission_service
from missionboard.store.workspace import Workspace
from missionboard.web import create_app, i18n
from missionboard.web.rendering import MESSAGES

TEMPLATES = Path(i18n.__file__).parent / "templates"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")

BOLD_YAML = """mission:
  id: bold-seas
  title: <b>Bold</b> seas
  challenge: Loud titles
  statement: By 2030 every title is shown as text.
  owner: Agency
  deadline: 2030-06-30
  public: true
"""


def _template_messages() -> set[str | tuple[str, ...]]:
    from babel.messages.extract import extract_from_file

    found: set[str | tuple[str, ...]] = set()
    for name in i18n.APP_TEMPLATES:
        for _, message, _, _ in extract_from_file(
            "jinja2.ext:babel_extract",
            str(TEMPLATES / name),
            options={"extensions": "jinja2.ext.i18n", "trimmed": "true"},
        ):
            found.add(message if isinstance(message, str) else tuple(message))
    return found


def _catalogue(language: str) -> dict[str | tuple[str, ...], str | tuple[str, ...]]:
    from babel.messages.pofile import read_po

    with i18n.catalogue_path(language, i18n.APP_DOMAIN).open("rb") as handle:
        catalog = read_po(handle)
    return {m.id: m.string for m in catalog if m.id and not m.fuzzy}  # type: ignore[misc]


def _forms(text: str | tuple[str, ...]) -> tuple[str, ...]:
    return (text,) if isinstance(text, str) else tuple(text)


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


# --- the catalogues ------------------------------------------------------------------------------


def test_every_message_of_the_translated_templates_is_in_the_english_app_catalogue() -> None:
    messages = _template_messages()
    assert len(messages) > 150
    missing = sorted(map(str, messages - set(_catalogue("en"))))
    assert missing == [], "run the app extraction in locales/babel.cfg"


def test_every_flash_message_is_in_the_english_app_catalogue() -> None:
    assert set(MESSAGES.values()) <= set(_catalogue("en"))


@pytest.mark.parametrize("language", ["nb", "sv"])
def test_every_message_is_translated_and_keeps_its_placeholders(language: str) -> None:
    catalogue = _catalogue(language)
    wanted = _template_messages() | set(MESSAGES.values())
    untranslated = sorted(str(m) for m in wanted if not all(_forms(catalogue.get(m, ""))))
    assert untranslated == [], (language, untranslated)
    for message in wanted:
        expected = _placeholders(_forms(message)[-1])
        for form in _forms(catalogue[message]):
            assert _placeholders(form) == expected, (language, message, form)


@pytest.mark.parametrize("language", ["en", "nb", "sv"])
def test_every_language_has_an_app_catalogue_and_a_name(language: str) -> None:
    assert i18n.catalogue_path(language, i18n.APP_DOMAIN).exists()
    assert i18n.LANGUAGE_NAMES[language]


@pytest.mark.parametrize(
    ("cookie", "header", "language"),
    [
        (None, None, "en"),
        (None, "sv", "sv"),
        (None, "de-DE,de;q=0.9,nb;q=0.8,en;q=0.5", "nb"),
        (None, "en;q=0.4, sv-FI;q=0.7", "sv"),
        (None, "no", "nb"),
        (None, "nb;q=0", "en"),
        (None, "fr, de", "en"),
        ("sv", "nb", "sv"),
        ("xx", "nb", "nb"),
    ],
)
def test_the_language_is_the_chosen_one_else_the_browsers_else_english(
    cookie: str | None, header: str | None, language: str
) -> None:
    assert i18n.chosen(cookie, header) == language


# --- choosing a language -------------------------------------------------------------------------


def test_choosing_norsk_sets_a_long_lived_lax_cookie_and_goes_back(web: Web) -> None:
    response = web.client.get(
        "/language", params={"lang": "nb", "next": "/missions/compare"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/missions/compare"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{i18n.LANGUAGE_COOKIE}=nb;")
    assert "samesite=lax" in cookie.lower()
    assert "Max-Age=31536000" in cookie


def test_after_choosing_norsk_the_missions_page_speaks_norwegian(web: Web) -> None:
    web.client.get("/language", params={"lang": "nb", "next": "/"})
    page = web.client.get("/")
    assert '<html lang="nb">' in page.text
    assert ">Oppdrag</a>" in page.text
    assert "<h1>Oppdrag</h1>" in page.text
    assert page.headers["content-language"] == "nb"


def test_dates_on_the_missions_page_follow_the_chosen_language(web: Web) -> None:
    web.client.get("/language", params={"lang": "nb", "next": "/"})
    page = web.client.get("/").text
    assert '<time datetime="2030-12-31">31. desember 2030</time>' in page


def test_the_mission_page_facts_and_contents_are_translated(web: Web) -> None:
    web.login("viewer")
    web.client.get("/language", params={"lang": "sv", "next": "/"})
    page = web.client.get("/missions/ocean").text
    assert "<dt>Slutdatum</dt>" in page
    assert "31 december 2030" in page
    assert '<a href="#tree">Uppdragsträd</a>' in page
    assert ">Översikt</a>" in page
    assert "Logga ut" in page


def test_the_secure_app_sets_a_secure_language_cookie(web_workspace: Workspace) -> None:
    app = create_app(web_workspace, secure_cookies=True)
    with TestClient(app, base_url="https://127.0.0.1") as client:
        response = client.get("/language?lang=sv&next=/", follow_redirects=False)
    assert "secure" in response.headers["set-cookie"].lower()


def test_an_unknown_language_falls_back_to_english(web: Web) -> None:
    response = web.client.get("/language", params={"lang": "xx", "next": "/"}, follow_redirects=False)
    assert response.headers["set-cookie"].startswith(f"{i18n.LANGUAGE_COOKIE}=en;")
    page = web.client.get("/")
    assert '<html lang="en">' in page.text


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "evil.example", "/\t/evil.example"],
)
def test_the_chooser_never_sends_anyone_to_another_site(web: Web, target: str) -> None:
    response = web.client.get("/language", params={"lang": "nb", "next": target}, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_the_chooser_keeps_the_query_of_the_page_it_came_from(web: Web) -> None:
    web.login("viewer")
    page = web.client.get("/projects?funder=Regional+Fund").text
    assert 'href="/language?lang=sv&amp;next=/projects%3Ffunder%3DRegional%2BFund"' in page


# --- without a choice ----------------------------------------------------------------------------


def test_a_swedish_browser_gets_swedish_without_a_cookie(web: Web) -> None:
    page = web.client.get("/", headers={"Accept-Language": "sv-SE,sv;q=0.9,en;q=0.8"})
    assert '<html lang="sv">' in page.text
    assert ">Uppdrag</a>" in page.text
    assert "Logga in" in page.text


def test_without_a_cookie_or_accept_language_the_pages_stay_english(web: Web) -> None:
    page = web.client.get("/")
    assert '<html lang="en">' in page.text
    assert ">Missions</a>" in page.text
    assert '<time datetime="2030-12-31">December 31, 2030</time>' in page.text


def test_the_error_page_speaks_the_users_language(web: Web) -> None:
    page = web.client.get("/missions/no-such-mission", headers={"Accept-Language": "nb"})
    assert page.status_code == 404
    assert "<h1>Ikke funnet</h1>" in page.text
    assert "<title>Feil 404 · missionboard</title>" in page.text


def test_flash_messages_are_translated(web: Web) -> None:
    web.login("viewer")
    web.client.get("/language", params={"lang": "sv", "next": "/"})
    page = web.client.get("/account?msg=password").text
    assert "Lösenordet är ändrat." in page


def test_the_login_page_is_translated(web: Web) -> None:
    page = web.client.get("/login", headers={"Accept-Language": "sv"}).text
    assert '<label for="username">Användarnamn</label>' in page
    assert '<label for="password">Lösenord</label>' in page


def test_logging_in_still_works_in_norwegian(web: Web) -> None:
    web.client.get("/language", params={"lang": "nb", "next": "/"})
    web.login("viewer", PASSWORD)
    assert "Logg ut" in web.client.get("/").text


# --- escaping ------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "nb", "sv"])
def test_translated_pages_escape_what_users_wrote(web: Web, language: str) -> None:
    mission_service.save_mission(
        web.workspace, parse_mission(BOLD_YAML, "bold.yaml"), user="seed", origin="seed"
    )
    web.client.get("/language", params={"lang": language, "next": "/"})
    for url in ("/", "/missions/bold-seas", "/missions/compare"):
        page = web.client.get(url).text
        assert "<b>Bold</b>" not in page, (language, url)
        assert "&lt;b&gt;Bold&lt;/b&gt; seas" in page, (language, url)
