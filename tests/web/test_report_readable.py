"""A board can read the mission page and the printable report: the report is complete (every row), has
a contents list and prints section by section with repeated table headers; the mission page is in
sections with a table of contents; the analysis draws the collaboration network as an inline SVG."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_support import PASSWORD, Web

from missionboard.services import accounts
from missionboard.services.analytics import analyze_portfolio
from missionboard.services.demo.build import build_demo
from missionboard.store.workspace import Workspace
from missionboard.web import charts

DEMO_MISSION = "zero-emission-ferries"
"""A demo mission with more flagged projects than the mission page lists (15)."""


def anchors(html: str, nav_class: str) -> list[str]:
    nav = html.split(f'class="{nav_class}"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'href="#([^"]+)"', nav)


# --- the seeded web workspace ---------------------------------------------------------------------


def test_the_report_opens_with_contents_linking_to_each_section(web: Web) -> None:
    web.login("viewer")
    page = web.client.get("/missions/ocean/report").text
    targets = anchors(page, "report-contents")
    assert targets[:2] == ["objectives-h", "top-h"]
    for target in targets:
        assert re.search(rf'<h2 id="{target}"', page), target


def test_the_report_shows_the_quality_check_once(web: Web) -> None:
    web.login("viewer")
    page = web.client.get("/missions/ocean/report").text
    assert page.count('id="quality-h"') == 1


def test_the_report_prints_each_major_section_on_a_new_page_with_repeated_table_headers(web: Web) -> None:
    css = web.client.get("/static/print.css").text
    assert "body.report main > section + section { break-before: page; }" in css.replace(".page-break, ", "")
    assert "thead { display: table-header-group; }" in css


def test_the_mission_page_has_a_table_of_contents_linking_to_its_sections(web: Web) -> None:
    web.login("viewer")
    page = web.client.get("/missions/ocean").text
    targets = anchors(page, "mission-toc")
    assert targets == ["statement", "tree", "quality", "analysis", "monitoring", "decisions"]
    for target in targets:
        assert re.search(rf'<section[^>]* id="{target}"', page), target


def test_the_mission_page_keeps_loading_its_slow_sections_as_fragments(web: Web) -> None:
    web.login("viewer")
    page = web.client.get("/missions/ocean").text
    for part in ("quality", "analytics", "monitoring"):
        assert f'data-fragment="/missions/ocean/insights?part={part}&amp;fragment=1"' in page


# --- the network chart ----------------------------------------------------------------------------

HELICES = ["research", "industry", "government", "civil_society"]


def actors(count: int) -> list[dict[str, Any]]:
    return [{"name": f"Actor {i:02d}", "helix": HELICES[i % 4], "degree": 100 - i} for i in range(count)]


def ring(count: int) -> list[dict[str, Any]]:
    return [{"u": f"Actor {i:02d}", "v": f"Actor {(i + 1) % count:02d}", "weight": 1} for i in range(count)]


def test_the_network_keeps_the_forty_actors_of_highest_degree_and_the_lines_between_them() -> None:
    svg = str(charts.network(actors(60), ring(60), title="Collaboration network"))
    assert svg.count('<circle class="node"') == 40
    assert "<title>Actor 39 (Civil society): 61 collaborators</title>" in svg
    assert "Actor 40" not in svg
    assert svg.count("<line ") == 39  # the ring's lines between actors 0–39


def test_the_network_names_the_ten_largest_actors_in_words() -> None:
    svg = str(charts.network(actors(20), ring(20), title="Collaboration network"))
    labels = re.findall(r"<text [^>]*>([^<]+)</text>", svg)
    assert labels == [f"Actor {i:02d}" for i in range(10)]


def test_the_network_colours_each_actor_by_its_helix_and_says_which_colour_is_which() -> None:
    svg = str(charts.network(actors(8), ring(8), title="Collaboration network"))
    assert re.search(r'<circle class="node"[^>]*fill="#b35c00"[^>]*><title>Actor 01 \(Industry\)', svg)
    assert 'class="chart-legend"' in svg and "Civil society" in svg


def test_the_network_is_drawn_the_same_way_every_time() -> None:
    first = charts.network(actors(30), ring(30), title="Collaboration network")
    assert charts.network(actors(30), ring(30), title="Collaboration network") == first


def test_the_network_stays_inside_the_content_security_policy() -> None:
    svg = str(charts.network(actors(12), ring(12), title='<script>alert("x")</script>'))
    assert "style=" not in svg and "<script" not in svg


def test_a_network_without_actors_says_so() -> None:
    assert "No data." in charts.network([], [], title="Collaboration network")


# --- the demo: the full report and the network of a real analysis ----------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    path = tmp_path_factory.mktemp("demo-report") / "missionboard.db"
    build_demo(path)
    workspace = Workspace.open(f"sqlite:///{path}")
    accounts.create_user(workspace, "auditor", PASSWORD, admin=True, by="test")
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def client(demo: Workspace) -> Iterator[TestClient]:
    from missionboard.web import create_app

    with TestClient(create_app(demo, secure_cookies=False), base_url="http://127.0.0.1") as web:
        token = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/login").text)
        assert token is not None
        form = {"username": "auditor", "password": PASSWORD, "csrf_token": token.group(1), "next": "/"}
        assert web.post("/login", data=form, follow_redirects=False).status_code == 303
        yield web


def flagged_rows(html: str) -> tuple[int, int]:
    """(the count in the heading "Flagged projects (N)", the rows of the table under it)."""
    found = re.search(r"Flagged projects \((\d+)\)</h3>(.*?)</table>", html, re.S)
    assert found is not None
    return int(found.group(1)), found.group(2).count("<tr><td>")


def test_the_report_lists_every_flagged_project(client: TestClient) -> None:
    page = client.get(f"/missions/{DEMO_MISSION}/report").text
    count, rows = flagged_rows(page)
    assert count > 15
    assert rows == count


def test_no_page_sends_the_reader_to_the_json_for_rows_it_left_out(client: TestClient) -> None:
    for path in (f"/missions/{DEMO_MISSION}/report", f"/missions/{DEMO_MISSION}/insights"):
        assert "more in the JSON" not in client.get(path).text


def test_the_mission_page_lists_fifteen_flagged_projects_and_links_the_rest_to_the_report(
    client: TestClient,
) -> None:
    fragment = client.get(f"/missions/{DEMO_MISSION}/insights?part=monitoring&fragment=1").text
    count, rows = flagged_rows(fragment)
    assert rows == 15
    assert f'{count - 15} more — see <a href="/missions/{DEMO_MISSION}/report#monitoring-h">' in fragment


def test_the_analysis_draws_the_collaboration_network_as_an_inline_svg(client: TestClient) -> None:
    fragment = client.get(f"/missions/{DEMO_MISSION}/insights?part=analytics&fragment=1").text
    figure = fragment.split('id="collaboration-network"', 1)[1].split("</figure>", 1)[0]
    assert '<svg class="chart network" role="img"' in figure
    assert 0 < figure.count('<circle class="node"') <= 40
    assert "style=" not in figure and "<script" not in figure


def test_the_network_of_a_real_analysis_names_each_node_with_its_degree(demo: Workspace) -> None:
    funders = analyze_portfolio(demo, DEMO_MISSION).to_dict()["network"]["funders"]
    rows, links = funders["funders"]["rows"], funders["links"]["rows"]
    svg = str(
        charts.network(
            rows, links, title="Funders", label="funder", degree="partners", group=None, unit="funders linked"
        )
    )
    for row in rows[:40]:
        assert f"<title>{row['funder']}: {row['partners']} funders linked</title>" in svg


def test_the_mission_page_draws_the_actors_who_work_together_coloured_by_helix(
    client: TestClient, demo: Workspace
) -> None:
    graph = analyze_portfolio(demo, DEMO_MISSION).to_dict()["network"]["actors"]["graph"]
    assert 0 < len(graph["nodes"]) <= 40
    degrees = [n["degree"] for n in graph["nodes"]]
    assert degrees == sorted(degrees, reverse=True)  # the most connected actors
    names = {n["name"] for n in graph["nodes"]}
    assert all(e["u"] in names and e["v"] in names for e in graph["edges"])
    fragment = client.get(f"/missions/{DEMO_MISSION}/insights?part=analytics&fragment=1").text
    assert '<h3 id="network-h">Collaboration network</h3>' in fragment
    top = graph["nodes"][0]
    assert f"<title>{top['name']} (" in fragment and f"): {top['degree']} collaborators</title>" in fragment
