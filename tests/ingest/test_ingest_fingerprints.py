"""A re-import skips the rows its projects were last written from, and gives the same results as one
that reads every row: a stale or missing fingerprint only costs a full read (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from ingest_helpers import (
    PARTNER_HEADER,
    PARTNERS,
    PROJECT_HEADER,
    PROJECTS,
    portfolio_files,
    scalar_rows,
    snapshot,
    with_field,
    write_csv,
)
from sqlalchemy import select, update

from missionboard.errors import InputError
from missionboard.ingest import engine, fingerprints, generic
from missionboard.services.ingest import ingest_files
from missionboard.store import analytics_tables
from missionboard.store import tables as t
from missionboard.store.audit import events
from missionboard.store.workspace import Workspace


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the CSV rows parsed into records (the work a skipped row is spared)."""
    seen: list[str] = []
    record = generic._record

    def counting(file: str, row: Any, cells: list[str], *args: Any) -> Any:
        seen.append(cells[0])
        return record(file, row, cells, *args)

    monkeypatch.setattr(generic, "_record", counting)
    return seen


def _counts(run: Any) -> tuple[int, int, int, int]:
    return (run.inserted, run.updated, run.unchanged, run.rejected)


def _row_hashes(workspace: Workspace) -> dict[str, str | None]:
    rows = scalar_rows(workspace, select(t.ProjectRow.source_id, t.ProjectRow.row_hash))
    return {source_id: digest for source_id, digest in rows}


def _projects_but_fingerprints(workspace: Workspace) -> list[Any]:
    columns = [c for c in t.ProjectRow.__table__.c if c.name != "row_hash"]
    return scalar_rows(workspace, select(*columns).order_by(t.ProjectRow.id))


def _forget_fingerprints(workspace: Workspace) -> None:
    """What a workspace written before fingerprints existed holds: NULL in every row."""
    with workspace.transaction() as session:
        session.execute(update(t.ProjectRow).values(row_hash=None))


def test_a_reimport_of_an_unchanged_file_parses_no_row(workspace, tmp_path: Path, parsed) -> None:
    projects, partners = portfolio_files(tmp_path)
    ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    before = snapshot(workspace)
    parsed.clear()
    run = ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    assert _counts(run) == (0, 0, 3, 0)
    assert parsed == []
    after = snapshot(workspace)
    for table in ("projects", "actors", "actor_identifiers", "actor_aliases", "participations"):
        assert after[table] == before[table], table
    with workspace.reading() as session:
        assert events(session, entity="project") == []


def test_every_imported_project_keeps_the_fingerprint_of_its_row(workspace, tmp_path: Path) -> None:
    projects, partners = portfolio_files(tmp_path)
    ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    digests = _row_hashes(workspace)
    assert set(digests) == {"H2-1", "GRID-2", "PRIZE-3"}
    assert all(d is not None and len(d) == 32 for d in digests.values())
    assert len(set(digests.values())) == 3


def test_projects_written_before_fingerprints_are_compared_by_content_once_then_skipped(
    workspace, tmp_path: Path, parsed
) -> None:
    projects, partners = portfolio_files(tmp_path)
    ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    _forget_fingerprints(workspace)
    before = _projects_but_fingerprints(workspace)
    parsed.clear()
    first = ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    assert _counts(first) == (0, 0, 3, 0)
    assert sorted(parsed) == ["GRID-2", "H2-1", "PRIZE-3"]
    with workspace.reading() as session:
        assert events(session, entity="project") == []
    assert None not in _row_hashes(workspace).values()
    parsed.clear()
    second = ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    assert _counts(second) == (0, 0, 3, 0)
    assert parsed == []
    assert _projects_but_fingerprints(workspace) == before


def test_going_back_to_an_earlier_file_after_a_change_updates_again(workspace, tmp_path: Path) -> None:
    projects, partners = portfolio_files(tmp_path)
    ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    newer = write_csv(tmp_path / "newer.csv", PROJECT_HEADER, with_field(1, "budget", "650000"))
    changed = ingest_files(workspace, "csv", [newer], partners=partners, source="agency")
    assert _counts(changed) == (0, 1, 2, 0)
    back = ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    assert _counts(back) == (0, 1, 2, 0)
    amounts = scalar_rows(
        workspace, select(t.ProjectRow.budget_amount).where(t.ProjectRow.source_id == "GRID-2")
    )
    assert str(amounts[0][0]) in ("500000.50", "500000.5")


@pytest.mark.parametrize(
    "change",
    ["a partner row", "the mapping", "the source", "the header order"],
)
def test_a_row_read_in_another_setting_is_read_again(workspace, tmp_path: Path, parsed, change: str) -> None:
    projects, partners = portfolio_files(tmp_path)
    ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    parsed.clear()
    options: dict[str, Any] = {"partners": partners, "source": "agency"}
    if change == "a partner row":
        edited = [list(r) for r in PARTNERS]
        edited[2][5] = "0.8"  # GRID-2's only partner
        options["partners"] = write_csv(tmp_path / "partners2.csv", PARTNER_HEADER, edited)
    elif change == "the mapping":
        mapping = tmp_path / "mapping.yaml"
        mapping.write_text("defaults:\n  language: en\n", encoding="utf-8")
        options["mapping"] = mapping
    elif change == "the source":
        options["source"] = "agency-2"
    else:
        order = [*PROJECT_HEADER[1:], PROJECT_HEADER[0]]
        projects = write_csv(tmp_path / "reordered.csv", order, [[*r[1:], r[0]] for r in PROJECTS])
    run = ingest_files(workspace, "csv", [projects], **options)
    expected = {  # (rows parsed again, counts)
        "a partner row": (1, (0, 1, 2, 0)),
        "the mapping": (3, (0, 3, 0, 0)),
        "the source": (3, (3, 0, 0, 0)),
        "the header order": (3, (0, 0, 3, 0)),
    }
    assert (len(parsed), _counts(run)) == expected[change]


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(PROJECT_HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_a_write_from_a_format_without_fingerprints_clears_the_one_it_makes_stale(
    workspace, tmp_path: Path
) -> None:
    projects, _ = portfolio_files(tmp_path)
    ingest_files(workspace, "csv", [projects], source="agency")
    book = _xlsx(tmp_path / "newer.xlsx", with_field(1, "budget", "650000"))
    changed = ingest_files(workspace, "xlsx", [book], source="agency")
    assert _counts(changed) == (0, 1, 2, 0)
    assert _row_hashes(workspace)["GRID-2"] is None
    back = ingest_files(workspace, "csv", [projects], source="agency")
    assert _counts(back) == (0, 1, 2, 0)


def test_rows_skipped_in_the_snapshot_are_checked_again_when_projects_were_written_since(
    workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    projects, partners = portfolio_files(tmp_path)
    ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    enter = engine._StoredHashes.enter

    def another_import_wrote_first(self: Any, session: Any) -> bool:
        # what a second import committed between this one's snapshot and its write lock
        session.execute(
            update(t.ProjectRow)
            .where(t.ProjectRow.source_id == "H2-1")
            .values(title="Written by another import", content_hash="0" * 64, row_hash="f" * 32)
        )
        analytics_tables.bump(session)
        return enter(self, session)

    monkeypatch.setattr(engine._StoredHashes, "enter", another_import_wrote_first)
    run = ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    assert _counts(run) == (0, 1, 2, 0)
    titles = scalar_rows(workspace, select(t.ProjectRow.title).where(t.ProjectRow.source_id == "H2-1"))
    assert titles[0][0] == "Hydrogen valleys"


def test_a_failed_reimport_leaves_the_fingerprints_as_they_were(workspace, tmp_path: Path) -> None:
    projects, partners = portfolio_files(tmp_path)
    ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    _forget_fingerprints(workspace)
    before = snapshot(workspace)
    broken = write_csv(tmp_path / "broken.csv", PROJECT_HEADER, [*PROJECTS, ["BAD-4", ""] + [""] * 16])
    with pytest.raises(InputError):
        ingest_files(workspace, "csv", [broken], partners=partners, source="agency")
    assert snapshot(workspace) == before


def test_a_repeated_unchanged_row_is_refused_as_a_duplicate(workspace, tmp_path: Path) -> None:
    projects, partners = portfolio_files(tmp_path)
    ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    twice = write_csv(tmp_path / "twice.csv", PROJECT_HEADER, [*PROJECTS, PROJECTS[0]])
    run = ingest_files(workspace, "csv", [twice], partners=partners, source="agency", on_error="skip")
    assert _counts(run) == (0, 0, 3, 1)
    assert run.errors[0]["message"] == "duplicate id 'H2-1': already read at twice.csv:2"


def test_projects_with_a_fingerprint_of_an_earlier_layout_are_compared_by_content_once_then_skipped(
    workspace, tmp_path: Path, parsed
) -> None:
    projects, partners = portfolio_files(tmp_path)
    ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    with workspace.transaction() as session:  # as version 1 (repr of the cells) left them
        session.execute(update(t.ProjectRow).values(row_hash="0123456789abcdef" * 2))
    parsed.clear()
    first = ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    assert _counts(first) == (0, 0, 3, 0)
    assert sorted(parsed) == ["GRID-2", "H2-1", "PRIZE-3"]
    with workspace.reading() as session:
        assert events(session, entity="project") == []
    parsed.clear()
    second = ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    assert _counts(second) == (0, 0, 3, 0)
    assert parsed == []


@pytest.mark.parametrize(
    ("cells", "other"),
    [
        (["ab", ""], ["a", "b"]),
        (["a", "b"], ["a\tb", ""]),
        (["", ""], ["", " "]),
        (["'a'", "b"], ["a", "'b'"]),
    ],
)
def test_rows_whose_cells_differ_get_different_fingerprints(cells: list[str], other: list[str]) -> None:
    prefix = fingerprints.file_prefix("agency", ["id", "title"], "{}")
    assert fingerprints.row_fingerprint(prefix, cells) != fingerprints.row_fingerprint(prefix, other)


@pytest.mark.parametrize(
    ("cells", "extra"),
    [(["P-1", "Heat pumps"], ""), (["P-2", "Värme ✓"], "[('KTH', {'role': 'partner'})]"), ([""], "")],
)
def test_a_fingerprint_of_version_2_hashes_its_prefix_the_cells_joined_by_nul_a_nul_and_the_partners(
    cells: list[str], extra: str
) -> None:
    prefix = fingerprints.file_prefix("agency", ["id", "title"], "{}")
    document = prefix + ("\x00".join(cells) + "\x00" + extra).encode("utf-8")
    expected = hashlib.blake2b(document, digest_size=fingerprints.DIGEST_SIZE).hexdigest()
    assert fingerprints.VERSION == "2"
    assert fingerprints.row_fingerprint(prefix, cells, extra) == expected


def test_a_fingerprint_depends_on_its_files_prefix() -> None:
    first = fingerprints.file_prefix("agency", ["id", "title"], "{}")
    second = fingerprints.file_prefix("council", ["id", "title"], "{}")
    cells = ["P-1", "Heat pumps"]
    assert fingerprints.row_fingerprint(first, cells) != fingerprints.row_fingerprint(second, cells)
    assert fingerprints.row_fingerprint(first, cells) == fingerprints.row_fingerprint(first, list(cells))
