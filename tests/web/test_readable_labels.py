"""The pages an analyst takes to a board speak in words: objectives, measures and countries by their names,
stored codes as labels, ratios without a currency, counted things in the right number, wide tables
scrolling inside the page, and one message on an error page."""

from __future__ import annotations

import re

import pytest
from web_support import Web

from missionboard.missionfile import parse_mission
from missionboard.services import accounts
from missionboard.services import missions as mission_service
from missionboard.web import vocabulary

HARBOUR_YAML = """mission:
  id: harbour
  title: Clean harbours
  challenge: Polluted harbours
  statement: By 2030 halve the oil spilled in the region's harbours.
  owner: Harbour agency
  start: 2022-01-01
  deadline: 2030-12-31
  geography: DK
  objectives:
    - id: oil-spills
      title: Halve oil spills in harbours
      indicator: {id: spilled_oil_tonnes, name: Oil spilled in harbours, unit: t}
      baseline: {value: 40, year: 2020}
      target: {value: 20, year: 2030}
  governance:
    - {body: Ministry of Environment, level: national, role: owner}
  measures:
    - id: spill-fines
      title: Fines for every spill reported by the harbour master
      kind: regulation
      objectives: [oil-spills]
  logic:
    outcomes:
      - id: quick-response
        title: Harbours contain a spill within the hour
        leads_to: [oil-spills]
    assumptions:
      - id: crews-trained
        text: Harbour crews can be trained within a year
        about: [quick-response]
"""


@pytest.fixture
def harbour(web: Web) -> Web:
    """The web app with the harbour mission (logic, governance, a measure), seen by the admin."""
    mission_service.save_mission(
        web.workspace, parse_mission(HARBOUR_YAML, "harbour.yaml"), user="seed", origin="seed"
    )
    accounts.set_role(web.workspace, "viewer", "harbour", "viewer", by="seed")
    web.login("admin")
    return web


def _fragment(web: Web, mission: str, part: str) -> str:
    page = web.client.get(f"/missions/{mission}/insights?part={part}&fragment=1")
    assert page.status_code == 200, page.text
    return page.text


def test_every_table_of_the_mission_pages_analytics_scrolls_inside_the_page(harbour: Web) -> None:
    html = _fragment(harbour, "harbour", "analytics")
    tables = re.findall(r"(.{0,20})<table class=\"data", html)
    assert tables, "the harbour mission's analytics have tables"
    assert all(before.endswith('<div class="scroll">') for before in tables)


def test_the_intervention_logic_names_objectives_measures_and_indicators_by_their_titles(
    harbour: Web,
) -> None:
    html = _fragment(harbour, "harbour", "analytics")
    logic = html.split("Intervention logic", 1)[1].split("</table>", 1)[0]
    assert "Halve oil spills in harbours" in logic
    assert "Oil spilled in harbours" in logic  # the indicator's name
    assert "spilled_oil_tonnes" not in logic
    assert ">oil-spills<" not in logic and "oil-spills;" not in logic


def test_the_quality_check_names_its_criteria_in_words(harbour: Web) -> None:
    html = _fragment(harbour, "harbour", "quality")
    assert "Bold and inspirational" in html
    assert "bold inspirational" not in html


@pytest.mark.parametrize(
    ("unit", "value", "shown"),
    [
        ("EUR per EUR", 0.48, ""),  # leverage is a ratio: no currency
        ("EUR of co-funding per EUR of public funding", 0.48, ""),
        ("EUR", 1000.0, "EUR"),
        ("project pairs", 1, "project pair"),
        ("project pairs", 2, "project pairs"),
        ("fraction of projects", 0.4, ""),
        ("Stirling Δ (0–1)", 0.45, ""),
    ],
)
def test_a_figure_is_written_with_its_unit_in_the_number_of_its_value(
    unit: str, value: float, shown: str
) -> None:
    assert vocabulary.unit_word(unit, value) == shown


def test_ids_in_a_finding_or_a_figures_provenance_read_as_titles() -> None:
    names = {
        "oil-spills": "Halve oil spills",
        "crews-trained": "Crews are trained",
        "mission:harbour": "Clean",
    }
    assert vocabulary.in_words("'oil-spills' needs a ×10 acceleration", names) == (
        "“Halve oil spills” needs a ×10 acceleration"
    )
    assert vocabulary.in_words("untested: crews-trained", names) == "untested: Crews are trained"
    assert vocabulary.in_words("projects linked to taxonomy 'mission:harbour' by", names) == (
        "projects linked to the mission “Clean” by"
    )
    assert vocabulary.in_words("stated by projects, table project_cofunding, in EUR", names) == (
        "stated by projects, in EUR"
    )


@pytest.mark.parametrize(
    ("code", "language", "name"),
    [("DK", "en", "Denmark"), ("SE", "nb", "Sverige"), ("NO", "sv", "Norge"), ("Vestland", "en", "Vestland")],
)
def test_a_country_code_reads_as_the_countrys_name_in_the_pages_language(
    code: str, language: str, name: str
) -> None:
    assert vocabulary.country_name(code, language) == name


def test_the_mission_page_names_its_geography_and_keeps_the_code_on_hover(harbour: Web) -> None:
    html = harbour.client.get("/missions/harbour").text
    assert '<dd title="DK">Denmark</dd>' in html


def test_the_analytics_figures_write_ratios_without_a_currency(harbour: Web) -> None:
    html = _fragment(harbour, "ocean", "analytics")
    leverage = html.split("Leverage (co-funding per public)", 1)[1].split("</div>", 1)[0]
    assert "EUR" not in leverage


def test_a_project_page_names_its_countries_helix_missions_and_goals(web: Web) -> None:
    web.login("admin")
    html = web.client.get("/projects/1").text
    assert '<dd title="NO">Norway</dd>' in html
    links = html.split('id="links-h"', 1)[1].split("</table>", 1)[0]
    assert "Plastic-free coastal waters" in links  # the mission's title, not mission:ocean
    assert ">mission:ocean<" not in links
    assert "Halve beach litter" in links  # the objective's title, not its id
    assert ">litter<" not in links
    assert (
        "Words found in the project&#39;s text: beach" in links
        or "Words found in the project's text: beach" in links
    )


def test_an_error_page_with_one_problem_says_it_once(web: Web) -> None:
    web.login("admin")
    page = web.client.get(f"/projects/{2**70}")
    assert page.status_code == 422
    assert page.text.count("out of range") == 1


def test_the_explorers_budget_by_funder_puts_every_currency_on_the_reporting_currencys_scale(
    web: Web,
) -> None:
    from missionboard.services import explorer
    from missionboard.store.tables import ExchangeRateRow, ProjectRow

    with web.workspace.transaction() as session:
        session.add(ExchangeRateRow(currency="SEK", reporting_currency="EUR", year=2024, rate=0.1))
        for number, funder in ((901, "Swedish Agency"), (902, "Swedish Agency")):
            session.add(
                ProjectRow(
                    id=number,
                    source="test",
                    source_id=f"S{number}",
                    title="A Swedish project",
                    funder=funder,
                    budget_amount=5_000_000,
                    budget_currency="SEK",
                    content_hash=f"{number:064d}",
                )
            )
    with web.workspace.reading() as session:
        rows = explorer.view_summary(session, explorer.ProjectFilter())["by_funder"]
    swedish = next(r for r in rows if r["funder"] == "Swedish Agency")
    assert swedish["currency"] == "EUR"
    assert swedish["budget"] == pytest.approx(1_000_000)  # 10 m SEK at 0.1
    assert {r["currency"] for r in rows} == {"EUR"}


def test_the_explorers_budget_by_funder_converts_each_project_at_its_start_years_rate(web: Web) -> None:
    """The one portfolio rule: money is converted at the rate of the project's start year, not the latest."""
    import datetime as dt

    from missionboard.services import explorer
    from missionboard.store.tables import ExchangeRateRow, ProjectRow

    with web.workspace.transaction() as session:
        session.add(ExchangeRateRow(currency="NOK", reporting_currency="EUR", year=2018, rate=0.1))
        session.add(ExchangeRateRow(currency="NOK", reporting_currency="EUR", year=2024, rate=0.08))
        for number, year in ((911, 2018), (912, 2024)):
            session.add(
                ProjectRow(
                    id=number,
                    source="test",
                    source_id=f"N{number}",
                    title=f"A Norwegian project of {year}",
                    funder="Norwegian Agency",
                    start=dt.date(year, 3, 1),
                    budget_amount=1_000_000,
                    budget_currency="NOK",
                    content_hash=f"{number:064d}",
                )
            )
    with web.workspace.reading() as session:
        rows = explorer.view_summary(session, explorer.ProjectFilter())["by_funder"]
    norwegian = next(r for r in rows if r["funder"] == "Norwegian Agency")
    assert norwegian["currency"] == "EUR"
    assert norwegian["budget"] == pytest.approx(100_000 + 80_000)
    assert norwegian["projects"] == 2


def test_the_bulk_review_confirmation_lists_projects_and_goals_by_their_titles(web: Web) -> None:
    csrf = web.login("reviewer")
    page = web.client.get("/review?mission=ocean").text
    ids = re.findall(r'name="link" value="(\d+)" form="bulk-form"', page)[:2]
    form = {"csrf_token": csrf, "action": "accept", "back": "/review?mission=ocean", "link": ids}
    table = web.client.post("/review/bulk", data=form).text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert re.search(r'<a href="/projects/\d+">(Beach cleanup|Fishing gear recycling) project \d+</a>', table)
    assert "Halve beach litter" in table or "Recycle fishing gear" in table
    assert not re.search(r">(litter|recycling)<", table)


def test_the_learning_log_names_the_objective_a_note_is_about(web: Web) -> None:
    from missionboard.services import learning

    learning.add_note(
        web.workspace, "ocean", "lesson", "Prizes reach new actors", user="admin", objectives=["litter"]
    )
    web.login("admin")
    about = web.client.get("/missions/ocean/learning").text.split("About:", 1)[1].split("</p>", 1)[0]
    assert "Halve beach litter" in about
    assert " litter</a>" not in about


@pytest.mark.parametrize(
    ("language", "words"),
    [("nb", "Konsultasjonen er lukket"), ("sv", "Konsultationen är stängd")],
)
def test_a_consultations_flash_message_speaks_the_users_language(web: Web, language: str, words: str) -> None:
    web.login("admin")
    web.client.cookies.set("missionboard_lang", language)
    page = web.client.get("/missions/ocean/consultations?msg=closed").text
    assert words in page
    assert "Consultation closed" not in page


@pytest.mark.parametrize(
    ("language", "words"),
    [("nb", "Indikator: Litter items per 100 m of beach."), ("sv", "Indikator: Litter")],
)
def test_the_review_cards_definition_speaks_the_users_language(web: Web, language: str, words: str) -> None:
    web.login("reviewer")
    web.client.cookies.set("missionboard_lang", language)
    page = web.client.get("/review?mission=ocean").text
    assert words in page
    assert "Indicator: Litter" not in page


@pytest.mark.parametrize("language", ["nb", "sv"])
def test_the_words_charts_and_the_map_write_themselves_are_translated(language: str) -> None:
    from missionboard.web import charts, choropleth, i18n

    for message in (charts.NO_DATA, charts.TOO_LITTLE, charts.SHARE_OF, *choropleth.WORDS.values()):
        assert i18n.gettext(language, message, i18n.APP_DOMAIN) != message, message
    assert "Percentages" not in str(
        charts.bars(
            [{"k": "a", "v": 1, "s": 1.0}], "k", "v", title="t", share="s", share_of="x", language=language
        )
    )
    assert str(charts.bars([], "k", "v", title="t", language=language)) != str(
        charts.bars([], "k", "v", title="t")
    )


@pytest.mark.parametrize("language", ["nb", "sv"])
def test_every_label_and_unit_of_the_vocabulary_is_translated(language: str) -> None:
    from missionboard.web import i18n

    words = [*vocabulary.LABELS.values(), *(w for pair in vocabulary.COUNTED.values() for w in pair)]
    missing = [
        w for w in words if i18n.gettext(language, w, i18n.APP_DOMAIN) == w and w not in ("EU", "region")
    ]
    assert missing == []


def test_the_participation_pages_language_switch_style_stays_off_the_apps_header() -> None:
    from missionboard.web import i18n

    css = re.sub(
        r"/\*.*?\*/", "", (i18n.HERE / "static" / "consult.css").read_text(encoding="utf-8"), flags=re.S
    )
    selectors = [s.strip() for rule in re.findall(r"([^{}]+)\{", css) for s in rule.split(",")]
    assert [s for s in selectors if ".languages" in s and not s.startswith(".consult-top ")] == []


def test_the_report_back_summary_is_a_form_of_its_own_width(web: Web) -> None:
    from missionboard.web import i18n

    template = (i18n.HERE / "templates" / "consult_report_back.html").read_text(encoding="utf-8")
    assert 'class="report-back-summary"' in template
    css = (i18n.HERE / "static" / "app.css").read_text(encoding="utf-8")
    assert re.search(r"\.report-back-summary textarea \{[^}]*width: 100%", css)


def test_a_bar_of_one_counts_one_project_not_one_projects() -> None:
    from missionboard.web.charts import bars

    rows = [{"k": "Loan", "v": 3}, {"k": "Adoption subsidy", "v": 1}]
    svg = str(bars(rows, "k", "v", title="Projects per instrument", unit="projects", unit_one="project"))
    assert "Adoption subsidy: 1 project</title>" in svg
    assert "Loan: 3 projects</title>" in svg
