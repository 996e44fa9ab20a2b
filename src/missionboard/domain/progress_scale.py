"""One scale for every objective, whatever its unit and direction: the share of the way from baseline to
target that the latest observation has covered, and which way the last step went.

Pure rules, used where missions are set side by side (``services.compare``): 0 is the baseline, 1 the
target, whether the target lies above the baseline (more renewables) or below it (less litter); a value
under 0 has moved away from the target, over 1 has gone beyond it.
"""

from __future__ import annotations

import math
from enum import StrEnum

from missionboard.domain.missions import Direction
from missionboard.domain.targets import TargetStatus

__all__ = ["STATUS_LABELS", "Trend", "direction_of", "progress_share", "status_label", "trend"]

FLAT_TOLERANCE = 1e-9
"""Two observations closer than this (relative to the larger) count as no change: float noise only."""


class Trend(StrEnum):
    """Which way the last step of an indicator went, judged by the objective's direction."""

    IMPROVING = "improving"
    WORSENING = "worsening"
    FLAT = "flat"

    @property
    def arrow(self) -> str:
        """↑ improving, ↓ worsening, → flat."""
        return {Trend.IMPROVING: "↑", Trend.WORSENING: "↓", Trend.FLAT: "→"}[self]


def progress_share(baseline: float | None, target: float | None, latest: float | None) -> float | None:
    """The share of the way from ``baseline`` to ``target`` covered by ``latest``: 0 at the baseline, 1 at
    the target, below 0 when it moved away, above 1 beyond the target. None when a value is missing or
    not finite, or the target equals the baseline (no way to cover)."""
    if baseline is None or target is None or latest is None:
        return None
    if not all(math.isfinite(v) for v in (baseline, target, latest)) or target == baseline:
        return None
    return (latest - baseline) / (target - baseline)


def direction_of(
    direction: Direction | None, baseline: float | None, target: float | None
) -> Direction | None:
    """The objective's direction as declared, else as its target lies from its baseline (None when it
    says nothing and the two are missing or equal)."""
    if direction is not None:
        return direction
    if baseline is None or target is None or target == baseline:
        return None
    return Direction.INCREASE if target > baseline else Direction.DECREASE


def trend(previous: float | None, latest: float | None, direction: Direction | None) -> Trend | None:
    """How the step from ``previous`` to ``latest`` went for an objective that wants ``direction``:
    improving, worsening or flat; None without two observations or a direction."""
    if previous is None or latest is None or direction is None:
        return None
    if not (math.isfinite(previous) and math.isfinite(latest)):
        return None
    if abs(latest - previous) <= FLAT_TOLERANCE * max(abs(latest), abs(previous)):
        return Trend.FLAT
    rising = latest > previous
    return Trend.IMPROVING if rising == (direction is Direction.INCREASE) else Trend.WORSENING


STATUS_LABELS: dict[TargetStatus, str] = {
    TargetStatus.ACHIEVED: "Achieved",
    TargetStatus.ON_TRACK: "On track",
    TargetStatus.AT_RISK: "At risk",
    TargetStatus.OFF_TRACK: "Off track",
    TargetStatus.NO_DATA: "No data",
}
"""How a page or a report names an objective's status."""


def status_label(status: TargetStatus | None) -> str:
    """The status in words ("Off track"); "Not monitored" without one."""
    return STATUS_LABELS[status] if status is not None else "Not monitored"
