"""Indicator series for the demo missions: some objectives on track, some at risk, some off track; and,
for the regions the missions set targets for, the regions' own series (one leading, one lagging)."""

from __future__ import annotations

import csv
import itertools
import random
from dataclasses import dataclass
from pathlib import Path

FIRST_YEAR, LAST_YEAR = 2013, 2025
REGIONAL_FIRST_YEAR = 2015
"""Regional series are two years shorter, so an indicator's main geography (the one with the most
observations, shown by default) stays the national one."""


@dataclass(frozen=True)
class Series:
    indicator: str
    geography: str
    source: str
    anchors: tuple[tuple[int, float], ...]
    """Values at some years; the series interpolates between them and adds noise."""
    noise: float
    decimals: int = 1
    shocks: tuple[tuple[int, float], ...] = ()
    first_year: int = FIRST_YEAR


SERIES: tuple[Series, ...] = (
    Series("organic_share", "SE", "Ekomatcentrum", ((2013, 25), (2020, 38), (2025, 50)), 0.8),
    Series("school_food_waste", "SE", "National Food Agency", ((2013, 78), (2020, 70), (2025, 64)), 1.2, 0),
    Series("meal_co2e", "SE", "RISE", ((2013, 1.25), (2020, 1.1), (2022, 1.02), (2025, 0.78)), 0.015, 2),
    Series("pupil_meal_satisfaction", "SE", "School survey", ((2013, 60), (2020, 62), (2025, 72)), 1.0, 0),
    Series(
        "ze_ferry_routes_share",
        "NO",
        "Norwegian Public Roads Administration",
        ((2013, 0), (2016, 2), (2020, 12), (2025, 64)),
        1.0,
        0,
    ),
    Series("ferry_co2_kt", "NO", "Statistics Norway", ((2013, 650), (2019, 620), (2025, 430)), 8, 0),
    Series("charged_quays", "NO", "Enova", ((2013, 14), (2020, 40), (2025, 124)), 2, 0),
    Series(
        "green_maritime_jobs",
        "NO",
        "Maritime cluster survey",
        ((2013, 3000), (2020, 4200), (2025, 6900)),
        90,
        0,
    ),
    Series("circular_material_share", "DK", "Statistics Denmark", ((2013, 5), (2021, 8), (2025, 11)), 0.4),
    Series("cd_waste_mt", "DK", "Danish EPA", ((2013, 5.0), (2021, 4.8), (2025, 4.0)), 0.06, 2),
    Series(
        "embodied_co2_m2", "DK", "Building regulations LCA data", ((2013, 13), (2021, 12), (2025, 8.9)), 0.15
    ),
    Series("hh_water_storage", "KE", "NDMA household survey", ((2013, 20), (2022, 31), (2025, 46)), 1.0, 0),
    Series(
        "drought_crop_loss",
        "KE",
        "FAO crop assessments",
        ((2013, 50), (2022, 45), (2025, 40)),
        2.0,
        0,
        shocks=((2017, 12), (2022, 9)),
    ),
    Series("early_warning_coverage", "KE", "NDMA", ((2013, 20), (2022, 40), (2025, 62)), 1.5, 0),
    Series("insured_households", "KE", "Insurance regulator", ((2013, 1), (2022, 6), (2025, 9)), 0.4),
    *(
        Series(indicator, region, source, anchors, noise, decimals, first_year=REGIONAL_FIRST_YEAR)
        for indicator, region, source, anchors, noise, decimals in (
            (
                "organic_share",
                "Stockholm",
                "Ekomatcentrum",
                ((2015, 33), (2020, 42), (2025, 57)),
                0.8,
                1,
            ),
            ("organic_share", "Norrbotten", "Ekomatcentrum", ((2015, 20), (2020, 24), (2025, 28)), 0.8, 1),
            (
                "ze_ferry_routes_share",
                "Vestland",
                "Norwegian Public Roads Administration",
                ((2015, 4), (2020, 20), (2025, 74)),
                1.5,
                0,
            ),
            (
                "ze_ferry_routes_share",
                "Nordland",
                "Norwegian Public Roads Administration",
                ((2015, 0), (2020, 6), (2025, 22)),
                1.0,
                0,
            ),
            (
                "hh_water_storage",
                "Turkana",
                "NDMA household survey",
                ((2015, 12), (2022, 18), (2025, 25)),
                1.0,
                0,
            ),
            (
                "hh_water_storage",
                "Marsabit",
                "NDMA household survey",
                ((2015, 17), (2022, 24), (2025, 37)),
                1.0,
                0,
            ),
        )
    ),
)
"""The national series first, then the regional ones: appended, they leave the national values (drawn
from the same seeded sequence) as they were."""


def _value_at(anchors: tuple[tuple[int, float], ...], year: int) -> float:
    for (y0, v0), (y1, v1) in itertools.pairwise(anchors):
        if y0 <= year <= y1:
            return v0 + (v1 - v0) * (year - y0) / (y1 - y0)
    return anchors[-1][1]


def observations(
    seed: int = 2030, definitions: dict[str, tuple[str, str]] | None = None
) -> list[dict[str, object]]:
    """Yearly observations 2013–2025 (13 years per indicator; 2015–2025 per region), rounded as the source
    would publish them."""
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for series in SERIES:
        shocks = dict(series.shocks)
        for year in range(series.first_year, LAST_YEAR + 1):
            value = _value_at(series.anchors, year) + rng.gauss(0, series.noise) + shocks.get(year, 0.0)
            value = max(0.0, round(value, series.decimals))
            rows.append(
                {
                    "indicator": series.indicator,
                    "year": year,
                    "value": value,
                    "geography": series.geography,
                    "source": series.source,
                    "note": "",
                }
            )
    return rows


def write_observations(
    path: Path, seed: int = 2030, definitions: dict[str, tuple[str, str]] | None = None
) -> Path:
    """The long format statistical teams keep: indicator, year, value, geography, source, note."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(
            out, fieldnames=["indicator", "name", "unit", "year", "value", "geography", "source", "note"]
        )
        writer.writeheader()
        writer.writerows(observations(seed, definitions))
    return path
