"""Numbers as the pages, board papers and charts write them."""

from __future__ import annotations

import math

NO_FIGURE = "—"


def compact(value: float | None) -> str:
    """A number in few characters: 1.2 k, 3.4 m, 2.6 bn, 0.86, 49.1; "—" for none (or not finite)."""
    if value is None or not math.isfinite(value):
        return NO_FIGURE
    for limit, suffix in ((1e9, " bn"), (1e6, " m"), (1e3, " k")):
        if abs(value) >= limit:
            return f"{value / limit:,.1f}{suffix}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if not float(value).is_integer() else f"{value:,.0f}"
