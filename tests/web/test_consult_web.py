"""Consultation pages over HTTP: who may do what, the participation form, limits, privacy and translations."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import Web

from missionboard.domain.consultations import LANGUAGES, Audience
from missionboard.services import consultations as service
from missionboard.services import missions as mission_service
from missionboard.store.audit import events
from missionboard.store.consult_tables import ResponseRow
from missionboard.web import i18n

TODAY = dt.date.today()
TEMPLATES = Path(i18n.__file__).parent / "templates"


# --- helpers -------------------------------------------------------------------------------------


def _open(web: Web, audience: str = "invited", language: str = "en", cid: str | None = None) -> str:
    consultation = service.open_consultation(
        web.workspace,
        mission_id="ocean",
        title=f"Coastal plan ({audience}, {language})",
        purpose="Tell us what the coastal plan should do.",
        opens_on=TODAY - dt.timedelta(days=1),
        closes_on=TODAY + dt.timedelta(days=30),
        audience=audience,
        language=language,
        consultation_id=cid,
        user="owner",
    )
    return str(consultation.id)


def _invite(web: Web, cid: str, n: int = 1) -> list[str]:
    return [
        token
        for _, token in service.create_invitations(
            web.workspace, cid, [f"p{i}" for i in range(n)], user="owner"
        )
    ]


def _participant(web: Web) -> TestClient:
    """A second browser: no session, its own cookies."""
    return TestClient(web.client.app, base_url="http://127.0.0.1")


def _form_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, page[:500]
    return found.group(1)


def _answer(**extra: str) -> dict[str, str]:
    data = {
        "helix": "research",
        "level": "regional",
        "consent": "on",
        "answer.views": "The plan should focus on fishing gear, which is most of the litter we find.",
        "rating.litter.importance": "5",
        "rating.litter.ambition": "3",
        "proposal.proposals.kind": "objective",
        "proposal.proposals.text": "Every harbour offers free collection of worn-out fishing nets.",
    }
    data.update(extra)
    return data


def _respond(client: TestClient, cid: str, token: str = "", **extra: str) -> tuple[int, str]:
    """Fill in and send the form as a participant would; returns the status and the page."""
    query = f"?t={token}" if token else ""
    page = client.get(f"/c/{cid}{query}")
    assert page.status_code == 200, page.text[:400]
    data = {"csrf_token": _form_token(page.text), **_answer(**extra)}
    if token:
        data["t"] = token
    sent = client.post(f"/c/{cid}", data=data)
    return sent.status_code, sent.text


def _receipt(page: str) -> str:
    found = re.search(r'id="receipt-code"><code>([A-Z0-9-]+)</code>', page)
    assert found is not None, page[:800]
    return found.group(1)


class _Form(HTMLParser):
    """Collects what an accessibility check needs: labelled controls, fieldsets and legends, scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str]] = []
        self.label_for: set[str] = set()
        self.fieldsets = 0
        self.legends = 0
        self.scripts = 0
        self.html_lang = ""
        self.viewport = False
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag in ("input", "textarea", "select") and a.get("type") != "hidden":
            self.controls.append({"tag": tag, **a})
        elif tag == "label" and "for" in a:
            self.label_for.add(a["for"])
        elif tag == "fieldset":
            self.fieldsets += 1
        elif tag == "legend":
            self.legends += 1
        elif tag == "script":
            self.scripts += 1
        elif tag == "html":
            self.html_lang = a.get("lang", "")
        elif tag == "meta" and a.get("name") == "viewport":
            self.viewport = True


def _parse(page: str) -> _Form:
    form = _Form()
    form.feed(page)
    return form


# --- owner pages: opening, roles, CSRF -----------------------------------------------------------


def test_an_editor_opens_a_consultation_from_the_form_and_it_is_audited(web: Web) -> None:
    csrf = web.login("editor")
    assert web.client.get("/missions/ocean/consultations/new").status_code == 200
    sent = web.client.post(
        "/missions/ocean/consultations/new",
        data={
            "csrf_token": csrf,
            "title": "Harbour plan 2027",
            "purpose": "Which measures should come first?",
            "opens_on": TODAY.isoformat(),
            "closes_on": (TODAY + dt.timedelta(days=14)).isoformat(),
            "audience": "public",
            "language": "sv",
            "q.views": "on",
            "q.views.prompt": "What should the harbour plan do first?",
            "q.proposals": "on",
            "q.proposals.prompt": "Propose a new objective or a solution the mission should pursue.",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"].startswith("/consultations/harbour-plan-2027")
    consultation = service.get_consultation(web.workspace, "harbour-plan-2027")
    assert consultation.language == "sv" and consultation.audience is Audience.PUBLIC
    assert [q.id for q in consultation.questions] == ["views", "proposals"]
    assert consultation.questions[0].prompt == "What should the harbour plan do first?"
    page = web.client.get(sent.headers["location"])
    assert "Consultation opened." in page.text and "/c/harbour-plan-2027" in page.text
    listing = web.client.get("/missions/ocean/consultations")
    assert "Harbour plan 2027" in listing.text
    with web.workspace.reading() as session:
        assert [e.actor for e in events(session, entity="consultation", entity_id="harbour-plan-2027")] == [
            "editor"
        ]


def test_a_draft_is_invisible_to_participants_until_the_owner_opens_it(web: Web) -> None:
    csrf = web.login("owner")
    sent = web.client.post(
        "/missions/ocean/consultations/new",
        data={
            "csrf_token": csrf,
            "title": "Quiet draft",
            "purpose": "Prepared early.",
            "opens_on": TODAY.isoformat(),
            "closes_on": TODAY.isoformat(),
            "audience": "public",
            "language": "en",
            "q.views": "on",
            "draft": "on",
        },
    )
    assert sent.status_code == 200 and "Draft saved" in sent.text and "Open for responses" in sent.text
    assert "The link works once you open the consultation" in sent.text
    assert "Anyone with this link may respond" not in sent.text
    assert _participant(web).get("/c/quiet-draft").status_code == 404
    opened = web.client.post("/consultations/quiet-draft/start", data={"csrf_token": csrf})
    assert opened.status_code == 200 and "Consultation opened." in opened.text
    assert "Anyone with this link may respond" in opened.text
    assert _participant(web).get("/c/quiet-draft").status_code == 200
    closed = web.client.post("/consultations/quiet-draft/close", data={"csrf_token": csrf})
    assert "Anyone with this link may respond" not in closed.text
    assert "the link now tells visitors it is closed" in closed.text


def test_the_new_consultation_form_shows_each_error_next_to_its_field(web: Web) -> None:
    csrf = web.login("owner")
    sent = web.client.post(
        "/missions/ocean/consultations/new",
        data={
            "csrf_token": csrf,
            "title": "",
            "purpose": "Why",
            "opens_on": "2026-05-10",
            "closes_on": "2026-05-01",
            "audience": "invited",
            "language": "de",
        },
    )
    assert sent.status_code == 422
    for field in ("title", "closes_on", "language", "questions"):
        assert f'id="{field}-error"' in sent.text, field
    assert 'aria-invalid="true" aria-describedby="title-error"' in sent.text
    assert service.list_consultations(web.workspace, "ocean") == []


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_members_below_editor_read_the_consultation_and_synthesis_but_may_not_change_anything(
    web: Web, role: str
) -> None:
    cid = _open(web)
    token = _invite(web, cid)[0]
    status, _ = _respond(_participant(web), cid, token)
    assert status == 200
    csrf = web.login(role)
    for path in ("/missions/ocean/consultations", f"/consultations/{cid}", f"/consultations/{cid}/synthesis"):
        assert web.client.get(path).status_code == 200, path
    synthesis = web.client.get(f"/consultations/{cid}/synthesis").text
    assert (
        "Adopt as" not in synthesis and '/adopt"' not in synthesis and "/responses#response-" not in synthesis
    )
    overview = web.client.get(f"/consultations/{cid}").text
    assert "Create invitation links" not in overview and "Close the consultation" not in overview
    assert web.client.get(f"/consultations/{cid}/responses").status_code == 403
    assert web.client.get(f"/consultations/{cid}/export.csv").status_code == 403
    assert web.client.get("/missions/ocean/consultations/new").status_code == 403
    response_id = service.list_responses(web.workspace, cid)[0].id
    writes = {
        f"/consultations/{cid}/invitations": {"labels": "someone"},
        f"/consultations/{cid}/close": {},
        f"/consultations/{cid}/start": {},
        f"/consultations/{cid}/responses/{response_id}/hide": {"reason": "spam"},
        f"/consultations/{cid}/adopt": {"response_id": str(response_id), "index": "0"},
        "/missions/ocean/consultations/new": {"title": "x"},
    }
    for path, data in writes.items():
        refused = web.client.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False)
        assert refused.status_code == 403, path
        assert "editor role" in refused.text
    assert not service.list_responses(web.workspace, cid)[0].hidden
    assert service.get_consultation(web.workspace, cid).status.value == "open"
    assert len(mission_service.mission_history(web.workspace, "ocean")) == 1


@pytest.mark.parametrize("role", ["editor", "owner", "admin"])
def test_editors_owners_and_admins_moderate_and_close(web: Web, role: str) -> None:
    cid = _open(web)
    token = _invite(web, cid)[0]
    _respond(_participant(web), cid, token)
    response_id = service.list_responses(web.workspace, cid)[0].id
    csrf = web.login(role)
    assert web.client.get(f"/consultations/{cid}/responses").status_code == 200
    hidden = web.client.post(
        f"/consultations/{cid}/responses/{response_id}/hide",
        data={"csrf_token": csrf, "reason": "names a private person"},
        follow_redirects=False,
    )
    assert hidden.status_code == 303
    assert service.list_responses(web.workspace, cid)[0].hidden
    closed = web.client.post(f"/consultations/{cid}/close", data={"csrf_token": csrf}, follow_redirects=False)
    assert closed.status_code == 303
    assert service.get_consultation(web.workspace, cid).status.value == "closed"


def test_outsiders_and_anonymous_visitors_see_no_owner_page(web: Web) -> None:
    cid = _open(web)
    paths = (f"/consultations/{cid}", f"/consultations/{cid}/synthesis", f"/consultations/{cid}/report.pdf")
    for path in (*paths, "/missions/ocean/consultations"):
        anonymous = web.client.get(path, follow_redirects=False)
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login"), path
    web.login("outsider")
    for path in (*paths, "/missions/ocean/consultations"):
        assert web.client.get(path).status_code == 403, path


def test_owner_forms_need_the_sessions_csrf_token(web: Web) -> None:
    cid = _open(web)
    web.login("owner")
    for path, data in {
        f"/consultations/{cid}/invitations": {"labels": "a"},
        f"/consultations/{cid}/close": {},
        "/missions/ocean/consultations/new": {"title": "t"},
    }.items():
        refused = web.client.post(path, data={"csrf_token": "forged", **data})
        assert refused.status_code == 403, path
    assert service.list_invitations(web.workspace, cid) == []
    assert service.get_consultation(web.workspace, cid).status.value == "open"


# --- invitations and the participation form ------------------------------------------------------


def test_invitation_links_are_shown_once_and_each_allows_one_response(web: Web) -> None:
    cid = _open(web)
    csrf = web.login("owner")
    made = web.client.post(
        f"/consultations/{cid}/invitations", data={"csrf_token": csrf, "labels": "Anna\nBo"}
    )
    assert made.status_code == 200
    links = [html.unescape(u) for u in re.findall(r'value="(http://127\.0\.0\.1/c/[^"]+)"', made.text)]
    assert len(links) == 2 and "shown only once" in made.text
    again = web.client.get(f"/consultations/{cid}").text
    assert "Anna" in again and not any(link.split("t=")[1] in again for link in links)
    participant = _participant(web)
    token = links[0].split("t=")[1]
    status, page = _respond(participant, cid, token)
    assert status == 200 and _receipt(page)
    reused = participant.get(f"/c/{cid}?t={token}")
    assert reused.status_code == 409 and "You have already responded" in reused.text
    csrf = _form_token(participant.get(f"/c/{cid}/mine").text)
    replay = participant.post(f"/c/{cid}", data={"csrf_token": csrf, "t": token, **_answer()})
    assert replay.status_code == 409
    assert len(service.list_responses(web.workspace, cid)) == 1


def test_an_invited_consultation_without_a_valid_link_explains_that_an_invitation_is_needed(web: Web) -> None:
    cid = _open(web)
    _invite(web, cid)
    participant = _participant(web)
    missing = participant.get(f"/c/{cid}")
    assert missing.status_code == 403 and "An invitation is needed" in missing.text
    assert 'name="helix"' not in missing.text
    wrong = participant.get(f"/c/{cid}?t=not-a-token")
    assert wrong.status_code == 403 and "not valid" in wrong.text
    form = participant.get(f"/c/{cid}/mine")  # sets the participant cookie
    sent = participant.post(f"/c/{cid}", data={"csrf_token": _form_token(form.text), **_answer()})
    assert sent.status_code == 403
    assert service.list_responses(web.workspace, cid) == []


def test_the_participation_page_speaks_the_consultations_language_and_offers_a_switch(web: Web) -> None:
    cid = _open(web, language="nb")
    token = _invite(web, cid)[0]
    participant = _participant(web)
    page = participant.get(f"/c/{cid}?t={token}")
    assert '<html lang="nb">' in page.text and page.headers["content-language"] == "nb"
    assert "Hvilken gruppe taler du for?" in page.text and "Send svaret mitt" in page.text
    assert "Hva mener du om dette oppdraget?" in page.text  # the default question, translated
    assert f'href="/c/{cid}?lang=sv&amp;t={token}"' in page.text
    swedish = participant.get(f"/c/{cid}?lang=sv&t={token}")
    assert '<html lang="sv">' in swedish.text and "Vilken grupp talar du för?" in swedish.text
    english = participant.get(f"/c/{cid}?lang=en&t={token}")
    assert "Which group do you speak for?" in english.text
    assert participant.get(f"/c/{cid}?lang=xx&t={token}").text.count('<html lang="nb">') == 1
    status, receipt_page = _respond(participant, cid, token, lang="sv")
    assert status == 200 and "Tack! Ditt svar är registrerat" in receipt_page
    assert 'class="languages"' not in receipt_page  # switching would lose the receipt, shown only once
    assert service.list_responses(web.workspace, cid)[0].language == "sv"


def test_the_participation_form_works_without_javascript_and_labels_every_field(web: Web) -> None:
    cid = _open(web, audience="public")
    page = _participant(web).get(f"/c/{cid}")
    form = _parse(page.text)
    assert form.scripts == 0 and form.viewport and form.html_lang == "en"
    assert '<form method="post" action="/c/' in page.text
    unlabelled = [c for c in form.controls if c.get("id") not in form.label_for]
    assert unlabelled == []
    assert form.fieldsets >= 4 and form.fieldsets == form.legends
    radios = {c["name"] for c in form.controls if c.get("type") == "radio"}
    assert {"helix", "level", "rating.litter.importance", "proposal.proposals.kind"} <= radios
    assert 'type="checkbox" id="consent" name="consent"' in page.text
    assert "What we keep:" in page.text and "How long:" in page.text and "receipt code" in page.text
    # nothing but this consultation: no navigation of the app, no other mission
    assert (
        "/projects" not in page.text and "/admin" not in page.text and "An internal mission" not in page.text
    )


def test_errors_are_summarised_at_the_top_and_link_to_their_fields(web: Web) -> None:
    cid = _open(web, audience="public")
    participant = _participant(web)
    page = participant.get(f"/c/{cid}")
    sent = participant.post(
        f"/c/{cid}",
        data={"csrf_token": _form_token(page.text), "answer.views": "Keep what I wrote", "level": "local"},
    )
    assert sent.status_code == 422
    summary = sent.text.split('id="error-summary"')[1].split("</div>")[0]
    targets = re.findall(r'href="#([^"]+)"', summary)
    assert targets == ["helix-government", "consent"]
    ids = _parse(sent.text).ids
    assert all(t in ids for t in targets)
    assert "Keep what I wrote" in sent.text and 'value="local" required checked' in sent.text
    assert service.list_responses(web.workspace, cid) == []


def test_a_response_without_consent_is_not_kept(web: Web) -> None:
    cid = _open(web, audience="public")
    participant = _participant(web)
    page = participant.get(f"/c/{cid}")
    data = {"csrf_token": _form_token(page.text), **_answer()}
    del data["consent"]
    sent = participant.post(f"/c/{cid}", data=data)
    assert sent.status_code == 422 and 'href="#consent"' in sent.text
    assert service.list_responses(web.workspace, cid) == []


def test_the_anonymous_form_needs_its_double_submit_token(web: Web) -> None:
    cid = _open(web, audience="public")
    participant = _participant(web)
    participant.get(f"/c/{cid}")
    forged = participant.post(f"/c/{cid}", data={"csrf_token": "forged", **_answer()})
    assert forged.status_code == 403
    stranger = _participant(web)  # no cookie at all, as a cross-site form post would be
    blind = stranger.post(f"/c/{cid}", data={"csrf_token": "x", **_answer()})
    assert blind.status_code == 403
    assert service.list_responses(web.workspace, cid) == []


def test_a_form_sent_after_its_token_expired_comes_back_with_the_answers_but_without_consent(
    web: Web,
) -> None:
    cid = _open(web, audience="public", language="nb")
    participant = _participant(web)
    participant.get(f"/c/{cid}")
    participant.cookies.clear()  # the cookie expired while the page stayed open
    long_answer = "Havnene trenger mottak for gamle garn. " * 20
    stale = participant.post(
        f"/c/{cid}", data={"csrf_token": "stale", **_answer(**{"answer.views": long_answer})}
    )
    assert stale.status_code == 403 and service.list_responses(web.workspace, cid) == []
    assert html.escape(long_answer.strip(), quote=False) in stale.text
    assert "Skjemaet hadde vært åpent for lenge" in stale.text
    assert not re.search(r'id="consent"[^>]*checked', stale.text)
    again = participant.post(f"/c/{cid}", data={"csrf_token": _form_token(stale.text), **_answer()})
    assert again.status_code == 200 and len(service.list_responses(web.workspace, cid)) == 1


def test_the_participant_cookie_is_http_only_strict_and_scoped_to_participation(web: Web) -> None:
    cid = _open(web, audience="public")
    cookie = _participant(web).get(f"/c/{cid}").headers["set-cookie"]
    assert "mb_consult_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/c/" in cookie


def test_a_bot_filling_the_hidden_field_is_refused(web: Web) -> None:
    cid = _open(web, audience="public")
    status, page = _respond(_participant(web), cid, website="http://spam.example")
    assert status == 422 and "could not be accepted" in page
    assert service.list_responses(web.workspace, cid) == []


def test_a_public_consultation_limits_flooding_with_a_friendly_page(web: Web) -> None:
    cid = _open(web, audience="public")
    participant = _participant(web)
    limit = service.FLOOD_LIMITS.per_client_per_hour
    for n in range(limit):
        texts = {"answer.views": f"Distinct view number {n} about the coast.", "proposal.proposals.text": ""}
        status, _ = _respond(participant, cid, **texts)
        assert status == 200, n
    texts = {"answer.views": "One more distinct view about the coast.", "proposal.proposals.text": ""}
    status, page = _respond(participant, cid, **texts)
    assert status == 429
    assert "Too many responses right now" in page
    again = participant.get(f"/c/{cid}")
    limited = participant.post(
        f"/c/{cid}",
        data={"csrf_token": _form_token(again.text), **_answer(**texts), "answer.views": "Later."},
    )
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert len(service.list_responses(web.workspace, cid)) == limit


def test_the_stored_client_key_cannot_be_traced_to_the_address(web: Web) -> None:
    cid = _open(web, audience="public")
    _respond(_participant(web), cid)
    with web.workspace.reading() as session:
        keys = session.scalars(select(ResponseRow.client_key_sha256)).all()
    assert len(keys) == 1 and keys[0] is not None and len(keys[0]) == 64
    database = Path(str(web.workspace.engine.url.database)).read_bytes()
    assert b"testclient" not in database


def test_repeating_a_response_word_for_word_is_refused_in_the_participants_language(web: Web) -> None:
    cid = _open(web, audience="public", language="nb")
    participant = _participant(web)
    assert _respond(participant, cid)[0] == 200
    status, page = _respond(participant, cid)
    assert status == 422
    assert "gjentar ord for ord" in page


def test_an_answer_with_too_many_links_is_refused_in_the_participants_language(web: Web) -> None:
    cid = _open(web, audience="public", language="nb")
    links = " ".join(f"https://example.org/{n}" for n in range(4))
    status, page = _respond(_participant(web), cid, **{"answer.views": f"See {links} for the details."})
    assert status == 422
    assert "for mange nettlenker" in page


def test_a_closed_or_draft_consultation_accepts_no_response(web: Web) -> None:
    cid = _open(web, audience="public")
    service.close_consultation(web.workspace, cid, user="owner")
    closed = _participant(web).get(f"/c/{cid}")
    assert closed.status_code == 410 and "This consultation is closed" in closed.text
    draft = service.open_consultation(
        web.workspace,
        mission_id="ocean",
        title="Draft one",
        purpose="Not yet",
        opens_on=TODAY,
        closes_on=TODAY,
        audience="public",
        user="owner",
        open_now=False,
    )
    assert _participant(web).get(f"/c/{draft.id}").status_code == 404
    assert _participant(web).get("/c/no-such-consultation").status_code == 404


def test_a_consultation_that_has_not_opened_yet_says_from_when(web: Web) -> None:
    later = service.open_consultation(
        web.workspace,
        mission_id="ocean",
        title="Next spring",
        purpose="Later",
        opens_on=TODAY + dt.timedelta(days=10),
        closes_on=TODAY + dt.timedelta(days=20),
        audience="public",
        language="nb",
        user="owner",
    )
    page = _participant(web).get(f"/c/{later.id}")
    assert page.status_code == 403 and "Denne høringen har ikke åpnet ennå" in page.text
    assert 'name="helix"' not in page.text


def test_an_invitation_for_a_group_preselects_that_group(web: Web) -> None:
    cid = _open(web)
    [(_, token)] = service.create_invitations(
        web.workspace, cid, ["Harbour board"], user="owner", helix="industry"
    )
    page = _participant(web).get(f"/c/{cid}?t={token}")
    assert 'id="helix-industry" name="helix" value="industry" required checked' in page.text


# --- the participant's own response --------------------------------------------------------------


def test_a_participant_may_still_erase_after_the_consultation_closes(web: Web) -> None:
    cid = _open(web, audience="public")
    participant = _participant(web)
    receipt = _receipt(_respond(participant, cid)[1])
    service.close_consultation(web.workspace, cid, user="owner")
    token = _form_token(participant.get(f"/c/{cid}/mine").text)
    erased = participant.post(
        f"/c/{cid}/mine", data={"csrf_token": token, "receipt": receipt, "action": "erase", "confirm": "on"}
    )
    assert erased.status_code == 200 and service.list_responses(web.workspace, cid) == []


def test_a_participant_sees_downloads_and_erases_their_response_with_the_receipt(web: Web) -> None:
    cid = _open(web)
    first, second = _invite(web, cid, 2)
    alice, bob = _participant(web), _participant(web)
    receipt = _receipt(_respond(alice, cid, first)[1])
    _respond(bob, cid, second, **{"answer.views": "Bob thinks the beaches need daily cleaning crews."})
    mine = alice.get(f"/c/{cid}/mine")
    token = _form_token(mine.text)
    shown = alice.post(
        f"/c/{cid}/mine", data={"csrf_token": token, "receipt": receipt.lower(), "action": "view"}
    )
    assert shown.status_code == 200 and "most of the litter we find" in shown.text
    assert "Bob thinks" not in shown.text
    download = alice.post(
        f"/c/{cid}/mine", data={"csrf_token": token, "receipt": receipt, "action": "download"}
    )
    assert download.headers["content-disposition"].startswith("attachment")
    data = json.loads(download.text)
    assert data["response"]["answers"][0]["text"].startswith("The plan should focus")
    unconfirmed = alice.post(
        f"/c/{cid}/mine", data={"csrf_token": token, "receipt": receipt, "action": "erase"}
    )
    assert unconfirmed.status_code == 422
    assert len(service.list_responses(web.workspace, cid)) == 2
    erased = alice.post(
        f"/c/{cid}/mine", data={"csrf_token": token, "receipt": receipt, "action": "erase", "confirm": "on"}
    )
    assert erased.status_code == 200 and "Your response is erased" in erased.text
    left = service.list_responses(web.workspace, cid)
    assert len(left) == 1 and "Bob" in left[0].answers[0].text
    with web.workspace.reading() as session:
        erasure = [e for e in events(session, entity="consultation_response") if e.action.endswith("erase")]
    assert len(erasure) == 1 and "litter" not in json.dumps(erasure[0].before)
    gone = alice.post(f"/c/{cid}/mine", data={"csrf_token": token, "receipt": receipt, "action": "view"})
    assert gone.status_code == 404


def test_a_wrong_receipt_shows_nothing(web: Web) -> None:
    cid = _open(web, audience="public")
    _respond(_participant(web), cid)
    stranger = _participant(web)
    token = _form_token(stranger.get(f"/c/{cid}/mine").text)
    wrong = stranger.post(f"/c/{cid}/mine", data={"csrf_token": token, "receipt": "AAAA-BBBB-CCCC-DDDD"})
    assert wrong.status_code == 404 and "fishing gear" not in wrong.text


def test_participation_pages_never_show_other_responses(web: Web) -> None:
    cid = _open(web, audience="public")
    _respond(_participant(web), cid, **{"answer.views": "A secret opinion about harbour fees and nets."})
    stranger = _participant(web)
    for path in (f"/c/{cid}", f"/c/{cid}/mine", f"/c/{cid}?lang=nb"):
        assert "secret opinion" not in stranger.get(path).text
    for path in (f"/consultations/{cid}/synthesis", f"/consultations/{cid}/export.json"):
        assert stranger.get(path, follow_redirects=False).status_code == 303


# --- moderation, synthesis and adoption ----------------------------------------------------------


def test_what_participants_write_is_shown_as_text_never_as_markup(web: Web) -> None:
    cid = _open(web, audience="public")
    attack = "<script>alert('x')</script> nets <b>everywhere</b> on the shore"
    status, _ = _respond(
        _participant(web), cid, **{"answer.views": attack, "proposal.proposals.text": attack}
    )
    assert status == 200
    web.login("owner")
    for path in (f"/consultations/{cid}/responses", f"/consultations/{cid}/synthesis"):
        page = web.client.get(path).text
        assert "<script>alert" not in page and "&lt;script&gt;alert" in page, path


def test_hiding_needs_a_reason_which_goes_in_the_audit_log(web: Web) -> None:
    cid = _open(web, audience="public")
    _respond(_participant(web), cid)
    response_id = service.list_responses(web.workspace, cid)[0].id
    csrf = web.login("owner")
    url = f"/consultations/{cid}/responses/{response_id}"
    without = web.client.post(f"{url}/hide", data={"csrf_token": csrf, "reason": "  "})
    assert without.status_code == 422 and "give a reason" in without.text
    assert not service.list_responses(web.workspace, cid)[0].hidden
    hidden = web.client.post(f"{url}/hide", data={"csrf_token": csrf, "reason": "personal attack"})
    assert hidden.status_code == 200 and "Response hidden" in hidden.text and "personal attack" in hidden.text
    shown = web.client.post(f"{url}/unhide", data={"csrf_token": csrf, "reason": "appeal upheld"})
    assert shown.status_code == 200 and not service.list_responses(web.workspace, cid)[0].hidden
    with web.workspace.reading() as session:
        log = events(session, entity="consultation_response", entity_id=f"{cid}#{response_id}")
    assert [(e.action, e.actor, e.after["reason"]) for e in log] == [
        ("consultation.response.hide", "owner", "personal attack"),
        ("consultation.response.unhide", "owner", "appeal upheld"),
    ]


def test_a_hidden_response_is_left_out_of_the_synthesis(web: Web) -> None:
    cid = _open(web)
    tokens = _invite(web, cid, 3)
    texts = [
        "Fishing nets left on the beach are the biggest problem for the coast.",
        "Harbours should collect old fishing nets for free and recycle them.",
        "Buy my cheap watches at a special price, totally unrelated advert text.",
    ]
    for token, text in zip(tokens, texts, strict=True):
        _respond(_participant(web), cid, token, **{"answer.views": text, "proposal.proposals.text": text})
    advert = next(r for r in service.list_responses(web.workspace, cid) if "watches" in r.answers[0].text)
    csrf = web.login("owner")
    before = web.client.get(f"/consultations/{cid}/synthesis")
    assert before.status_code == 200 and "cheap watches" in before.text
    web.client.post(
        f"/consultations/{cid}/responses/{advert.id}/hide", data={"csrf_token": csrf, "reason": "advertising"}
    )
    after = web.client.get(f"/consultations/{cid}/synthesis")
    assert "cheap watches" not in after.text
    assert re.search(r"Hidden by moderation</dt><dd>1<", after.text)
    assert re.search(r"Responses counted</dt><dd>2<", after.text)


def test_the_proposals_can_be_narrowed_by_kind_and_adoption_without_javascript(web: Web) -> None:
    cid = _open(web)
    first, second = _invite(web, cid, 2)
    _respond(_participant(web), cid, first)
    _respond(
        _participant(web),
        cid,
        second,
        **{
            "proposal.proposals.kind": "solution",
            "proposal.proposals.text": "Deposit scheme for fishing nets.",
        },
    )
    web.login("viewer")
    solutions = web.client.get(f"/consultations/{cid}/synthesis?kind=solution").text.split('id="proposals"')[
        1
    ]
    assert "Deposit scheme for fishing nets." in solutions and "free collection of worn-out" not in solutions
    assert "1 of 2 proposals match" in solutions
    adopted = web.client.get(f"/consultations/{cid}/synthesis?adopted=yes").text.split('id="proposals"')[1]
    assert "Deposit scheme" not in adopted and "0 of 2 proposals match" in adopted


def test_adopting_a_proposal_writes_a_mission_version_that_names_its_origin(web: Web) -> None:
    cid = _open(web)
    token = _invite(web, cid)[0]
    _respond(_participant(web), cid, token)
    response_id = service.list_responses(web.workspace, cid)[0].id
    csrf = web.login("editor")
    page = web.client.get(f"/consultations/{cid}/synthesis")
    assert "Adopt as a new objective" in page.text
    adopted = web.client.post(
        f"/consultations/{cid}/adopt",
        data={"csrf_token": csrf, "response_id": str(response_id), "index": "0"},
        follow_redirects=False,
    )
    assert adopted.status_code == 303
    assert adopted.headers["location"].startswith("/missions/ocean/history")
    current = mission_service.get_mission(web.workspace, "ocean")
    assert current.version == 2 and current.author == "editor"
    assert any("fishing nets" in o.title for o in current.mission.objectives)
    assert current.origin == f"consultation:{cid}#response-{response_id}.0"
    history = web.client.get(adopted.headers["location"])
    assert "Adopted from consultation" in history.text and cid in history.text
    assert (
        f'href="/consultations/{cid}/synthesis">consultation:{cid}#response-{response_id}.0' in history.text
    )
    again = web.client.get(f"/consultations/{cid}/synthesis")
    assert "Adopt as a new objective" not in again.text and "adopted" in again.text
    twice = web.client.post(
        f"/consultations/{cid}/adopt",
        data={"csrf_token": csrf, "response_id": str(response_id), "index": "0"},
    )
    assert twice.status_code == 422
    assert mission_service.get_mission(web.workspace, "ocean").version == 2


def test_responses_export_as_csv_and_import_into_another_consultation(web: Web) -> None:
    source = _open(web, audience="public")
    _respond(_participant(web), source)
    target = _open(web, audience="public", cid="imported-round")
    csrf = web.login("owner")
    exported = web.client.get(f"/consultations/{source}/export.csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "most of the litter we find" in exported.text
    as_json = web.client.get(f"/consultations/{source}/export.json")
    assert as_json.status_code == 200 and "most of the litter we find" in as_json.text
    assert web.client.get(f"/consultations/{source}/export.xml").status_code == 404
    imported = web.client.post(
        f"/consultations/{target}/import",
        data={"csrf_token": csrf},
        files={"file": ("workshop.csv", io.BytesIO(exported.content), "text/csv")},
    )
    assert imported.status_code == 200 and "Imported 1 responses from workshop.csv" in imported.text
    [response] = service.list_responses(web.workspace, target)
    assert response.channel.value == "imported" and response.helix.value == "research"


def test_import_errors_name_the_uploaded_file_row_and_field(web: Web) -> None:
    cid = _open(web, audience="public")
    csrf = web.login("owner")
    bad = "helix,level,language,consent,views\nresearch,galactic,en,yes,Fine\n"
    sent = web.client.post(
        f"/consultations/{cid}/import",
        data={"csrf_token": csrf},
        files={"file": ("paper-forms.csv", io.BytesIO(bad.encode()), "text/csv")},
    )
    assert sent.status_code == 422
    assert "paper-forms.csv" in sent.text and "level" in sent.text
    assert service.list_responses(web.workspace, cid) == []


def test_the_report_downloads_as_pdf(web: Web) -> None:
    pytest.importorskip("missionboard.reports.consultation")
    cid = _open(web, audience="public")
    _respond(_participant(web), cid)
    web.login("viewer")
    pdf = web.client.get(f"/consultations/{cid}/report.pdf")
    assert pdf.status_code == 200, pdf.text[:300]
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"


def test_the_consultation_errors_declare_their_http_status() -> None:
    assert service.RateLimited("slow down", retry_after=60).http_status == 429
    assert service.AlreadyResponded("used").http_status == 409
    assert service.NotAcceptingResponses("closed").http_status == 422


# --- translations --------------------------------------------------------------------------------


def _template_messages() -> set[str]:
    from babel.messages.extract import extract_from_file

    found: set[str] = set()
    for path in sorted(TEMPLATES.glob("consult_public_*.html")):
        for _, message, _, _ in extract_from_file(
            "jinja2.ext:babel_extract",
            str(path),
            options={"extensions": "jinja2.ext.i18n", "trimmed": "true"},
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _catalogue(language: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    with i18n.catalogue_path(language).open("rb") as handle:
        catalog = read_po(handle)
    return {m.id: m.string for m in catalog if m.id and not m.fuzzy}  # type: ignore[misc]


def test_every_message_of_the_consultation_templates_is_translated_into_nb_and_sv() -> None:
    messages = _template_messages()
    assert len(messages) > 50
    assert messages <= set(_catalogue("en")), "run the extraction in locales/babel.cfg"
    for language in ("nb", "sv"):
        catalogue = _catalogue(language)
        missing = sorted(m for m in messages if not catalogue.get(m))
        assert missing == [], (language, missing)
        for message in messages:
            placeholders = sorted(re.findall(r"%\((\w+)\)s", message))
            assert sorted(re.findall(r"%\((\w+)\)s", catalogue[message])) == placeholders, (language, message)


def test_every_language_of_the_domain_has_a_catalogue_and_a_name() -> None:
    for language in LANGUAGES:
        assert i18n.catalogue_path(language).exists()
        assert i18n.LANGUAGE_NAMES[language]
    assert i18n.gettext("nb", "Send my response") == "Send svaret mitt"
    assert i18n.gettext("sv", "Send my response") == "Skicka mitt svar"
    assert i18n.pick("de", "sv") == "sv" and i18n.pick(None) == "en"


def test_translated_sentences_escape_the_values_they_carry() -> None:
    env = i18n.templates("nb").env
    page = env.from_string("{% trans title=t %}About the mission: {{ title }}{% endtrans %}").render(
        t="<b>x</b>"
    )
    assert page == "Om oppdraget: &lt;b&gt;x&lt;/b&gt;"


def test_a_synthesis_with_many_proposals_folds_them_into_groups_but_opens_a_filtered_one(web: Web) -> None:
    cid = _open(web)
    tokens = _invite(web, cid, 14)
    for n, token in enumerate(tokens):
        _respond(
            _participant(web),
            cid,
            token,
            **{
                "proposal.proposals.kind": "solution",
                "proposal.proposals.text": f"Idea number {n} for nets.",
            },
        )
    web.login("owner")
    page = web.client.get(f"/consultations/{cid}/synthesis").text.split('id="proposals"')[1]
    assert '<details class="proposal-group card"' in page and "open>" not in page.split("<ol")[0]
    assert page.count('<li class="proposal"') == 14
    narrowed = web.client.get(f"/consultations/{cid}/synthesis?kind=solution").text.split('id="proposals"')[1]
    assert re.search(r'<details class="proposal-group card" id="proposals-[a-z-]+" open>', narrowed)


@pytest.mark.parametrize("number", ["²", "9" * 5000, "1e3", "-1"])
def test_odd_numbers_in_the_owner_forms_are_not_a_500(web: Web, number: str) -> None:
    cid = _open(web)
    token = _invite(web, cid)[0]
    _respond(_participant(web), cid, token)
    response_id = service.list_responses(web.workspace, cid)[0].id
    csrf = web.login("owner")
    invited = web.client.post(
        f"/consultations/{cid}/invitations",
        data={"csrf_token": csrf, "count": number},
        follow_redirects=False,
    )
    assert invited.status_code in (200, 303, 422), invited.text[:300]
    hidden = web.client.post(
        f"/consultations/{cid}/responses/{response_id}/hide",
        data={"csrf_token": csrf, "reason": "spam", "page": number},
        follow_redirects=False,
    )
    assert hidden.status_code in (200, 303), hidden.text[:300]


@pytest.mark.parametrize("token", ["é", "\ufffd"])
def test_an_odd_participant_csrf_token_is_refused_not_a_500(web: Web, token: str) -> None:
    cid = _open(web, audience="public")
    response = _participant(web).post(f"/c/{cid}", data={"csrf_token": token, **_answer()})
    assert response.status_code in (200, 400, 403, 422), response.text[:300]
