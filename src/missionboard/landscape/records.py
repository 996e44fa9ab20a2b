"""One record of a public corpus as the landscape sees it, and the Parquet schemas it travels in.

``OUTPUT_SCHEMA`` is the contract between ``landscape map`` and ``landscape analyze``: keep the names
and types as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

LABEL_TYPE = pa.struct([("goal", pa.string()), ("score", pa.float64()), ("evidence", pa.string())])

# What every reader passes through from the source to the output, beside the id.
PASSTHROUGH_FIELDS: list[pa.Field] = [
    pa.field("source", pa.string()),
    pa.field("title", pa.string()),
    pa.field("year", pa.int32()),
    pa.field("organisations", pa.list_(pa.string())),
    pa.field("countries", pa.list_(pa.string())),
    pa.field("fields", pa.list_(pa.string())),
    pa.field("amount_eur", pa.float64()),
]

OUTPUT_SCHEMA = pa.schema(
    [pa.field("id", pa.string()), pa.field("labels", pa.list_(LABEL_TYPE)), *PASSTHROUGH_FIELDS]
)
"""A mapped record: its id, the goals it serves (best first, as ``classify`` prints them) and the
pass-through fields."""

STAGED_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string()),
        pa.field("text", pa.string()),
        *PASSTHROUGH_FIELDS,
        pa.field("file", pa.string()),
        pa.field("line", pa.int64()),
    ]
)
"""A record read and waiting to be mapped: the text the classifier reads and where it was read."""


@dataclass(slots=True)
class LandscapeRecord:
    """One work, project or activity of a corpus: the text to map and what the analysis counts."""

    id: str
    text: str
    source: str
    title: str | None = None
    year: int | None = None
    organisations: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    amount_eur: float | None = None
    file: str = ""
    line: int | None = None

    def as_row(self) -> dict[str, Any]:
        """The record as a row of ``STAGED_SCHEMA``."""
        return {
            "id": self.id,
            "text": self.text,
            "source": self.source,
            "title": self.title,
            "year": self.year,
            "organisations": self.organisations,
            "countries": self.countries,
            "fields": self.fields,
            "amount_eur": self.amount_eur,
            "file": self.file,
            "line": self.line,
        }


def staged_table(records: list[LandscapeRecord]) -> pa.Table:
    """Records as one Arrow table of ``STAGED_SCHEMA``."""
    return pa.Table.from_pylist([r.as_row() for r in records], schema=STAGED_SCHEMA)
