"""The app in a real headless Chromium: log in, open a mission, review a link, edit a mission, export a view.

Needs Debian's ``chromium`` (``apt-get install -y chromium``) and Playwright for Python; the browser is
driven through ``executable_path`` (no browser download). Each main page is saved as a screenshot under
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_support import PASSWORD, needs_chromium

from missionboard.services import missions as mission_service
from missionboard.store.audit import events
from missionboard.store.workspace import Workspace

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

pytestmark = needs_chromium


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def login(page: Any, base: str, username: str, target: str = "/") -> None:
    page.goto(f"{base}/login?next={target}")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")


def test_a_user_logs_in_and_opens_a_mission(server: tuple[str, Workspace], page: Any) -> None:
    base, _ = server
    page.goto(f"{base}/projects")
    assert "/login" in page.url
    shot(page, "login")
    login(page, base, "viewer", "/")
    assert page.get_by_role("heading", name="Missions").is_visible()
    shot(page, "missions")
    page.get_by_role("link", name="Plastic-free coastal waters").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Mission tree").is_visible()
    assert page.get_by_text("Halve beach litter").first.is_visible()
    # The analytics and monitoring sections arrive after the page, through the fragment.
    page.wait_for_selector("#analytics-h", timeout=60_000)
    shot(page, "mission")
    page.goto(f"{base}/missions/ocean/report")
    shot(page, "report")


def test_a_reviewer_reviews_a_link_with_the_keyboard(server: tuple[str, Workspace], page: Any) -> None:
    base, workspace = server
    login(page, base, "reviewer", "/review?mission=ocean")
    items = page.locator(".queue-item")
    assert items.count() > 0
    shot(page, "review")
    second = items.nth(1).get_attribute("data-link")
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("r")
    assert "Review recorded" in page.content()
    with workspace.reading() as session:
        event = events(session, entity="link", entity_id=str(second))[-1]
    assert event.actor == "reviewer" and event.after is not None and event.after["status"] == "rejected"


def test_an_editor_edits_a_mission_in_the_form_and_sees_yaml_errors_in_place(
    server: tuple[str, Workspace], page: Any
) -> None:
    base, workspace = server
    login(page, base, "editor", "/missions/ocean/edit")
    shot(page, "mission-editor")
    page.get_by_label("Title", exact=True).fill("Plastic-free coastal waters by 2030")
    page.get_by_label("What changed and why (kept in the history)").fill("sharper title")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("status").inner_text() == "Saved."
    assert (
        mission_service.get_mission(workspace, "ocean").mission.title == "Plastic-free coastal waters by 2030"
    )
    page.goto(f"{base}/missions/ocean/edit")
    yaml_box = page.get_by_label("Mission YAML")
    yaml_box.fill(yaml_box.input_value().replace("deadline: 2030-12-31", "deadline: soon"))
    page.get_by_role("button", name="Save YAML").click()
    page.wait_for_load_state("networkidle")
    alert = page.locator(".error[role=alert]")
    assert "mission.deadline" in alert.inner_text()
    alert.locator("a[data-line]").first.click()  # puts the cursor on the offending line
    assert page.evaluate("document.activeElement.id") == "yaml"
    shot(page, "mission-editor-errors")
    page.goto(f"{base}/missions/ocean/history")
    shot(page, "mission-history")


def test_an_analyst_filters_the_portfolio_and_exports_the_view(
    server: tuple[str, Workspace], page: Any, tmp_path: Path
) -> None:
    base, _ = server
    login(page, base, "viewer", "/projects")
    page.get_by_label("Funder", exact=True).select_option("Research Council")  # submits by itself
    page.wait_for_url("**funder=Research+Council**")
    assert "20 projects" in page.get_by_role("heading", level=2).first.inner_text()
    shot(page, "explorer")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    path = tmp_path / "view.csv"
    download_info.value.save_as(str(path))
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == 20 and {r["funder"] for r in rows} == {"Research Council"}
    page.locator("table.data a[href^='/projects/']").first.click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Record").is_visible()
    shot(page, "project")


def test_admin_pages_render(server: tuple[str, Workspace], page: Any) -> None:
    base, _ = server
    login(page, base, "admin", "/admin/audit")
    assert page.get_by_role("heading", name="Audit log").is_visible()
    shot(page, "audit")
    page.goto(f"{base}/import")
    shot(page, "import")
    page.goto(f"{base}/admin/users")
    shot(page, "users")


LABELS_JS = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(e => e.type !== 'hidden')
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
  .map(e => e.outerHTML)"""

CONTRAST_JS = """() => {
  const parse = c => c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
  const lum = rgb => { const [r, g, b] = rgb.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const background = el => { for (let e = el; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor; if (!c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') return parse(c); } return [255, 255, 255]; };
  const bad = [];
  for (const el of document.querySelectorAll('main p, main a, main td, main th, main dt, main dd, main label, main button, main li, header a')) {
    if (!el.offsetParent || !el.textContent.trim()) continue;
    const fg = lum(parse(getComputedStyle(el).color)), bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < 4.5) bad.push(el.tagName + ' ' + ratio.toFixed(2) + ' ' + el.textContent.trim().slice(0, 40));
  }
  return bad;
}"""


@pytest.mark.parametrize(
    "path",
    ["/", "/missions/ocean", "/missions/ocean/edit", "/projects", "/review?mission=ocean", "/admin/audit"],
)
def test_pages_have_labelled_inputs_and_readable_contrast(
    server: tuple[str, Workspace], page: Any, path: str
) -> None:
    base, _ = server
    login(page, base, "admin", path)
    assert page.evaluate(LABELS_JS) == []
    assert page.evaluate(CONTRAST_JS) == []


def test_the_keyboard_reaches_the_skip_link_and_the_login_form(
    server: tuple[str, Workspace], page: Any
) -> None:
    base, _ = server
    page.goto(f"{base}/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    page.get_by_label("User name").focus()
    page.keyboard.type("viewer")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)  # the form posts, then redirects
    page.wait_for_load_state("networkidle")
    assert (
        page.get_by_role("link", name="Log out").count() + page.get_by_role("button", name="Log out").count()
        == 1
    )
