"""Where the portfolios' projects are, grouped in the database: the places a project names (its countries
and sub-national regions) with its money as stated.

Portfolios hold up to hundreds of thousands of projects, which share a few hundred (start year,
currencies, countries, regions) combinations; these reads return such groups, never projects. Which
projects count is the one rule of ``store.portfolio_scope``; a project in several of the portfolios read
appears once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, case, cast, extract, func, select, union
from sqlalchemy.orm import Session

from missionboard.domain.missions import Mission
from missionboard.domain.portfolio_rule import DEFAULT_RULE, PortfolioRule, ProjectMoney
from missionboard.store.portfolio_scope import portfolio_project_ids
from missionboard.store.tables import ProjectRow


@dataclass(frozen=True)
class PlaceGroup:
    """Portfolio projects naming the same countries and regions, starting in the same year, stating their
    money in the same currencies; their amounts summed (``ProjectMoney``: the budget when they state one,
    else public funding plus co-funding)."""

    year: int | None
    countries: tuple[str, ...]
    regions: tuple[str, ...]
    projects: int
    money: ProjectMoney


def place_groups(
    session: Session, missions: Sequence[Mission], rule: PortfolioRule = DEFAULT_RULE
) -> list[PlaceGroup]:
    """The projects of the missions' portfolios together (each once), grouped by the places they name."""
    if not missions:
        return []
    p = ProjectRow
    ids = union(*(portfolio_project_ids(m, rule) for m in missions)).subquery("portfolio_projects")
    year = extract("year", p.start)
    countries, regions = cast(p.countries, Text), cast(p.regions, Text)
    in_portfolios = p.id.in_(select(ids.c.project_id))
    with_budget = (
        select(year, countries, regions, func.count(), func.sum(p.budget_amount), p.budget_currency)
        .where(in_portfolios, p.budget_amount.is_not(None))
        .group_by(year, countries, regions, p.budget_currency)
    )
    # a currency counts only beside an amount: a stated currency without an amount converts nothing
    public_currency = case((p.public_amount.is_not(None), p.public_currency))
    cofunding_currency = case((p.cofunding_amount.is_not(None), p.cofunding_currency))
    without = (
        select(
            year,
            countries,
            regions,
            func.count(),
            func.sum(p.public_amount),
            public_currency,
            func.sum(p.cofunding_amount),
            cofunding_currency,
        )
        .where(in_portfolios, p.budget_amount.is_(None))
        .group_by(year, countries, regions, public_currency, cofunding_currency)
    )
    return [
        PlaceGroup(
            None if y is None else int(y),
            _places(listed_countries),
            _places(listed_regions),
            int(n),
            _money(stated),
        )
        for y, listed_countries, listed_regions, n, *stated in [
            *session.execute(with_budget),
            *session.execute(without),
        ]
    ]


def _places(text: str | None) -> tuple[str, ...]:
    """The places a JSON list names, each once, in its order (blank entries left out)."""
    listed = json.loads(text) if text else []
    return tuple(dict.fromkeys(str(place).strip() for place in listed or [] if str(place).strip()))


def _money(sums: Sequence[Any]) -> ProjectMoney:
    amounts = [float(v) if v is not None else None for v in sums[0::2]]
    currencies = [str(v) if v is not None else None for v in sums[1::2]]
    if len(amounts) == 1:
        return ProjectMoney(amounts[0], currencies[0])
    return ProjectMoney(None, None, amounts[0], currencies[0], amounts[1], currencies[1])
