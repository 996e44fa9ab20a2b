"""Working on the review queue together, as use cases: comments on links, and a mission's queue (or one
goal's part of it) assigned to a reviewer until they finish it; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from missionboard.errors import AlreadyExists, EditConflict, InputError, NotFound
from missionboard.missionfile import parse_mission
from missionboard.services import accounts, review
from missionboard.services import missions as mission_service
from missionboard.store.audit import events
from missionboard.store.tables import LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

OCEAN_YAML = """mission:
  id: ocean
  title: Plastic-free coastal waters
  challenge: Plastic pollution of coastal waters
  statement: By 2030 halve the plastic litter found on the beaches of the region.
  owner: Coastal agency
  deadline: 2030-12-31
  objectives:
    - id: litter
      title: Halve beach litter
    - id: recycling
      title: Recycle fishing gear
"""
PASSWORD = "correct horse battery"


@pytest.fixture
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its smallest cost: these tests create accounts, they do not test passwords."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def team(workspace: Workspace, quick_hashing: None) -> Iterator[tuple[Workspace, list[int]]]:
    """The mission ``ocean`` with an editor, a reviewer, a viewer and an admin, and two links to it."""
    mission_service.save_mission(
        workspace, parse_mission(OCEAN_YAML, "seed.yaml"), user="seed", origin="seed"
    )
    accounts.create_user(workspace, "admin", PASSWORD, admin=True, by="seed")
    for role in ("editor", "reviewer", "viewer"):
        accounts.create_user(workspace, role, PASSWORD, by="seed")
        accounts.set_role(workspace, role, "ocean", role, by="seed")
    with workspace.transaction() as session:
        links = []
        for i, goal in enumerate(("litter", "recycling"), start=1):
            project = ProjectRow(
                source="test", source_id=f"P{i}", title=f"Project {i}", content_hash=f"{i:064d}"
            )
            session.add(project)
            session.flush()
            link = LinkRow(
                project_id=project.id, taxonomy="mission:ocean", goal=goal, score=0.5, method="query"
            )
            session.add(link)
            session.flush()
            links.append(link.id)
    yield workspace, links


# --- comments ----------------------------------------------------------------------------------------


def test_a_comment_is_kept_with_its_author_and_an_aware_utc_time(team: tuple[Workspace, list[int]]) -> None:
    workspace, (link, _) = team
    added = review.comment(workspace, link, "  Is this really about beaches?  ", user="reviewer")
    assert added.text == "Is this really about beaches?"
    assert added.author == "reviewer"
    assert added.created_at.tzinfo is not None
    assert review.comments(workspace, [link]) == {link: [added]}


def test_comments_come_back_per_link_oldest_first_and_links_without_any_are_left_out(
    team: tuple[Workspace, list[int]],
) -> None:
    workspace, (first, second) = team
    one = review.comment(workspace, first, "first", user="reviewer")
    two = review.comment(workspace, first, "second", user="editor")
    found = review.comments(workspace, [first, second])
    assert found == {first: [one, two]}


def test_a_comment_is_recorded_in_the_audit_log(team: tuple[Workspace, list[int]]) -> None:
    workspace, (link, _) = team
    added = review.comment(workspace, link, "Check the abstract", user="reviewer")
    with workspace.reading() as session:
        [event] = events(session, entity="link_comment", entity_id=str(added.id))
    assert (event.actor, event.action) == ("reviewer", "review.comment")
    assert event.after == added.to_dict()


@pytest.mark.parametrize(
    ("text", "says"),
    [("", "write a comment first"), ("   ", "write a comment first"), ("x" * 2001, "at most 2,000")],
    ids=["empty", "blank", "too long"],
)
def test_a_comment_needs_one_to_two_thousand_characters(
    team: tuple[Workspace, list[int]], text: str, says: str
) -> None:
    workspace, (link, _) = team
    with pytest.raises(InputError, match=says):
        review.comment(workspace, link, text, user="reviewer")
    assert review.comments(workspace, [link]) == {}


def test_a_comment_of_two_thousand_characters_is_accepted(team: tuple[Workspace, list[int]]) -> None:
    workspace, (link, _) = team
    assert len(review.comment(workspace, link, "x" * 2000, user="reviewer").text) == 2000


def test_a_comment_on_an_unknown_link_is_not_found(team: tuple[Workspace, list[int]]) -> None:
    workspace, _ = team
    with pytest.raises(NotFound, match="no link with id 999"):
        review.comment(workspace, 999, "Hello", user="reviewer")


def test_a_links_comments_go_when_the_link_goes(team: tuple[Workspace, list[int]]) -> None:
    workspace, (link, _) = team
    review.comment(workspace, link, "Doomed", user="reviewer")
    with workspace.transaction() as session:
        session.delete(session.get(LinkRow, link))
    assert review.comments(workspace, [link]) == {}


# --- assignments -------------------------------------------------------------------------------------


def test_a_queue_assigned_to_a_reviewer_is_open_for_them_and_for_the_mission(
    team: tuple[Workspace, list[int]],
) -> None:
    workspace, _ = team
    given = review.assign(workspace, "ocean", "reviewer", goal="litter", user="editor")
    assert (given.mission_id, given.assignee, given.goal, given.assigned_by) == (
        "ocean",
        "reviewer",
        "litter",
        "editor",
    )
    assert given.is_open
    assert review.assignments(workspace, assignee="reviewer") == [given]
    assert review.assignments(workspace, mission_id="ocean") == [given]
    assert review.assignments(workspace, assignee="viewer") == []


def test_an_assignment_is_recorded_in_the_audit_log(team: tuple[Workspace, list[int]]) -> None:
    workspace, _ = team
    given = review.assign(workspace, "ocean", "reviewer", user="editor")
    with workspace.reading() as session:
        [event] = events(session, entity="review_assignment", entity_id=str(given.id))
    assert (event.actor, event.action) == ("editor", "review.assign")
    assert event.after == given.to_dict()


@pytest.mark.parametrize("assignee", ["reviewer", "editor", "admin"])
def test_a_queue_may_be_assigned_to_whoever_may_review_it(
    team: tuple[Workspace, list[int]], assignee: str
) -> None:
    workspace, _ = team
    assert review.assign(workspace, "ocean", assignee, user="editor").assignee == assignee


@pytest.mark.parametrize(
    ("assignee", "says"),
    [("viewer", "viewer does not hold the reviewer role"), ("nobody", "nobody is no user of this workspace")],
)
def test_a_queue_is_not_assigned_to_someone_who_may_not_review_it(
    team: tuple[Workspace, list[int]], assignee: str, says: str
) -> None:
    workspace, _ = team
    with pytest.raises(InputError, match=says):
        review.assign(workspace, "ocean", assignee, user="editor")
    assert review.assignments(workspace, mission_id="ocean") == []


def test_a_queue_is_not_assigned_for_a_goal_the_mission_lacks(team: tuple[Workspace, list[int]]) -> None:
    workspace, _ = team
    with pytest.raises(InputError, match="'plankton' is no objective or outcome of mission 'ocean'"):
        review.assign(workspace, "ocean", "reviewer", goal="plankton", user="editor")


def test_a_queue_of_an_unknown_mission_is_not_found(team: tuple[Workspace, list[int]]) -> None:
    workspace, _ = team
    with pytest.raises(NotFound):
        review.assign(workspace, "desert", "reviewer", user="editor")


@pytest.mark.parametrize("goal", [None, "litter"], ids=["whole queue", "one goal"])
def test_one_queue_is_open_at_most_once_per_person(
    team: tuple[Workspace, list[int]], goal: str | None
) -> None:
    workspace, _ = team
    review.assign(workspace, "ocean", "reviewer", goal=goal, user="editor")
    with pytest.raises(AlreadyExists, match="reviewer already has an open assignment"):
        review.assign(workspace, "ocean", "reviewer", goal=goal, user="admin")
    assert len(review.assignments(workspace, assignee="reviewer")) == 1


def test_other_goals_and_other_people_may_be_assigned_beside_an_open_queue(
    team: tuple[Workspace, list[int]],
) -> None:
    workspace, _ = team
    review.assign(workspace, "ocean", "reviewer", user="editor")
    review.assign(workspace, "ocean", "reviewer", goal="litter", user="editor")
    review.assign(workspace, "ocean", "editor", user="admin")
    assert len(review.assignments(workspace, mission_id="ocean")) == 3


def test_a_finished_assignment_is_done_audited_and_no_longer_open(team: tuple[Workspace, list[int]]) -> None:
    workspace, _ = team
    given = review.assign(workspace, "ocean", "reviewer", user="editor")
    done = review.finish(workspace, given.id, user="reviewer")
    assert done.done_at is not None and done.done_at.tzinfo is not None
    assert done.done_at >= given.created_at - dt.timedelta(seconds=1)
    assert review.assignments(workspace, assignee="reviewer") == []
    assert review.assignments(workspace, assignee="reviewer", open_only=False) == [done]
    with workspace.reading() as session:
        actions = [e.action for e in events(session, entity="review_assignment", entity_id=str(given.id))]
    assert actions == ["review.assign", "review.finish"]


def test_a_finished_queue_may_be_assigned_again(team: tuple[Workspace, list[int]]) -> None:
    workspace, _ = team
    first = review.assign(workspace, "ocean", "reviewer", user="editor")
    review.finish(workspace, first.id, user="reviewer")
    again = review.assign(workspace, "ocean", "reviewer", user="editor")
    assert again.id != first.id and again.is_open


def test_an_assignment_is_finished_once(team: tuple[Workspace, list[int]]) -> None:
    workspace, _ = team
    given = review.assign(workspace, "ocean", "reviewer", user="editor")
    review.finish(workspace, given.id, user="reviewer")
    with pytest.raises(EditConflict, match="finished already"):
        review.finish(workspace, given.id, user="reviewer")


def test_finishing_an_unknown_assignment_is_not_found(team: tuple[Workspace, list[int]]) -> None:
    workspace, _ = team
    with pytest.raises(NotFound, match="no review assignment with id 42"):
        review.finish(workspace, 42, user="reviewer")
