"""Stage-gates for the demo: gates set at award on the anniversaries of each reported project's start,
and the board's decisions at the latest gate, taken from each project's own progress reports.

The rule (``judge``) reads the evidence a board would: a project whose milestones are all done is never
stopped, and a project is decided on only while it runs (``gate_dates`` gives none after its end).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

CRITERIA = (
    "Every milestone due by the gate is completed",
    "Spend is at least 70 % of plan",
    "Each KPI is at least 80 % of plan",
)
EVIDENCE = ("Progress report with milestones and KPIs", "Spend statement")


def _anniversary(start: dt.date, years: int) -> dt.date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def gate_dates(start: dt.date, end: dt.date, reference: dt.date) -> list[tuple[str, dt.date]]:
    """The gates of a project running on ``reference``: G1 on the last anniversary of its start on or
    before ``reference``, G2 on the next one (or at the project's end if that comes first); a project
    younger than a year has only G1, on its first anniversary (or end)."""
    if not start < reference <= end:
        return []
    years = 0
    while _anniversary(start, years + 1) <= reference:
        years += 1
    if years == 0:
        return [("G1", min(_anniversary(start, 1), end))]
    return [("G1", _anniversary(start, years)), ("G2", min(_anniversary(start, years + 1), end))]


def judge(progress: dict[str, Any]) -> tuple[set[int], str, str]:
    """The criteria met (numbers of ``CRITERIA``), the decision and its rationale, from a progress summary
    (``monitoring.progress.progress_summary``) on the day of the gate."""
    milestones = progress.get("milestones", {})
    milestones_done = milestones.get("overdue", 0) == 0
    spend = [s for s in progress.get("spend", []) if s.get("planned")]
    spend_share = sum(s["actual"] or 0 for s in spend) / sum(s["planned"] for s in spend) if spend else None
    kpis = [k for k in progress.get("kpis", []) if k.get("planned")]
    kpi_shares = [(k["actual"] or 0) / k["planned"] for k in kpis]
    checks = (
        milestones_done,
        spend_share is not None and spend_share >= 0.7,
        bool(kpi_shares) and min(kpi_shares) >= 0.8,
    )
    met = {n for n, ok in enumerate(checks, start=1) if ok}
    if len(met) == len(CRITERIA):
        if min(kpi_shares) >= 1.0:
            return met, "scale", "Every criterion met and KPIs ahead of plan: extend the approach."
        return met, "continue", "Every criterion met: continue as planned."
    if not milestones_done and len(met) <= 1:
        overdue = milestones.get("overdue", 0)
        return (
            met,
            "stop",
            f"{overdue} milestone{'s' if overdue != 1 else ''} overdue and spending or KPIs far below plan: "
            "end the funding and release what is not yet paid.",
        )
    if not milestones_done:
        return met, "pivot", "Milestones are late while the work itself goes on: refocus the plan."
    return met, "continue", "Milestones done but spend or KPIs behind: continue and review at the next gate."
