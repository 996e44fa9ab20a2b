"""A consultation in a real headless Chromium, as an owner and several participants would run it.

The owner opens an invited consultation and hands out two links; one participant answers in English
on a phone, another switches to Norwegian; a used link is refused; a public consultation takes an
anonymous response; the owner imports workshop responses, hides one with a reason, reads the synthesis,
adopts a proposal and finds it in the mission's history; the first participant erases their response.

Needs Debian's ``chromium`` and Playwright for Python (no browser download). Screenshots go to
``test-artifacts/screenshots/`` (or ``$MISSIONBOARD_SCREENSHOTS``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from pathlib import Path
from typing import Any

from web_support import PASSWORD, needs_chromium

from missionboard.services import consultations as service
from missionboard.services import missions as mission_service
from missionboard.store.audit import events
from missionboard.store.workspace import Workspace

SCREENSHOTS = Path(
    os.environ.get("MISSIONBOARD_SCREENSHOTS")
    or Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
)
PHONE = {"width": 390, "height": 844}

pytestmark = needs_chromium


def _context(browser: Any, *, phone: bool = False, javascript: bool = True) -> Any:
    context = browser.new_context(
        viewport=PHONE if phone else {"width": 1280, "height": 900},
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=2 if phone else 1,
        java_script_enabled=javascript,
        accept_downloads=True,
    )
    context.set_default_timeout(30_000)
    return context


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _login(page: Any, base: str, username: str, target: str) -> None:
    page.goto(f"{base}/login?next={target}")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}{target}")


def _open_consultation(page: Any, base: str, title: str, *, public: bool = False) -> str:
    """Through the owner's form; returns the new consultation's id."""
    expect = _expect()
    page.goto(f"{base}/missions/ocean/consultations")
    page.get_by_role("link", name="Open a consultation").click()
    page.wait_for_url("**/consultations/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Purpose", exact=False).fill(
        "We are revising the coastal mission. Tell us what matters to you, rate its objectives and propose "
        "what it should add."
    )
    if public:
        page.get_by_label("Public", exact=False).check()
    page.get_by_role("button", name="Open the consultation").click()
    page.wait_for_url(re.compile(r"/consultations/[a-z0-9-]+\?msg=opened$"))
    expect(page.get_by_role("status")).to_have_text("Consultation opened.")
    return str(page.url.split("/consultations/")[1].split("?")[0])


def _fill_response(
    page: Any,
    *,
    group: str,
    level: str,
    views: str,
    proposal_kind: str,
    proposal: str,
    consent: str,
    importance: int,
) -> None:
    """As a participant would: by the visible labels (language-specific), tapping the choices."""
    page.get_by_label(group, exact=True).check()
    page.get_by_label(level, exact=True).check()
    page.locator("textarea[name='answer.views']").fill(views)
    page.locator(f"label[for='rating-litter-importance-{importance}']").click()
    page.locator("label[for='rating-litter-ambition-3']").click()
    page.get_by_label(proposal_kind, exact=True).check()
    page.locator("textarea[name='proposal.proposals.text']").fill(proposal)
    page.get_by_label(consent, exact=False).check()


WORKSHOP = [
    ("civil_society", "local", "Nets and ropes from fishing boats wash up on every beach after storms."),
    ("civil_society", "local", "After each autumn storm our cove is full of tangled rope and torn netting."),
    ("civil_society", "regional", "Most of what we pick up on the shore is old fishing line and crates."),
    ("industry", "regional", "Fishing companies need a place in each harbour to hand in worn-out gear."),
    ("industry", "local", "Skippers would bring old nets ashore if the harbour took them free of charge."),
    ("industry", "national", "Handing in used trawl nets costs us money today, so many are dumped."),
    ("government", "national", "A deposit on fishing gear would make returning it worth the effort."),
    ("government", "regional", "Producers of nets should pay for collecting them, as with bottles and cans."),
    ("government", "national", "Extended producer responsibility for fishing gear belongs in the plan."),
    ("research", "international", "Drift models show most beach litter comes from a few fishing grounds."),
    ("research", "national", "Ocean current data can tell which coasts receive litter from where."),
    ("research", "international", "Tracking lost gear by fishing ground would show where to act first."),
    ("civil_society", "local", "Volunteer cleanups work, but the full bags wait on the beach for weeks."),
    ("civil_society", "regional", "Nobody comes to fetch the sacks we fill at the clean-up days."),
    ("government", "local", "Municipalities lack money to collect litter on remote beaches."),
    ("government", "regional", "Remote islands have no boat to take collected litter to the mainland."),
    ("industry", "regional", "Recyclers cannot take mixed nylon nets; gear must be designed for recycling."),
    ("industry", "national", "Nets made of a single plastic would be far easier to recycle."),
    ("research", "national", "Count litter the same way everywhere so that years can be compared."),
    ("research", "regional", "The beach surveys use different methods, so the trend is unclear."),
    (
        "research",
        "international",
        "Follow the OSPAR beach litter method so our figures match our neighbours'.",
    ),
    ("civil_society", "national", "Schools could adopt a beach and report what they find each season."),
    ("industry", "local", "Tourist businesses would sponsor bins for sea litter at the car parks."),
    ("government", "national", "Fines for dumping gear at sea are too low to change anything."),
]


def _workshop_csv() -> bytes:
    """Responses gathered at a workshop on paper, typed into a sheet (the owner imports them)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["helix", "level", "language", "consent", "views", "litter.importance", "proposal_solution"]
    )
    for i, (helix, level, text) in enumerate(WORKSHOP):
        importance = 5 if helix in ("civil_society", "research") else 2 + i % 2
        solution = text if i % 4 == 0 else ""
        writer.writerow([helix, level, "en", "yes", text, importance, solution])
    return out.getvalue().encode()


def test_a_consultation_runs_from_opening_to_adoption_in_a_real_browser(
    server: tuple[str, Workspace], browser: Any
) -> None:
    base, workspace = server
    expect = _expect()
    owner_context = _context(browser)
    owner = owner_context.new_page()

    # The owner opens an invited consultation and hands out two links.
    _login(owner, base, "owner", "/missions/ocean")
    owner.get_by_role("link", name="Consultations").click()
    owner.wait_for_url("**/missions/ocean/consultations")
    cid = _open_consultation(owner, base, "Coastal mission review")
    owner.get_by_label("Who gets a link", exact=False).fill("Anna, marine researcher\nBo, harbour master")
    owner.get_by_role("button", name="Create invitation links").click()
    links = owner.locator("input.invitation-link")
    expect(links).to_have_count(2)
    first, second = (links.nth(i).input_value() for i in range(2))
    assert first.startswith(f"{base}/c/{cid}?t=") and first != second
    shot(owner, "consult-admin-links")

    # Participant 1 answers in English, on a phone.
    anna_context = _context(browser, phone=True)
    anna = anna_context.new_page()
    anna.goto(first)
    expect(anna.locator("html")).to_have_attribute("lang", "en")
    expect(anna.get_by_role("heading", name="Coastal mission review")).to_be_visible()
    _fill_response(
        anna,
        group="Research and education",
        level="International",
        views="The mission is right to target beach litter, but it says little about fishing gear.",
        proposal_kind="A new objective for the mission",
        proposal="Halve the fishing gear lost at sea by 2030.",
        consent="I agree that my response is kept and used",
        importance=5,
    )
    shot(anna, "consult-participate-phone")
    anna.get_by_role("button", name="Send my response").click()
    expect(anna.get_by_role("heading", name="Thank you: your response is recorded")).to_be_visible()
    receipt = anna.locator("#receipt-code code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){3}", receipt)
    shot(anna, "consult-receipt-phone")

    # Participant 2 switches to Norwegian before answering.
    bo_context = _context(browser, phone=True)
    bo = bo_context.new_page()
    bo.goto(second)
    bo.get_by_role("link", name="Norsk bokmål").click()
    expect(bo.locator("html")).to_have_attribute("lang", "nb")
    assert "t=" in bo.url  # the invitation travels with the switch
    _fill_response(
        bo,
        group="Næringsliv",
        level="Lokalt",
        views="Havnene trenger mottak for gamle garn og tauverk, ellers havner de i sjøen.",
        proposal_kind="En løsning oppdraget bør satse på",
        proposal="Gratis mottak av utrangerte fiskeredskaper i alle havner.",
        consent="Jeg samtykker i at svaret mitt lagres",
        importance=4,
    )
    shot(bo, "consult-participate-phone-nb")
    bo.get_by_role("button", name="Send svaret mitt").click()
    expect(bo.get_by_role("heading", name="Takk! Svaret ditt er registrert")).to_be_visible()

    # A used link is refused.
    reused = anna.goto(first)
    assert reused is not None and reused.status == 409
    expect(anna.get_by_role("heading", name="You have already responded")).to_be_visible()
    stored = service.list_responses(workspace, cid)
    assert [(r.helix.value, r.language) for r in stored] == [("research", "en"), ("industry", "nb")]

    # A public consultation takes an anonymous response.
    public_id = _open_consultation(owner, base, "Open call: ideas for cleaner beaches", public=True)
    public_link = owner.locator("#public-link").input_value()
    stranger_context = _context(browser, phone=True)
    stranger = stranger_context.new_page()
    stranger.goto(public_link)
    _fill_response(
        stranger,
        group="Civil society and citizens",
        level="Local",
        views="I clean the beach near my house every week; most of it is plastic from the sea. Photos: "
        "https://example.org/beach-photos/" + "x" * 600,
        proposal_kind="A solution the mission should pursue",
        proposal="Put up bins for sea litter at every beach car park.",
        consent="I agree that my response is kept and used",
        importance=5,
    )
    stranger.get_by_role("button", name="Send my response").click()
    expect(stranger.get_by_role("heading", name="Thank you: your response is recorded")).to_be_visible()
    assert [r.channel.value for r in service.list_responses(workspace, public_id)] == ["public"]
    # A long unbroken string (the photo link) wraps instead of widening the owner's page past the screen.
    owner.goto(f"{base}/consultations/{public_id}/responses")
    assert owner.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The owner imports workshop responses, then hides Bo's response with a reason.
    owner.goto(f"{base}/consultations/{cid}")
    workshop = Path(str(SCREENSHOTS.parent)) / "workshop.csv"
    workshop.parent.mkdir(parents=True, exist_ok=True)
    workshop.write_bytes(_workshop_csv())
    owner.get_by_label("Import responses gathered elsewhere", exact=False).set_input_files(str(workshop))
    owner.get_by_role("button", name="Import CSV").click()
    expect(owner.get_by_role("status")).to_contain_text("Imported 24 responses from workshop.csv")
    bo_id = stored[1].id
    owner.goto(f"{base}/consultations/{cid}/responses")
    bo_card = owner.locator(f"#response-{bo_id}")
    bo_card.get_by_label("Reason").fill("Names a private harbour operator")
    bo_card.get_by_role("button", name="Hide").click()
    owner.wait_for_url(re.compile(r"msg=hidden"))
    expect(owner.get_by_role("status")).to_have_text("Response hidden: it no longer counts in the synthesis.")
    expect(owner.locator(f"#response-{bo_id} .hidden-reason")).to_contain_text(
        "Names a private harbour operator"
    )
    with workspace.reading() as session:
        hidden = events(session, entity="consultation_response", entity_id=f"{cid}#{bo_id}")
    assert hidden[-1].actor == "owner" and hidden[-1].after["reason"] == "Names a private harbour operator"

    # The synthesis renders without the hidden response.
    owner.goto(f"{base}/consultations/{cid}/synthesis")
    expect(owner.get_by_role("heading", name="Synthesis: Coastal mission review")).to_be_visible()
    expect(owner.get_by_role("heading", name=re.compile(r"^Themes \(\d+\)$"))).to_be_visible()
    assert owner.locator("li.theme").count() >= 2
    expect(owner.locator("table.ratings")).to_contain_text("Halve beach litter")
    assert owner.locator("table.ratings tr.disagree").count() >= 1  # workshop groups rate litter differently
    assert "Havnene trenger" not in owner.content()
    shot(owner, "consult-synthesis")
    # On a phone the wide tables scroll inside their box: no page wider than the screen.
    owner.set_viewport_size(PHONE)
    for path in (f"/consultations/{cid}/synthesis", "/missions/ocean/consultations", f"/consultations/{cid}"):
        owner.goto(f"{base}{path}")
        assert owner.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    owner.set_viewport_size({"width": 1280, "height": 900})
    owner.goto(f"{base}/consultations/{cid}/synthesis")

    # The owner adopts Anna's proposal and finds the new version, and where it came from, in the history.
    anna_id = stored[0].id
    proposal = owner.locator(f"#proposal-{anna_id}-0")
    expect(proposal).to_contain_text("Halve the fishing gear lost at sea by 2030.")
    proposal.get_by_role("button", name="Adopt as a new objective").click()
    owner.wait_for_url(re.compile(r"/missions/ocean/history"))
    expect(owner.get_by_role("heading", name=re.compile("^History"))).to_be_visible()
    expect(owner.get_by_role("status")).to_have_text("Saved.")
    expect(owner.locator("table.data").first).to_contain_text(
        f"Adopted from consultation 'Coastal mission review' ({cid})"
    )
    current = mission_service.get_mission(workspace, "ocean")
    assert "Halve the fishing gear lost at sea by 2030." in [o.title for o in current.mission.objectives]
    assert current.origin == f"consultation:{cid}#response-{anna_id}.0"
    shot(owner, "consult-adopted-history")

    # Anna erases her response with the receipt code.
    anna.goto(f"{base}/c/{cid}/mine")
    anna.get_by_label("Receipt code").fill(receipt)
    anna.get_by_role("button", name="Show my response").click()
    expect(anna.get_by_role("heading", name="What we hold about you")).to_be_visible()
    expect(anna.locator("dl.mine")).to_contain_text("says little about fishing gear")
    with anna.expect_download() as download:
        anna.get_by_role("button", name="Download as JSON").click()
    assert b"says little about fishing gear" in Path(download.value.path()).read_bytes()
    anna.get_by_label("I understand that erasing cannot be undone.").check()
    anna.get_by_role("button", name="Erase my response").click()
    expect(anna.get_by_role("heading", name="Your response is erased")).to_be_visible()
    assert anna_id not in [r.id for r in service.list_responses(workspace, cid)]
    for context in (owner_context, anna_context, bo_context, stranger_context):
        context.close()


def test_the_participation_page_fits_a_phone_and_works_without_javascript(
    server: tuple[str, Workspace], browser: Any
) -> None:
    base, workspace = server
    expect = _expect()
    consultation = service.open_consultation(
        workspace,
        mission_id="ocean",
        title="Phone check",
        purpose="Checking the form on a small screen.",
        opens_on=dt.date.today(),
        closes_on=dt.date.today() + dt.timedelta(days=3),
        audience="public",
        language="sv",
        user="owner",
    )
    context = _context(browser, phone=True, javascript=False)
    page = context.new_page()
    page.goto(f"{base}/c/{consultation.id}")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px"
    heights = page.locator(".choice").evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
    assert heights and min(heights) >= 44, min(heights)
    # Sending it empty: the error summary comes first and links to the fields (no script involved).
    page.get_by_role("button", name="Skicka mitt svar").click()
    expect(page.get_by_role("heading", name="Rätta till följande")).to_be_visible()
    summary = page.locator("#error-summary a")
    expect(summary.first).to_have_text("Välj den grupp du talar för.")
    summary.first.click()
    assert page.url.endswith("#helix-government")
    shot(page, "consult-participate-errors-phone-sv")
    context.close()
