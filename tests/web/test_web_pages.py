"""The server-rendered pages: what each shows, each form's effect, and who may use it."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from web_support import ROLES, Web

from missionboard.services import accounts
from missionboard.services import missions as mission_service
from missionboard.services.accounts import Role
from missionboard.store.audit import events
from missionboard.store.tables import ImportRunRow


def _edit_form(web: Web) -> dict[str, str]:
    """The mission editor's fields as the page renders them."""
    page = web.client.get("/missions/ocean/edit")
    assert page.status_code == 200
    fields: dict[str, str] = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page.text):
        fields.setdefault(name, value)
    for name, value in re.findall(r'<textarea[^>]*name="(statement)"[^>]*>([^<]*)</textarea>', page.text):
        fields[name] = value
    for name, selected in re.findall(
        r'<select[^>]*name="([^"]+)"[^>]*>.*?<option selected>([^<]*)</option>', page.text, re.S
    ):
        fields.setdefault(name, selected)
    return fields


def test_the_mission_page_shows_statement_tree_and_decisions_and_loads_the_quality_check_after(
    web: Web,
) -> None:
    web.login("viewer")
    page = web.client.get("/missions/ocean").text
    assert "By 2030 halve the plastic litter" in page
    assert "Halve beach litter" in page and "Recycle fishing gear" in page
    assert "3 accepted · 7 proposed" in page  # litter: links 1,3,5 accepted; 7..19 odd proposed
    assert "On track" in page  # the decision on project 1
    for part in ("quality", "analytics", "monitoring"):
        assert f'data-fragment="/missions/ocean/insights?part={part}&amp;fragment=1"' in page
    fragment = web.client.get("/missions/ocean/insights?part=quality&fragment=1").text
    assert "Quality check" in fragment and "/100" in fragment and "Portfolio analytics" not in fragment


def test_the_missions_page_shows_cards_with_deadline_and_portfolio_size(web: Web) -> None:
    web.login("viewer")
    page = web.client.get("/").text
    assert "Plastic-free coastal waters" in page and "2030-12-31" in page
    # 20 links, one of them proposed with score 0.48: under the portfolio rule's 0.5, so not counted
    assert '<span class="portfolio-projects">19</span> projects' in page
    assert "An internal mission" not in page


def test_insights_render_analytics_monitoring_and_quality_as_one_fragment(web: Web) -> None:
    web.login("viewer")
    fragment = web.client.get("/missions/ocean/insights?fragment=1").text
    assert "Portfolio analytics" in fragment and "Monitoring" in fragment and "Quality check" in fragment
    assert web.client.get("/missions/ocean/insights?part=nonsense&fragment=1").status_code == 422
    assert "/api/v1/missions/ocean/analytics" in fragment and "/api/v1/missions/ocean/monitoring" in fragment
    assert "<html" not in fragment


@pytest.mark.parametrize("who", ("viewer", "reviewer", "outsider"))
def test_the_editor_is_refused_to_those_who_may_not_edit(web: Web, who: str) -> None:
    web.login(who)
    assert web.client.get("/missions/ocean/edit").status_code == 403


def test_editing_in_the_form_saves_a_new_version_and_audits_it(web: Web) -> None:
    csrf = web.login("editor")
    fields = _edit_form(web)
    fields.update({"csrf_token": csrf, "title": "Plastic-free coasts", "obj-1-target_value": "70"})
    response = web.client.post("/missions/ocean/edit", data=fields, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/missions/ocean?msg=saved"
    current = mission_service.get_mission(web.workspace, "ocean")
    assert current.version == 2 and current.mission.title == "Plastic-free coasts"
    assert (
        current.mission.objectives[1].target is not None and current.mission.objectives[1].target.value == 70
    )
    with web.workspace.reading() as session:
        event = events(session, entity="mission", entity_id="ocean")[-1]
    assert event.actor == "editor" and event.before and event.before["title"] == "Plastic-free coastal waters"


def test_form_errors_are_shown_beside_their_fields_and_nothing_is_saved(web: Web) -> None:
    csrf = web.login("editor")
    fields = _edit_form(web)
    fields.update(
        {"csrf_token": csrf, "title": "", "obj-0-target_year": "2010", "obj-1-baseline_value": "lots"}
    )
    response = web.client.post("/missions/ocean/edit", data=fields)
    assert response.status_code == 422
    assert 'id="err-title"' in response.text and 'aria-invalid="true"' in response.text
    assert 'id="err-obj-1-baseline_value"' in response.text and "must be a number" in response.text
    assert mission_service.get_mission(web.workspace, "ocean").version == 1


def test_a_new_objective_can_be_added_in_the_blank_row(web: Web) -> None:
    csrf = web.login("owner")
    fields = _edit_form(web)
    fields.update(
        {
            "csrf_token": csrf,
            "obj-2-id": "nets",
            "obj-2-title": "Recover ghost nets",
            "obj-2-indicator_id": "ghost_nets",
            "obj-2-indicator_name": "Ghost nets recovered",
            "obj-2-indicator_unit": "nets",
            "obj-2-baseline_value": "10",
            "obj-2-baseline_year": "2021",
            "obj-2-target_value": "500",
            "obj-2-target_year": "2030",
        }
    )
    assert web.client.post("/missions/ocean/edit", data=fields, follow_redirects=False).status_code == 303
    objectives = mission_service.get_mission(web.workspace, "ocean").mission.objectives
    assert [o.id for o in objectives] == ["litter", "recycling", "nets"]


def test_yaml_problems_are_listed_with_their_line_and_the_text_is_kept(web: Web) -> None:
    csrf = web.login("editor")
    text = mission_service.export_mission(web.workspace, "ocean").replace(
        "deadline: 2030-12-31", "deadline: someday"
    )
    response = web.client.post("/missions/ocean/yaml", data={"csrf_token": csrf, "yaml": text})
    assert response.status_code == 422
    assert 'data-line="' in response.text and "mission.deadline" in response.text
    assert "deadline: someday" in response.text


def test_history_shows_versions_and_a_diff(web: Web) -> None:
    csrf = web.login("editor")
    text = mission_service.export_mission(web.workspace, "ocean").replace("Coastal agency", "Coast guard")
    web.client.post("/missions/ocean/yaml", data={"csrf_token": csrf, "yaml": text, "comment": "new owner"})
    page = web.client.get("/missions/ocean/history?a=1&b=2").text
    assert "new owner" in page and "Changes from version 1 to 2" in page
    assert "Coastal agency" in page and "Coast guard" in page and 'class="del"' in page


def test_only_owners_see_members_and_delete(web: Web) -> None:
    csrf = web.login("editor")
    assert web.client.get("/missions/ocean/members").status_code == 403
    assert web.client.post("/missions/ocean/delete", data={"csrf_token": csrf}).status_code == 403
    web.client.cookies.clear()
    csrf = web.login("owner")
    assert web.client.get("/missions/ocean/members").status_code == 200
    response = web.client.post(
        "/missions/ocean/members", data={"csrf_token": csrf, "username": "outsider", "role": "reviewer"}
    )
    assert response.status_code == 200 and "outsider" in response.text
    assert (
        web.client.post(
            "/missions/ocean/delete", data={"csrf_token": csrf}, follow_redirects=False
        ).status_code
        == 303
    )
    assert web.client.get("/missions/ocean").status_code == 404


def test_admins_create_missions_from_yaml(web: Web) -> None:
    csrf = web.login("admin")
    text = mission_service.export_mission(web.workspace, "open-air").replace("id: open-air", "id: fresh")
    response = web.client.post(
        "/missions/new", data={"csrf_token": csrf, "yaml": text}, follow_redirects=False
    )
    assert response.headers["location"] == "/missions/fresh?msg=created"
    again = web.client.post("/missions/new", data={"csrf_token": csrf, "yaml": text})
    assert again.status_code == 422 and "already exists" in again.text


def test_the_explorer_filters_sorts_pages_and_keeps_the_view_in_links(web: Web) -> None:
    web.login("viewer")
    page = web.client.get("/projects?funder=Innovation+Agency&sort=budget&desc=1&per_page=25").text
    assert "20 projects" in page
    titles = re.findall(r'<a href="/projects/(\d+)">', page)
    assert titles[:3] == ["58", "55", "52"]
    assert "export.csv?funder=Innovation+Agency&amp;sort=budget&amp;desc=1&amp;per_page=25" in page


def test_a_bad_explorer_query_shows_the_problem_instead_of_failing(web: Web) -> None:
    web.login("viewer")
    page = web.client.get("/projects?sort=nonsense")
    assert page.status_code == 200 and "must be one of" in page.text


def test_the_current_view_exports_to_csv_and_xlsx(web: Web) -> None:
    web.login("viewer")
    response = web.client.get("/projects/export.csv?goal=mission:ocean/litter&link_status=accepted")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["source_id"] for r in rows] == ["P001", "P003", "P005"]
    response = web.client.get("/projects/export.xlsx?instrument=loan")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None and sheet.max_row == 21  # header + 20 loans


def test_the_project_page_shows_record_links_evidence_and_decisions(web: Web) -> None:
    web.login("viewer")
    page = web.client.get("/projects/1").text
    assert "P001" in page and "Research Council" not in page  # funder of project 1 is the Innovation Agency
    assert "Innovation Agency" in page and "mission:ocean" in page and "beach" in page and "On track" in page


def test_reviewing_on_the_review_page_records_the_decision(web: Web) -> None:
    csrf = web.login("reviewer")
    page = web.client.get("/review?mission=ocean").text
    assert 'data-key="a"' in page
    first = re.search(r'data-link="(\d+)"', page)
    assert first is not None
    link_id = first.group(1)
    response = web.client.post(
        f"/review/{link_id}",
        data={"csrf_token": csrf, "action": "reject", "back": "/review?mission=ocean"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    with web.workspace.reading() as session:
        event = events(session, entity="link", entity_id=link_id)[-1]
    assert event.actor == "reviewer" and event.after and event.after["status"] == "rejected"


def test_viewers_cannot_review(web: Web) -> None:
    csrf = web.login("viewer")
    assert web.client.get("/review?mission=ocean").status_code == 403
    assert web.client.post("/review/10", data={"csrf_token": csrf, "action": "accept"}).status_code == 403


@pytest.mark.parametrize("who", ("admin", *ROLES))
def test_the_admin_pages_are_for_admins(web: Web, who: str) -> None:
    web.login(who)
    for path in ("/admin/audit", "/admin/users", "/import"):
        assert web.client.get(path).status_code == (200 if who == "admin" else 403), path


def test_the_audit_page_shows_who_did_what_before_and_after(web: Web) -> None:
    web.client.put(
        "/api/v1/missions/ocean/members/outsider", json={"role": "viewer"}, headers=web.token("owner")
    )
    web.login("admin")
    page = web.client.get("/admin/audit?entity=user").text
    assert "user.set_role" in page and "outsider" in page and '{"mission": "ocean", "role": "viewer"}' in page


def test_admins_add_users_on_the_users_page(web: Web) -> None:
    csrf = web.login("admin")
    data = {"csrf_token": csrf, "action": "create", "username": "newbie", "password": "long enough pw"}
    assert web.client.post("/admin/users", data=data, follow_redirects=False).status_code == 303
    short = web.client.post("/admin/users", data={**data, "username": "other", "password": "x"})
    assert short.status_code == 422 and "at least 10 characters" in short.text


def test_tokens_are_made_on_the_account_page_and_shown_once(web: Web) -> None:
    csrf = web.login("viewer")
    page = web.client.post("/account/tokens", data={"csrf_token": csrf, "name": "nightly"}).text
    token = re.search(r'id="new-token">([^<]+)<', page)
    assert token is not None
    assert (
        web.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.group(1)}"}).status_code == 200
    )
    assert token.group(1) not in web.client.get("/account").text


def test_the_report_is_printable_html(web: Web) -> None:
    web.login("viewer")
    page = web.client.get("/missions/ocean/report").text
    assert "/static/print.css" in page and "Objectives" in page and "Halve beach litter" in page


def test_import_runs_a_dry_run_first_and_imports_on_confirmation(web: Web) -> None:
    csrf = web.login("admin")
    content = b"source_id,title,funder\nX1,Imported wave energy project,Sea Fund\n"
    dry = web.client.post(
        "/import",
        data={"csrf_token": csrf, "format": "csv", "source": "upload"},
        files={"file": ("new.csv", content, "text/csv")},
    )
    assert dry.status_code == 200, dry.text
    assert "Dry run" in dry.text
    staged = re.search(r'name="staged" value="([^"]+)"', dry.text)
    assert staged is not None
    assert web.client.get("/api/v1/projects?q=wave", headers=web.token("admin")).json()["total"] == 0
    done = web.client.post(
        "/import",
        data={
            "csrf_token": csrf,
            "staged": staged.group(1),
            "confirm": "1",
            "format": "csv",
            "source": "upload",
        },
    )
    assert done.status_code == 200 and "Import done" in done.text
    assert web.client.get("/api/v1/projects?q=wave", headers=web.token("admin")).json()["total"] == 1


def test_every_input_on_the_main_pages_has_a_label(web: Web) -> None:
    web.login("admin")
    for path in (
        "/projects",
        "/missions/ocean/edit",
        "/review?mission=ocean",
        "/admin/users",
        "/account",
        "/import",
    ):
        page = web.client.get(path).text
        ids = set(re.findall(r'<label[^>]*for="([^"]+)"', page))
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
            if 'type="hidden"' in tag or 'type="radio"' in tag:
                continue
            found = re.search(r'id="([^"]+)"', tag)
            assert found and found.group(1) in ids, (path, tag)


def test_the_report_downloads_as_pdf_where_weasyprint_works(web: Web) -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(f"WeasyPrint cannot load here: {exc}")
    web.login("viewer")
    response = web.client.get("/missions/ocean/report.pdf")
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"] == "application/pdf" and response.content.startswith(b"%PDF")
    web.client.cookies.clear()
    assert web.client.get("/missions/ocean/report.pdf", follow_redirects=False).status_code == 303


def test_the_project_page_hides_links_to_missions_the_user_cannot_see(web: Web) -> None:
    web.login("viewer")
    assert "mission:secret-lab" not in web.client.get("/projects/30").text
    web.client.cookies.clear()
    web.login("admin")
    assert "mission:secret-lab" in web.client.get("/projects/30").text


def test_the_explorer_offers_and_allows_only_goals_of_visible_missions(web: Web) -> None:
    web.login("viewer")
    page = web.client.get("/projects").text
    assert "mission:ocean/litter" in page and "mission:secret-lab" not in page
    assert web.client.get("/projects?goal=mission:secret-lab/x").status_code == 403
    assert web.client.get("/projects/export.csv?goal=mission:secret-lab/x").status_code == 403


def test_prewarming_fills_the_facets_and_mission_trees_at_start(web_workspace) -> None:  # type: ignore[no-untyped-def]
    import time

    from fastapi.testclient import TestClient

    from missionboard.web import create_app

    app = create_app(web_workspace, secure_cookies=False, prewarm=True)
    with TestClient(app):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(
            isinstance(k, tuple) and k[:2] == ("tree", "ocean") for k in app.state.cache._values
        ):
            time.sleep(0.05)
    assert "facets" in app.state.facets._values
    assert any(isinstance(k, tuple) and k[:2] == ("tree", "ocean") for k in app.state.cache._values)


def test_an_admin_cannot_give_a_role_on_a_mission_that_does_not_exist(web: Web) -> None:
    csrf = web.login("admin")
    data = {
        "csrf_token": csrf,
        "action": "role",
        "username": "outsider",
        "mission": "not-yet",
        "role": "owner",
    }
    response = web.client.post("/admin/users", data=data, follow_redirects=False)
    assert response.status_code == 404
    assert not accounts.get_account(web.workspace, "outsider").has("not-yet", Role.VIEWER)


def test_a_staged_upload_confirmed_twice_at_once_is_imported_once(web: Web) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from fastapi.testclient import TestClient

    csrf = web.login("admin")
    content = b"source_id,title,funder\n" + b"".join(b"R%d,Race %d,Fund\n" % (i, i) for i in range(300))
    dry = web.client.post(
        "/import",
        data={"csrf_token": csrf, "format": "csv", "source": "race"},
        files={"file": ("race.csv", content, "text/csv")},
    )
    staged = re.search(r'name="staged" value="([^"]+)"', dry.text)
    assert staged is not None
    confirm = {
        "csrf_token": csrf,
        "staged": staged.group(1),
        "confirm": "1",
        "format": "csv",
        "source": "race",
    }

    def confirm_once(_: int) -> int:
        client = TestClient(web.client.app, base_url="http://127.0.0.1", cookies=dict(web.client.cookies))
        return client.post("/import", data=confirm).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(confirm_once, range(4)))
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 422}, statuses
    with web.workspace.reading() as session:
        runs = session.scalars(select(ImportRunRow).where(ImportRunRow.source == "race")).all()
    assert len(runs) == 1


def test_an_api_dry_run_keeps_no_copy_of_the_upload(web: Web) -> None:
    from missionboard.web import actions

    before = set(actions.UPLOADS.iterdir()) if actions.UPLOADS.is_dir() else set()
    response = web.client.post(
        "/api/v1/imports",
        headers=web.token("admin"),
        data={"format": "csv", "dry_run": "true"},
        files={"file": ("dry.csv", b"source_id,title\nD1,Dry\n", "text/csv")},
    )
    assert response.status_code == 200, response.text
    assert set(actions.UPLOADS.iterdir()) - before == set()
