"""Helpers of the landscape tests: where the samples are, and how a run's output is read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

DATA = Path(__file__).parent / "data"
OPENALEX_SAMPLE = DATA / "openalex" / "works.jsonl"


def read_output(folder: Path) -> pa.Table:
    """A run's output as one table sorted by source and id (part files in any order)."""
    table = pq.read_table(folder)
    return table.sort_by([("source", "ascending"), ("id", "ascending")])


def labels_by_id(table: pa.Table) -> dict[str, list[dict[str, Any]]]:
    """id → labels, the evidence parsed back from its JSON text."""
    return {
        row["id"]: [{**label, "evidence": json.loads(label["evidence"])} for label in row["labels"]]
        for row in table.select(["id", "labels"]).to_pylist()
    }


def markers(folder: Path) -> dict[str, bytes]:
    """Each finished chunk's marker, byte for byte."""
    return {p.name: p.read_bytes() for p in sorted((folder / "_done").glob("chunk-*.json"))}
