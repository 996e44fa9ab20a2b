"""Participants hear back: the organisers answer each proposal (adopted, taken into account or not taken
up, with the reason), publish a summary once the consultation is closed, and the participation page and
every invitation link then lead to what was done with the input — in the participant's language."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from web_support import Web

from missionboard.errors import InputError
from missionboard.services import consultations as service
from missionboard.store.audit import events

TODAY = dt.date.today()


def _consultation(web: Web, *, proposals: list[str], language: str = "en") -> tuple[str, list[str]]:
    """An invited consultation on 'ocean' with one response per proposal, closed; its invitation tokens."""
    consultation = service.open_consultation(
        web.workspace,
        mission_id="ocean",
        title="Coastal plan",
        purpose="Tell us what the coastal plan should do.",
        opens_on=TODAY - dt.timedelta(days=1),
        closes_on=TODAY + dt.timedelta(days=30),
        audience="invited",
        language=language,
        user="owner",
    )
    cid = consultation.id
    tokens = [
        t
        for _, t in service.create_invitations(
            web.workspace, cid, [f"p{i}" for i in range(len(proposals))], user="owner"
        )
    ]
    for token, text in zip(tokens, proposals, strict=True):
        submission = service.build_submission(
            {
                "helix": "research",
                "level": "regional",
                "consent": True,
                "answers": [],
                "ratings": [],
                "proposals": [{"kind": "solution", "text": text}],
            }
        )
        service.submit_response(web.workspace, cid, submission, token=token)
    return cid, tokens


def _ids(web: Web, cid: str) -> list[int]:
    return [r.id for r in service.list_responses(web.workspace, cid)]


def test_each_proposal_is_answered_with_its_reason_and_the_answer_is_audited(web: Web) -> None:
    cid, _ = _consultation(web, proposals=["Free net collection in harbours", "Ban all boats"])
    first, second = _ids(web, cid)
    service.adopt_proposal(web.workspace, cid, first, 0, user="owner")
    service.answer_proposal(
        web.workspace, cid, second, 0, "declined", "Beyond the mission's mandate", user="owner"
    )
    report = service.report_back(web.workspace, cid)
    assert [(p.text, p.outcome.value, p.reason) for p in report.proposals] == [
        ("Free net collection in harbours", "adopted", ""),
        ("Ban all boats", "declined", "Beyond the mission's mandate"),
    ]
    assert not report.published
    with web.workspace.reading() as session:
        [event] = [
            e for e in events(session, entity="consultation_response") if e.action == "consultation.answer"
        ]
    assert event.actor == "owner" and event.after == {
        "index": 0,
        "outcome": "declined",
        "reason": "Beyond the mission's mandate",
    }


@pytest.mark.parametrize(
    ("outcome", "reason", "field"),
    [
        ("declined", "  ", "reason"),
        ("maybe", "x", "outcome"),
        ("adopted", "note", "outcome"),
        ("open", "x", "outcome"),
    ],
)
def test_a_bad_answer_is_refused_naming_the_field(web: Web, outcome: str, reason: str, field: str) -> None:
    cid, _ = _consultation(web, proposals=["Ban all boats"])
    [response] = _ids(web, cid)
    with pytest.raises(InputError) as caught:
        service.answer_proposal(web.workspace, cid, response, 0, outcome, reason, user="owner")
    assert caught.value.problems[0].field == field
    assert service.report_back(web.workspace, cid).proposals[0].outcome.value == "open"


def test_the_report_back_is_published_only_once_the_consultation_is_closed(web: Web) -> None:
    cid, _ = _consultation(web, proposals=["Ban all boats"])
    with pytest.raises(InputError, match="close the consultation"):
        service.publish_report_back(web.workspace, cid, "We read every response.", user="owner")
    service.close_consultation(web.workspace, cid, user="owner")
    published = service.publish_report_back(web.workspace, cid, "We read every response.", user="owner")
    assert published.published and published.summary == "We read every response."


def test_participants_reach_the_report_back_from_their_invitation_link(web: Web) -> None:
    cid, tokens = _consultation(web, proposals=["Free net collection in harbours", "Ban all boats"])
    first, second = _ids(web, cid)
    service.adopt_proposal(web.workspace, cid, first, 0, user="owner")
    service.answer_proposal(
        web.workspace, cid, second, 0, "declined", "Beyond the mission's mandate", user="owner"
    )
    service.close_consultation(web.workspace, cid, user="owner")
    participant = TestClient(web.client.app, base_url="http://127.0.0.1")
    assert participant.get(f"/c/{cid}/outcome").status_code == 404  # nothing published yet
    closed = participant.get(f"/c/{cid}?t={tokens[0]}")
    assert closed.status_code == 410 and 'id="outcome-link"' not in closed.text
    service.publish_report_back(web.workspace, cid, "Nets will be collected in every harbour.", user="owner")
    closed = participant.get(f"/c/{cid}?t={tokens[0]}")
    assert f'href="/c/{cid}/outcome?lang=en" id="outcome-link"' in closed.text
    page = participant.get(f"/c/{cid}/outcome").text
    assert "What we did with your input" in page and "Nets will be collected in every harbour." in page
    assert "Free net collection in harbours" in page
    assert "Ban all boats" in page and "Beyond the mission&#39;s mandate" in page


def test_the_report_back_speaks_the_consultations_language(web: Web) -> None:
    cid, _ = _consultation(web, proposals=["Gratis innsamling av garn"], language="nb")
    service.close_consultation(web.workspace, cid, user="owner")
    service.publish_report_back(web.workspace, cid, "Vi leste alle svarene.", user="owner")
    page = TestClient(web.client.app, base_url="http://127.0.0.1").get(f"/c/{cid}/outcome").text
    assert "Hva vi gjorde med innspillene dine" in page and "Vi leste alle svarene." in page


def test_editors_answer_and_publish_on_the_owner_page_and_viewers_only_read(web: Web) -> None:
    cid, _ = _consultation(web, proposals=["Ban all boats"])
    [response] = _ids(web, cid)
    service.close_consultation(web.workspace, cid, user="owner")
    csrf = web.login("editor")
    page = web.client.get(f"/consultations/{cid}/report-back")
    assert (
        page.status_code == 200
        and "0 adopted · 0 taken into account · 0 not taken up · 1 without an answer" in page.text
    )
    answered = web.client.post(
        f"/consultations/{cid}/answers",
        data={
            "csrf_token": csrf,
            "response_id": str(response),
            "index": "0",
            "outcome": "considered",
            "reason": "Part of the harbour rules review",
        },
        follow_redirects=False,
    )
    assert answered.status_code == 303
    published = web.client.post(
        f"/consultations/{cid}/report-back",
        data={"csrf_token": csrf, "summary": "Thank you."},
        follow_redirects=False,
    )
    assert published.status_code == 303
    assert 'id="published"' in web.client.get(f"/consultations/{cid}/report-back").text


def test_a_viewer_may_not_answer_or_publish(web: Web) -> None:
    cid, _ = _consultation(web, proposals=["Ban all boats"])
    [response] = _ids(web, cid)
    service.close_consultation(web.workspace, cid, user="owner")
    csrf = web.login("viewer")
    assert web.client.get(f"/consultations/{cid}/report-back").status_code == 200
    form = {
        "csrf_token": csrf,
        "response_id": str(response),
        "index": "0",
        "outcome": "declined",
        "reason": "no",
    }
    assert web.client.post(f"/consultations/{cid}/answers", data=form).status_code == 403
    assert (
        web.client.post(
            f"/consultations/{cid}/report-back", data={"csrf_token": csrf, "summary": "x"}
        ).status_code
        == 403
    )
    assert not service.report_back(web.workspace, cid).published


def test_links_for_participants_use_the_configured_public_address(
    seed_workspace: object, tmp_path: object
) -> None:
    import shutil
    from pathlib import Path

    from missionboard.settings import Settings
    from missionboard.store.workspace import Workspace
    from missionboard.web import create_app

    target = Path(str(tmp_path)) / "web.db"
    shutil.copy(str(seed_workspace), target)
    workspace = Workspace.open(f"sqlite:///{target}")
    try:
        app = create_app(
            workspace,
            secure_cookies=False,
            settings=Settings(public_base_url="https://missions.agency.example/"),
        )
        with TestClient(app, base_url="http://127.0.0.1") as client:
            web = Web(workspace, client)
            cid, _ = _consultation(web, proposals=["Ban all boats"])
            csrf = web.login("owner")
            page = client.post(
                f"/consultations/{cid}/invitations", data={"csrf_token": csrf, "count": "1"}
            ).text
            assert f"https://missions.agency.example/c/{cid}?t=" in page
            assert (
                "127.0.0.1" not in page.split("new-links", 1)[-1][:2000]
                or "https://missions.agency.example" in page
            )
            assert (
                f"https://missions.agency.example/c/{cid}/outcome"
                in client.get(f"/consultations/{cid}/report-back").text
            )
    finally:
        workspace.close()
