"""A project's co-funding by source, its conditions, disciplines and gender dimension are part of its
record: the API's project answer and the project page show them (issue 14, portfolio data)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from web_support import Web

from missionboard.services.ingest import ingest_files
from missionboard.store.tables import ProjectRow

CSV = (
    "id,title,currency,budget,cofunding_sources,conditions,discipline,gender_marker,lead_gender\n"
    'F-1,Fjord ferries,NOK,900000,"private 100000 (Fjord AS); eu 50000 (Horizon Europe)",'
    '"repayable 50%: repaid from sales",5.2,significant,female\n'
    "F-2,Plain project,NOK,1000,,,,,\n"
)


def _imported(web: Web, tmp_path: Path) -> dict[str, int]:
    path = tmp_path / "funding.csv"
    path.write_text(CSV, encoding="utf-8")
    ingest_files(web.workspace, "csv", [path], source="agency")
    with web.workspace.reading() as session:
        rows = session.execute(
            select(ProjectRow.source_id, ProjectRow.id).where(ProjectRow.source == "agency")
        )
        return {source_id: project_id for source_id, project_id in rows}


def test_the_api_answers_a_projects_funding_detail(web: Web, tmp_path: Path) -> None:
    ids = _imported(web, tmp_path)
    answer = web.client.get(f"/api/v1/projects/{ids['F-1']}", headers=web.token("admin")).json()
    funding = answer["funding"]
    assert funding["cofunding_sources"] == [
        {"source_type": "private", "funder": "Fjord AS", "amount": 100000.0, "currency": "NOK"},
        {"source_type": "eu", "funder": "Horizon Europe", "amount": 50000.0, "currency": "NOK"},
    ]
    assert funding["conditions"] == [{"kind": "repayable", "description": "repaid from sales", "share": 0.5}]
    assert funding["discipline"] == "5.2 Economics and business"
    assert (funding["gender_marker"], funding["lead_gender"]) == ("significant", "female")


def test_a_project_without_detail_answers_empty_lists_and_nulls(web: Web, tmp_path: Path) -> None:
    ids = _imported(web, tmp_path)
    answer = web.client.get(f"/api/v1/projects/{ids['F-2']}", headers=web.token("admin")).json()
    assert answer["funding"] == {
        "discipline": None,
        "disciplines": [],
        "gender_marker": None,
        "lead_gender": None,
        "cofunding_sources": [],
        "conditions": [],
    }


def test_the_project_page_shows_cofunding_conditions_and_disciplines(web: Web, tmp_path: Path) -> None:
    ids = _imported(web, tmp_path)
    web.login("admin")
    page = web.client.get(f"/projects/{ids['F-1']}").text
    assert "Co-funding and conditions" in page
    assert "co-funding: private" in page and "Fjord AS" in page and "100,000 NOK" in page
    assert "condition: repayable" in page and "50 %" in page
    assert "5.2 Economics and business" in page and "lead: female" in page
    plain = web.client.get(f"/projects/{ids['F-2']}").text
    assert "Co-funding and conditions" not in plain
