"""The result of an analysis: plain data that the CLI, the web app and the reports render.

Every headline number is a *figure*: ``{"value": …, "unit": …, "computed_from": …}``. Tables are
``{"unit": {column: unit}, "computed_from": …, "rows": [...]}`` so that a reader of the JSON never
has to guess what a number means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

KEYS = (
    "mission",
    "scope",
    "portfolio",
    "projects",
    "budget",
    "coverage",
    "gaps",
    "instruments",
    "stages",
    "helix",
    "geography",
    "timeline",
    "leverage",
    "diversity",
    "themes",
    "concentration",
    "network",
    "overlaps",
    "dynamics",
    "meta",
)


def clean(value: Any) -> Any:
    """JSON-safe numbers: NaN/inf become None, numpy scalars become Python ones, floats rounded."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return round(value, 6)
    return value


def figure(value: Any, unit: str, computed_from: str) -> dict[str, Any]:
    """One number with its unit and the data it was computed from."""
    return {"value": clean(value), "unit": unit, "computed_from": computed_from}


def table(rows: list[dict[str, Any]], units: dict[str, str], computed_from: str) -> dict[str, Any]:
    """Rows of figures sharing units per column."""
    return {"unit": units, "computed_from": computed_from, "rows": clean(rows)}


@dataclass
class PortfolioAnalysis:
    """Everything ``analyze`` computes for one mission, taxonomy or the whole portfolio."""

    sections: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.sections[key]

    @property
    def reporting_currency(self) -> str:
        return str(self.sections.get("budget", {}).get("reporting_currency", ""))

    def to_dict(self) -> dict[str, Any]:
        """One JSON-ready object with the keys in ``KEYS`` order."""
        return {key: clean(self.sections.get(key)) for key in KEYS}
