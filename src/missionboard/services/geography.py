"""Money and projects by country: the portfolios of every mission a caller may see together (a project
in two of them counted once), or one mission's, in one reporting currency.

The projects and their money follow the one portfolio rule (``store.portfolio_scope``) and its
conversion (``domain.portfolio_rule.convert_money``); places are counted as the analysis's ``geography``
section counts them: a project counts in each country (and region) it names, its money split evenly
among them, so the countries' money adds up to the portfolio's money that names a country.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from babel import Locale
from pydantic import JsonValue

from missionboard.domain.missions import Mission
from missionboard.domain.portfolio_rule import (
    DEFAULT_RULE,
    CurrencySource,
    PortfolioRule,
    RateTable,
    convert_money,
    currency_text,
    reporting_currency,
)
from missionboard.errors import NotFound
from missionboard.services.missions import list_missions
from missionboard.store.geography import PlaceGroup, place_groups
from missionboard.store.portfolio_scope import mission_currency, rate_table
from missionboard.store.workspace import Session, Workspace

__all__ = ["BASIS", "SHARED", "CountryMap", "MissionChoice", "PlaceFigures", "money_by_country"]

BASIS = "a project counts in each country it names, its money split evenly among them"
SHARED = "a project in several missions' portfolios counts once"
"""How the figures are counted, in the words the map's caption uses (``SHARED`` added for several
missions)."""


@dataclass(frozen=True)
class PlaceFigures:
    """A country (ISO 3166 alpha-2 code) or a sub-national region (its name as the projects state it)."""

    code: str
    name: str
    projects: int
    """Projects naming the place."""
    money: float
    """Their money in the map's currency, each project's split evenly among the places it names."""

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "code": self.code,
            "name": self.name,
            "projects": self.projects,
            "money": round(self.money, 2),
        }


@dataclass(frozen=True)
class MissionChoice:
    """A mission the map may show on its own."""

    id: str
    title: str

    def to_dict(self) -> dict[str, JsonValue]:
        return {"id": self.id, "title": self.title}


@dataclass(frozen=True)
class CountryMap:
    """Money and projects by country (and by region: the bundled map draws countries only)."""

    mission: str | None
    """The mission shown; None: every mission the caller may see."""
    missions: tuple[MissionChoice, ...]
    """The missions the caller may see, to choose from."""
    currency: str | None
    currency_source: CurrencySource
    projects: int
    """Projects in the portfolios shown (each once)."""
    money: float
    """Their converted money."""
    unplaced: int
    """Projects naming no country."""
    unconverted: int
    """Projects whose money has no conversion into ``currency``: counted, their money left out."""
    countries: tuple[PlaceFigures, ...]
    """Most money first."""
    regions: tuple[PlaceFigures, ...]
    """Most money first."""

    @property
    def basis(self) -> str:
        """The rule and conversion the figures follow, as one sentence."""
        return (
            f"{BASIS[0].upper()}{BASIS[1:]}; money in {currency_text(self.currency, self.currency_source)}."
        )

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "mission": self.mission,
            "missions": [m.to_dict() for m in self.missions],
            "currency": self.currency,
            "currency_source": self.currency_source.value,
            "basis": self.basis,
            "projects": self.projects,
            "money": round(self.money, 2),
            "unplaced": self.unplaced,
            "unconverted": self.unconverted,
            "countries": [c.to_dict() for c in self.countries],
            "regions": [r.to_dict() for r in self.regions],
        }


def money_by_country(
    workspace: Workspace,
    *,
    visible: Collection[str] | None,
    mission_id: str | None = None,
    rule: PortfolioRule = DEFAULT_RULE,
) -> CountryMap:
    """Projects and money by country of every mission in ``visible`` (None: every mission), or of
    ``mission_id`` alone (in its own reporting currency). A mission outside ``visible`` is not found."""
    missions = [v.mission for v in list_missions(workspace) if visible is None or v.mission_id in visible]
    choices = tuple(MissionChoice(m.id, m.title) for m in missions)
    if mission_id is not None:
        missions = [m for m in missions if m.id == mission_id]
        if not missions:
            raise NotFound(f"no mission '{mission_id}' (see 'missionboard mission list')")
    with workspace.reading() as session:
        rates = rate_table(session)
        groups = place_groups(session, missions, rule)
        currency, source = _currency(session, missions, rates, groups, rule)
    return _tally(groups, currency, source, rates, mission_id, choices)


def _currency(
    session: Session,
    missions: Sequence[Mission],
    rates: RateTable,
    groups: Iterable[PlaceGroup],
    rule: PortfolioRule,
) -> tuple[str | None, CurrencySource]:
    """One mission: its reporting currency. Several: the currency they all declare, else the workspace's,
    else the projects' most common (``domain.portfolio_rule.reporting_currency``)."""
    if len(missions) == 1:
        return mission_currency(session, missions[0], rates, rule)
    declared = {m.currency.upper() for m in missions if m.currency}
    common = declared.pop() if len(declared) == 1 and all(m.currency for m in missions) else None
    stated: Counter[str] = Counter()
    for group in groups:
        if (code := group.money.currency()) is not None:
            stated[code] += group.projects
    return reporting_currency(common, rates.targets(), stated)


def _tally(
    groups: Iterable[PlaceGroup],
    currency: str | None,
    source: CurrencySource,
    rates: RateTable,
    mission_id: str | None,
    choices: tuple[MissionChoice, ...],
) -> CountryMap:
    projects: Counter[str] = Counter()
    money: defaultdict[str, float] = defaultdict(float)
    region_projects: Counter[str] = Counter()
    region_money: defaultdict[str, float] = defaultdict(float)
    total = unplaced = unconverted = 0
    total_money = 0.0
    for group in groups:
        converted = convert_money(group.money, currency, group.year, rates)
        amount = converted.amount or 0.0
        total += group.projects
        total_money += amount
        unconverted += group.projects if converted.unconverted else 0
        unplaced += 0 if group.countries else group.projects
        for places, counted, summed in (
            (group.countries, projects, money),
            (group.regions, region_projects, region_money),
        ):
            for place in places:
                counted[place] += group.projects
                summed[place] += amount / len(places)
    return CountryMap(
        mission=mission_id,
        missions=choices,
        currency=currency,
        currency_source=source,
        projects=total,
        money=total_money,
        unplaced=unplaced,
        unconverted=unconverted,
        countries=_figures(projects, money, _country_name),
        regions=_figures(region_projects, region_money, str),
    )


def _figures(
    projects: Counter[str], money: dict[str, float], name: Callable[[str], str]
) -> tuple[PlaceFigures, ...]:
    found = [PlaceFigures(code, name(code), n, money[code]) for code, n in projects.items()]
    return tuple(sorted(found, key=lambda f: (-f.money, -f.projects, f.name)))


@cache
def _territories() -> dict[str, str]:
    return dict(Locale("en").territories)


def _country_name(code: str) -> str:
    """The country's English name (Babel's CLDR data), else the code as stored."""
    return _territories().get(code.upper(), code)
