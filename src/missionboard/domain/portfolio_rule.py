"""Which projects make up a mission's portfolio, in which currency its money is reported, and how
amounts are converted: the one definition every view (card, tree, analytics, gaps, monitoring, quality
check, reports, API) uses.

The rule: a link from a project to one of the mission's objectives, or to an outcome of its theory of
change, counts when a reviewer accepted it, or when it is proposed with a score of at least 0.5 — the
mapping's calibrated probability that the project serves the goal is at least one half. Rejected links
never count. A project is in the portfolio when at least one of its links counts. A link to an outcome
counts for every objective the outcome leads to, directly or through other outcomes
(``Mission.link_attribution``); an outcome that leads to no objective puts no project in the portfolio.
Per objective a project counts once, however many of its links lead there.

Money: a project's budget; where it states none, its public funding plus its co-funding. Reporting
currency: the mission's declared ``currency``; else the workspace's reporting currency (the one most
exchange rates are quoted into); else the most common currency of the portfolio's projects. An amount is
converted with the rate of the project's start year (else the nearest year, the earlier of two equally
near; the latest where the start is unknown): a direct rate, the inverse of a rate the other way, or a
cross rate through a currency both have rates to (NOK → EUR → SEK). Amounts with no possible conversion
are listed per currency, never dropped silently.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

ACCEPTED = "accepted"
PROPOSED = "proposed"
REJECTED = "rejected"
DEFAULT_THRESHOLD = 0.5
NO_CURRENCY = "(none)"


@dataclass(frozen=True)
class PortfolioRule:
    """When a link puts a project into a mission's portfolio."""

    threshold: float = DEFAULT_THRESHOLD
    """Proposed links count from this score on (a calibrated probability; 0.5 = more likely than not)."""
    override: bool = False
    """True when a user chose ``threshold`` for one analysis instead of the workspace's rule."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"the portfolio threshold must be between 0 and 1, not {self.threshold}")

    def counts(self, status: str, score: float | None) -> bool:
        """Whether a link with this status and score puts its project into the portfolio."""
        if status == ACCEPTED:
            return True
        return status == PROPOSED and score is not None and score >= self.threshold

    def below_threshold(self, status: str, score: float | None) -> bool:
        """A proposal the rule leaves out: worth reviewing, not yet part of the portfolio."""
        return status == PROPOSED and not self.counts(status, score)

    def describe(self) -> str:
        """The rule in one line, printed under every portfolio figure."""
        text = f"links accepted, or proposed with score ≥ {self.threshold:g}; rejected links never count"
        if self.override:
            return f"{text} (threshold {self.threshold:g} chosen for this analysis; the rule's is {DEFAULT_THRESHOLD:g})"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.describe(), "threshold": self.threshold, "override": self.override}


DEFAULT_RULE = PortfolioRule()


# --- reporting currency --------------------------------------------------------------------------


class CurrencySource(StrEnum):
    """Why a portfolio is reported in the currency it is."""

    MISSION = "mission"
    WORKSPACE = "workspace"
    PROJECTS = "projects"
    CHOSEN = "chosen"
    NONE = "none"


def workspace_currency(rate_targets: Mapping[str, int]) -> str | None:
    """The currency most exchange rates are quoted into (alphabetical among equals)."""
    if not rate_targets:
        return None
    return min(rate_targets, key=lambda c: (-rate_targets[c], c))


def reporting_currency(
    declared: str | None,
    rate_targets: Mapping[str, int],
    project_currencies: Mapping[str, int],
    chosen: str | None = None,
) -> tuple[str | None, CurrencySource]:
    """The portfolio's reporting currency and why: chosen for one view, declared by the mission, the
    workspace's reporting currency, else the most common currency among the projects."""
    if chosen:
        return chosen.upper(), CurrencySource.CHOSEN
    if declared:
        return declared.upper(), CurrencySource.MISSION
    found = workspace_currency(rate_targets)
    if found is not None:
        return found, CurrencySource.WORKSPACE
    common = workspace_currency(project_currencies)
    if common is not None:
        return common, CurrencySource.PROJECTS
    return None, CurrencySource.NONE


def currency_text(currency: str | None, source: CurrencySource) -> str:
    reasons = {
        CurrencySource.CHOSEN: "chosen for this view",
        CurrencySource.MISSION: "declared by the mission",
        CurrencySource.WORKSPACE: "the workspace's reporting currency (most exchange rates are quoted into it)",
        CurrencySource.PROJECTS: "the most common currency of the projects (no exchange rates imported)",
        CurrencySource.NONE: "no project states an amount",
    }
    return f"{currency or '–'}: {reasons[source]}"


# --- conversion ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conversion:
    """Units of the reporting currency per unit of a currency, and how that rate was found."""

    rate: float
    rate_year: int | None
    via: str | None = None
    """The currency a cross rate went through, if any."""
    approximate: bool = False
    """True when a rate of another year than the project's start year was used."""


@dataclass
class RateTable:
    """Exchange rates as imported: ``rate`` = units of ``reporting_currency`` per unit of ``currency``."""

    _direct: dict[tuple[str, str], list[tuple[int, float]]] = field(default_factory=lambda: defaultdict(list))
    _inverse: dict[tuple[str, str], list[tuple[int, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    _known: dict[tuple[str, str, int | None], Conversion | None] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Iterable[tuple[str, str, int, float]]) -> RateTable:
        """From (currency, reporting_currency, year, rate) rows."""
        table = cls()
        for currency, to, year, rate in rows:
            if rate and rate > 0:
                table._direct[(currency.upper(), to.upper())].append((int(year), float(rate)))
                table._inverse[(to.upper(), currency.upper())].append((int(year), 1.0 / float(rate)))
        return table

    def targets(self) -> dict[str, int]:
        """How many imported rates are quoted into each currency."""
        out: dict[str, int] = defaultdict(int)
        for (_from, to), found in self._direct.items():
            out[to] += len(found)
        return dict(out)

    def convert(self, currency: str | None, to: str, year: int | None) -> Conversion | None:
        """The rate from ``currency`` into ``to`` for ``year``: direct, else the inverse of a rate the other
        way, else cross through a currency both have rates with (the pivot whose rates lie nearest the
        year, then A–Z)."""
        if currency is None:
            return None
        key = (currency, to, year)
        if key not in self._known:
            self._known[key] = self._find(currency.upper(), to.upper(), year)
        return self._known[key]

    def _leg(self, source: str, target: str, year: int | None) -> tuple[float, int, int] | None:
        found = self._direct.get((source, target)) or self._inverse.get((source, target))
        if not found:
            return None
        # nearest year, the earlier of two equally near; the latest where the year is unknown
        rate_year, rate = min(
            found, key=lambda r: (abs(r[0] - year), r[0]) if year is not None else (-r[0], 0)
        )
        return rate, rate_year, abs(rate_year - year) if year is not None else 0

    def _pivots(self, currency: str) -> set[str]:
        return {b for (a, b) in (*self._direct, *self._inverse) if a == currency}

    def _find(self, currency: str, to: str, year: int | None) -> Conversion | None:
        if currency == to:
            return Conversion(1.0, year)
        direct = self._leg(currency, to, year)
        if direct is not None:
            rate, rate_year, distance = direct
            return Conversion(rate, rate_year, None, year is not None and distance > 0)
        best: tuple[int, str, Conversion] | None = None
        for pivot in sorted(self._pivots(currency) - {to}):
            first = self._leg(currency, pivot, year)
            second = self._leg(pivot, to, year)
            if first is None or second is None:
                continue
            distance = max(first[2], second[2])
            conversion = Conversion(
                first[0] * second[0],
                first[1] if first[2] >= second[2] else second[1],
                pivot,
                year is not None and distance > 0,
            )
            if best is None or (distance, pivot) < (best[0], best[1]):
                best = (distance, pivot, conversion)
        return best[2] if best is not None else None


StatedMoney = tuple[int | None, float | None, str | None, float | None, str | None, float | None, str | None]
"""A project's start year and its money as stated, in ``ProjectMoney``'s field order: a row of
``convert_many``, as a store reads it (no object per project)."""


@dataclass(frozen=True)
class ProjectMoney:
    """A project's money as stated: the budget, else public funding plus co-funding."""

    budget_amount: float | None
    budget_currency: str | None
    public_amount: float | None = None
    public_currency: str | None = None
    cofunding_amount: float | None = None
    cofunding_currency: str | None = None

    def parts(self) -> list[tuple[float, str | None]]:
        """The stated amounts the project's money is the sum of (none when it states no amount)."""
        return _parts(
            self.budget_amount,
            self.budget_currency,
            self.public_amount,
            self.public_currency,
            self.cofunding_amount,
            self.cofunding_currency,
        )

    def currency(self) -> str | None:
        """The currency the project states its money in (the first stated part's)."""
        parts = self.parts()
        return parts[0][1] if parts else None


@dataclass(frozen=True)
class Converted:
    amount: float | None
    """In the reporting currency; None when the project states no amount or it cannot be converted."""
    unconverted: tuple[tuple[str, float], ...] = ()
    """(currency, amount) of stated parts with no possible conversion."""
    approximate: bool = False
    via: frozenset[str] = frozenset()


class ConvertedMany(NamedTuple):
    """The money of many projects in the reporting currency (``convert_many``)."""

    amounts: list[float | None]
    """Each project's converted money, in the order given (None as ``Converted.amount`` is None)."""
    unconverted: list[tuple[str, float]]
    """(currency, amount) of every stated part with no possible conversion, project after project."""
    approximate: int
    """Projects converted with a rate of another year than their start year."""
    via: frozenset[str] = frozenset()
    """Currencies the cross rates of the converted projects went through."""


def convert_money(money: ProjectMoney, to: str | None, start_year: int | None, rates: RateTable) -> Converted:
    """A project's money in the reporting currency ``to`` (all of it, or — if any part has no rate —
    none of it, with the parts listed as unconverted)."""
    parts = money.parts()
    if not parts or to is None:
        return Converted(None)
    amount, missing, approximate, via = _converted(parts, to, start_year, rates)
    return Converted(amount, tuple(missing or ()), approximate, frozenset(via or ()))


def convert_many(stated: Iterable[StatedMoney], to: str | None, rates: RateTable) -> ConvertedMany:
    """The money of each project (a ``StatedMoney`` row) in the reporting currency ``to``, converted as
    ``convert_money`` converts one, without a ``ProjectMoney`` or ``Converted`` per project (a portfolio of
    183,000 projects converted one ``convert_money`` at a time took 0.46 CPU s, at once 0.08-0.10,
    measured)."""
    amounts: list[float | None] = []
    unconverted: list[tuple[str, float]] = []
    approximate = 0
    via: set[str] = set()
    for year, budget, budget_currency, public, public_currency, cofunding, cofunding_currency in stated:
        parts = _parts(budget, budget_currency, public, public_currency, cofunding, cofunding_currency)
        if not parts or to is None:
            amounts.append(None)
            continue
        amount, missing, inexact, through = _converted(parts, to, year, rates)
        amounts.append(amount)
        if missing:
            unconverted.extend(missing)
        approximate += inexact
        if through:
            via.update(through)
    return ConvertedMany(amounts, unconverted, approximate, frozenset(via))


def _converted(
    parts: list[tuple[float, str | None]], to: str, year: int | None, rates: RateTable
) -> tuple[float | None, list[tuple[str, float]] | None, bool, list[str] | None]:
    """The conversion of one project's stated parts: (amount, parts with no rate, approximate, currencies
    cross rates went through); the amount None, and neither approximate nor a cross rate counted, when a
    part has no rate. The lists are None where empty: most projects need none (a list each cost 0.02 CPU s
    at 183,000 projects, measured)."""
    total = 0.0
    missing: list[tuple[str, float]] | None = None
    approximate = False
    via: list[str] | None = None
    for amount, currency in parts:
        conversion = rates.convert(currency, to, year)
        if conversion is None:
            missing = missing or []
            missing.append((currency or NO_CURRENCY, amount))
            continue
        total += amount * conversion.rate
        approximate = approximate or conversion.approximate
        if conversion.via:
            via = via or []
            via.append(conversion.via)
    if missing:
        return None, missing, False, None
    return total, None, approximate, via


def _parts(
    budget: float | None,
    budget_currency: str | None,
    public: float | None,
    public_currency: str | None,
    cofunding: float | None,
    cofunding_currency: str | None,
) -> list[tuple[float, str | None]]:
    """``ProjectMoney.parts``: the budget, else public funding plus co-funding, where stated."""
    if budget is not None:
        return [(float(budget), budget_currency)]
    return [
        (float(amount), currency)
        for amount, currency in ((public, public_currency), (cofunding, cofunding_currency))
        if amount is not None
    ]
