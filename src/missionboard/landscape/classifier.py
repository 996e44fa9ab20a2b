"""The classifier of ``classify``, as a landscape task runs it: built from a picklable setup, loaded once
per process (one Spark Python worker, one local worker), applied to a staged chunk.

The labels are those ``classify`` prints for the same text: ``Label.as_dict()``'s goal and score, the
evidence as JSON text written as ``classify`` writes it.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import time
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from missionboard.domain.mapping import Taxonomy
from missionboard.landscape.chunks import Chunk, ChunkDone, commit, digest
from missionboard.landscape.records import OUTPUT_SCHEMA, PASSTHROUGH_FIELDS
from missionboard.mapping.classifier import Calibration, Label, Mapper
from missionboard.mapping.supervised import SupervisedModel

BATCH = 256
"""Texts scored together: ``classify``'s default batch size."""


@dataclass(frozen=True)
class ClassifierSetup:
    """What a worker needs to build the same Mapper as the driver: shipped to executors, not the model."""

    taxonomy: Taxonomy
    method: str
    device: str
    supervised: SupervisedModel | None
    calibration: Calibration

    @classmethod
    def of(cls, mapper: Mapper) -> ClassifierSetup:
        return cls(mapper.taxonomy, mapper.method, mapper.device, mapper.supervised, mapper.calibration)

    @property
    def key(self) -> str:
        """Names the classifier: the same key means the same labels for the same text."""
        supervised = (
            None if self.supervised is None else hashlib.sha256(pickle.dumps(self.supervised)).hexdigest()
        )
        return digest(
            [self.taxonomy.model_dump(mode="json"), self.method, self.calibration.as_dict(), supervised]
        )

    def mapper(self) -> Mapper:
        """This process's loaded Mapper for the setup (loaded on first use, then reused by every task)."""
        mapper = _LOADED.get(self.key)
        if mapper is None:
            mapper = Mapper(
                self.taxonomy,
                method=self.method,
                device=self.device,
                supervised=self.supervised,
                calibration=self.calibration,
            )
            mapper.load()
            LOADS.append(self.key)
            _LOADED.clear()  # one model per process: a worker reused for another taxonomy frees the old one
            _LOADED[self.key] = mapper
        return mapper


_LOADED: dict[str, Mapper] = {}
LOADS: list[str] = []
"""The classifiers this process has loaded, in order (recorded in each chunk's marker)."""


def label_rows(labels: list[Label]) -> list[dict[str, Any]]:
    """A text's labels as rows of the output's ``labels`` column."""
    rows = []
    for label in labels:
        shown = label.as_dict()
        rows.append(
            {
                "goal": shown["goal"],
                "score": shown["score"],
                "evidence": json.dumps(shown["evidence"], ensure_ascii=False),
            }
        )
    return rows


def map_table(mapper: Mapper, staged: pa.Table) -> pa.Table:
    """A staged chunk mapped: ``id``, ``labels`` and the pass-through columns (OUTPUT_SCHEMA)."""
    texts = staged.column("text").to_pylist()
    labels: list[list[dict[str, Any]]] = []
    for start in range(0, len(texts), BATCH):
        labels.extend(label_rows(found) for found in mapper.classify(texts[start : start + BATCH]))
    columns = [staged.column("id"), pa.array(labels, type=OUTPUT_SCHEMA.field("labels").type)]
    columns += [staged.column(f.name) for f in PASSTHROUGH_FIELDS]
    return pa.Table.from_arrays(columns, schema=OUTPUT_SCHEMA)


def run_chunk(setup: ClassifierSetup, chunk: Chunk, engine: str) -> ChunkDone:
    """Map one staged chunk and commit it (part file, then marker): what one task of either engine does."""
    start = time.perf_counter()
    mapper = setup.mapper()
    table = map_table(mapper, pq.read_table(chunk.staged))
    return commit(chunk, table, engine=engine, seconds=time.perf_counter() - start, model_loads=len(LOADS))
