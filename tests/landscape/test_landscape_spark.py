"""``landscape map --engine spark`` in Spark local mode: the labels of ``classify`` and of the local
engine, and a job killed midway that a rerun completes without redoing a finished chunk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from landscape_support import OPENALEX_SAMPLE, labels_by_id, markers, read_output

from missionboard.landscape import job
from missionboard.services.mapping import make_mapper

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

KILL_TIMEOUT = 120.0
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")


def test_spark_gives_the_labels_of_classify_and_the_output_of_the_local_engine(
    spark: SparkSession,
    cli: Any,
    tmp_path: Path,
    openalex_snapshot: Path,
    cordis_sample: Path,
    iati_sample: Path,
) -> None:
    inputs = [openalex_snapshot, cordis_sample, iati_sample]
    mapper = make_mapper("sdg", method="query")
    report = job.map_corpus(inputs, tmp_path / "spark", mapper, engine="spark", spark=spark, chunk_rows=150)
    job.map_corpus(inputs, tmp_path / "local", mapper, chunk_rows=150)
    assert (report.engine, report.chunks, report.mapped) == ("spark", 4, 586)
    assert read_output(tmp_path / "spark").equals(read_output(tmp_path / "local"))
    texts = tmp_path / "texts.jsonl"
    lines = [json.dumps({"id": r["id"], "text": r["text"]}) for r in _staged_texts(inputs)]
    texts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("classify", "-t", "sdg", "-m", "query", "-i", str(texts), "--workers", "1")
    assert result.exit_code == 0, result.stderr
    classified = {line["id"]: line["labels"] for line in map(json.loads, result.stdout.splitlines())}
    mapped = labels_by_id(read_output(tmp_path / "spark"))
    assert mapped.keys() == classified.keys()
    for record_id, labels in classified.items():
        assert [(m["goal"], m["evidence"]) for m in mapped[record_id]] == [
            (c["goal"], c["evidence"]) for c in labels
        ]
        assert [m["score"] for m in mapped[record_id]] == pytest.approx(
            [c["score"] for c in labels], abs=1e-9
        )


def test_a_spark_job_killed_midway_is_completed_by_a_rerun_without_redoing_finished_chunks(
    spark: SparkSession, tmp_path: Path
) -> None:
    corpus = _synthetic_corpus(tmp_path / "corpus.jsonl", copies=100)  # 800 records, 32 chunks
    output = tmp_path / "out"
    command = [sys.executable, "-c", "from missionboard.cli.app import run; run()", "landscape", "map", "-t", "sdg", "-m", "query",
               "-i", str(corpus), "-o", str(output), "--engine", "spark", "--master", "local[2]",
               "--chunk-size", "25"]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        _wait_for_first_marker(output, process)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    finished = _settled_markers(output)
    assert 0 < len(finished) < 32, "the job was not stopped midway; make the corpus larger"
    report = job.map_corpus([corpus], output, make_mapper("sdg", method="query"), engine="spark", spark=spark,
                            chunk_rows=25)  # fmt: skip
    assert (report.chunks_skipped, report.chunks_mapped) == (len(finished), 32 - len(finished))
    after = markers(output)
    assert {name: after[name] for name in finished} == finished
    assert all(json.loads(after[name])["engine"] == "spark" for name in after)
    rerun = [json.loads(after[name]) for name in after if name not in finished]
    assert len(rerun) > len({m["pid"] for m in rerun}), "each Python worker should map several chunks"
    assert {m["model_loads"] for m in rerun} == {1}, "the model is loaded once per Python worker"
    job.map_corpus([corpus], tmp_path / "whole", make_mapper("sdg", method="query"), chunk_rows=25)
    assert read_output(output).equals(read_output(tmp_path / "whole"))
    assert not list(output.glob(".*.tmp"))


def test_the_command_on_spark_prints_a_line_per_finished_partition_and_its_report(
    spark: SparkSession, cli: Any, tmp_path: Path
) -> None:
    result = cli("landscape", "map", "-t", "sdg", "-m", "query", "-i", str(OPENALEX_SAMPLE),
                 "-o", str(tmp_path / "out"), "--engine", "spark", "--master", "local[2]", "--chunk-size", "3")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    partitions = [line for line in result.stderr.splitlines() if line.startswith("partition ")]
    assert sorted(line.split(":")[0] for line in partitions) == ["partition 0", "partition 1", "partition 2"]
    assert "mapped 8 records" in result.stderr
    assert "on spark" in result.stderr


def _wait_for_first_marker(output: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + KILL_TIMEOUT
    while not list((output / "_done").glob("chunk-*.json")):
        if process.poll() is not None:
            raise AssertionError(
                f"the job ended before a chunk was done: {process.stderr.read().decode()[-2000:]}"
            )  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            raise AssertionError("no chunk was finished in time")
        time.sleep(0.02)


def _settled_markers(output: Path) -> dict[str, bytes]:
    """The chunk markers once no more appear: a Python worker of the killed job may still finish the chunk
    it was mapping and write its marker in the half second after the kill (seen on CI)."""
    deadline = time.monotonic() + 30
    seen = markers(output)
    while time.monotonic() < deadline:
        time.sleep(2)
        now = markers(output)
        if now == seen:
            return now
        seen = now
    raise AssertionError("the killed job's workers kept finishing chunks for 30 s")


def _synthetic_corpus(path: Path, copies: int) -> Path:
    works = [json.loads(line) for line in OPENALEX_SAMPLE.read_text(encoding="utf-8").splitlines()]
    with path.open("w", encoding="utf-8") as handle:
        for copy in range(copies):
            for work in works:
                text = f"{work['title']} (variant {copy})"
                handle.write(
                    json.dumps({"id": f"{work['id'][-11:]}-{copy}", "text": text, "year": 2020}) + "\n"
                )
    return path


def _staged_texts(inputs: list[Path]) -> list[dict[str, str]]:
    from missionboard.landscape import readers
    from missionboard.landscape.records import LandscapeRecord

    return [{"id": r.id, "text": r.text} for r in readers.read(inputs) if isinstance(r, LandscapeRecord)]
