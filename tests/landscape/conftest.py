"""Fixtures of the landscape tests: the samples, a mapped-run helper, and one Spark session for all."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

from landscape_support import OPENALEX_SAMPLE


@pytest.fixture
def openalex_snapshot(tmp_path: Path) -> Path:
    """The hand-written OpenAlex sample laid out as the snapshot is: gzipped JSON lines per update date."""
    folder = tmp_path / "works" / "updated_date=2025-06-01"
    folder.mkdir(parents=True)
    with gzip.open(folder / "part_000.gz", "wb") as handle:
        handle.write(OPENALEX_SAMPLE.read_bytes())
    return tmp_path / "works"


@pytest.fixture
def cordis_sample(shared_data: Path) -> Path:
    folder = shared_data / "cordis"
    if not (folder / "horizon-europe-project-sample100.csv").exists():
        pytest.skip(f"the CORDIS sample is not in {folder}")
    return folder


@pytest.fixture
def iati_sample(shared_data: Path) -> Path:
    path = shared_data / "iati" / "caf-activities-2025-10-10.xml"
    if not path.exists():
        pytest.skip(f"the IATI sample {path} is absent")
    return path


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    """One local[2] Spark session for the Spark tests of a module (skipped without pyspark or a Java runtime)."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'missionboard[spark]')")
    if shutil.which("java") is None and not _java_home():
        pytest.skip("no Java runtime (java not on PATH, no JAVA_HOME): Spark cannot start")
    from missionboard.landscape.spark import session

    spark = session("local[2]")
    yield spark
    spark.stop()


def _java_home() -> bool:
    import os

    home = os.environ.get("JAVA_HOME")
    return bool(home) and (Path(home) / "bin" / "java").exists()
