"""Broken and hostile files: each gets one precise message (file, line, field, reason) and, with the
default ``--on-error fail``, leaves the workspace untouched."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from ingest_helpers import PARTNER_HEADER, PROJECT_HEADER, PROJECTS, snapshot, with_field, write_csv

from missionboard.errors import InputError, Problem
from missionboard.services.ingest import ingest_files
from missionboard.store.workspace import Workspace

IATI_ACTIVITY = """<iati-activity default-currency="EUR">
  <iati-identifier>{id}</iati-identifier>
  <title><narrative>{title}</narrative></title>
  <activity-date type="2" iso-date="{start}"/>
  <budget type="1"><period-start iso-date="2020-01-01"/><period-end iso-date="2020-12-31"/>
   <value currency="EUR" value-date="2020-01-01">{budget}</value></budget>
 </iati-activity>"""


def iati(path: Path, *activities: dict[str, str], version: str = "2.03", prologue: str = "") -> Path:
    body = "\n ".join(
        IATI_ACTIVITY.format(**{"id": "XM-1", "title": "A", "start": "2020-01-01", "budget": "100", **a})
        for a in activities
    )
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n{prologue}<iati-activities version="{version}">\n {body}\n'
        "</iati-activities>\n",
        encoding="utf-8",
    )
    return path


def line_of(path: Path, text: str) -> int:
    """The 1-based line of the first occurrence of ``text`` in a file."""
    content = path.read_text(encoding="utf-8")
    return content[: content.index(text)].count("\n") + 1


def only_problem(workspace: Workspace, format: str, path: Path, **kwargs: object) -> Problem:
    """The single problem a failing import reports, checking that nothing was written."""
    before = snapshot(workspace)
    with pytest.raises(InputError) as caught:
        ingest_files(workspace, format, [path], **kwargs)  # type: ignore[arg-type]
    assert snapshot(workspace) == before
    assert len(caught.value.problems) == 1
    return caught.value.problems[0]


def test_an_empty_file_is_reported_as_empty(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    for name, format in (("p.csv", "csv"), ("a.xml", "iati"), ("g.json", "360giving"), ("p.xlsx", "xlsx")):
        path = tmp_path / name
        path.write_bytes(b"")
        problem = only_problem(sqlite_workspace, format, path)
        assert (problem.file, problem.line, problem.message) == (name, None, "file is empty (0 bytes)")


def test_a_wrongly_encoded_csv_names_the_line_and_byte_and_the_encoding_option_reads_it(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes("id,title\nA-1,Plain\nA-2,Caf\u00e9 \u2013 r\u00e9sum\u00e9\n".encode("cp1252"))
    problem = only_problem(sqlite_workspace, "csv", path)
    assert problem.line == 3
    assert problem.message.startswith("not valid utf-8 text (byte 0xe9 at column 8)")
    assert "--encoding" in problem.message
    run = ingest_files(sqlite_workspace, "csv", [path], encoding="cp1252")
    assert run.inserted == 2


def test_truncated_files_say_they_are_truncated(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    whole = iati(tmp_path / "whole.xml", {"id": "XM-1"}, {"id": "XM-2"}).read_text(encoding="utf-8")
    cut = tmp_path / "cut.xml"
    cut.write_text(whole[: whole.index("XM-2") + 10], encoding="utf-8")
    problem = only_problem(sqlite_workspace, "iati", cut)
    assert problem.file == "cut.xml" and problem.line == cut.read_text(encoding="utf-8").count("\n") + 1
    assert problem.message.startswith("the XML is truncated")

    grants = tmp_path / "g.json"
    grants.write_text(
        '{"grants": [{"id": "G-1", "title": "T", "amountAwarded": 5, "currency": "GBP"}, {"id": "G', "utf-8"
    )
    problem = only_problem(sqlite_workspace, "360giving", grants)
    assert problem.line == 1 and "truncated" in problem.message

    workbook = tmp_path / "p.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["id", "title"])
    book.active.append(["A-1", "T"])
    book.save(workbook)
    workbook.write_bytes(workbook.read_bytes()[:600])
    problem = only_problem(sqlite_workspace, "xlsx", workbook)
    assert "not an XLSX workbook" in problem.message or "cannot open the workbook" in problem.message


def test_a_csv_row_with_an_unbalanced_quote_is_located(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text('id,title,abstract\nA-1,T,ok\nA-2,"Unclosed,quote\nA-3,T,ok\n', encoding="utf-8")
    problem = only_problem(sqlite_workspace, "csv", path)
    assert problem.line == 3
    assert "header has 3" in problem.message


def test_duplicate_ids_within_a_file_are_rejected_at_the_second_occurrence(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    rows = [*PROJECTS, list(PROJECTS[0])]
    path = write_csv(tmp_path / "p.csv", PROJECT_HEADER, rows)
    problem = only_problem(sqlite_workspace, "csv", path)
    assert (problem.line, problem.field) == (5, "id")
    assert problem.message == "duplicate id 'H2-1': already read at p.csv:2"


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("budget", "-10", "must not be negative: '-10'"),
        ("budget", "12k", "not a number: '12k'"),
        ("public_funding", "NaN", "not a number: 'NaN'"),
        ("co_funding", "1e999", "amount too large: '1e999'"),
        ("start", "2023-13-01", "impossible date '2023-13-01': month must be in 1..12"),
        ("end", "31/02/2024", "impossible date '31/02/2024': day is out of range for month"),
        ("end", "2020-01-01", "end 2020-01-01 is before start 2023-01-01"),
        ("start", "soon", "not a date: 'soon' (expected YYYY-MM-DD)"),
        ("currency", "kronor", "not a three-letter ISO 4217 currency code: 'kronor'"),
        ("trl", "12", "must be a whole number from 1 to 9, not '12'"),
    ],
)
def test_bad_values_are_rejected_with_row_field_and_reason(
    sqlite_workspace: Workspace, tmp_path: Path, column: str, value: str, message: str
) -> None:
    path = write_csv(tmp_path / "p.csv", PROJECT_HEADER, with_field(0, column, value))
    problem = only_problem(sqlite_workspace, "csv", path)
    assert problem == Problem("p.csv", 2, column, message)


def test_oversized_fields_are_rejected(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", PROJECT_HEADER, with_field(2, "title", "x" * 10_001))
    problem = only_problem(sqlite_workspace, "csv", path)
    assert problem == Problem(
        "p.csv", 4, "title", "10,001 characters, more than the 10,000 allowed for a title"
    )
    path = write_csv(tmp_path / "p.csv", PROJECT_HEADER, with_field(0, "id", "I" * 301))
    assert only_problem(sqlite_workspace, "csv", path).field == "id"


def test_a_file_without_an_id_column_points_to_the_mapping_option(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "p.csv", ["Grant ref", "Project title"], [["1", "T"]])
    problem = only_problem(sqlite_workspace, "csv", path)
    assert (problem.line, problem.field) == (1, "id")
    assert "--mapping" in problem.message


def test_partner_rows_for_unknown_projects_and_bad_shares_are_located(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    projects = write_csv(tmp_path / "p.csv", PROJECT_HEADER, PROJECTS)
    partners = write_csv(
        tmp_path / "o.csv", PARTNER_HEADER, [["NOPE-9", "Org", "", "industry", "partner", "", "", ""]]
    )
    problem = only_problem(sqlite_workspace, "csv", projects, partners=partners)
    assert (problem.file, problem.line, problem.field) == ("o.csv", 2, "project_id")
    assert problem.message == "no project with id 'NOPE-9' in p.csv"
    partners = write_csv(
        tmp_path / "o.csv", PARTNER_HEADER, [["H2-1", "Org", "", "industry", "partner", "1.5", "", ""]]
    )
    problem = only_problem(sqlite_workspace, "csv", projects, partners=partners)
    assert (problem.file, problem.line, problem.field) == ("o.csv", 2, "share")
    assert problem.message == "must be a share between 0 and 1 (or a percentage), not '1.5'"


def test_xml_entity_declarations_are_refused_without_expansion(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    bomb = (
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
    )
    path = iati(tmp_path / "bomb.xml", {"title": "&lol3;"}, prologue=bomb)
    problem = only_problem(sqlite_workspace, "iati", path)
    assert problem.file == "bomb.xml" and "refused for safety" in problem.message
    external = '<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
    path = iati(tmp_path / "xxe.xml", {"title": "&secret;"}, prologue=external)
    assert "refused for safety" in only_problem(sqlite_workspace, "iati", path).message


def test_iati_bad_amounts_dates_and_versions_are_located(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    path = iati(tmp_path / "a.xml", {"id": "XM-1"}, {"id": "XM-2", "budget": "lots"})
    line = line_of(path, ">lots<")
    assert only_problem(sqlite_workspace, "iati", path) == Problem(
        "a.xml", line, "budget/value", "not a number: 'lots'"
    )
    path = iati(tmp_path / "a.xml", {"id": "XM-1", "start": "2021-02-29"})
    problem = only_problem(sqlite_workspace, "iati", path)
    assert (problem.line, problem.field) == (line_of(path, "2021-02-29"), "activity-date/@iso-date")
    assert problem.message.startswith("impossible date '2021-02-29'")
    path = iati(tmp_path / "a.xml", {"id": "XM-1", "budget": "-100"})
    problem = only_problem(sqlite_workspace, "iati", path)
    assert (problem.line, problem.field) == (line_of(path, "<iati-activity "), "budget")
    path = iati(tmp_path / "a.xml", {"id": "XM-1"}, version="1.03")
    problem = only_problem(sqlite_workspace, "iati", path)
    assert (problem.line, problem.field) == (2, "version") and "not supported" in problem.message
    path = iati(tmp_path / "a.xml", {"id": "XM-1"}, {"id": "XM-1"})
    second = line_of(path, "<iati-activity ")
    problem = only_problem(sqlite_workspace, "iati", path)
    assert problem.message == f"duplicate id 'XM-1': already read at a.xml:{second}"
    assert problem.line > second


def test_non_xml_and_non_json_files_are_named_as_such(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_text("id,title\n1,T\n", encoding="utf-8")
    assert only_problem(sqlite_workspace, "iati", path).message.startswith("not an XML document")
    path = tmp_path / "g.json"
    path.write_text('{"grants": [{"id": 1,,}]}', encoding="utf-8")
    problem = only_problem(sqlite_workspace, "360giving", path)
    assert problem.line == 1 and problem.message.startswith("not valid JSON")
    zipped = tmp_path / "x.xlsx"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert "cannot open the workbook" in only_problem(sqlite_workspace, "xlsx", zipped).message


def test_skip_mode_reports_a_broken_file_and_imports_the_others(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    good = iati(tmp_path / "good.xml", {"id": "XM-1"}, {"id": "XM-2"})
    broken = tmp_path / "broken.xml"
    broken.write_text("<iati-activities version='2.03'><iati-activity>", encoding="utf-8")
    run = ingest_files(sqlite_workspace, "iati", [good, broken], on_error="skip")
    assert (run.read, run.inserted, run.rejected) == (2, 2, 1)
    assert run.errors[0]["file"] == "broken.xml"


def test_unknown_formats_and_options_are_refused(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", PROJECT_HEADER, PROJECTS)
    with pytest.raises(InputError, match="unknown format 'pdf'"):
        ingest_files(sqlite_workspace, "pdf", [path])
    with pytest.raises(InputError, match="--on-error must be 'fail' or 'skip'"):
        ingest_files(sqlite_workspace, "csv", [path], on_error="ignore")
    with pytest.raises(InputError, match="file not found"):
        ingest_files(sqlite_workspace, "csv", [tmp_path / "missing.csv"])


def test_iati_mixed_actual_and_planned_dates_keep_a_consistent_pair(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "a.xml"
    path.write_text(
        '<iati-activities version="2.03"><iati-activity><iati-identifier>XM-9</iati-identifier>'
        "<title><narrative>T</narrative></title>"
        '<activity-date type="1" iso-date="2018-01-01"/><activity-date type="2" iso-date="2021-06-01Z"/>'
        '<activity-date type="3" iso-date="2020-12-31"/></iati-activity></iati-activities>',
        encoding="utf-8",
    )
    run = ingest_files(sqlite_workspace, "iati", [path])
    assert run.inserted == 1
    from sqlalchemy import select

    from missionboard.store import tables as t

    with sqlite_workspace.reading() as session:
        start, end, raw = session.execute(
            select(t.ProjectRow.start, t.ProjectRow.end, t.ProjectRow.raw)
        ).one()
    assert (str(start), end) == ("2021-06-01", None), "planned end before the actual start is not used"
    assert raw["activity_dates"] == {"1": "2018-01-01", "2": "2021-06-01", "3": "2020-12-31"}


def test_a_csv_field_beyond_the_size_limit_is_named(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("id,title,abstract\nA-1,T,ok\nA-2,T," + "x" * 1_000_001 + "\n", encoding="utf-8")
    problem = only_problem(sqlite_workspace, "csv", path)
    assert problem == Problem(
        "p.csv", 3, "abstract", "1,000,001 characters, more than the 1,000,000 allowed for an abstract"
    )
    path.write_text(
        'id,title,abstract\nA-1,T,ok\nA-2,T,"never closed\n' + "x" * 1_100_000 + "\n", encoding="utf-8"
    )
    problem = only_problem(sqlite_workspace, "csv", path)
    assert problem.line == 4
    assert problem.message.startswith("a field is longer than 1,000,000 characters")


@pytest.mark.parametrize("target", ["workspace", "input", "folder"])
def test_the_rejects_file_may_not_be_the_workspace_an_input_or_a_folder(
    sqlite_workspace: Workspace, tmp_path: Path, target: str
) -> None:
    path = write_csv(tmp_path / "p.csv", PROJECT_HEADER, with_field(1, "title", ""))
    database = Path(str(sqlite_workspace.engine.url.database))
    rejects = {"workspace": database, "input": path, "folder": tmp_path}[target]
    before_input, before = path.read_bytes(), snapshot(sqlite_workspace)
    with pytest.raises(InputError, match="--rejects"):
        ingest_files(sqlite_workspace, "csv", [path], on_error="skip", rejects=rejects)
    assert path.read_bytes() == before_input
    assert snapshot(sqlite_workspace) == before


def test_the_rejects_file_is_replaced_whole_when_the_import_ends(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "p.csv", PROJECT_HEADER, with_field(1, "title", ""))
    rejects = tmp_path / "rejects.csv"
    rejects.write_text("an older run's rejects\n")
    ingest_files(sqlite_workspace, "csv", [path], on_error="skip", rejects=rejects)
    lines = rejects.read_text().splitlines()
    assert lines[0] == "file,line,field,message,record"
    assert len(lines) == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
