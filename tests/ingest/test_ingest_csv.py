"""Agency exports as CSV and XLSX: columns found by common names or a mapping file; partners as a
column or as a second file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
from ingest_helpers import PROJECT_HEADER, PROJECTS, portfolio_files, write_csv
from sqlalchemy import select

from missionboard.services.ingest import ingest_files
from missionboard.store import tables as t
from missionboard.store.workspace import Workspace


def stored(workspace: Workspace) -> dict[str, t.ProjectRow]:
    with workspace.reading() as session:
        found = {p.source_id: p for p in session.scalars(select(t.ProjectRow))}
        session.expunge_all()
    return found


def participants(workspace: Workspace, source_id: str) -> list[tuple[str, str, str | None]]:
    with workspace.reading() as session:
        rows = session.execute(
            select(t.ActorRow.name, t.ParticipationRow.role, t.ActorRow.helix)
            .join(t.ParticipationRow, t.ParticipationRow.actor_id == t.ActorRow.id)
            .join(t.ProjectRow, t.ProjectRow.id == t.ParticipationRow.project_id)
            .where(t.ProjectRow.source_id == source_id)
            .order_by(t.ActorRow.name)
        ).all()
    return [tuple(r) for r in rows]


def test_the_demo_columns_are_recognised_without_a_mapping(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    projects, partners = portfolio_files(tmp_path)
    run = ingest_files(sqlite_workspace, "csv", [projects], partners=partners)
    assert run.source == "projects", "the file stem is the default source"
    project = stored(sqlite_workspace)["H2-1"]
    row = dict(zip(PROJECT_HEADER, PROJECTS[0], strict=True))
    assert (project.title, project.abstract, project.funder, project.programme) == (
        row["title"], row["abstract"], row["funder"], row["programme"],
    )  # fmt: skip
    assert (project.instrument, project.funding_scheme, project.status) == ("rd_grant", "open call", "active")
    assert (project.budget_amount, project.public_amount, project.cofunding_amount) == (
        Decimal("1000000"), Decimal("800000"), Decimal("200000"),
    )  # fmt: skip
    assert {project.budget_currency, project.public_currency, project.cofunding_currency} == {"SEK"}
    assert (project.start, project.end) == (dt.date(2023, 1, 1), dt.date(2025, 12, 31))
    assert (project.trl, project.stage) == (5, "development")
    assert (project.countries, project.regions, project.sectors) == (["SE"], ["SE33"], ["energy", "industry"])
    assert project.raw == {}, "every column was mapped to a field"
    assert stored(sqlite_workspace)["GRID-2"].countries == ["SE", "FI"]


def test_a_mapping_file_names_columns_defaults_and_value_translations(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "export.csv",
        ["Diarienr", "Projektnamn", "Beviljat", "Typ", "Startar", "Notes"],
        [["2023-01234", "Vätgas i Norrbotten", "2 500 000", "Bidrag", "01/02/2023", "keep me"]],
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "columns:\n  id: Diarienr\n  title: Projektnamn\n  budget: Beviljat\n  instrument: Typ\n  start: Startar\n"
        "defaults:\n  currency: SEK\n  funder: Energimyndigheten\n"
        "values:\n  instrument:\n    Bidrag: rd_grant\n",
        encoding="utf-8",
    )
    ingest_files(sqlite_workspace, "csv", [path], mapping=mapping, source="stem")
    project = stored(sqlite_workspace)["2023-01234"]
    assert (project.title, project.budget_amount, project.budget_currency) == (
        "Vätgas i Norrbotten", Decimal("2500000"), "SEK",
    )  # fmt: skip
    assert (project.instrument, project.start, project.funder) == (
        "rd_grant",
        dt.date(2023, 2, 1),
        "Energimyndigheten",
    )
    assert project.raw == {"Notes": "keep me"}, "unmapped columns are kept in raw"
    assert participants(sqlite_workspace, "2023-01234") == [("Energimyndigheten", "funder", None)]


def test_a_mapping_with_an_unknown_field_is_refused_by_name_and_line(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    import pytest

    from missionboard.errors import InputError

    projects, _ = portfolio_files(tmp_path)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns:\n  budjet: Amount\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"mapping.yaml:2: budjet: unknown field"):
        ingest_files(sqlite_workspace, "csv", [projects], mapping=mapping)


def test_partners_may_be_a_delimited_column_with_roles_and_types(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        ["Project ID", "Title", "Partners", "Funder"],
        [
            [
                "A-1",
                "Heat pumps",
                "Lund University (coordinator) [research]; Acme Heat AB [industry]; City of Lund",
                "Agency",
            ]
        ],
    )
    ingest_files(sqlite_workspace, "csv", [path])
    assert participants(sqlite_workspace, "A-1") == [
        ("Acme Heat AB", "partner", "industry"),
        ("Agency", "funder", None),
        ("City of Lund", "partner", None),
        ("Lund University", "coordinator", "research"),
    ]


def test_xlsx_and_csv_of_the_same_portfolio_give_the_same_projects(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    projects, partners = portfolio_files(tmp_path)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(PROJECT_HEADER)
    for row in PROJECTS:
        cells: list[object] = list(row)
        cells[PROJECT_HEADER.index("budget")] = float(row[PROJECT_HEADER.index("budget")])
        cells[PROJECT_HEADER.index("start")] = dt.datetime.fromisoformat(row[PROJECT_HEADER.index("start")])
        sheet.append(cells)
    book.save(tmp_path / "projects.xlsx")
    ingest_files(sqlite_workspace, "csv", [projects], partners=partners, source="a")
    ingest_files(sqlite_workspace, "xlsx", [tmp_path / "projects.xlsx"], partners=partners, source="b")
    with sqlite_workspace.reading() as session:
        rows = session.execute(
            select(t.ProjectRow.source, t.ProjectRow.source_id, t.ProjectRow.title, t.ProjectRow.budget_amount,
                   t.ProjectRow.start, t.ProjectRow.end, t.ProjectRow.trl, t.ProjectRow.sectors)
        ).all()  # fmt: skip
    a = sorted(tuple(r)[1:] for r in rows if r.source == "a")
    b = sorted(tuple(r)[1:] for r in rows if r.source == "b")
    assert a == b and len(a) == 3
    assert participants(sqlite_workspace, "H2-1")[0][0] == "Energy Agency"


def test_amounts_with_currency_signs_separators_and_decimal_commas_are_read(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        ["id", "title", "budget", "public_funding", "co_funding", "currency"],
        [
            ["A", "T", "£1,250,000.50", "1.000.000,25", "2 500", "GBP"],
            ["B", "T", "1250000,5", "1e6", "1 234 567,89", "GBP"],
        ],
    )
    ingest_files(sqlite_workspace, "csv", [path])
    projects = stored(sqlite_workspace)
    assert (projects["A"].budget_amount, projects["A"].public_amount, projects["A"].cofunding_amount) == (
        Decimal("1250000.50"),
        Decimal("1000000.25"),
        Decimal("2500"),
    )
    assert (projects["B"].budget_amount, projects["B"].public_amount, projects["B"].cofunding_amount) == (
        Decimal("1250000.50"),
        Decimal("1000000"),
        Decimal("1234567.89"),
    )


def test_a_folder_import_leaves_out_the_partners_file(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    _, partners = portfolio_files(tmp_path)
    run = ingest_files(sqlite_workspace, "csv", [tmp_path], partners=partners, source="agency")
    assert [f.name for f in run.files] == ["projects.csv", "partners.csv"]
    assert (run.read, run.inserted, run.rejected) == (3, 3, 0)


def test_title_rows_above_the_header_are_skipped_with_the_mapping(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Energy Agency portfolio, 2023"])
    book.active.append([])
    book.active.append(["Project number", "Title", "Budget", "Currency"])
    book.active.append(["E-1", "Solar roofs", 120000, "EUR"])
    book.save(tmp_path / "export.xlsx")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("skip_rows: 1\n", encoding="utf-8")
    run = ingest_files(sqlite_workspace, "xlsx", [tmp_path / "export.xlsx"], mapping=mapping)
    assert (run.read, run.inserted) == (1, 1)
    assert stored(sqlite_workspace)["E-1"].budget_amount == Decimal("120000")
    csv_path = tmp_path / "export.csv"
    csv_path.write_text("Energy Agency portfolio\n\nid,title\nC-1,Heat\n", encoding="utf-8")
    run = ingest_files(sqlite_workspace, "csv", [csv_path], mapping=mapping)
    assert run.inserted == 1
