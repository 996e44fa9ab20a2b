"""Consultation rules, on SQLite and PostgreSQL: who may respond when, limits, moderation, privacy, adoption."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from missionboard.domain.consultations import (
    Answer,
    Audience,
    Channel,
    Consultation,
    ConsultationStatus,
    Proposal,
    ProposalKind,
    Question,
    QuestionKind,
    Rating,
    Submission,
)
from missionboard.domain.missions import HelixType, Level, Mission, Objective
from missionboard.errors import InputError, NotFound
from missionboard.services import consultations as consult
from missionboard.services import missions as mission_service
from missionboard.store import audit
from missionboard.store.consult_tables import ConsultationRow, InvitationRow, ResponseRow, SubmissionLogRow
from missionboard.store.workspace import Workspace

TODAY = dt.date.today()
NOW = dt.datetime.now(dt.UTC)

MISSION = {
    "id": "ferries",
    "title": "Zero-emission ferries",
    "challenge": "Diesel ferries",
    "statement": "By 2030 every ferry route sails with zero emissions.",
    "owner": "Ministry",
    "objectives": [
        {"id": "routes", "title": "Zero-emission routes"},
        {"id": "yards", "title": "Shipyards able to build electric ferries"},
    ],
}


def add_mission(ws: Workspace, **changes: Any) -> Mission:
    mission = Mission.model_validate({**MISSION, **changes})
    mission_service.save_mission(ws, mission, user="owner")
    return mission


def open_one(ws: Workspace, audience: Audience = Audience.PUBLIC, **changes: Any) -> Consultation:
    arguments: dict[str, Any] = {
        "mission_id": "ferries",
        "title": "Ferries, first round",
        "purpose": "Test the objectives with the people who sail and build ferries.",
        "opens_on": TODAY - dt.timedelta(days=1),
        "closes_on": TODAY + dt.timedelta(days=30),
        "audience": audience,
        "user": "owner",
    }
    return consult.open_consultation(ws, **{**arguments, **changes})


def submission(**changes: Any) -> Submission:
    data: dict[str, Any] = {
        "helix": HelixType.CIVIL_SOCIETY,
        "level": Level.LOCAL,
        "consent": True,
        "answers": [
            Answer(question_id="views", text="Electric ferries must keep the island routes running.")
        ],
        "ratings": [Rating(objective_id="routes", importance=5, ambition=3)],
        "proposals": [Proposal(kind=ProposalKind.OBJECTIVE, text="Charge ferries from local wind power")],
    }
    return Submission.model_validate({**data, **changes})


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    add_mission(workspace)
    return workspace


# --- opening ---------------------------------------------------------------------------------------


def test_opening_requires_an_existing_mission(workspace: Workspace) -> None:
    with pytest.raises(NotFound, match="no mission 'ferries'"):
        open_one(workspace)


def test_opening_takes_the_missions_current_version_and_the_default_questions(ws: Workspace) -> None:
    mission_service.save_mission(
        ws, Mission.model_validate({**MISSION, "title": "Zero-emission ferries by 2030"}), user="owner"
    )
    consultation = open_one(ws)
    assert consultation.mission_version == 2
    assert consultation.id == "ferries-first-round"
    assert consultation.status is ConsultationStatus.OPEN
    assert [(q.id, q.kind) for q in consultation.questions] == [
        ("views", QuestionKind.TEXT),
        ("objectives", QuestionKind.RATING),
        ("proposals", QuestionKind.PROPOSAL),
    ]
    assert consult.get_consultation(ws, consultation.id) == consultation
    assert [c.id for c in consult.list_consultations(ws, mission_id="ferries")] == [consultation.id]
    assert consult.list_consultations(ws, mission_id="other") == []


def test_a_second_consultation_with_the_same_title_gets_its_own_id(ws: Workspace) -> None:
    assert open_one(ws).id == "ferries-first-round"
    assert open_one(ws).id == "ferries-first-round-2"
    with pytest.raises(InputError, match="id: a consultation 'ferries-first-round' already exists"):
        open_one(ws, consultation_id="ferries-first-round")


def test_a_period_that_ends_before_it_starts_is_refused_naming_the_field(ws: Workspace) -> None:
    with pytest.raises(InputError, match=r"closes_on .* must not come before opens_on"):
        open_one(ws, closes_on=TODAY - dt.timedelta(days=5))
    with pytest.raises(InputError, match="language"):
        open_one(ws, language="de")


def test_opening_and_closing_are_audited(ws: Workspace) -> None:
    consultation = open_one(ws)
    closed = consult.close_consultation(ws, consultation.id, user="owner")
    assert closed.status is ConsultationStatus.CLOSED and closed.closed_at is not None
    with ws.reading() as session:
        events = audit.events(session, entity="consultation", entity_id=consultation.id)
    assert [(e.action, e.actor) for e in events] == [
        ("consultation.open", "owner"),
        ("consultation.close", "owner"),
    ]


# --- when responses are accepted -------------------------------------------------------------------


def test_responses_are_refused_before_the_consultation_opens(ws: Workspace) -> None:
    consultation = open_one(ws, opens_on=TODAY + dt.timedelta(days=2))
    with pytest.raises(consult.NotAcceptingResponses, match=r"consultation: .* opens on"):
        consult.submit_response(ws, consultation.id, submission())


def test_responses_are_refused_after_the_consultation_closes_on(ws: Workspace) -> None:
    consultation = open_one(ws)
    later = NOW + dt.timedelta(days=31)
    with pytest.raises(consult.NotAcceptingResponses, match="closed on"):
        consult.submit_response(ws, consultation.id, submission(), now=later)


def test_responses_are_refused_once_the_consultation_is_closed(ws: Workspace) -> None:
    consultation = open_one(ws)
    consult.close_consultation(ws, consultation.id, user="owner")
    with pytest.raises(consult.NotAcceptingResponses, match="is closed"):
        consult.submit_response(ws, consultation.id, submission())


def test_responses_are_refused_while_the_consultation_is_a_draft(ws: Workspace) -> None:
    consultation = open_one(ws, open_now=False)
    assert consultation.status is ConsultationStatus.DRAFT
    with pytest.raises(consult.NotAcceptingResponses, match="not open for responses yet"):
        consult.submit_response(ws, consultation.id, submission())
    consult.start_consultation(ws, consultation.id, user="owner")
    response, _ = consult.submit_response(ws, consultation.id, submission())
    assert response.channel is Channel.PUBLIC


def test_consent_is_required(ws: Workspace) -> None:
    consultation = open_one(ws)
    with pytest.raises(InputError, match="consent: please agree"):
        consult.submit_response(ws, consultation.id, submission(consent=False))
    assert consult.list_responses(ws, consultation.id) == []


def test_a_response_is_stored_with_a_receipt_that_finds_it_again(ws: Workspace) -> None:
    consultation = open_one(ws)
    response, receipt = consult.submit_response(ws, consultation.id, submission(), client_key="k1")
    assert len(receipt) == 19 and receipt.count("-") == 3
    assert consult.response_by_receipt(ws, consultation.id, receipt) == response
    assert consult.response_by_receipt(ws, consultation.id, receipt.lower().replace("-", " ")) == response
    with ws.reading() as session:
        stored = session.get(ResponseRow, response.id)
        assert stored is not None
        assert receipt not in (stored.receipt_sha256, stored.client_key_sha256)
        assert stored.client_key_sha256 != "k1"


def test_closing_erases_every_trace_of_who_sent_what(ws: Workspace) -> None:
    consultation = open_one(ws)
    response, _ = consult.submit_response(ws, consultation.id, submission(), client_key="203.0.113.9")
    consult.close_consultation(ws, consultation.id, user="owner")
    with ws.reading() as session:
        stored = session.get(ResponseRow, response.id)
        assert stored is not None and stored.client_key_sha256 is None
        assert session.scalars(select(SubmissionLogRow)).all() == []
        assert session.get(ConsultationRow, consultation.id).client_secret is None  # type: ignore[union-attr]


# --- invited audience ------------------------------------------------------------------------------


def test_an_invited_consultation_needs_a_token(ws: Workspace) -> None:
    consultation = open_one(ws, audience=Audience.INVITED)
    with pytest.raises(InputError, match="token: this consultation is by invitation"):
        consult.submit_response(ws, consultation.id, submission())


def test_an_unknown_invitation_token_is_not_found(ws: Workspace) -> None:
    consultation = open_one(ws, audience=Audience.INVITED)
    with pytest.raises(NotFound, match="invitation link is not valid"):
        consult.submit_response(ws, consultation.id, submission(), token="made-up")
    with pytest.raises(NotFound):
        consult.check_invitation(ws, consultation.id, "made-up")


def test_an_invitation_allows_one_response_only(ws: Workspace) -> None:
    consultation = open_one(ws, audience=Audience.INVITED)
    [(invitation, token)] = consult.create_invitations(
        ws, consultation.id, ["Harbour association"], user="owner", helix="civil_society"
    )
    assert consult.check_invitation(ws, consultation.id, token).id == invitation.id
    response, _ = consult.submit_response(ws, consultation.id, submission(), token=token)
    assert response.channel is Channel.INVITED
    with pytest.raises(consult.AlreadyResponded, match="already been used"):
        consult.submit_response(ws, consultation.id, submission(), token=token)
    with pytest.raises(consult.AlreadyResponded):
        consult.check_invitation(ws, consultation.id, token)
    assert len(consult.list_responses(ws, consultation.id)) == 1


def test_only_a_hash_of_the_invitation_token_is_stored(ws: Workspace) -> None:
    consultation = open_one(ws, audience=Audience.INVITED)
    created = consult.create_invitations(ws, consultation.id, ["A", "B"], user="owner")
    tokens = {token for _, token in created}
    assert len(tokens) == 2
    with ws.reading() as session:
        stored = set(session.scalars(select(InvitationRow.token_sha256)))
    assert stored.isdisjoint(tokens) and len(stored) == 2
    assert consult.invitation_link(consultation.id, "abc", "https://mb.example/") == (
        f"https://mb.example/c/{consultation.id}?t=abc"
    )


def test_a_token_of_another_consultation_is_not_valid_here(ws: Workspace) -> None:
    first = open_one(ws, audience=Audience.INVITED)
    second = open_one(ws, audience=Audience.INVITED)
    [(_, token)] = consult.create_invitations(ws, first.id, ["A"], user="owner")
    with pytest.raises(NotFound):
        consult.submit_response(ws, second.id, submission(), token=token)


def test_public_consultations_take_no_invitations(ws: Workspace) -> None:
    consultation = open_one(ws)
    with pytest.raises(InputError, match="audience: this consultation is public"):
        consult.create_invitations(ws, consultation.id, ["A"], user="owner")


# --- public audience: flooding and spam ------------------------------------------------------------


def test_one_client_may_send_only_so_many_responses_an_hour(ws: Workspace) -> None:
    consultation = open_one(ws)
    limit = consult.FLOOD_LIMITS.per_client_per_hour
    for n in range(limit):
        text = f"My view number {n}: the crossing to the island needs quieter, cleaner boats."
        consult.submit_response(
            ws,
            consultation.id,
            submission(answers=[Answer(question_id="views", text=text)], proposals=[]),
            client_key="same-client",
            now=NOW + dt.timedelta(minutes=2 * n),
        )
    with pytest.raises(consult.RateLimited, match=f"at most {limit} responses an hour") as raised:
        consult.submit_response(ws, consultation.id, submission(), client_key="same-client", now=NOW)
    assert raised.value.retry_after == 3600
    # another client is still welcome, and so is this one an hour later
    consult.submit_response(ws, consultation.id, submission(), client_key="other-client", now=NOW)
    consult.submit_response(
        ws,
        consultation.id,
        submission(answers=[], proposals=[]),
        client_key="same-client",
        now=NOW + dt.timedelta(hours=1, minutes=2 * limit),
    )


def test_a_consultation_accepts_only_so_many_responses_a_minute(ws: Workspace) -> None:
    consultation = open_one(ws)
    limits = consult.FloodLimits(per_client_per_hour=100, per_consultation_per_minute=3)
    for n in range(3):
        consult.submit_response(
            ws, consultation.id, submission(answers=[]), client_key=f"c{n}", now=NOW, limits=limits
        )
    with pytest.raises(consult.RateLimited, match="try again in a minute"):
        consult.submit_response(
            ws, consultation.id, submission(answers=[]), client_key="c9", now=NOW, limits=limits
        )
    consult.submit_response(
        ws,
        consultation.id,
        submission(answers=[]),
        client_key="c9",
        now=NOW + dt.timedelta(seconds=61),
        limits=limits,
    )


def test_a_response_with_more_than_three_links_is_refused_naming_the_field(ws: Workspace) -> None:
    consultation = open_one(ws)
    spam = "Cheap ferries http://a.example http://b.example www.c.example https://d.example"
    with pytest.raises(InputError, match=r"answers\.views: has more than 3 links"):
        consult.submit_response(
            ws, consultation.id, submission(answers=[Answer(question_id="views", text=spam)])
        )
    with pytest.raises(InputError, match=r"proposals\[0\]: has more than 3 links"):
        consult.submit_response(
            ws, consultation.id, submission(proposals=[Proposal(kind=ProposalKind.SOLUTION, text=spam)])
        )


def test_text_repeated_verbatim_from_the_same_client_is_refused(ws: Workspace) -> None:
    consultation = open_one(ws)
    consult.submit_response(ws, consultation.id, submission(proposals=[]), client_key="k")
    again = submission(
        proposals=[],
        answers=[
            Answer(question_id="views", text="  ELECTRIC ferries must keep the island routes   running.")
        ],
    )
    with pytest.raises(InputError, match=r"answers\.views: repeats word for word"):
        consult.submit_response(ws, consultation.id, again, client_key="k")
    # the same words from someone else are their own view
    consult.submit_response(ws, consultation.id, again, client_key="someone-else")


def test_oversize_text_is_refused_naming_the_field(ws: Workspace) -> None:
    consultation = open_one(ws)
    with pytest.raises(InputError, match=r"answers\.0\.text: String should have at most 4000 characters"):
        consult.build_submission(
            {
                "helix": "research",
                "level": "national",
                "consent": True,
                "answers": [{"question_id": "views", "text": "x" * 4001}],
            }
        )
    assert consult.list_responses(ws, consultation.id) == []


def test_ratings_of_unknown_objectives_are_refused_naming_the_field(ws: Workspace) -> None:
    consultation = open_one(ws)
    with pytest.raises(InputError, match=r"ratings\.harbours: the mission has no objective 'harbours'"):
        consult.submit_response(
            ws, consultation.id, submission(ratings=[Rating(objective_id="harbours", importance=4)])
        )


def test_answers_to_questions_the_consultation_does_not_ask_are_refused(ws: Workspace) -> None:
    consultation = open_one(
        ws, questions=[Question(id="views", kind=QuestionKind.TEXT, prompt="Views?", required=True)]
    )
    with pytest.raises(InputError) as raised:
        consult.submit_response(
            ws,
            consultation.id,
            submission(answers=[Answer(question_id="other", text="hello")]),
        )
    fields = {p.field for p in raised.value.problems}
    assert fields == {"answers.other", "answers.views", "ratings", "proposals"}


# --- moderation ------------------------------------------------------------------------------------


def test_hiding_and_unhiding_are_audited_with_the_reason(ws: Workspace) -> None:
    consultation = open_one(ws)
    response, _ = consult.submit_response(ws, consultation.id, submission())
    with pytest.raises(InputError, match="reason: say why"):
        consult.hide_response(ws, consultation.id, response.id, reason="  ", user="moderator")
    hidden = consult.hide_response(ws, consultation.id, response.id, reason="off topic", user="moderator")
    assert hidden.hidden and hidden.hidden_reason == "off topic"
    assert consult.list_responses(ws, consultation.id, include_hidden=False) == []
    shown = consult.unhide_response(
        ws, consultation.id, response.id, reason="on second thought", user="owner"
    )
    assert not shown.hidden and shown.hidden_reason is None
    with ws.reading() as session:
        events = audit.events(session, entity="consultation_response")
    assert [(e.action, e.actor, (e.after or {}).get("reason")) for e in events] == [
        ("consultation.response.hide", "moderator", "off topic"),
        ("consultation.response.unhide", "owner", "on second thought"),
    ]


def test_moderating_a_response_of_another_consultation_is_not_found(ws: Workspace) -> None:
    first, second = open_one(ws), open_one(ws)
    response, _ = consult.submit_response(ws, first.id, submission())
    with pytest.raises(NotFound):
        consult.hide_response(ws, second.id, response.id, reason="spam", user="owner")


# --- privacy ---------------------------------------------------------------------------------------


def test_personal_data_export_returns_what_is_held(ws: Workspace) -> None:
    consultation = open_one(ws, audience=Audience.INVITED)
    [(_, token)] = consult.create_invitations(ws, consultation.id, ["Kari, harbour master"], user="owner")
    response, receipt = consult.submit_response(ws, consultation.id, submission(), token=token)
    data = consult.personal_data(ws, consultation.id, receipt)
    assert data.response.id == response.id
    assert data.response.answers[0].text.startswith("Electric ferries")
    assert data.invitation is not None
    assert data.invitation.label == "Kari, harbour master"
    assert data.connection is None
    with pytest.raises(NotFound):
        consult.personal_data(ws, consultation.id, "AAAA-BBBB-CCCC-DDDD")


def test_erasing_by_receipt_removes_the_response_and_the_invitation_label(ws: Workspace) -> None:
    consultation = open_one(ws, audience=Audience.INVITED)
    [(invitation, token)] = consult.create_invitations(
        ws, consultation.id, ["Kari, harbour master"], user="owner"
    )
    response, receipt = consult.submit_response(ws, consultation.id, submission(), token=token)
    consult.erase_response(ws, consultation.id, receipt=receipt, user="participant")
    assert consult.list_responses(ws, consultation.id) == []
    [kept] = consult.list_invitations(ws, consultation.id)
    assert kept.id == invitation.id and kept.label == "" and kept.used_at is not None
    with pytest.raises(consult.AlreadyResponded):  # the link stays spent
        consult.submit_response(ws, consultation.id, submission(), token=token)
    with ws.reading() as session:
        events = audit.events(session)
    erasure = [e for e in events if e.action == "consultation.response.erase"]
    assert len(erasure) == 1 and erasure[0].before == {
        "response": response.id,
        "channel": "invited",
        "by": "receipt",
        "invitation": invitation.id,
    }
    logged = repr([(e.before, e.after) for e in events])
    assert "Kari" not in logged and "Electric ferries" not in logged and "wind power" not in logged


def test_erasing_by_response_number_removes_the_response(ws: Workspace) -> None:
    consultation = open_one(ws)
    response, receipt = consult.submit_response(ws, consultation.id, submission())
    consult.erase_response(ws, consultation.id, response_id=response.id, user="owner")
    with ws.reading() as session:
        assert session.scalar(select(func.count()).select_from(ResponseRow)) == 0
    with pytest.raises(NotFound):
        consult.personal_data(ws, consultation.id, receipt)
    with pytest.raises(InputError, match="by its receipt or by its number"):
        consult.erase_response(ws, consultation.id, user="owner")


# --- adoption --------------------------------------------------------------------------------------


def test_adopting_an_objective_proposal_makes_a_new_mission_version_that_names_its_origin(
    ws: Workspace,
) -> None:
    consultation = open_one(ws)
    response, _ = consult.submit_response(ws, consultation.id, submission())
    version = consult.adopt_proposal(ws, consultation.id, response.id, 0, user="owner")
    assert version.version == 2
    added = version.mission.objective("charge-ferries-from-local-wind-power")
    assert added is not None and added.title == "Charge ferries from local wind power"
    origin = mission_service.get_mission(ws, "ferries", 2).origin
    assert origin == f"consultation:{consultation.id}#response-{response.id}.0"
    assert consult.get_response(ws, consultation.id, response.id).adopted == [0]
    with ws.reading() as session:
        actions = [e.action for e in audit.events(session)]
    assert actions[-2:] == ["mission.update", "consultation.adopt"]
    with pytest.raises(InputError, match="already adopted"):
        consult.adopt_proposal(ws, consultation.id, response.id, 0, user="owner")


def test_adopting_a_solution_proposal_adds_it_to_the_missions_solutions(ws: Workspace) -> None:
    consultation = open_one(ws)
    response, _ = consult.submit_response(
        ws,
        consultation.id,
        submission(proposals=[Proposal(kind=ProposalKind.SOLUTION, text="Shore power at every quay")]),
    )
    version = consult.adopt_proposal(ws, consultation.id, response.id, 0, user="owner", comment="good idea")
    assert version.mission.solutions == ["Shore power at every quay"]
    assert version.comment == "good idea"


def test_the_owner_may_adopt_a_proposal_as_an_objective_of_their_own_wording(ws: Workspace) -> None:
    consultation = open_one(ws)
    response, _ = consult.submit_response(ws, consultation.id, submission())
    objective = Objective(id="local-power", title="Ferries charged with local renewable power")
    version = consult.adopt_proposal(ws, consultation.id, response.id, 0, user="owner", objective=objective)
    assert version.mission.objective("local-power") == objective


def test_a_failed_adoption_changes_nothing(ws: Workspace) -> None:
    consultation = open_one(ws)
    response, _ = consult.submit_response(ws, consultation.id, submission())
    clash = Objective(id="routes", title="Routes again")
    with ws.reading() as session:
        events_before = len(audit.events(session))
    with pytest.raises(InputError, match="objective id 'routes' is used twice"):
        consult.adopt_proposal(ws, consultation.id, response.id, 0, user="owner", objective=clash)
    with pytest.raises(InputError, match=r"index: response .* has 1 proposal"):
        consult.adopt_proposal(ws, consultation.id, response.id, 3, user="owner")
    assert mission_service.get_mission(ws, "ferries").version == 1
    assert consult.get_response(ws, consultation.id, response.id).adopted == []
    with ws.reading() as session:
        assert len(audit.events(session)) == events_before


def test_a_hidden_proposal_cannot_be_adopted(ws: Workspace) -> None:
    consultation = open_one(ws)
    response, _ = consult.submit_response(ws, consultation.id, submission())
    consult.hide_response(ws, consultation.id, response.id, reason="abusive", user="owner")
    with pytest.raises(InputError, match="is hidden"):
        consult.adopt_proposal(ws, consultation.id, response.id, 0, user="owner")


# --- export ----------------------------------------------------------------------------------------


def test_the_export_holds_every_response_and_no_personal_data(ws: Workspace) -> None:
    consultation = open_one(ws, audience=Audience.INVITED)
    [(_, token)] = consult.create_invitations(ws, consultation.id, ["Kari"], user="owner")
    consult.submit_response(ws, consultation.id, submission(), token=token)
    text = consult.export_responses(ws, consultation.id, "csv")
    header, row = text.splitlines()
    assert header.split(",") == [
        "id",
        "channel",
        "submitted_at",
        "hidden",
        "hidden_reason",
        "adopted",
        "helix",
        "level",
        "language",
        "consent",
        "views",
        "routes.importance",
        "routes.ambition",
        "yards.importance",
        "yards.ambition",
        "proposal_objective",
        "proposal_solution",
    ]
    assert "civil_society,local,en,yes,Electric ferries" in row and "Kari" not in text
    data = consult.export_responses(ws, consultation.id, "json")
    assert '"proposals"' in data and "Kari" not in data


# --- synthesis -------------------------------------------------------------------------------------


def test_the_synthesis_leaves_hidden_responses_out_and_marks_adopted_proposals(ws: Workspace) -> None:
    pytest.importorskip("missionboard.consultation.synthesis")
    consultation = open_one(ws)
    views = [
        "Electric ferries must keep the island routes running in winter storms.",
        "Shipyards need steady orders to invest in battery workshops.",
        "Tickets must stay affordable for commuters on the island routes.",
    ]
    sent = [
        consult.submit_response(
            ws,
            consultation.id,
            submission(
                answers=[Answer(question_id="views", text=text)],
                ratings=[Rating(objective_id="routes", importance=n + 3)],
            ),
        )[0]
        for n, text in enumerate(views)
    ]
    consult.hide_response(ws, consultation.id, sent[2].id, reason="duplicate", user="owner")
    consult.adopt_proposal(ws, consultation.id, sent[0].id, 0, user="owner")
    result = consult.synthesise(ws, consultation.id)
    assert (result.consultation_id, result.mission_id) == (consultation.id, "ferries")
    assert (result.responses, result.hidden) == (2, 1)
    assert sorted((p.response_id, p.adopted) for p in result.proposals) == [
        (sent[0].id, True),
        (sent[1].id, False),
    ]
    importance = next(r for r in result.ratings if r.objective_id == "routes" and r.criterion == "importance")
    assert importance.n == 2 and importance.mean == pytest.approx(3.5)
    # ratings are of the consulted version: the adopted objective came later and is not rated
    assert {r.objective_id for r in result.ratings} <= {"routes", "yards"}


def test_the_migrations_create_exactly_the_consultation_tables(workspace: Workspace) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from missionboard.store.tables import Base

    with workspace.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert [d for d in differences if "consult" in repr(d)] == []
    assert "consult_0002" in workspace.revision()  # 0001 the consultation, 0002 its report-back
