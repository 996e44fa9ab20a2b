"""Project progress for the demo: milestones, KPIs and spend, with healthy and troubled projects."""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from missionboard.services.demo.portfolio import REFERENCE_DATE, DemoProject

KPIS = {
    "school-meals": ("Kitchens taking part", "kitchens"),
    "zero-emission-ferries": ("Tonnes of CO2 avoided", "t CO2"),
    "circular-construction": ("Tonnes of material reused", "t"),
    "drought-resilience": ("Households reached", "households"),
}
MILESTONES = (
    "Partnership agreement signed",
    "Baseline study completed",
    "Pilot started",
    "Mid-term review",
    "Results published",
)


def _date(start: dt.date, end: dt.date, share: float) -> dt.date:
    return start + dt.timedelta(days=int((end - start).days * share))


def write_progress(
    projects: list[tuple[str, str, DemoProject]], path: Path, seed: int = 2030
) -> dict[str, str]:
    """Progress reports for a sample of mission projects; ``projects`` are (source, source id, project).

    Returns each reported project's profile (healthy, late, underspend, stalled, silent) by reference.
    """
    profiles: dict[str, str] = {}
    rng = random.Random(seed)
    eligible = [
        (s, i, p) for s, i, p in projects if p.theme.mission in KPIS and p.status in ("active", "completed")
    ]
    sample = rng.sample(eligible, min(600, len(eligible)))
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(("project", "kind", "name", "date", "planned", "actual", "unit", "completed", "note"))
        for source, source_id, p in sample:
            ref = f"{source}:{source_id}"
            profile = rng.choices(
                ("healthy", "late", "underspend", "stalled", "silent"), (55, 15, 12, 12, 6)
            )[0]
            profiles[ref] = profile
            if profile == "silent" and p.status == "completed":
                # finished without reporting a result: its milestones were agreed at award, none was
                # reported done (no random draw here, so the other projects' data stay as they were)
                for i, name in enumerate(MILESTONES):
                    due = _date(p.start, p.end, (i + 1) / (len(MILESTONES) + 0.5))
                    writer.writerow((ref, "milestone", name, due.isoformat(), "", "", "", "", ""))
                continue
            last = min(REFERENCE_DATE, p.end)
            for i, name in enumerate(MILESTONES):
                due = _date(p.start, p.end, (i + 1) / (len(MILESTONES) + 0.5))
                if due > REFERENCE_DATE + dt.timedelta(days=200):
                    break
                done = due + dt.timedelta(days=rng.randint(-20, 25))
                late = profile == "late" and i >= 2
                completed = "" if late or done > REFERENCE_DATE else done.isoformat()
                writer.writerow((ref, "milestone", name, due.isoformat(), "", "", "", completed, ""))
            kpi, unit = KPIS[p.theme.mission or ""]
            target = rng.choice((20, 50, 120, 400, 1500))
            for quarter in range(1, 17):
                when = p.start + dt.timedelta(days=91 * quarter)
                if when > last:
                    break
                planned = round(target * min(1.0, (when - p.start).days / max(1, (p.end - p.start).days)))
                achieved = planned * rng.uniform(0.85, 1.1)
                if profile == "stalled" and quarter > 3:
                    achieved = target * 3 * 91 / max(1, (p.end - p.start).days)
                writer.writerow((ref, "kpi", kpi, when.isoformat(), planned, round(achieved), unit, "", ""))
            spent_share = min(1.0, (last - p.start).days / max(1, (p.end - p.start).days))
            planned_spend = round(p.public * spent_share)
            factor = {"underspend": rng.uniform(0.3, 0.6), "late": rng.uniform(0.6, 0.9)}.get(
                profile, rng.uniform(0.9, 1.05)
            )
            writer.writerow(
                (
                    ref,
                    "spend",
                    "total",
                    last.isoformat(),
                    planned_spend,
                    round(planned_spend * factor),
                    p.programme.currency,
                    "",
                    "",
                )
            )
    return profiles
