"""An analyst prepares a board meeting on the demo, in a real headless Chromium.

She finds the mission whose objective is weakest, reads its page, explores and exports its portfolio,
reviews twenty links, compares the missions and their map, downloads the board paper and slides, keeps
the learning log, answers a closed consultation, meets an error page and reads the app in Norwegian
and Swedish. Each step asserts what the data say (counts, downloads' contents, page states) and saves
a full-page screenshot (``Shots`` in ``browser_support``: kept under ``$MISSIONBOARD_SCREENSHOTS``
where it is set) to be looked at. Pages that still show codes of the data are strict xfails naming the
finding.

Needs Debian's ``chromium`` and Playwright for Python (no browser download).
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from browser_support import COLLEAGUE, DemoServer, Focus, Shots
from web_support import needs_chromium

from missionboard.cli.web import DEMO_USER
from missionboard.services import consultations
from missionboard.services import learning as learning_service
from missionboard.store.links import LinkStore
from missionboard.web import i18n
from missionboard.web.choropleth import ALIASES

pytestmark = needs_chromium


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def number(text: str) -> int:
    """The first whole number in ``text`` ("1,234 projects" → 1234)."""
    found = re.search(r"\d[\d,]*", text)
    assert found is not None, text
    return int(found.group().replace(",", ""))


def settle(page: Any) -> None:
    """Wait until the sections a page loads after itself (analytics, monitoring) have arrived."""
    page.wait_for_load_state("load")
    _expect()(page.locator("[aria-busy=true]")).to_have_count(0, timeout=60_000)


CLIPPED_LABELS_JS = """() => Array.from(document.querySelectorAll('svg text'))
  .filter(t => t.textContent.trim() && t.ownerSVGElement)
  .filter(t => {
    const a = t.getBoundingClientRect(), b = t.ownerSVGElement.getBoundingClientRect();
    return a.width > 0 && (a.left < b.left - 1 || a.right > b.right + 1 || a.top < b.top - 1 || a.bottom > b.bottom + 1);
  })
  .map(t => t.textContent.trim())"""
"""The labels of the page's charts that stick out of their chart (the browser cuts them there)."""

SMALL_CHART_TEXT_JS = """() => Array.from(document.querySelectorAll('svg.chart text'))
  .filter(t => t.textContent.trim() && t.getBoundingClientRect().width > 0)
  .map(t => [t.textContent.trim(), parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a])
  .filter(([, px]) => px < 9)
  .map(([text, px]) => `${text}: ${px.toFixed(1)} px`)"""
"""The charts' words drawn smaller than 9 px on the screen (a chart's own size times its scale)."""

RAW_CODES = re.compile(r"\b(?:[a-z]+_[a-z_]+|[A-Z]+_[A-Z_]+|mission:[a-z][a-z-]*)\b")
"""Codes of the data that a page must show in words: ``rd_grant``, ``RD_GRANT``, ``civil_society``,
``mission:school-meals``."""


def download(page: Any, link: Any, folder: Path) -> Path:
    with page.expect_download() as info:
        link.click()
    path = folder / info.value.suggested_filename
    info.value.save_as(str(path))
    return path


# --- 1. the weakest objective, its mission, its portfolio ------------------------------------------


def test_the_analyst_finds_the_weakest_objective_and_exports_exactly_its_projects(
    demo_server: DemoServer, analyst: Any, focus: Focus, shot: Shots, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    page, base = analyst, demo_server.base
    mission_id, objective_id, objective = focus.mission, focus.objective, focus.objective_title
    page.goto(f"{base}/missions/compare")
    shot(page, "01-compare-weakest-first")
    compared_size = number(
        page.locator(f"#cmp-{mission_id}").locator("xpath=..").locator(".portfolio-projects").inner_text()
    )

    page.get_by_role("link", name="Missions", exact=True).first.click()
    card = page.locator("li.card", has=page.locator(f"a[href='/missions/{mission_id}']"))
    assert number(card.locator(".portfolio-projects").inner_text()) == compared_size
    shot(page, "01-missions")
    card.locator(f"a[href='/missions/{mission_id}']").click()
    page.wait_for_url(f"{base}/missions/{mission_id}")
    settle(page)
    counts = page.locator(f".counts:has(a[href$='/{objective_id}'])").inner_text()
    accepted, counted = (
        int(n.replace(",", "")) for n in re.findall(r"([\d,]+) (?:accepted|proposed \(counted\))", counts)
    )
    assert number(page.locator("#tree .portfolio-projects").inner_text()) == compared_size
    shot(page, "01-mission")

    page.locator("#explore-portfolio").click()
    page.wait_for_url(f"**/projects?mission={mission_id}")
    assert number(page.locator("#results-h").inner_text()) == compared_size
    api = page.request.get(f"{base}/api/v1/projects?mission={mission_id}&per_page=1").json()
    assert api["total"] == compared_size
    goals = page.locator("#x-goal option").all_inner_texts()
    assert not [g for g in goals if RAW_CODES.search(g)]  # objectives by their titles, not their codes
    whole_charts = page.locator("#view-charts").inner_html()
    shot(page, "01-explorer-portfolio")
    page.locator("#x-goal").select_option(value=f"mission:{mission_id}/{objective_id}")  # submits itself
    page.wait_for_url(re.compile(r".*goal=mission%3A.*"))
    shown = number(page.locator("#results-h").inner_text())
    assert shown == accepted + counted
    assert objective in page.locator("#x-goal option:checked").inner_text()
    assert page.locator("#view-charts svg").count() >= 2
    assert page.locator("#view-charts").inner_html() != whole_charts  # the charts follow the filter
    assert page.evaluate(CLIPPED_LABELS_JS) == []
    shot(page, "01-explorer-objective")

    rows = list(
        csv.DictReader(io.StringIO(download(page, page.locator("#export-csv"), tmp_path).read_text("utf-8")))
    )
    assert len(rows) == shown
    listed = {
        (a.get_attribute("href") or "").rsplit("/", 1)[1]
        for a in page.locator("table.sortable tbody a[href^='/projects/']").all()
    }
    assert listed and listed <= {r["id"] for r in rows}  # the rows on the page are among those exported
    sheet = load_workbook(download(page, page.locator("#export-xlsx"), tmp_path)).worksheets[0]
    assert sheet.max_row - 1 == shown
    assert len(json.loads(download(page, page.locator("#export-json"), tmp_path).read_text("utf-8"))) == shown


def test_the_mission_page_has_contents_readable_charts_and_the_collaboration_network(
    demo_server: DemoServer, analyst: Any, focus: Focus, shot: Shots
) -> None:
    page = analyst
    page.goto(f"{demo_server.base}/missions/{focus.mission}")
    settle(page)
    contents = page.locator("nav.mission-toc a[href^='#']")
    assert contents.count() >= 6
    for anchor in contents.all():
        target = anchor.get_attribute("href") or ""
        assert page.locator(target).count() == 1, target
    network = page.locator("#collaboration-network svg.network")
    network.scroll_into_view_if_needed()
    assert network.locator("circle.node").count() >= 5
    assert network.locator("line").count() >= 1
    assert network.locator("text").count() >= 1  # the most connected actors are named
    assert page.evaluate(CLIPPED_LABELS_JS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # no table widens the page
    assert page.evaluate(SMALL_CHART_TEXT_JS) == []
    shot(page, "01-mission-network")


# --- 2. twenty links reviewed ------------------------------------------------------------------------


def test_the_analyst_reviews_twenty_links_with_keys_bulk_comments_and_an_assignment(
    demo_server: DemoServer, analyst: Any, focus: Focus, shot: Shots
) -> None:
    page, base = analyst, demo_server.base
    expect = _expect()
    mission_id, objective_id = focus.mission, focus.objective
    page.goto(f"{base}/missions/{mission_id}")
    page.locator("a", has_text="Review links").first.click()
    page.wait_for_url(f"**/review?mission={mission_id}")
    progress = page.locator("#queue-progress")
    before = int(progress.get_attribute("value") or "0")
    first = page.locator(".queue-item").first
    assert first.locator(".review-project mark").count() >= 1  # the evidence, marked in the project's text
    assert first.locator(".review-project .abstract").inner_text().strip()
    assert first.locator(".review-goal h3").inner_text().strip()  # the goal beside it, with its title
    shot(page, "02-review-queue")

    reviewed: dict[int, str] = {}
    link = int(first.get_attribute("data-link") or "0")
    with page.expect_navigation():
        page.keyboard.press("a")
    reviewed[link] = "accepted"
    page.keyboard.press("j")
    link = int(page.locator(".queue-item.current").get_attribute("data-link") or "0")
    with page.expect_navigation():
        page.keyboard.press("r")
    reviewed[link] = "rejected"
    expect(page.get_by_role("status")).to_contain_text("Review recorded")

    commented = page.locator(".queue-item").first
    commented.locator("textarea[name=text]").fill(
        "Abstract says pilot; check the final report before accepting."
    )
    commented.get_by_role("button", name="Add comment").click()
    page.wait_for_load_state("load")
    expect(page.locator(".link-comment").first).to_contain_text("check the final report")

    page.locator("#r-goal").select_option(objective_id)  # submits itself
    page.wait_for_url(re.compile(rf".*goal={objective_id}.*"))
    page.locator(".queue-item").first.focus()
    ticked = []
    for _ in range(18):
        ticked.append(int(page.locator(".queue-item.current").get_attribute("data-link") or "0"))
        page.keyboard.press("x")
        page.keyboard.press("j")
    page.locator("#bulk-accept").click()
    page.wait_for_url("**/review/bulk")
    expect(page.locator("h1")).to_contain_text("18")  # "Accept 18 links?"
    assert page.locator("table.data tbody tr").count() == 18
    with demo_server.workspace.reading() as session:
        links = LinkStore(session)
        waiting = {s.status for s in map(links.get, ticked) if s}
    assert waiting == {"proposed"}  # nothing changes before the analyst confirms
    shot(page, "02-bulk-confirmation")
    page.locator("#bulk-confirm").click()
    page.wait_for_url(re.compile(r".*/review\?.*"))
    reviewed.update({link: "accepted" for link in ticked})

    page.goto(f"{base}/review?mission={mission_id}")
    page.locator("#a-assignee").select_option(COLLEAGUE)
    page.locator("#a-goal").select_option(objective_id)
    page.get_by_role("button", name="Assign", exact=True).click()
    page.wait_for_load_state("load")
    expect(page.locator(".assign-queue")).to_contain_text(COLLEAGUE)
    assert int(page.locator("#queue-progress").get_attribute("value") or "0") == before + 20
    shot(page, "02-review-after-twenty")

    assert len(reviewed) == 20
    with demo_server.workspace.reading() as session:
        links = LinkStore(session)
        stored = {link: links.get(link) for link in reviewed}
    assert {link: (s.status if s else None) for link, s in stored.items()} == reviewed
    assert {s.reviewer for s in stored.values() if s} == {"demo"}


# --- 3. all missions side by side, and the map ----------------------------------------------------


def test_the_missions_side_by_side_put_the_weakest_first_and_map_the_money(
    demo_server: DemoServer, analyst: Any, shot: Shots
) -> None:
    page, base = analyst, demo_server.base
    page.goto(f"{base}/missions/compare")
    api = page.request.get(f"{base}/api/v1/compare").json()
    sections = page.locator("section.compare-mission")
    assert [(s.get_attribute("aria-labelledby") or "").removeprefix("cmp-") for s in sections.all()] == [
        m["id"] for m in api["missions"]
    ]
    for mission in api["missions"]:
        section = page.locator(f"section[aria-labelledby='cmp-{mission['id']}']")
        assert number(section.locator(".portfolio-projects").inner_text()) == mission["projects"]
        assert section.locator("tr.compare-objective").count() == len(mission["objectives"])
    shot(page, "03-compare")

    figure = page.locator(".choropleth-figure svg")
    assert figure.count() == 1
    countries = page.locator("table.country-figures tbody tr")
    assert countries.count() >= 3
    for row in countries.all():
        code = row.get_attribute("data-country") or ""
        drawn = ALIASES.get(code, code.lower())  # the map's groups carry the lower-case ISO code
        assert figure.locator(f"g.country[data-country='{drawn}']").count() == 1, code
    page.locator("#map-mission").select_option(api["missions"][0]["id"])
    page.get_by_role("button", name="Show").last.click()
    page.wait_for_url(re.compile(r".*map_mission=.*"))
    mapped = sum(
        number(c.inner_text())
        for c in page.locator("table.country-figures tbody td.num:nth-of-type(1)").all()
    )
    assert mapped >= api["missions"][0]["projects"]  # a project counts in each country it names
    shot(page, "03-compare-map-one-mission")


# --- 4. the board paper --------------------------------------------------------------------------


def test_the_board_paper_and_slides_carry_the_missions_figures(
    demo_server: DemoServer, analyst: Any, focus: Focus, shot: Shots, tmp_path: Path
) -> None:
    from docx import Document
    from pptx import Presentation

    page, base = analyst, demo_server.base
    mission_id, objective = focus.mission, focus.objective_title
    page.goto(f"{base}/missions/compare")
    section = page.locator(f"section[aria-labelledby='cmp-{mission_id}']")
    size = section.locator(".portfolio-projects").inner_text().strip()
    money = section.locator(".portfolio-money").inner_text().strip()
    title = section.locator("h2").inner_text().strip()
    page.goto(f"{base}/missions/{mission_id}")
    page.locator("a", has_text="Report").first.click()
    page.wait_for_url(f"**/missions/{mission_id}/report")
    contents = page.locator("nav.report-contents a[href^='#']")
    assert contents.count() >= 4
    for anchor in contents.all():
        target = anchor.get_attribute("href") or ""
        assert page.locator(target).count() == 1, target
    assert "more in the JSON" not in page.locator("main").inner_text()  # the printable report is complete
    shot(page, "04-report")

    paper = Document(str(download(page, page.get_by_role("link", name="Board paper (Word)"), tmp_path)))
    text = "\n".join(p.text for p in paper.paragraphs) + "\n".join(
        cell.text for table in paper.tables for row in table.rows for cell in row.cells
    )
    assert title in text
    assert objective in text
    assert size in text
    assert len(paper.inline_shapes) >= 1  # the charts

    slides = Presentation(
        str(download(page, page.get_by_role("link", name="Board slides (PowerPoint)"), tmp_path))
    )
    shapes = [shape for slide in slides.slides for shape in slide.shapes]
    words = "\n".join(shape.text_frame.text for shape in shapes if shape.has_text_frame)
    words += "\n".join(
        cell.text for shape in shapes if shape.has_table for row in shape.table.rows for cell in row.cells
    )
    assert title in words
    assert objective in words
    assert size in words or money in words
    assert any(shape.shape_type == 13 for shape in shapes)  # MSO_SHAPE_TYPE.PICTURE: a chart


# --- 5. the learning log and a consultation's report back ------------------------------------------


def test_the_learning_log_keeps_a_note_finds_it_and_compares_two_review_rounds(
    demo_server: DemoServer, analyst: Any, focus: Focus, shot: Shots
) -> None:
    page, base, workspace = analyst, demo_server.base, demo_server.workspace
    expect = _expect()
    mission_id, objective_id = focus.mission, focus.objective
    learning_service.close_round(workspace, mission_id, "2026-Q3", user="demo")  # as `learn round close` does
    page.goto(f"{base}/missions/{mission_id}")
    page.locator("#tree ol.projects a[href^='/projects/']").first.click()
    page.wait_for_load_state("load")
    ref = page.url.rsplit("/", 1)[1]
    project = page.request.get(f"{base}/api/v1/projects/{ref}").json()

    page.goto(f"{base}/missions/{mission_id}/learning")
    page.locator("#n-kind").select_option("pattern")
    page.locator("#n-text").fill(
        "Reuse pilots stall at certification: the board should ask for a standard first."
    )
    page.locator(f"input[name=objective][value='{objective_id}']").check()
    page.locator("#n-projects").fill(ref)
    page.locator("#n-round").fill("2026-Q4")
    page.get_by_role("button", name="Write").click()
    page.wait_for_load_state("load")
    page.locator("#l-q").fill("certification")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r".*q=certification.*"))
    notes = page.locator("main").inner_text()
    assert "Reuse pilots stall at certification" in notes
    note = page.locator("li.note", has_text="Reuse pilots stall at certification")
    about = note.get_by_role("link", name=f"{project['source']}:{project['source_id']}")
    assert about.get_attribute("href") == f"/projects/{project['id']}"
    assert note.locator(f"a[href='/missions/{mission_id}#{objective_id}']").count() == 1
    assert re.search(rf"\d{{4}}-\d{{2}}-\d{{2}} by {DEMO_USER}", note.inner_text())  # dated, attributed
    shot(page, "05-learning-log")

    learning_service.close_round(workspace, mission_id, "2026-Q4", user="demo")
    page.goto(f"{base}/missions/{mission_id}/learning")
    page.locator("#c-a").select_option("2026-Q3")
    page.locator("#c-b").select_option("2026-Q4")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url("**/learning/compare**")
    compared = learning_service.compare_rounds(workspace, mission_id, "2026-Q3", "2026-Q4")
    main = page.locator("main")
    expect(main).to_contain_text(
        f"Portfolio: {compared.first.projects} → {compared.second.projects} projects"
    )
    expect(main).to_contain_text("Reuse pilots stall at certification")
    assert page.locator("table.data tbody tr").count() == len(compared.objectives)
    shot(page, "05-learning-rounds-compared")


def test_a_closed_consultations_report_back_is_reached_from_its_participation_page(
    demo_server: DemoServer, analyst: Any, shot: Shots
) -> None:
    page, base = analyst, demo_server.base
    expect = _expect()
    closed = next(
        c for c in consultations.list_consultations(demo_server.workspace) if c.status.value == "closed"
    )
    page.goto(f"{base}/consultations/{closed.id}/report-back")
    summary = "The board read every response; what became of each proposal is listed below."
    page.locator("#summary").fill(summary)
    page.get_by_role("button", name=re.compile("^Publish")).click()
    page.wait_for_load_state("load")
    expect(page.locator("#published")).to_be_visible()

    unanswered = page.locator("ol.report-back li.outcome-open").first
    proposal = unanswered.locator("q").inner_text().strip()
    unanswered.locator("select[name=outcome]").select_option("declined")
    reason = "Outside what the mission's owners decide; passed on to the municipalities."
    unanswered.locator("input[name=reason]").fill(reason)
    unanswered.get_by_role("button", name="Save").click()
    page.wait_for_load_state("load")
    shot(page, "05-report-back-published")

    page.goto(f"{base}/c/{closed.id}")
    shot(page, "05-participation-closed")
    page.locator("#outcome-link").click()
    page.wait_for_url(f"**/c/{closed.id}/outcome**")
    expect(page.locator("main")).to_contain_text(summary)
    declined = page.locator("section[aria-labelledby=declined-h]")
    expect(declined).to_contain_text(proposal)  # what was not taken up, and why
    expect(declined).to_contain_text(reason)
    shot(page, "05-report-back-for-participants")


# --- 6. errors and ids -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [("/projects/999999", 404), ("/missions/no-such-mission", 404), (f"/projects/{2**70}", 422)],
)
def test_an_error_page_keeps_the_signed_in_navigation_and_says_it_once(
    demo_server: DemoServer, analyst: Any, shot: Shots, path: str, status: int
) -> None:
    page = analyst
    response = page.goto(f"{demo_server.base}{path}")
    assert response is not None and response.status == status
    header = page.locator("header.top")
    assert header.get_by_role("button", name="Log out").count() == 1
    assert header.get_by_role("link", name="Log in").count() == 0
    assert header.get_by_role("link", name="Portfolio").count() == 1
    message = page.locator("[role=alert]")
    assert message.count() == 1
    assert page.locator("body").inner_text().count(message.inner_text().strip()) == 1
    shot(page, f"06-error-{status}-{path.strip('/').replace('/', '-')}")


def test_a_project_opens_by_its_source_id_in_the_page_and_the_api(
    demo_server: DemoServer, analyst: Any, shot: Shots
) -> None:
    page, base = analyst, demo_server.base
    page.goto(f"{base}/projects/1")
    title = page.locator("h1").inner_text().strip()
    api = page.request.get(f"{base}/api/v1/projects/1").json()
    ref = f"{api['source']}:{api['source_id']}"
    response = page.goto(f"{base}/projects/{ref}")
    assert response is not None and response.status == 200
    assert page.locator("h1").inner_text().strip() == title
    assert page.request.get(f"{base}/api/v1/projects/{ref}").json()["id"] == api["id"]
    shot(page, "06-project-by-source-id")


# --- 7. words, not codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "/projects?mission={mission}",
        "/missions/compare",
        "/review?mission={mission}",
        "/missions/{mission}",
        "/projects/1",
    ],
)
def test_a_page_shows_the_data_in_words_not_codes(
    demo_server: DemoServer, analyst: Any, focus: Focus, template: str
) -> None:
    page = analyst
    page.goto(demo_server.base + template.format(mission=focus.mission))
    settle(page)
    found = sorted({m.group() for m in RAW_CODES.finditer(page.locator("main").inner_text())})
    assert found == []


# --- 8. Norsk and Svenska ---------------------------------------------------------------------------

TRANSLATED = {
    # page: what its English version says, to be found on the page in the chosen language
    "/": "Compare side by side",
    "/missions/{mission}": "On this page",
    "/projects?mission={mission}": "Export this view:",
    "/review?mission={mission}": "Review queue",
    "/missions/compare": "Missions side by side",
}


@pytest.mark.parametrize(
    ("language", "name", "pages"),
    [
        ("nb", "Norsk bokmål", ("/", "/missions/{mission}", "/projects?mission={mission}")),
        ("sv", "Svenska", ("/", "/review?mission={mission}", "/missions/compare")),
    ],
)
def test_the_translated_pages_speak_the_chosen_language_and_remember_it(
    demo_server: DemoServer,
    analyst: Any,
    focus: Focus,
    shot: Shots,
    language: str,
    name: str,
    pages: tuple[str, ...],
) -> None:
    page, base = analyst, demo_server.base
    page.goto(f"{base}/")
    if page.locator("nav.languages").count() == 0:
        pytest.skip("the app has no language chooser yet (nav.languages in base.html, issue 15 item 6)")
    try:
        page.locator("nav.languages").get_by_role("link", name=name).click()
        page.wait_for_load_state("load")
        cookie = next(c for c in page.context.cookies() if c["name"] == i18n.LANGUAGE_COOKIE)
        assert cookie["value"] == language
        assert cookie["expires"] > time.time() + 300 * 24 * 3600  # remembered for the year, not the session
        log_out = i18n.gettext(language, "Log out", i18n.APP_DOMAIN)
        for template in pages:
            english = TRANSLATED[template]
            path = template.format(mission=focus.mission)
            page.goto(base + path)
            settle(page)
            said = i18n.gettext(language, english, i18n.APP_DOMAIN)
            main = page.locator("main").inner_text()
            assert page.locator("html").get_attribute("lang") == language, path
            assert said != english and said in main, path
            assert english not in main, path
            assert page.locator("header.top").get_by_role("button", name=log_out).count() == 1, path
            shot(page, f"08-{language}-{path.strip('/').split('?')[0].replace('/', '-') or 'missions'}")
    finally:
        page.goto(f"{base}/language?lang=en&next=/")
    assert page.locator("html").get_attribute("lang") == "en"
