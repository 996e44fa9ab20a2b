"""The learning log: notes linked to what they are about, searched and filtered; review rounds that
record what the portfolio and the board said, compared; every write audited, all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from learning_support import link_project

from missionboard.domain.learning import MAX_TEXT, LinkKind, NoteKind
from missionboard.errors import AlreadyExists, InputError, NotFound
from missionboard.services import learning
from missionboard.services.monitoring import monitor_mission
from missionboard.services.portfolio import mission_portfolio
from missionboard.store import audit
from missionboard.store.tables import LearningNoteLinkRow, LearningNoteRow
from missionboard.store.workspace import Workspace


def test_a_note_is_dated_attributed_and_linked_to_what_it_is_about(ocean: Workspace) -> None:
    note = learning.add_note(
        ocean,
        "ocean",
        "lesson",
        "  Prizes reach new actors  ",
        user="ana",
        round="2026-Q4",
        objectives=["litter", "collection"],
        projects=["test:P2"],
        decisions=[1],
    )
    assert note.text == "Prizes reach new actors"
    assert note.author == "ana"
    assert note.kind is NoteKind.LESSON
    assert note.round == "2026-Q4"
    assert note.created_at.tzinfo is not None
    assert [(link.kind, link.target) for link in note.links] == [
        (LinkKind.OBJECTIVE, "litter"),
        (LinkKind.OUTCOME, "collection"),
        (LinkKind.PROJECT, "2"),
        (LinkKind.DECISION, "1"),
    ]


def test_notes_read_back_newest_first_with_their_links_and_aware_times(ocean: Workspace) -> None:
    first = learning.add_note(ocean, "ocean", "pattern", "Harbours ask for bins", user="ana")
    second = learning.add_note(ocean, "ocean", "risk", "Gear prices fall", user="bo", projects=["1"])
    found = learning.notes(ocean, "ocean")
    assert [n.id for n in found] == [second.id, first.id]
    assert found[0].links[0].label == "test:P1"
    assert found[0].created_at.tzinfo is not None


def test_search_is_case_insensitive_and_needs_every_word(ocean: Workspace) -> None:
    learning.add_note(ocean, "ocean", "lesson", "Fishing GEAR returns when harbours pay", user="ana")
    learning.add_note(ocean, "ocean", "lesson", "Fishing boats stay out in winter", user="ana")
    assert len(learning.notes(ocean, "ocean", query="fishing")) == 2
    assert [n.text for n in learning.notes(ocean, "ocean", query="gear fishing")] == [
        "Fishing GEAR returns when harbours pay"
    ]


def test_search_takes_like_wildcards_literally(ocean: Workspace) -> None:
    learning.add_note(ocean, "ocean", "lesson", "Half the sites", user="ana")
    assert learning.notes(ocean, "ocean", query="%") == []
    assert learning.notes(ocean, "ocean", query="_") == []


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"kind": "risk"}, ["Gear prices fall"]),
        ({"round": "Q1"}, ["Harbours ask for bins"]),
        ({"about": "litter"}, ["Harbours ask for bins"]),
        ({"about": "test:P1"}, ["Gear prices fall"]),
        ({"about": "decision:1"}, ["Gear prices fall"]),
    ],
)
def test_notes_filter_by_kind_round_and_what_they_are_about(
    ocean: Workspace, filters: dict[str, str], expected: list[str]
) -> None:
    learning.add_note(
        ocean, "ocean", "pattern", "Harbours ask for bins", user="a", round="Q1", objectives=["litter"]
    )
    learning.add_note(
        ocean, "ocean", "risk", "Gear prices fall", user="a", projects=["test:P1"], decisions=[1]
    )
    assert [n.text for n in learning.notes(ocean, "ocean", **filters)] == expected


@pytest.mark.parametrize(
    ("changes", "error", "names"),
    [
        ({"objectives": ["oceans"]}, NotFound, "oceans"),
        ({"projects": ["test:P99"]}, NotFound, "test:P99"),
        ({"decisions": [42]}, NotFound, "42"),
        ({"kind": "insight"}, InputError, "insight"),
        ({"text": "   "}, InputError, "empty"),
        ({"text": "x" * (MAX_TEXT + 1)}, InputError, str(MAX_TEXT)),
    ],
)
def test_a_note_with_a_bad_link_kind_or_text_is_refused_and_leaves_nothing(
    ocean: Workspace, changes: dict[str, object], error: type[Exception], names: str
) -> None:
    arguments: dict[str, object] = {"kind": "lesson", "text": "A lesson", **changes}
    kind, text = arguments.pop("kind"), arguments.pop("text")
    with pytest.raises(error, match=names):
        learning.add_note(ocean, "ocean", kind, text, user="ana", **arguments)  # type: ignore[arg-type]
    with ocean.reading() as session:
        assert session.query(LearningNoteRow).count() == 0
        assert session.query(LearningNoteLinkRow).count() == 0
        assert audit.events(session, entity="learning_note") == []


def test_a_note_holds_up_to_5000_characters(ocean: Workspace) -> None:
    assert len(learning.add_note(ocean, "ocean", "lesson", "x" * MAX_TEXT, user="ana").text) == MAX_TEXT


def test_a_note_on_an_unknown_mission_is_refused(ocean: Workspace) -> None:
    with pytest.raises(NotFound, match="no mission 'sky'"):
        learning.add_note(ocean, "sky", "lesson", "A lesson", user="ana")


def test_writing_a_note_is_audited(ocean: Workspace) -> None:
    note = learning.add_note(ocean, "ocean", "pivot", "Switch to deposit schemes", user="ana")
    with ocean.reading() as session:
        events = audit.events(session, entity="learning_note", entity_id=str(note.id))
    assert [(e.action, e.actor) for e in events] == [("learning.note", "ana")]
    assert events[0].after is not None and events[0].after["text"] == "Switch to deposit schemes"


def test_a_closed_round_records_what_the_portfolio_and_the_board_say(ocean: Workspace) -> None:
    closed = learning.close_round(ocean, "ocean", "2026-Q3", user="owner")
    portfolio = mission_portfolio(ocean, "ocean")
    board = monitor_mission(ocean, "ocean")
    assert closed.projects == portfolio.projects
    assert closed.money == portfolio.money
    assert closed.currency == portfolio.currency
    assert [(o.objective, o.status, o.probability) for o in closed.objectives] == [
        (s.objective.id, s.status.value, s.probability) for s in board.objectives
    ]


def test_closing_a_round_is_audited_and_a_name_is_used_once(ocean: Workspace) -> None:
    learning.close_round(ocean, "ocean", "2026-Q3", user="owner")
    with pytest.raises(AlreadyExists, match="2026-Q3"):
        learning.close_round(ocean, "ocean", "2026-Q3", user="owner")
    with ocean.reading() as session:
        events = audit.events(session, entity="review_round")
    assert [(e.action, e.entity_id) for e in events] == [("learning.round_close", "ocean/2026-Q3")]


def test_comparing_rounds_gives_each_objective_before_and_after_the_portfolio_change_and_the_notes(
    ocean: Workspace,
) -> None:
    learning.add_note(ocean, "ocean", "lesson", "Before", user="a", round="Q3")
    first = learning.close_round(ocean, "ocean", "Q3", user="owner")
    link_project(ocean, 4, "litter")
    learning.add_note(ocean, "ocean", "pivot", "After", user="a", round="Q4")
    second = learning.close_round(ocean, "ocean", "Q4", user="owner")

    comparison = learning.compare_rounds(ocean, "ocean", "Q3", "Q4")
    assert comparison.projects_change == second.projects - first.projects == 1
    assert comparison.money_change == pytest.approx(4000)
    assert [o.objective for o in comparison.objectives] == ["litter", "recycling"]
    assert comparison.objectives[0].status_before == first.objectives[0].status
    assert comparison.objectives[0].status_after == second.objectives[0].status
    assert [n.text for n in comparison.notes_first] == ["Before"]
    assert [n.text for n in comparison.notes_second] == ["After"]
    assert comparison.to_dict()["portfolio"] == {
        "projects_before": 3,
        "projects_after": 4,
        "projects_change": 1,
        "money_before": 6000.0,
        "money_after": 10000.0,
        "money_change": 4000.0,
        "currency": "EUR",
    }


def test_comparing_an_unknown_round_names_it(ocean: Workspace) -> None:
    learning.close_round(ocean, "ocean", "Q3", user="owner")
    with pytest.raises(NotFound, match="'Q9'"):
        learning.compare_rounds(ocean, "ocean", "Q3", "Q9")


def test_the_markdown_of_notes_and_of_a_comparison_names_what_they_hold(ocean: Workspace) -> None:
    learning.add_note(ocean, "ocean", "decision_note", "Keep the prize", user="a", round="Q3", projects=["2"])
    learning.close_round(ocean, "ocean", "Q3", user="owner")
    learning.close_round(ocean, "ocean", "Q4", user="owner")
    log = learning.notes_markdown("ocean", learning.notes(ocean, "ocean"))
    assert "Decision note" in log
    assert "project test:P2" in log
    compared = learning.comparison_markdown(learning.compare_rounds(ocean, "ocean", "Q3", "Q4"))
    assert "| Halve beach litter (`litter`) |" in compared
    assert "Keep the prize" in compared


def test_a_round_closed_at_a_time_reads_back_utc_aware(ocean: Workspace) -> None:
    closed = learning.close_round(ocean, "ocean", "Q3", user="owner")
    assert learning.review_round(ocean, "ocean", "Q3").closed_at.utcoffset() == dt.timedelta(0)
    assert learning.review_rounds(ocean, "ocean")[0].name == closed.name
