"""The demo reads like an agency's data: names, places, fields of work, programmes, money and decisions
fit together, so that an evaluator finds only the problems it was built to show."""

from __future__ import annotations

import csv
import itertools
import re
from collections import Counter
from pathlib import Path

import pytest

from missionboard.services.demo import portfolio
from missionboard.services.demo.actors import INLAND, PLACES, UNIVERSITIES, Organisation
from missionboard.services.demo.portfolio import DemoProject, funding_detail, generate_projects
from missionboard.services.demo.themes import ACTIVITIES, THEMES
from missionboard.store.workspace import Workspace

ACRONYM = re.compile(r"^[A-Z]{3,}: ")
FREE_GERUNDS = {"Understanding"}
"""Gerunds that take any subject as their object ("Understanding plate waste in school canteens")."""
ACTIVITY_OPENINGS = tuple(activity for phrases in ACTIVITIES.values() for activity in phrases) + tuple(
    subject[0].upper() + subject[1:] for theme in THEMES for subject in theme.subjects
)
"""Declared activities ("Reducing plate waste …") and subjects that are activities themselves
("Sorting construction waste on site")."""


@pytest.fixture(scope="module")
def generated() -> tuple[list[DemoProject], list[DemoProject], list[Organisation]]:
    national, development, actors = generate_projects()
    return national, development, list(actors.by_key.values())


def opens_well(title: str) -> bool:
    """The grammar of a title: after an optional ACRONYM, a title that opens with a verb (a word in
    -ing) opens with one of the activities the themes declare (whose verb has an object it fits), with
    a subject that is an activity itself, or with a verb that takes any subject; any other title opens
    with a noun phrase."""
    head = ACRONYM.sub("", title)
    first = head.split(" ", 1)[0]
    if not first.endswith("ing") or first in FREE_GERUNDS:
        return True
    return head.startswith(ACTIVITY_OPENINGS)


@pytest.mark.parametrize(
    ("title", "well_formed"),
    [
        ("Reducing plate waste in school canteens", True),
        ("Plate waste in school canteens: measuring and reducing it", True),
        ("PLATEWISE: Reducing plate waste in school canteens in Skåne", True),
        ("Understanding sand dams on seasonal rivers", True),
        ("Developing plate waste in school canteens", False),
        ("Innovating hull optimisation for coastal ferries", False),
        ("Building automated plug-in systems for short crossings", False),
    ],
)
def test_the_title_grammar_refuses_a_verb_glued_to_a_noun_phrase(title: str, well_formed: bool) -> None:
    assert opens_well(title) is well_formed


def test_every_title_is_well_formed(generated: tuple[list[DemoProject], ...]) -> None:
    national, development, _ = generated
    assert [p.title for p in national + development if not opens_well(p.title)] == []


def test_no_two_projects_of_one_funder_share_a_title(generated: tuple[list[DemoProject], ...]) -> None:
    national, development, _ = generated
    titles = Counter((p.programme.funder, p.title) for p in national + development)
    assert [key for key, count in titles.items() if count > 1] == []


def test_titles_repeat_across_funders_only_for_the_deliberate_twins(
    generated: tuple[list[DemoProject], ...],
) -> None:
    national, development, _ = generated
    titles = Counter(p.title for p in national + development)
    assert [title for title, count in titles.items() if count > 1] == []
    funders: dict[str, set[str]] = {}
    for p in national:
        funders.setdefault(p.abstract, set()).add(p.programme.funder)
    assert sum(1 for names in funders.values() if len(names) > 1) >= portfolio.TWINS


def test_each_organisation_sits_in_a_city_of_its_country(generated: tuple[list[DemoProject], ...]) -> None:
    *_, organisations = generated
    assert [o.name for o in organisations if o.city not in PLACES[o.country]] == []


def test_research_sits_in_university_cities_and_maritime_firms_by_the_sea(
    generated: tuple[list[DemoProject], ...],
) -> None:
    *_, organisations = generated
    research = [o for o in organisations if o.helix == "research"]
    assert [o.name for o in research if o.city not in UNIVERSITIES[o.country]] == []
    maritime = [o for o in organisations if o.industry == "maritime" and o.helix != "government"]
    assert maritime
    assert [o.name for o in maritime if o.city in INLAND] == []


def test_organisations_work_only_in_fields_that_fit_their_kind(
    generated: tuple[list[DemoProject], ...],
) -> None:
    national, development, _ = generated
    misfits = [
        (org.name, p.theme.key)
        for p in national + development
        for org, _, _ in p.partners
        if org.industry is not None and org.industry != portfolio.theme_field(p.theme)
    ]
    assert misfits == []
    dryland = {o.name for p in national for o, _, _ in p.partners if "Dryland" in o.name}
    assert dryland == set()  # no dryland institute in a Nordic programme


@pytest.mark.parametrize(
    ("word", "themes"),
    [
        ("Dryland", {"water-harvesting", "drought-crops", "early-warning", "risk-finance"}),
        ("Pastoral", {"water-harvesting", "drought-crops", "early-warning", "risk-finance"}),
        ("Patients'", {"digital-health"}),
        ("Senior Citizens'", {"digital-health"}),
        ("Health Informatics", {"digital-health"}),
        ("Medical", {"digital-health"}),
        ("Photonics", {"quantum-space"}),
        ("Quantum", {"quantum-space"}),
        ("Production Engineering", {"advanced-manufacturing"}),
        ("Maritime", {"battery-ferries", "ship-efficiency", "shore-charging", "maritime-industry"}),
        ("Ferry", {"battery-ferries", "ship-efficiency", "shore-charging", "maritime-industry"}),
        ("Tenants'", {"material-reuse", "demolition-waste", "embodied-carbon"}),
        ("Parents' Council", {"organic-procurement", "food-waste", "low-carbon-menus", "meal-experience"}),
    ],
)
def test_an_organisation_named_for_a_field_works_only_on_that_field_s_themes(
    generated: tuple[list[DemoProject], ...], word: str, themes: set[str]
) -> None:
    national, development, _ = generated
    named = {
        (o.name, p.theme.key) for p in national + development for o, _, _ in p.partners if word in o.name
    }
    assert named  # the word names some organisation of the demo
    assert {(name, theme) for name, theme in named if theme not in themes} == set()


def test_a_firm_s_name_is_in_its_country_s_language_or_in_english(
    generated: tuple[list[DemoProject], ...],
) -> None:
    *_, organisations = generated
    foreign = {"SE": "øæ", "NO": "äö", "DK": "äö"}  # letters the other Nordic languages have
    assert [
        o.name
        for o in organisations
        if o.helix == "industry" and set(o.name.split(" ", 1)[0].lower()) & set(foreign.get(o.country, ""))
    ] == []


def test_a_project_is_led_from_its_own_country(generated: tuple[list[DemoProject], ...]) -> None:
    national, development, _ = generated
    assert [p.id for p in national + development if p.partners[0][0].country != p.country] == []


def test_every_programme_s_projects_start_within_its_years(generated: tuple[list[DemoProject], ...]) -> None:
    national, development, _ = generated
    outside = [
        p.id
        for p in national + development
        if not p.programme.years[0] <= p.start.year <= p.programme.years[1]
    ]
    assert outside == []


def test_programmes_run_for_years_of_their_own() -> None:
    years = {p.years for p in portfolio.PROGRAMMES + portfolio.IATI_PROGRAMMES}
    assert len({first for first, _ in years}) >= 4
    assert len({last for _, last in years}) >= 3


def test_some_projects_carry_co_funding_by_source_and_conditions_where_the_instrument_suggests(
    generated: tuple[list[DemoProject], ...],
) -> None:
    national, _, _ = generated
    details = {p.id: funding_detail(p) for p in national}
    assert sum(1 for d in details.values() if d.cofunding_sources) >= 0.05 * len(national)
    for p in national:
        if p.instrument == "loan":
            assert "loan:" in details[p.id].conditions
        if p.instrument == "equity":
            assert "equity:" in details[p.id].conditions


def test_no_currency_has_a_rate_to_itself_other_than_1(tmp_path: Path) -> None:
    with portfolio.write_rates(tmp_path / "rates.csv").open(encoding="utf-8") as rows:
        rates = list(csv.DictReader(rows))
    assert rates
    assert [r for r in rates if r["currency"] == r["reporting_currency"] and float(r["rate"]) != 1] == []
    assert portfolio.rate("EUR", 2020) == 1


@pytest.mark.parametrize(
    ("currency", "low", "high"),
    [
        # euros per unit, the range of the ECB's yearly averages since 2015
        ("SEK", 0.085, 0.108),
        ("NOK", 0.084, 0.113),
        ("DKK", 0.1335, 0.1346),
        ("USD", 0.84, 0.96),
    ],
)
def test_every_rate_lies_where_the_currency_has_traded(currency: str, low: float, high: float) -> None:
    rates = [portfolio.rate(currency, year) for year in portfolio.RATE_YEARS]
    assert [r for r in rates if not low <= r <= high] == []


@pytest.mark.parametrize("currency", sorted(portfolio.EUR_QUOTES))
def test_no_rate_moves_more_than_15_per_cent_in_a_year(currency: str) -> None:
    rates = [portfolio.rate(currency, year) for year in portfolio.RATE_YEARS]
    assert [(a, b) for a, b in itertools.pairwise(rates) if abs(b / a - 1) > 0.15] == []


def test_the_rates_cover_every_year_a_project_starts(generated: tuple[list[DemoProject], ...]) -> None:
    national, development, _ = generated
    assert {p.start.year for p in national + development} <= set(portfolio.RATE_YEARS)


def test_every_stop_has_a_reason_the_data_show_and_every_scale_met_its_milestones(demo: Path) -> None:
    from missionboard.monitoring import list_decisions

    ws = Workspace.open(f"sqlite:///{demo}")
    try:
        entries = list_decisions(ws)
    finally:
        ws.close()
    stops = [e.decision for e in entries if e.decision.decision.value == "stop"]
    scales = [e.decision for e in entries if e.decision.decision.value == "scale"]
    assert stops and scales
    for stop in stops:
        progress = stop.evidence["progress"]
        assert progress["milestones"]["overdue"] > 0 or progress.get("flags")
        assert "overdue" in stop.rationale
    for scale in scales:
        assert scale.evidence["progress"]["milestones"]["overdue"] == 0
        assert all(criterion.met for criterion in scale.criteria)


def test_the_demo_is_the_same_every_time_it_is_generated() -> None:
    first, second = generate_projects(), generate_projects()
    assert [(p.id, p.title, p.start, [o.name for o, _, _ in p.partners]) for p in first[0] + first[1]] == [
        (p.id, p.title, p.start, [o.name for o, _, _ in p.partners]) for p in second[0] + second[1]
    ]
