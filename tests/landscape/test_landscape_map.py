"""``landscape map`` with the in-process engine: the labels of ``classify``, Parquet in the agreed
schema, a manifest, rejects with file and line, and a restart that redoes no finished chunk."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from landscape_support import OPENALEX_SAMPLE, labels_by_id, markers, read_output

from missionboard.errors import InputError
from missionboard.landscape import job
from missionboard.landscape.records import OUTPUT_SCHEMA
from missionboard.services.mapping import make_mapper


def _classified(cli: Any, tmp_path: Path, texts: dict[str, str], method: str = "query") -> dict[str, Any]:
    """What ``classify`` prints for the texts, id → labels."""
    source = tmp_path / "texts.jsonl"
    source.write_text(
        "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in texts.items()), encoding="utf-8"
    )
    result = cli("classify", "-t", "sdg", "-m", method, "-i", str(source), "--workers", "1")
    assert result.exit_code == 0, result.stderr
    return {line["id"]: line["labels"] for line in map(json.loads, result.stdout.splitlines())}


def _texts(inputs: list[Path]) -> dict[str, str]:
    from missionboard.landscape import readers
    from missionboard.landscape.records import LandscapeRecord

    return {r.id: r.text for r in readers.read(inputs) if isinstance(r, LandscapeRecord)}


def _assert_same_labels(mapped: dict[str, Any], classified: dict[str, Any]) -> None:
    assert mapped.keys() == classified.keys()
    for record_id, labels in classified.items():
        ours = mapped[record_id]
        assert [label["goal"] for label in ours] == [label["goal"] for label in labels], record_id
        for mine, theirs in zip(ours, labels, strict=True):
            assert mine["score"] == pytest.approx(theirs["score"], abs=1e-9)
            assert mine["evidence"] == theirs["evidence"]


def test_map_gives_classify_labels_for_openalex_cordis_and_iati_records(
    cli: Any, tmp_path: Path, openalex_snapshot: Path, cordis_sample: Path, iati_sample: Path
) -> None:
    inputs = [openalex_snapshot, cordis_sample, iati_sample]
    job.map_corpus(inputs, tmp_path / "out", make_mapper("sdg", method="query"), chunk_rows=150)
    mapped = labels_by_id(read_output(tmp_path / "out"))
    assert len(mapped) == 8 + 100 + 478
    _assert_same_labels(mapped, _classified(cli, tmp_path, _texts(inputs)))


def test_map_with_the_default_method_gives_classify_labels(cli: Any, tmp_path: Path) -> None:
    report = job.map_corpus([OPENALEX_SAMPLE], tmp_path / "out", make_mapper("sdg"), chunk_rows=3)
    assert report.method == "ensemble"
    mapped = labels_by_id(read_output(tmp_path / "out"))
    _assert_same_labels(mapped, _classified(cli, tmp_path, _texts([OPENALEX_SAMPLE]), method="ensemble"))


def test_output_is_parquet_part_files_in_the_agreed_schema(tmp_path: Path, cordis_sample: Path) -> None:
    job.map_corpus([cordis_sample], tmp_path / "out", make_mapper("sdg", method="query"), chunk_rows=40)
    parts = sorted(p.name for p in (tmp_path / "out").glob("*.parquet"))
    assert parts == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert pq.read_schema(tmp_path / "out" / parts[0]) == OUTPUT_SCHEMA
    assert read_output(tmp_path / "out").schema == OUTPUT_SCHEMA


def test_the_manifest_records_taxonomy_method_engine_chunks_counts_and_times(tmp_path: Path) -> None:
    report = job.map_corpus(
        [OPENALEX_SAMPLE], tmp_path / "out", make_mapper("sdg", method="query"), chunk_rows=5
    )
    manifest = json.loads((tmp_path / "out" / "_manifest.json").read_text())
    assert (manifest["taxonomy"], manifest["method"], manifest["engine"]) == ("sdg", "query", "local")
    assert [c["rows"] for c in manifest["chunks"]] == [5, 3]
    assert manifest["counts"] == {"read": 8, "rejected": 0, "file_problems": 0, "mapped": 8,
                                  "labelled": report.labelled}  # fmt: skip
    assert manifest["started"] <= manifest["finished"]


def test_bad_records_are_reported_with_file_and_line_and_the_rest_is_mapped(tmp_path: Path) -> None:
    lines = OPENALEX_SAMPLE.read_text(encoding="utf-8").splitlines()
    source = tmp_path / "part_000.gz"
    source.write_bytes(gzip.compress("\n".join([lines[0], "{broken", lines[1]]).encode()))
    report = job.map_corpus([source], tmp_path / "out", make_mapper("sdg", method="query"))
    assert (report.mapped, report.rejected) == (2, 1)
    assert report.problems == [
        {"file": str(source), "line": 2, "field": "", "message": report.problems[0]["message"]}
    ]
    rejects = (tmp_path / "out" / "_rejects.csv").read_text(encoding="utf-8").splitlines()
    assert rejects[1].startswith(f"{source},2,,not valid JSON")


class Interrupted(Exception):
    """Stands for a crash after some chunks."""


def test_a_run_stopped_after_two_chunks_resumes_without_redoing_them(
    tmp_path: Path, cordis_sample: Path
) -> None:
    mapper = make_mapper("sdg", method="query")
    seen: list[int] = []

    def crash_after_two(done: Any) -> None:
        seen.append(done.chunk)
        if len(seen) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        job.map_corpus([cordis_sample], tmp_path / "out", mapper, chunk_rows=20,
                       events=job.MapEvents(chunk=crash_after_two))  # fmt: skip
    before = markers(tmp_path / "out")
    assert sorted(before) == ["chunk-00000.json", "chunk-00001.json"]
    report = job.map_corpus([cordis_sample], tmp_path / "out", mapper, chunk_rows=20)
    assert (report.chunks_skipped, report.chunks_mapped) == (2, 3)
    after = markers(tmp_path / "out")
    assert {name: after[name] for name in before} == before
    job.map_corpus([cordis_sample], tmp_path / "whole", mapper, chunk_rows=20)
    assert read_output(tmp_path / "out").equals(read_output(tmp_path / "whole"))


def test_running_a_finished_job_again_maps_nothing(tmp_path: Path) -> None:
    mapper = make_mapper("sdg", method="query")
    job.map_corpus([OPENALEX_SAMPLE], tmp_path / "out", mapper, chunk_rows=4)
    again = job.map_corpus([OPENALEX_SAMPLE], tmp_path / "out", mapper, chunk_rows=4)
    assert (again.chunks_skipped, again.chunks_mapped, again.mapped) == (2, 0, 8)


def test_a_folder_holding_another_taxonomys_run_is_refused_unless_fresh(tmp_path: Path) -> None:
    job.map_corpus([OPENALEX_SAMPLE], tmp_path / "out", make_mapper("sdg", method="query"))
    with pytest.raises(InputError, match="--fresh"):
        job.map_corpus([OPENALEX_SAMPLE], tmp_path / "out", make_mapper("eu-missions", method="query"))
    report = job.map_corpus([OPENALEX_SAMPLE], tmp_path / "out", make_mapper("eu-missions", method="query"),
                            fresh=True)  # fmt: skip
    assert (report.taxonomy, report.chunks_mapped) == ("eu-missions", 1)


def test_a_folder_with_other_files_is_never_written_into(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="other files"):
        job.map_corpus([OPENALEX_SAMPLE], tmp_path / "out", make_mapper("sdg", method="query"))


def test_the_command_prints_its_report_as_json(cli: Any, tmp_path: Path) -> None:
    result = cli("landscape", "map", "-t", "sdg", "-m", "query", "-i", str(OPENALEX_SAMPLE),
                 "-o", str(tmp_path / "out"), "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["engine"], report["read"], report["mapped"], report["chunks"]) == ("local", 8, 8, 1)


def test_local_workers_give_the_same_output_as_one_process(tmp_path: Path, cordis_sample: Path) -> None:
    mapper = make_mapper("sdg", method="query")
    job.map_corpus([cordis_sample], tmp_path / "one", mapper, chunk_rows=25, workers=1)
    job.map_corpus([cordis_sample], tmp_path / "two", mapper, chunk_rows=25, workers=2)
    assert read_output(tmp_path / "one").equals(read_output(tmp_path / "two"))
