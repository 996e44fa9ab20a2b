"""Real 360Giving and CORDIS files (../shared/data): counts, totals and records checked against an
independent reading of the same files."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from ingest_helpers import write_csv
from sqlalchemy import func, select

from missionboard.services.ingest import ingest_files
from missionboard.store import tables as t
from missionboard.store.workspace import Workspace


def stored_projects(workspace: Workspace, source: str) -> dict[str, t.ProjectRow]:
    with workspace.reading() as session:
        found = {
            p.source_id: p for p in session.scalars(select(t.ProjectRow).where(t.ProjectRow.source == source))
        }
        session.expunge_all()
    return found


# --- 360Giving ----------------------------------------------------------------------------------


def test_360giving_json_package_counts_totals_and_records(
    sqlite_workspace: Workspace, shared_data: Path
) -> None:
    path = shared_data / "360giving" / "abct-grants-360G-ABCT.json"
    grants = json.loads(path.read_text(encoding="utf-8"))["grants"]
    run = ingest_files(sqlite_workspace, "360giving", [path])
    assert (run.read, run.inserted, run.rejected) == (len(grants), len(grants), 0) == (783, 783, 0)
    stored = stored_projects(sqlite_workspace, "360giving")
    assert sum(p.budget_amount for p in stored.values()) == sum(
        Decimal(str(g["amountAwarded"])) for g in grants
    )
    for grant in grants[::111]:
        project = stored[grant["id"]]
        assert project.title == grant["title"].strip()
        assert project.abstract == grant["description"].strip()
        assert project.budget_currency == grant["currency"]
        assert str(project.start) == grant["awardDate"][:10]
        assert project.funder == grant["fundingOrganization"][0]["name"]
        assert project.programme == grant["grantProgramme"][0]["title"]
    with sqlite_workspace.reading() as session:
        recipients = session.scalar(
            select(func.count(func.distinct(t.ActorIdentifierRow.value))).where(
                t.ActorIdentifierRow.scheme == "org-id"
            )
        )
        beneficiaries = session.scalar(
            select(func.count())
            .select_from(t.ParticipationRow)
            .where(t.ParticipationRow.role == "beneficiary")
        )
    ids = {g["recipientOrganization"][0]["id"] for g in grants} | {
        g["fundingOrganization"][0]["id"] for g in grants
    }
    assert recipients == len(ids)
    assert beneficiaries == len(grants)


def test_360giving_xlsx_gives_the_same_grants_as_the_json(
    sqlite_workspace: Workspace, shared_data: Path
) -> None:
    folder = shared_data / "360giving"
    ingest_files(sqlite_workspace, "360giving", [folder / "abct-grants-360G-ABCT.json"], source="json")
    ingest_files(sqlite_workspace, "360giving", [folder / "abct-grants-360G-ABCT.xlsx"], source="xlsx")
    from_json = stored_projects(sqlite_workspace, "json")
    from_xlsx = stored_projects(sqlite_workspace, "xlsx")
    assert from_json.keys() == from_xlsx.keys()
    for key, a in from_json.items():
        b = from_xlsx[key]
        assert (a.title, a.budget_amount, a.budget_currency, a.start, a.funder, a.programme) == (
            b.title, b.budget_amount, b.budget_currency, b.start, b.funder, b.programme,
        ), key  # fmt: skip
    with sqlite_workspace.reading() as session:
        aliases = session.execute(select(t.ActorAliasRow.actor_id, t.ActorAliasRow.source)).all()
    by_actor: dict[int, set[str]] = {}
    for actor_id, source in aliases:
        by_actor.setdefault(actor_id, set()).add(source)
    assert all(sources == {"json", "xlsx"} for sources in by_actor.values()), "one actor per organisation"


def test_360giving_flat_csv_with_day_first_dates(sqlite_workspace: Workspace, shared_data: Path) -> None:
    path = shared_data / "360giving" / "fundingproviders-2-grants.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    run = ingest_files(sqlite_workspace, "360giving", [path])
    assert run.inserted == len(rows) == 2
    stored = stored_projects(sqlite_workspace, "360giving")
    for row in rows:
        project = stored[row["Identifier"]]
        day, month, year = row["Award Date"].split("/")
        assert str(project.start) == f"{year}-{month}-{day}"
        assert project.budget_amount == Decimal(row["Amount Awarded"])
        assert project.title == row["Title"].strip()


def test_360giving_invalid_samples_are_rejected_with_reasons(
    sqlite_workspace: Workspace, shared_data: Path
) -> None:
    invalid = shared_data / "360giving" / "invalid"
    run = ingest_files(
        sqlite_workspace,
        "360giving",
        [invalid / "all-validation-errors.json", invalid / "all-null-fields.json", invalid / "malformed-json.json",
         invalid / "empty-zero-bytes.xlsx", invalid / "cp1252-encoded.csv"],
        on_error="skip",
    )  # fmt: skip
    assert run.inserted == 0
    found = {(e["file"], e["line"], e["field"]) for e in run.errors}
    assert ("all-validation-errors.json", 4, "title") in found
    assert ("all-null-fields.json", 3, "id") in found
    assert ("malformed-json.json", 10, "") in found
    assert ("empty-zero-bytes.xlsx", None, "") in found
    assert ("cp1252-encoded.csv", 2, "") in found


# --- CORDIS -------------------------------------------------------------------------------------


def euros(text: str) -> Decimal:
    """CORDIS amounts use a decimal comma ('2499638,25')."""
    return Decimal(text.replace(",", ".") or 0)


def _cordis(shared_data: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    folder = shared_data / "cordis"
    with (folder / "horizon-europe-project-sample100.csv").open(encoding="utf-8") as handle:
        projects = list(csv.DictReader(handle))
    with (folder / "horizon-europe-organization-sample100.csv").open(encoding="utf-8") as handle:
        organisations = list(csv.DictReader(handle))
    return projects, organisations


def test_cordis_tables_counts_totals_participants_and_helix(
    sqlite_workspace: Workspace, shared_data: Path
) -> None:
    projects, organisations = _cordis(shared_data)
    run = ingest_files(sqlite_workspace, "cordis", [shared_data / "cordis"])
    assert (run.read, run.inserted, run.rejected) == (len(projects), len(projects), 0) == (100, 100, 0)
    stored = stored_projects(sqlite_workspace, "cordis")
    assert sum(p.budget_amount for p in stored.values()) == sum(euros(p["totalCost"]) for p in projects)
    assert sum(p.public_amount for p in stored.values()) == sum(
        euros(p["ecMaxContribution"]) for p in projects
    )
    for row in projects[::17]:
        project = stored[row["id"]]
        assert (project.title, project.abstract) == (row["title"], row["objective"].strip())
        assert (str(project.start), str(project.end)) == (row["startDate"], row["endDate"])
        assert project.funding_scheme == row["fundingScheme"]
        assert (
            project.status
            == {"SIGNED": "active", "CLOSED": "completed", "TERMINATED": "terminated"}[row["status"]]
        )
    with sqlite_workspace.reading() as session:
        participants = session.execute(
            select(
                t.ParticipationRow.role,
                t.ParticipationRow.amount,
                t.ActorRow.helix,
                t.ActorIdentifierRow.value,
            )
            .join(t.ActorRow, t.ActorRow.id == t.ParticipationRow.actor_id)
            .join(t.ActorIdentifierRow, t.ActorIdentifierRow.actor_id == t.ActorRow.id)
            .where(t.ActorIdentifierRow.scheme == "pic")
        ).all()
    assert len(participants) == len(organisations)
    assert sum(p.amount or 0 for p in participants) == sum(euros(o["ecContribution"]) for o in organisations)
    helix = {
        "HES": "research",
        "REC": "research",
        "PRC": "industry",
        "PUB": "government",
        "OTH": "civil_society",
    }
    by_pic = {p.value: p.helix for p in participants}
    assert all(by_pic[o["organisationID"]] == helix[o["activityType"]] for o in organisations)
    coordinators = sum(1 for o in organisations if o["role"] == "coordinator")
    assert sum(1 for p in participants if p.role == "coordinator") == coordinators


def test_cordis_semicolon_files_as_published_and_xlsx_give_the_same_portfolio(
    sqlite_workspace: Workspace, shared_data: Path, tmp_path: Path
) -> None:
    projects, organisations = _cordis(shared_data)
    semi = tmp_path / "semi"
    semi.mkdir()
    write_csv(semi / "project.csv", list(projects[0]), [list(p.values()) for p in projects], delimiter=";")
    write_csv(
        semi / "organization.csv",
        list(organisations[0]),
        [list(o.values()) for o in organisations],
        delimiter=";",
    )
    book = openpyxl.Workbook()
    book.active.append(list(projects[0]))
    for p in projects:
        book.active.append(list(p.values()))
    book.save(tmp_path / "project.xlsx")
    ingest_files(sqlite_workspace, "cordis", [semi], source="semi")
    ingest_files(
        sqlite_workspace, "cordis", [tmp_path / "project.xlsx", shared_data / "cordis" / "horizon-europe-organization-sample100.csv"],
        source="xlsx",
    )  # fmt: skip
    a, b = stored_projects(sqlite_workspace, "semi"), stored_projects(sqlite_workspace, "xlsx")
    assert a.keys() == b.keys() and len(a) == 100
    for key in a:
        assert (a[key].title, a[key].budget_amount, a[key].start, a[key].countries) == (
            b[key].title, b[key].budget_amount, b[key].start, b[key].countries,
        )  # fmt: skip


def test_360giving_workbook_with_a_readme_sheet_first(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Read me"
    book.active.append(["About these grants"])
    sheet = book.create_sheet("Data")
    sheet.append(["Identifier", "Title", "Amount Awarded", "Currency", "Award Date", "Funding Org:Name"])
    sheet.append(["360G-x-1", "A grant", 1500, "GBP", "2020-05-01", "A Trust"])
    book.save(tmp_path / "grants.xlsx")
    run = ingest_files(sqlite_workspace, "360giving", [tmp_path / "grants.xlsx"])
    assert (run.read, run.inserted) == (1, 1)
    assert stored_projects(sqlite_workspace, "360giving")["360G-x-1"].budget_amount == Decimal("1500")


def test_360giving_json_is_streamed_in_pieces_with_the_same_result(
    sqlite_workspace: Workspace, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from missionboard.ingest import threesixtygiving

    path = shared_data / "360giving" / "fundingproviders-2-grants.json"
    whole = ingest_files(sqlite_workspace, "360giving", [path], source="whole", on_error="skip")
    monkeypatch.setattr(threesixtygiving._JsonStream, "CHUNK", 7)
    pieces = ingest_files(sqlite_workspace, "360giving", [path], source="pieces", on_error="skip")
    assert (whole.read, whole.inserted, whole.errors) == (pieces.read, pieces.inserted, pieces.errors)
    a, b = stored_projects(sqlite_workspace, "whole"), stored_projects(sqlite_workspace, "pieces")
    assert {k: (p.title, p.budget_amount, p.raw) for k, p in a.items()} == {
        k: (p.title, p.budget_amount, p.raw) for k, p in b.items()
    }


def test_360giving_json_errors_name_the_line_each_grant_starts_on(
    sqlite_workspace: Workspace, shared_data: Path
) -> None:
    path = shared_data / "360giving" / "fundingproviders-2-grants.json"
    lines = path.read_text(encoding="utf-8").splitlines()
    starts = [
        number for number, text in enumerate(lines, start=1) if text == "        {"
    ]  # grants are indented 8
    assert len(starts) == 4
    run = ingest_files(sqlite_workspace, "360giving", [path], on_error="skip")
    assert [e["line"] for e in run.errors] == [starts[1], starts[3]]
    assert [e["message"] for e in run.errors] == [
        f"duplicate id '360G-fundingproviders-000001/X/00/X': already read at {path.name}:{starts[0]}",
        f"duplicate id '360G-fundingproviders-000002/X/00/X': already read at {path.name}:{starts[2]}",
    ]
