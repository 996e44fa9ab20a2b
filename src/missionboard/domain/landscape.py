"""The landscape of a mission: who else works on each objective, outside the portfolio.

``landscape map`` labels public records (works, grants, activities) with a mission's goals;
``landscape analyze`` sums them up per objective. The rules, said once here:

- A record counts for an objective when one of its labels scores at least ``min_score`` (by default the
  portfolio rule's threshold, 0.5: more likely than not) for the objective itself or for an outcome
  leading to it (``Mission.link_attribution``, as for links). It counts once per objective, however many
  of its labels lead there; a record id found twice in the input counts once.
- Money is ``amount_eur`` as the map wrote it: a record's full amount counts for each objective, each
  organisation, country and field it names (never split).
- Organisations are matched on their normalised name (accents, case, punctuation and legal forms
  removed, as ``ingest`` matches participants). One *in the portfolio* takes part in a project of the
  mission's portfolio (any objective): its normalised name is that of such an actor or of one of the
  actor's aliases.
- Growth compares the last ``recent_years`` years up to the latest year of the landscape with as many
  years before them; a *newcomer* on an objective is an organisation whose first year on it falls in the
  recent window.
- The portfolio's share of an objective is its projects per landscape record and its money (in EUR) per
  landscape euro; where the landscape does not hold the portfolio, a share may exceed 1. An objective's
  money is *thin* when its share is under half of the mission's share over all objectives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from missionboard.domain.portfolio_rule import DEFAULT_THRESHOLD

DEFAULT_MIN_SCORE = DEFAULT_THRESHOLD
"""A label counts from this score on: the portfolio rule's threshold for proposed links."""
DEFAULT_RECENT_YEARS = 3
DEFAULT_TOP = 20
"""Organisations and fields kept per objective and list (most active, outside the portfolio, newcomers)."""
THIN_SHARE = 0.5
"""An objective's money share under this fraction of the mission's share is thin."""
CURRENCY = "EUR"
"""The landscape's money is in euros (``amount_eur``); the portfolio's is converted to them."""


class Dimension:
    """What a row of activity is counted by."""

    YEAR = "year"
    COUNTRY = "country"
    FIELD = "field"
    ALL = (YEAR, COUNTRY, FIELD)


@dataclass(frozen=True)
class YearWindow:
    """The recent years and as many years before them, ending with the landscape's latest year."""

    latest: int
    years: int

    @property
    def first_recent(self) -> int:
        return self.latest - self.years + 1

    @property
    def first_earlier(self) -> int:
        return self.first_recent - self.years

    def is_recent(self, year: int | None) -> bool:
        return year is not None and self.first_recent <= year <= self.latest

    def is_earlier(self, year: int | None) -> bool:
        return year is not None and self.first_earlier <= year < self.first_recent


def growth(recent: float, earlier: float) -> float | None:
    """The change from the earlier window to the recent one (0.5 = half as much again); None from nothing."""
    return None if earlier <= 0 else recent / earlier - 1.0


def share(part: float, whole: float) -> float | None:
    """``part`` per ``whole``; None where the whole is nothing."""
    return None if whole <= 0 else part / whole


@dataclass(frozen=True)
class Activity:
    """Landscape records (and their money) of one objective in one year, country or field."""

    value: str
    records: int
    money: float

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "records": self.records, "money": round(self.money, 2)}


@dataclass(frozen=True)
class LandscapeOrganisation:
    """An organisation active on an objective in the landscape."""

    key: str
    """The normalised name it is matched on."""
    name: str
    """The workspace actor's name where it resolves to one, else its most common spelling."""
    records: int
    money: float
    first_year: int | None
    """Its first year on the objective in the landscape."""
    in_portfolio: bool
    newcomer: bool
    actor_id: int | None = None
    """The workspace actor of the same normalised name, if any (in the portfolio or not)."""
    position: int = 0
    """Its rank among the objective's organisations, most active first (records, money, name)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "key": self.key,
            "records": self.records,
            "money": round(self.money, 2),
            "first_year": self.first_year,
            "in_portfolio": self.in_portfolio,
            "newcomer": self.newcomer,
            "actor_id": self.actor_id,
        }


@dataclass(frozen=True)
class ObjectiveLandscape:
    """One objective in the landscape, beside the portfolio's part of it."""

    objective: str
    title: str
    records: int
    money: float
    records_with_money: int
    organisations: int
    """Distinct organisations active on it."""
    outside_portfolio: int
    """Of them, those not in the portfolio."""
    newcomer_count: int
    countries: int
    fields: int
    recent_records: int
    earlier_records: int
    recent_money: float
    earlier_money: float
    portfolio_projects: int
    portfolio_money: float
    """The portfolio's money on the objective in EUR (the full money of each project serving it)."""
    by_year: tuple[Activity, ...] = ()
    """Every year with records, oldest first."""
    by_country: tuple[Activity, ...] = ()
    """Every country, most active first."""
    by_field: tuple[Activity, ...] = ()
    """The most active fields."""
    top_organisations: tuple[LandscapeOrganisation, ...] = ()
    """The most active organisations of each list (overall, outside the portfolio, newcomers), by rank."""
    top: int = DEFAULT_TOP
    thin: bool = False

    @property
    def growth(self) -> float | None:
        return growth(self.recent_records, self.earlier_records)

    @property
    def money_growth(self) -> float | None:
        return growth(self.recent_money, self.earlier_money)

    @property
    def project_share(self) -> float | None:
        return share(self.portfolio_projects, self.records)

    @property
    def money_share(self) -> float | None:
        return share(self.portfolio_money, self.money)

    def most_active(self) -> list[LandscapeOrganisation]:
        return list(self.top_organisations[: self.top])

    def not_in_portfolio(self) -> list[LandscapeOrganisation]:
        return [o for o in self.top_organisations if not o.in_portfolio][: self.top]

    def newcomers(self) -> list[LandscapeOrganisation]:
        return [o for o in self.top_organisations if o.newcomer][: self.top]

    def to_dict(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "title": self.title,
            "records": self.records,
            "money": round(self.money, 2),
            "records_with_money": self.records_with_money,
            "organisations": self.organisations,
            "organisations_outside_portfolio": self.outside_portfolio,
            "newcomers": self.newcomer_count,
            "countries": self.countries,
            "fields": self.fields,
            "recent_records": self.recent_records,
            "earlier_records": self.earlier_records,
            "recent_money": round(self.recent_money, 2),
            "earlier_money": round(self.earlier_money, 2),
            "growth": _rounded(self.growth),
            "money_growth": _rounded(self.money_growth),
            "portfolio_projects": self.portfolio_projects,
            "portfolio_money": round(self.portfolio_money, 2),
            "project_share": _rounded(self.project_share),
            "money_share": _rounded(self.money_share),
            "thin": self.thin,
            "by_year": [a.to_dict() for a in self.by_year],
            "by_country": [a.to_dict() for a in self.by_country],
            "by_field": [a.to_dict() for a in self.by_field],
            "top_organisations": [o.to_dict() for o in self.most_active()],
            "outside_portfolio": [o.to_dict() for o in self.not_in_portfolio()],
            "newcomer_organisations": [o.to_dict() for o in self.newcomers()],
        }


@dataclass(frozen=True)
class LandscapeRun:
    """One ``landscape analyze`` of a mission: what it read, how, when, and its totals."""

    mission: str
    taxonomy: str
    input: str
    min_score: float
    recent_years: int
    top: int
    latest_year: int | None
    analyzed_by: str
    analyzed_at: dt.datetime
    seconds: float
    files: int
    records_read: int
    """Rows in the input's Parquet files."""
    records: int
    """Distinct records counting for at least one objective."""
    money: float
    other_labels: int
    """Labels at or above ``min_score`` for goals that are neither an objective nor an outcome leading to one."""
    portfolio_projects: int
    portfolio_money: float
    portfolio_unconverted: int
    """Portfolio projects whose money could not be converted to EUR (left out of its money)."""
    id: int | None = None

    @property
    def window(self) -> YearWindow | None:
        return None if self.latest_year is None else YearWindow(self.latest_year, self.recent_years)

    @property
    def money_share(self) -> float | None:
        return share(self.portfolio_money, self.money)

    def to_dict(self) -> dict[str, Any]:
        window = self.window
        return {
            "id": self.id,
            "taxonomy": self.taxonomy,
            "input": self.input,
            "min_score": self.min_score,
            "recent_years": self.recent_years,
            "top": self.top,
            "latest_year": self.latest_year,
            "recent_from": None if window is None else window.first_recent,
            "earlier_from": None if window is None else window.first_earlier,
            "analyzed_by": self.analyzed_by,
            "analyzed_at": self.analyzed_at.isoformat(),
            "seconds": round(self.seconds, 3),
            "files": self.files,
            "records_read": self.records_read,
            "records": self.records,
            "money": round(self.money, 2),
            "other_labels": self.other_labels,
            "currency": CURRENCY,
            "portfolio_projects": self.portfolio_projects,
            "portfolio_money": round(self.portfolio_money, 2),
            "portfolio_unconverted": self.portfolio_unconverted,
            "money_share": _rounded(self.money_share),
        }


@dataclass(frozen=True)
class MissionLandscape:
    """A mission's landscape as last analysed (``run`` None: never analysed)."""

    mission: str
    run: LandscapeRun | None
    objectives: tuple[ObjectiveLandscape, ...] = ()

    def thin_objectives(self) -> list[str]:
        return [o.objective for o in self.objectives if o.thin]

    def to_dict(self) -> dict[str, Any]:
        return {
            "mission": self.mission,
            "analyzed": self.run is not None,
            "run": None if self.run is None else self.run.to_dict(),
            "thin": self.thin_objectives(),
            "objectives": [o.to_dict() for o in self.objectives],
        }

    def to_markdown(self) -> str:
        """The landscape as a Markdown section for a report."""
        return _markdown(self)


def landscape_of(
    mission_id: str, run: LandscapeRun | None, objectives: Sequence[ObjectiveLandscape]
) -> MissionLandscape:
    """The mission's landscape, each objective's money judged thin or not against the mission's share."""
    if run is None:
        return MissionLandscape(mission=mission_id, run=None)
    overall = run.money_share
    marked = tuple(replace(o, top=run.top, thin=is_thin(o.money_share, overall)) for o in objectives)
    return MissionLandscape(mission=mission_id, run=run, objectives=marked)


def is_thin(objective_share: float | None, mission_share: float | None) -> bool:
    """Whether an objective's money share is under ``THIN_SHARE`` of the mission's."""
    if objective_share is None or mission_share is None or mission_share <= 0:
        return False
    return objective_share < THIN_SHARE * mission_share


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _markdown(found: MissionLandscape) -> str:
    lines = [f"# Landscape of {found.mission}", ""]
    run = found.run
    if run is None:
        lines.append(
            "Not analysed yet: map a corpus with `missionboard landscape map`, then run "
            f"`missionboard landscape analyze --mission {found.mission} --input DIR`."
        )
        return "\n".join(lines) + "\n"
    lines += [
        f"{run.records:,} landscape records on the mission's objectives, {run.money:,.0f} {CURRENCY} "
        f"(read {run.records_read:,} records from {run.files} {'file' if run.files == 1 else 'files'} in "
        f"`{run.input}`; labels scoring "
        f"at least {run.min_score:g} for `{run.taxonomy}`). Analysed {run.analyzed_at:%Y-%m-%d %H:%M} UTC "
        f"by {run.analyzed_by}.",
        "",
        "| Objective | Records | Money (EUR) | Growth | Organisations | Outside portfolio | Newcomers "
        "| Portfolio projects | Portfolio money (EUR) | Money share |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for o in found.objectives:
        thin = " (thin)" if o.thin else ""
        lines.append(
            f"| {o.title or o.objective} | {o.records:,} | {o.money:,.0f} | {_percent(o.growth)} | "
            f"{o.organisations:,} | {o.outside_portfolio:,} | {o.newcomer_count:,} | {o.portfolio_projects:,} "
            f"| {o.portfolio_money:,.0f} | {_percent(o.money_share)}{thin} |"
        )
    for o in found.objectives:
        outside = o.not_in_portfolio()
        if not outside:
            continue
        lines += ["", f"## {o.title or o.objective}: most active outside the portfolio", ""]
        lines += ["| Organisation | Records | Money (EUR) | First year |", "|---|---:|---:|---:|"]
        lines += [
            f"| {org.name} | {org.records:,} | {org.money:,.0f} | {org.first_year or '–'} |"
            for org in outside
        ]
    return "\n".join(lines) + "\n"
