"""The world map of money by country: every country of the bundled map drawn, those with money filled by
their class on a five-class sequential scale, the others grey; a legend with the class limits and the
unit; a title per country, escaped; nothing the app's Content-Security-Policy refuses (no inline styles,
no scripts) and nothing fetched from elsewhere."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from missionboard.domain.portfolio_rule import CurrencySource
from missionboard.services.geography import CountryMap, MissionChoice, PlaceFigures
from missionboard.web.choropleth import (
    CLASS_COLOURS,
    NO_DATA,
    choropleth_svg,
    class_colours,
    class_limits,
    country_map_context,
)

SVG = "{http://www.w3.org/2000/svg}"
VALUES = {
    "NO": 2_500_000_000.0,
    "DK": 440_000_000.0,
    "KE": 316_000_000.0,
    "SE": 290_000_000.0,
    "ET": 62_000_000.0,
}
TITLES = {"NO": "Norway: 697 projects, 2.5 bn EUR", "KE": 'Kenya <&> "quoted": 302 projects'}


@pytest.fixture(scope="module")
def svg() -> str:
    return str(choropleth_svg(VALUES, TITLES, legend_unit="EUR"))


@pytest.fixture(scope="module")
def root(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _country(root: ET.Element, code: str) -> ET.Element:
    found = root.find(f".//{SVG}g[@data-country='{code}']")
    assert found is not None, f"no country {code}"
    return found


def test_the_map_is_well_formed_svg_zoomed_inside_the_bundled_view_box(root: ET.Element) -> None:
    _x, _y, width, height = (float(v) for v in (root.get("viewBox") or "").split())
    assert width < 2475 and height < 1388


def test_without_data_the_map_shows_the_whole_world() -> None:
    root = ET.fromstring(str(choropleth_svg({}, {}, legend_unit="EUR")))
    assert root.get("viewBox") == "0 0 2475 1388"


def test_the_map_zooms_to_the_nordic_countries_when_only_they_have_data() -> None:
    root = ET.fromstring(str(choropleth_svg({"NO": 3.0, "SE": 2.0, "DK": 1.0}, {}, legend_unit="EUR")))
    x, y, width, height = (float(v) for v in (root.get("viewBox") or "").split())
    assert width * height < 0.05 * 2475 * 1388  # the data fill a visible part of the figure, not 1 %
    assert 1100 < x < 1300 and y < 250  # northern Europe, with the legend's column on its left


def test_every_country_of_the_bundled_map_is_drawn(root: ET.Element) -> None:
    countries = root.findall(f".//{SVG}g[@class='country']")
    assert len(countries) > 170


@pytest.mark.parametrize("code", ["no", "se", "dk", "ke", "et"])
def test_a_country_with_money_has_paths_filled_with_a_class_colour(root: ET.Element, code: str) -> None:
    country = _country(root, code)
    assert country.findall(f"{SVG}path")
    assert country.get("fill") in CLASS_COLOURS


def test_the_most_money_gets_the_darkest_class_and_the_least_the_lightest(root: ET.Element) -> None:
    assert _country(root, "no").get("fill") == CLASS_COLOURS[-1]
    assert _country(root, "et").get("fill") == CLASS_COLOURS[0]


@pytest.mark.parametrize("code", ["fr", "br", "au"])
def test_a_country_without_data_is_grey(root: ET.Element, code: str) -> None:
    assert _country(root, code).get("fill") == NO_DATA


def test_a_country_title_is_the_one_given(root: ET.Element) -> None:
    title = _country(root, "no").find(f"{SVG}title")
    assert title is not None
    assert title.text == TITLES["NO"]


def test_a_country_without_a_title_given_is_named_with_no_projects(root: ET.Element) -> None:
    title = _country(root, "fr").find(f"{SVG}title")
    assert title is not None
    assert title.text == "France: no projects"


def test_titles_are_escaped(svg: str, root: ET.Element) -> None:
    assert "Kenya &lt;&amp;&gt;" in svg
    title = _country(root, "ke").find(f"{SVG}title")
    assert title is not None
    assert title.text == TITLES["KE"]


def test_the_legend_gives_each_class_its_limits_and_the_unit(root: ET.Element) -> None:
    legend = root.find(f".//{SVG}g[@class='legend']")
    assert legend is not None
    texts = [t.text or "" for t in legend.iter(f"{SVG}text")]
    assert texts[0] == "Money by country (EUR)"
    assert texts[1:] == [
        "up to 62 m",
        "62 m – 290 m",
        "290 m – 320 m",
        "320 m – 440 m",
        "440 m – 2.5 bn",
        "no data",
    ]


def test_the_legend_swatches_are_the_class_colours_then_grey(root: ET.Element) -> None:
    legend = root.find(f".//{SVG}g[@class='legend']")
    assert legend is not None
    assert [r.get("fill") for r in legend.iter(f"{SVG}rect")] == [*CLASS_COLOURS, NO_DATA]


def test_no_inline_style_or_script(svg: str) -> None:
    assert "style=" not in svg
    assert "<style" not in svg
    assert "<script" not in svg


def test_nothing_is_fetched_from_elsewhere(svg: str) -> None:
    assert not re.search(r'href="[^"]*"', svg)
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_codes_are_matched_in_any_case_and_eu_aliases_name_their_iso_country() -> None:
    root = ET.fromstring(str(choropleth_svg({"uk": 1.0, "EL": 1.0}, {}, legend_unit="EUR")))
    assert _country(root, "gb").get("fill") != NO_DATA
    assert _country(root, "gr").get("fill") != NO_DATA


def test_without_data_every_country_is_grey_and_the_legend_has_no_classes() -> None:
    root = ET.fromstring(str(choropleth_svg({}, {}, legend_unit="EUR")))
    assert {g.get("fill") for g in root.findall(f".//{SVG}g[@class='country']")} == {NO_DATA}


@pytest.mark.parametrize(
    ("values", "limits"),
    [
        ([], []),
        ([5.0, 5.0, 5.0], [5.0]),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [2.0, 4.0, 6.0, 8.0, 10.0]),
        ([1234.0, 98_765.0], [1300.0, 99_000.0]),
        ([0.0, 10.0], [0.0, 10.0]),
    ],
)
def test_class_limits_are_quintiles_rounded_up_to_two_significant_digits(
    values: list[float], limits: list[float]
) -> None:
    assert class_limits(values) == limits


def test_the_largest_value_is_always_inside_the_last_class() -> None:
    values = [123_456.0, 987_654.0, 555_555.0]
    assert max(values) <= class_limits(values)[-1]


@pytest.mark.parametrize(
    ("classes", "colours"),
    [
        (0, ()),
        (1, (CLASS_COLOURS[2],)),
        (2, (CLASS_COLOURS[0], CLASS_COLOURS[4])),
        (5, CLASS_COLOURS),
    ],
)
def test_fewer_classes_spread_over_the_whole_scale(classes: int, colours: tuple[str, ...]) -> None:
    assert class_colours(classes) == colours


# --- the partial ``_map.html``, rendered through the app's templates ------------------------------------


def _country_map(mission: str | None = None) -> CountryMap:
    return CountryMap(
        mission=mission,
        missions=(
            MissionChoice("ferries", "Zero-emission ferries"),
            MissionChoice("meals", "School <meals>"),
        ),
        currency="EUR",
        currency_source=CurrencySource.WORKSPACE,
        projects=12,
        money=3_000_000.0,
        unplaced=2,
        unconverted=0,
        countries=(PlaceFigures("NO", "Norway", 7, 2_000_000.0), PlaceFigures("KE", "Kenya", 3, 1_000_000.0)),
        regions=(PlaceFigures("Troms", "Troms", 4, 1_500_000.0),),
    )


def _render(country_map: CountryMap) -> str:
    from missionboard.web.rendering import templates

    return templates.env.get_template("_map.html").render(country_map=country_map_context(country_map))


def test_the_partial_holds_the_map_its_caption_and_the_same_figures_in_a_table() -> None:
    html = _render(_country_map())
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="choropleth"' in html
    assert "Money by country, the portfolios of all missions you may see together." in html
    assert "a project counts in each country it names, its money split evenly among them" in html.lower()
    assert (
        '<tr data-country="NO"><th scope="row">Norway <span class="muted">(NO)</span></th><td class="num">7</td><td class="num">2,000,000</td></tr>'
        in html
    )


def test_the_partial_lists_the_regions_apart_and_says_how_many_projects_name_no_country() -> None:
    html = _render(_country_map())
    assert '<tr><th scope="row">Troms</th><td class="num">4</td><td class="num">1,500,000</td></tr>' in html
    assert "2 projects name no country and are not on the map." in html


def test_the_mission_selector_offers_every_visible_mission_and_marks_the_one_shown() -> None:
    html = _render(_country_map("ferries"))
    assert '<select id="map-mission" name="map_mission">' in html
    assert '<option value="ferries" selected>Zero-emission ferries</option>' in html
    assert '<option value="meals">School &lt;meals&gt;</option>' in html
    assert "in the portfolio of Zero-emission ferries." in html


def test_the_outlines_are_simplified_to_the_maps_resolution_so_a_page_stays_light(svg: str) -> None:
    """The bundled 730 kB of curves become whole-unit outlines: the whole map is a fraction of that."""
    assert len(svg.encode()) < 250_000


def test_every_country_keeps_an_outline_after_simplification_even_the_smallest_islands(
    root: ET.Element,
) -> None:
    countries = root.findall(f".//{SVG}g[@class='country']")
    empty = [
        c.get("data-country")
        for c in countries
        if not [p.get("d") for p in c.iter(f"{SVG}path") if p.get("d")]
    ]
    assert empty == []
