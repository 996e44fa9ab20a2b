"""Readers of public corpora: records with id, text and pass-through fields; bad records reported with
their file and line, never a crash."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from landscape_support import OPENALEX_SAMPLE

from missionboard.errors import InputError
from missionboard.ingest.base import Rejection
from missionboard.landscape import readers
from missionboard.landscape.records import LandscapeRecord


def _split(items: list[LandscapeRecord | Rejection]) -> tuple[list[LandscapeRecord], list[Rejection]]:
    records = [i for i in items if isinstance(i, LandscapeRecord)]
    return records, [i for i in items if isinstance(i, Rejection)]


def test_openalex_rebuilds_the_abstract_from_its_inverted_index() -> None:
    index = {"Hunger": [0], "remains": [1, 4], "and": [2], "poverty": [3]}
    assert readers.inverted_abstract(index) == "Hunger remains and poverty remains"


def test_openalex_snapshot_files_are_read_gzipped_with_institutions_countries_fields_and_year(
    openalex_snapshot: Path,
) -> None:
    records, rejections = _split(list(readers.read([openalex_snapshot])))
    assert rejections == []
    first = records[0]
    assert first.id == "W9000000001"
    assert first.source == "openalex"
    assert first.year == 2021
    assert first.organisations == ["University of Nairobi", "Wageningen University & Research"]
    assert first.countries == ["KE", "NL"]
    assert first.fields == ["Agricultural and Biological Sciences"]
    assert first.text.startswith(
        "Drought-tolerant maize and household food security in smallholder farming. Hunger"
    )
    assert first.line == 1
    assert first.file.endswith("part_000.gz")


def test_openalex_work_without_abstract_or_topics_is_mapped_on_its_title_with_level_0_concepts() -> None:
    records, _ = _split(list(readers.read([OPENALEX_SAMPLE], "openalex")))
    work = next(r for r in records if r.id == "W9000000006")
    assert work.text == "A note on the cohomology of certain arithmetic groups"
    assert work.fields == ["Mathematics"]


BAD_LINES = [
    ("not json", "{not json", "", "not valid JSON"),
    ("openalex work without id", {"title": "x", "abstract_inverted_index": None}, "id", "missing"),
    ("inverted index of the wrong type", {"id": "https://openalex.org/W1", "title": "x",
                                          "abstract_inverted_index": {"a": "0"}}, "abstract_inverted_index",
     "positions"),
    ("no title and no abstract", {"id": "https://openalex.org/W2", "title": None,
                                  "abstract_inverted_index": None}, "text", "no text"),
    ("year out of range", {"id": "https://openalex.org/W3", "title": "t", "publication_year": 3024}, "year",
     "plausible"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "bad", "field", "message"), BAD_LINES, ids=[c[0] for c in BAD_LINES])
def test_a_bad_openalex_line_is_reported_with_its_file_and_line_and_the_others_are_read(
    tmp_path: Path, case: str, bad: object, field: str, message: str
) -> None:
    good = OPENALEX_SAMPLE.read_text(encoding="utf-8").splitlines()
    lines = [good[0], bad if isinstance(bad, str) else json.dumps(bad), good[1]]
    path = tmp_path / "part_001.gz"
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    records, rejections = _split(list(readers.read([path], "openalex")))
    assert [r.id for r in records] == ["W9000000001", "W9000000002"]
    (rejection,) = rejections
    assert (rejection.problem.file, rejection.problem.line) == (str(path), 2)
    assert rejection.problem.field == field
    assert message in rejection.problem.message


def test_a_truncated_gzip_file_keeps_the_records_before_the_break_and_names_the_line(tmp_path: Path) -> None:
    whole = gzip.compress(OPENALEX_SAMPLE.read_bytes())
    path = tmp_path / "part_002.gz"
    path.write_bytes(whole[: len(whole) - 40])
    records, rejections = _split(list(readers.read([path], "openalex")))
    (rejection,) = rejections
    assert rejection.is_record is False
    assert rejection.problem.line == len(records) + 1
    assert "cannot read on" in rejection.problem.message


def test_cordis_exports_give_projects_with_participants_countries_euroscivoc_and_eu_contribution(
    cordis_sample: Path,
) -> None:
    records, rejections = _split(list(readers.read([cordis_sample])))
    assert rejections == []
    assert len(records) == 100
    project = next(r for r in records if r.id == "101116741")
    assert project.source == "cordis"
    assert project.year == 2024
    assert project.organisations == ["WAGENINGEN UNIVERSITY"]
    assert project.countries == ["NL"]
    assert project.fields == ["/social sciences/political sciences/government systems"]
    assert project.amount_eur == 1499998.0
    assert (project.file, project.line) == ("horizon-europe-project-sample100.csv", 2)


def test_iati_files_in_bulk_are_read_and_the_invalid_ones_reported_with_file_and_line(
    shared_data: Path,
) -> None:
    folder = shared_data / "iati"
    if not (folder / "invalid").is_dir():
        pytest.skip(f"the IATI samples are not in {folder}")
    records, rejections = _split(list(readers.read([folder], "iati")))
    assert len([r for r in records if r.file == "caf-activities-2025-10-10.xml"]) == 478
    where = {(r.problem.file, r.problem.line) for r in rejections}
    assert ("malformed-mismatched-tag.xml", 7) in where
    assert ("schema-fail-budget-12-non-decimal-value.xml", 22) in where


def test_iati_refuses_a_document_declaring_entities(tmp_path: Path) -> None:
    path = tmp_path / "entities.xml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                    '<iati-activities version="2.03"><iati-activity>&e;</iati-activity></iati-activities>')  # fmt: skip
    records, rejections = _split(list(readers.read([path], "iati")))
    assert records == []
    assert "entities" in rejections[0].problem.message


def test_json_lines_need_id_and_text_and_carry_the_pass_through_fields(tmp_path: Path) -> None:
    path = tmp_path / "grants.jsonl"
    rows = [
        {"id": "g-1", "text": "Clean water for rural schools", "year": "2022", "countries": ["ke"],
         "organisations": ["Water Trust"], "fields": ["water"], "amount_eur": 12000, "source": "funder-x"},
        {"id": "g-2"},
        {"text": "no id"},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    records, rejections = _split(list(readers.read([path])))
    assert records == [
        LandscapeRecord(id="g-1", text="Clean water for rural schools", source="funder-x", title=None, year=2022,
                        organisations=["Water Trust"], countries=["KE"], fields=["water"], amount_eur=12000.0,
                        file=str(path), line=1)
    ]  # fmt: skip
    assert [(r.problem.line, r.problem.field) for r in rejections] == [(2, "text"), (3, "id")]


def test_csv_lists_are_split_and_a_bad_amount_is_reported_on_its_row(tmp_path: Path) -> None:
    path = tmp_path / "grants.csv"
    path.write_text("id,text,countries,amount_eur\nc-1,Solar mini-grids,KE;TZ,5000\nc-2,Cold chains,UG,lots\n",
                    encoding="utf-8")  # fmt: skip
    records, rejections = _split(list(readers.read([path])))
    assert records[0].countries == ["KE", "TZ"]
    assert records[0].source == "grants"
    assert [(r.problem.line, r.problem.field) for r in rejections] == [(3, "amount_eur")]


def test_parquet_without_a_text_column_is_rejected_as_a_file(tmp_path: Path) -> None:
    path = tmp_path / "works.parquet"
    pq.write_table(pa.table({"id": ["a"], "title": ["x"]}), path)
    _, rejections = _split(list(readers.read([path])))
    assert rejections[0].problem.field == "text"
    assert rejections[0].is_record is False


def test_parquet_rows_are_numbered_as_lines(tmp_path: Path) -> None:
    path = tmp_path / "works.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["Malaria vaccines", ""]}), path)
    records, rejections = _split(list(readers.read([path])))
    assert [r.id for r in records] == ["a"]
    assert (rejections[0].problem.line, rejections[0].problem.field) == (2, "text")


def test_a_missing_input_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        list(readers.read([tmp_path / "absent.jsonl"]))
