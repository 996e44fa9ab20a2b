"""The review queue, together: reviewers comment on links under each card; a mission's editors, owners and
admins assign its queue (or one goal's part of it) to a reviewer, who finds it under "Assigned to you"
and marks it done; the queue narrows to one goal. Every write is authorised, checked for its form's
token and audited; an outsider of a private mission is told it does not exist."""

from __future__ import annotations

import re

from web_support import Web

from missionboard.services import review
from missionboard.store.audit import events

QUEUE = "/review?mission=ocean"
LINK = 10  # a proposed link of the seeded mission 'ocean' (goal 'recycling')


def _comment(web: Web, csrf: str, text: str = "Gear or nets? Check the abstract.", link: int = LINK):  # type: ignore[no-untyped-def]
    return web.client.post(
        f"/review/{link}/comments",
        data={"csrf_token": csrf, "text": text, "back": QUEUE},
        follow_redirects=False,
    )


def _assign(web: Web, csrf: str, assignee: str = "reviewer", goal: str = "", mission: str = "ocean"):  # type: ignore[no-untyped-def]
    return web.client.post(
        "/review/assignments",
        data={"csrf_token": csrf, "mission": mission, "assignee": assignee, "goal": goal},
        follow_redirects=False,
    )


# --- comments ----------------------------------------------------------------------------------------


def test_a_reviewers_comment_is_shown_under_the_card_and_audited(web: Web) -> None:
    csrf = web.login("reviewer")
    response = _comment(web, csrf)
    assert response.status_code == 303
    assert "msg=commented" in response.headers["location"]
    page = web.client.get(f"{QUEUE}&msg=commented").text
    assert "Comment added." in page
    assert "Gear or nets? Check the abstract." in page
    [added] = review.comments(web.workspace, [LINK])[LINK]
    with web.workspace.reading() as session:
        [event] = events(session, entity="link_comment", entity_id=str(added.id))
    assert (event.actor, event.action) == ("reviewer", "review.comment")


def test_every_card_has_a_comment_form(web: Web) -> None:
    web.login("reviewer")
    page = web.client.get(QUEUE).text
    assert f'action="/review/{LINK}/comments"' in page


def test_a_viewer_may_not_comment(web: Web) -> None:
    csrf = web.login("viewer")
    assert _comment(web, csrf).status_code == 403
    assert review.comments(web.workspace, [LINK]) == {}


def test_a_comment_needs_the_forms_token(web: Web) -> None:
    web.login("reviewer")
    assert _comment(web, "forged").status_code == 403
    assert review.comments(web.workspace, [LINK]) == {}


def test_an_empty_comment_is_refused(web: Web) -> None:
    csrf = web.login("reviewer")
    assert _comment(web, csrf, text="   ").status_code == 422


def test_an_outsider_commenting_on_a_private_missions_link_is_told_it_does_not_exist(web: Web) -> None:
    csrf = web.login("outsider")
    assert _comment(web, csrf).status_code == 404
    assert review.comments(web.workspace, [LINK]) == {}


# --- assignments -------------------------------------------------------------------------------------


def test_the_assign_form_offers_the_missions_reviewers_to_its_owner(web: Web) -> None:
    web.login("owner")
    page = web.client.get(QUEUE).text
    assert "Assign this queue" in page
    options = re.search(r'<select id="a-assignee" name="assignee" required>(.*?)</select>', page)
    assert options is not None
    assert "<option>reviewer</option>" in options.group(1)
    assert "<option>viewer</option>" not in options.group(1)


def test_a_reviewer_sees_no_assign_form(web: Web) -> None:
    web.login("reviewer")
    assert "Assign this queue" not in web.client.get(QUEUE).text


def test_a_queue_assigned_to_a_reviewer_is_shown_to_them_and_finished_by_them(web: Web) -> None:
    csrf = web.login("owner")
    response = _assign(web, csrf, goal="litter")
    assert response.status_code == 303
    assert "msg=assigned" in response.headers["location"]
    [given] = review.assignments(web.workspace, assignee="reviewer")
    with web.workspace.reading() as session:
        [event] = events(session, entity="review_assignment", entity_id=str(given.id))
    assert (event.actor, event.action) == ("owner", "review.assign")

    web.client.cookies.clear()  # log out
    csrf = web.login("reviewer")
    page = web.client.get("/review").text
    assert "Assigned to you" in page
    assert 'href="/review?mission=ocean&amp;goal=litter"' in page
    done = web.client.post(
        f"/review/assignments/{given.id}/finish",
        data={"csrf_token": csrf, "back": "/review"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "msg=assignment_done" in done.headers["location"]
    assert "Assigned to you" not in web.client.get("/review").text
    with web.workspace.reading() as session:
        actions = [e.action for e in events(session, entity="review_assignment", entity_id=str(given.id))]
    assert actions == ["review.assign", "review.finish"]


def test_assigning_a_user_without_the_reviewer_role_is_refused_naming_them(web: Web) -> None:
    csrf = web.login("owner")
    response = _assign(web, csrf, assignee="viewer")
    assert response.status_code == 422
    assert "viewer does not hold the reviewer role" in response.text
    assert review.assignments(web.workspace, mission_id="ocean") == []


def test_one_queue_is_open_at_most_once_per_reviewer(web: Web) -> None:
    csrf = web.login("editor")
    assert _assign(web, csrf, goal="litter").status_code == 303
    assert _assign(web, csrf, goal="litter").status_code == 409
    assert _assign(web, csrf, goal="recycling").status_code == 303
    assert len(review.assignments(web.workspace, assignee="reviewer")) == 2


def test_a_reviewer_may_not_assign_the_queue(web: Web) -> None:
    csrf = web.login("reviewer")
    assert _assign(web, csrf).status_code == 403
    assert review.assignments(web.workspace, mission_id="ocean") == []


def test_assigning_needs_the_forms_token(web: Web) -> None:
    web.login("owner")
    assert _assign(web, "forged").status_code == 403
    assert review.assignments(web.workspace, mission_id="ocean") == []


def test_an_outsider_assigning_a_private_missions_queue_is_told_it_does_not_exist(web: Web) -> None:
    csrf = web.login("outsider")
    assert _assign(web, csrf).status_code == 404


def test_an_outsider_may_not_finish_a_private_missions_assignment(web: Web) -> None:
    given = review.assign(web.workspace, "ocean", "reviewer", user="owner")
    csrf = web.login("outsider")
    response = web.client.post(f"/review/assignments/{given.id}/finish", data={"csrf_token": csrf})
    assert response.status_code == 404
    assert review.assignments(web.workspace, assignee="reviewer") == [given]


def test_a_colleague_without_the_editor_role_may_not_finish_someone_elses_assignment(web: Web) -> None:
    given = review.assign(web.workspace, "ocean", "editor", user="owner")
    csrf = web.login("reviewer")
    response = web.client.post(f"/review/assignments/{given.id}/finish", data={"csrf_token": csrf})
    assert response.status_code == 403


# --- the goal filter ---------------------------------------------------------------------------------


def test_the_goal_filter_narrows_the_queue_to_one_goal(web: Web) -> None:
    web.login("reviewer")
    # the seed: 15 proposed links, 7 to 'litter' (odd projects from 7) and 8 to 'recycling'
    assert "15 proposed links." in web.client.get(QUEUE).text
    narrowed = web.client.get(f"{QUEUE}&goal=litter").text
    assert "7 proposed links." in narrowed
    assert "Fishing gear recycling project" not in narrowed
