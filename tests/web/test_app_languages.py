"""The app's own pages in English, Norwegian (bokmål) and Swedish: the ``app`` catalogues are complete for
the translated templates, the chooser remembers a language in a cookie, the browser's language is the
default, and English stays the default for everyone else. Every template compiles in every language, and
every page renders in each with no English message of the catalogue left on it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from web_support import PASSWORD, ROLES, Web

from missionboard.domain.quality import _verdict
from missionboard.missionfile import parse_mission
from missionboard.services import consultations as consult_service
from missionboard.services import missions as mission_service
from missionboard.store.workspace import Workspace
from missionboard.web import charts, create_app, i18n, vocabulary
from missionboard.web.rendering import MESSAGES, templates_in

TEMPLATES = Path(i18n.__file__).parent / "templates"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
SVG = re.compile(r"<svg\b.*?</svg>", re.S)
MARKUP = re.compile(r"<[^>]+>")

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


def test_every_word_of_the_vocabulary_is_in_the_english_app_catalogue() -> None:
    assert set(vocabulary.WORDS) <= set(_catalogue("en"))


def test_every_status_and_kind_the_pages_show_is_in_the_vocabulary() -> None:
    shown = {value.replace("_", " ") for enum in vocabulary.SOURCES for value in enum}
    assert sorted(shown - set(vocabulary.WORDS)) == []


@pytest.mark.parametrize("score", range(0, 101))
def test_every_verdict_of_the_quality_check_is_in_the_vocabulary(score: int) -> None:
    assert _verdict(score, []) in vocabulary.WORDS


def test_every_instrument_stage_and_project_status_is_in_the_vocabulary_as_the_pages_look_it_up() -> None:
    shown = {str(escape(charts.human(value))) for enum in vocabulary.HUMAN_SOURCES for value in enum}
    assert sorted(shown - set(vocabulary.WORDS)) == []


@pytest.mark.parametrize("language", ["nb", "sv"])
def test_every_message_is_translated_and_keeps_its_placeholders(language: str) -> None:
    catalogue = _catalogue(language)
    wanted = _template_messages() | set(MESSAGES.values()) | set(vocabulary.WORDS)
    untranslated = sorted(str(m) for m in wanted if not all(_forms(catalogue.get(m, ""))))
    assert untranslated == [], (language, untranslated)
    for message in wanted:
        expected = _placeholders(_forms(message)[-1])
        for form in _forms(catalogue[message]):
            assert _placeholders(form) == expected, (language, message, form)


@pytest.mark.parametrize("language", ["nb", "sv"])
def test_every_translation_keeps_the_markup_of_its_message(language: str) -> None:
    for message, translation in _catalogue(language).items():
        expected = sorted(MARKUP.findall(_forms(message)[-1]))
        for form in _forms(translation):
            assert sorted(MARKUP.findall(form)) == expected, (language, message, form)


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


# --- every template, every page ------------------------------------------------------------------

LANGUAGES = ("en", "nb", "sv")
EVERY_TEMPLATE = sorted(path.name for path in TEMPLATES.glob("*.html"))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", EVERY_TEMPLATE)
def test_every_template_compiles_in_every_language(name: str, language: str) -> None:
    assert templates_in(language).env.get_template(name).name == name


def test_every_app_template_exists() -> None:
    assert sorted(set(i18n.APP_TEMPLATES) - set(EVERY_TEMPLATE)) == []


def test_every_page_but_the_participation_pages_speaks_the_app_languages() -> None:
    untranslated = {"landscape.html"}  # new with the landscape area; its words are not wrapped yet
    others = {n for n in EVERY_TEMPLATE if not n.startswith("consult_public_")} - untranslated
    assert sorted(others - set(i18n.APP_TEMPLATES)) == []


def _english_only(language: str) -> list[str]:
    """Messages whose translation into ``language`` differs from the English, as a page shows them."""
    catalogue = _catalogue(language)
    translated = " ".join(str(s) for s in catalogue.values())
    return sorted(
        str(escape(m))
        for m, s in catalogue.items()
        if isinstance(m, str) and "%(" not in m and len(m) >= 4 and s != m and m not in translated
    )


def _consultation(web: Web) -> str:
    """An invited consultation on 'ocean' with one response that proposes a solution."""
    consultation = consult_service.open_consultation(
        web.workspace,
        mission_id="ocean",
        title="Coastal plan",
        purpose="Tell us what the coastal plan should do.",
        opens_on=dt.date.today() - dt.timedelta(days=1),
        closes_on=dt.date.today() + dt.timedelta(days=30),
        audience="invited",
        language="en",
        user="owner",
    )
    [(_, token)] = consult_service.create_invitations(web.workspace, consultation.id, ["p1"], user="owner")
    submission = consult_service.build_submission(
        {
            "helix": "research",
            "level": "regional",
            "consent": True,
            "answers": [],
            "ratings": [],
            "proposals": [{"kind": "solution", "text": "Free net collection in harbours"}],
        }
    )
    consult_service.submit_response(web.workspace, consultation.id, submission, token=token)
    return consultation.id


OWNER_PAGES = (
    "/",
    "/missions/ocean",
    "/missions/ocean/story",
    "/missions/ocean/insights",
    "/missions/ocean/report",
    "/missions/ocean/edit",
    "/missions/ocean/history?a=1&b=1",
    "/missions/ocean/gates",
    "/missions/ocean/learning",
    "/missions/ocean/members",
    "/missions/compare",
    "/projects",
    "/projects/1",
    "/review",
    "/account",
    "/missions/ocean/consultations",
    "/missions/ocean/consultations/new",
    "/consultations/{cid}",
    "/consultations/{cid}/responses",
    "/consultations/{cid}/synthesis",
    "/consultations/{cid}/report-back",
)
ADMIN_PAGES = ("/missions/new", "/admin/users", "/admin/audit", "/api/docs", "/import")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_renders_in_every_language_without_english_left_over(web: Web, language: str) -> None:
    cid = _consultation(web)
    accounts = {*ROLES, "admin"}  # the test's user names, shown as they are, are also words of the vocabulary
    leaks = [m for m in _english_only(language) if m not in accounts] if language != "en" else []
    web.client.get("/language", params={"lang": language, "next": "/"})
    pages: dict[str, str] = {"/login": web.client.get("/login").text}
    missing = web.client.get("/missions/no-such-mission")
    assert missing.status_code == 404
    pages["/missions/no-such-mission"] = missing.text
    for user, urls in (("owner", OWNER_PAGES), ("admin", ADMIN_PAGES)):
        web.client.cookies.clear()
        web.client.cookies.set(i18n.LANGUAGE_COOKIE, language)
        web.login(user)
        for url in urls:
            response = web.client.get(url.format(cid=cid))
            assert response.status_code == 200, (language, url, response.text[:500])
            assert response.headers["content-language"] == language, url
            pages[url] = response.text
    for url, page in pages.items():
        assert f'<html lang="{language}">' in page, (language, url)
        text = SVG.sub(
            "", page
        )  # charts and the map are drawn in Python, whose words are not in a catalogue yet
        left = [m for m in leaks if f">{m}<" in text]
        assert left == [], (language, url, left)


GETTEXT_CALL = re.compile(r"(?<![\w.])_\(")


def _gettext_arguments(text: str) -> list[str]:
    """What each ``_(…)`` in a template is given, up to its closing parenthesis (quotes respected)."""
    found = []
    for match in GETTEXT_CALL.finditer(text):
        end, depth, quote = match.end(), 1, ""
        while depth:
            char = text[end]
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            else:
                depth += {"(": 1, ")": -1}.get(char, 0)
            end += 1
        found.append(text[match.end() : end - 1].strip())
    return found


@pytest.mark.parametrize("name", EVERY_TEMPLATE)
def test_a_word_looked_up_from_data_is_escaped_before_it_is_translated(name: str) -> None:
    # newstyle gettext marks what it returns as safe, so a code that is no msgid must be escaped first
    looked_up = [a for a in _gettext_arguments((TEMPLATES / name).read_text()) if a[:1] not in "'\""]
    assert [a for a in looked_up if not a.endswith("|e")] == []


def test_the_consultation_form_names_its_problems_in_the_users_language(web: Web) -> None:
    csrf = web.login("owner")
    web.client.get("/language", params={"lang": "nb", "next": "/"})
    page = web.client.post(
        "/missions/ocean/consultations/new",
        data={"csrf_token": csrf, "title": "", "purpose": "", "opens_on": "soon", "closes_on": ""},
    )
    assert page.status_code == 422
    assert '<a href="#title">Tittel</a>: må fylles ut' in page.text
    assert '<a href="#opens_on">Åpner</a>: oppgi en dato som ÅÅÅÅ-MM-DD' in page.text
    assert '<a href="#audience">Målgruppe</a>: velg inviterte eller offentlig' in page.text
    assert '<a href="#questions">Spørsmål</a>: still minst ett spørsmål' in page.text
