"""An IATI re-import skips the activities its projects were last written from (their fingerprint is
their XML), and an activity parsed on request gives the record a full read gives (SQLite and
PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import scalar_rows, snapshot
from sqlalchemy import select

from missionboard.ingest import iati
from missionboard.ingest.base import ReadOptions, Record, Rejection, Unread
from missionboard.services.ingest import ingest_files
from missionboard.store import tables as t

ROOT = '<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03"{lang}>\n{activities}\n</iati-activities>\n'
ACTIVITY = """ <iati-activity default-currency="EUR">
  <iati-identifier>XM-{n}</iati-identifier>
  <title><narrative>{title}</narrative></title>
  <participating-org ref="XM-ORG-{n}" role="4" type="80"><narrative>University {n}</narrative></participating-org>
  <budget type="1"><period-start iso-date="2020-01-01"/><period-end iso-date="2020-12-31"/>
   <value currency="EUR" value-date="2020-01-01">{n}000</value></budget>
 </iati-activity>"""
TITLES = {1: "Hydrogen valleys", 2: "Smart grids", 3: "Heat pumps"}


def write(path: Path, titles: dict[int, str] = TITLES, lang: str = "", repeat: int | None = None) -> Path:
    activities = [ACTIVITY.format(n=n, title=title) for n, title in titles.items()]
    if repeat is not None:
        activities.append(ACTIVITY.format(n=repeat, title=titles[repeat]))
    path.write_text(ROOT.format(lang=f' xml:lang="{lang}"' if lang else "", activities="\n".join(activities)))
    return path


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The lines of the activities parsed into records (the work a skipped activity is spared)."""
    seen: list[int | None] = []
    activity = iati._activity

    def counting(file: str, element: Any, *args: Any) -> Any:
        seen.append(element.sourceline)
        return activity(file, element, *args)

    monkeypatch.setattr(iati, "_activity", counting)
    return seen


def _counts(run: Any) -> tuple[int, int, int, int]:
    return (run.inserted, run.updated, run.unchanged, run.rejected)


def _items(path: Path, fingerprints: bool) -> list[Any]:
    """What the reader gives, each Unread parsed once the whole file is read (its element released)."""
    options = ReadOptions(source="iati", extra={"fingerprints": fingerprints})
    items = list(iati.read([path], options))
    return [item.parse() if isinstance(item, Unread) else item for item in items]


def _shown(item: Record | Rejection) -> Any:
    if isinstance(item, Rejection):
        return item.problem
    return (item.project.model_dump(), [p.model_dump() for p in item.participations], item.line)


def test_a_reimport_of_an_unchanged_file_parses_no_activity(workspace, tmp_path: Path, parsed) -> None:
    path = write(tmp_path / "activities.xml")
    ingest_files(workspace, "iati", [path])
    before = snapshot(workspace)
    parsed.clear()
    run = ingest_files(workspace, "iati", [path])
    assert _counts(run) == (0, 0, 3, 0)
    assert parsed == []
    after = snapshot(workspace)
    for table in ("projects", "actors", "actor_identifiers", "participations"):
        assert after[table] == before[table], table


def test_every_imported_activity_keeps_a_fingerprint(workspace, tmp_path: Path) -> None:
    ingest_files(workspace, "iati", [write(tmp_path / "activities.xml")])
    digests = dict(scalar_rows(workspace, select(t.ProjectRow.source_id, t.ProjectRow.row_hash)))
    assert set(digests) == {"XM-1", "XM-2", "XM-3"}
    assert all(d is not None and len(d) == 32 for d in digests.values())
    assert len(set(digests.values())) == 3


def test_only_the_changed_activity_is_parsed_and_updated(workspace, tmp_path: Path, parsed) -> None:
    ingest_files(workspace, "iati", [write(tmp_path / "activities.xml")])
    parsed.clear()
    changed = write(tmp_path / "changed.xml", {**TITLES, 2: "Smart grids for islands"})
    run = ingest_files(workspace, "iati", [changed])
    assert _counts(run) == (0, 1, 2, 0)
    assert len(parsed) == 1
    titles = scalar_rows(workspace, select(t.ProjectRow.title).where(t.ProjectRow.source_id == "XM-2"))
    assert titles[0][0] == "Smart grids for islands"


def test_a_file_with_another_root_language_is_read_again(workspace, tmp_path: Path, parsed) -> None:
    ingest_files(workspace, "iati", [write(tmp_path / "activities.xml")])
    parsed.clear()
    run = ingest_files(workspace, "iati", [write(tmp_path / "french.xml", lang="fr")])
    assert _counts(run) == (0, 3, 0, 0)
    assert len(parsed) == 3


def test_a_repeated_unchanged_activity_is_refused_as_a_duplicate(workspace, tmp_path: Path) -> None:
    ingest_files(workspace, "iati", [write(tmp_path / "activities.xml")])
    twice = write(tmp_path / "twice.xml", repeat=1)
    run = ingest_files(workspace, "iati", [twice], on_error="skip")
    assert _counts(run) == (0, 0, 3, 1)
    assert run.errors[0]["message"] == "duplicate id 'XM-1': already read at twice.xml:3"


@pytest.mark.parametrize("kept", [0, iati.KEPT_PARSED], ids=["parsed-from-text", "parsed-from-element"])
def test_an_activity_parsed_on_request_is_the_record_a_full_read_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept: int
) -> None:
    monkeypatch.setattr(iati, "KEPT_PARSED", kept)
    path = write(tmp_path / "activities.xml")
    assert [_shown(i) for i in _items(path, True)] == [_shown(i) for i in _items(path, False)]


def test_an_activity_without_a_usable_identifier_is_refused_at_once(tmp_path: Path) -> None:
    path = write(tmp_path / "activities.xml")
    path.write_text(path.read_text().replace("<iati-identifier>XM-2</iati-identifier>", "<iati-identifier/>"))
    items = list(iati.read([path], ReadOptions(source="iati", extra={"fingerprints": True})))
    assert [type(i).__name__ for i in items] == ["Unread", "Rejection", "Unread"]
    assert items[1].problem.message == "missing or empty activity identifier"
