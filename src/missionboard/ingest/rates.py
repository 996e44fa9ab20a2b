"""Exchange rates the user imports (CSV or XLSX), and conversion to a reporting currency.

A rates file has one row per currency, reporting currency and year::

    currency,reporting_currency,year,rate,source
    USD,EUR,2023,0.9248,ECB annual average

``rate`` is the number of units of the reporting currency per unit of ``currency``. Nothing is
ever fetched from the network.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from missionboard.errors import FieldError, FileRejected, InputError, Problem
from missionboard.ingest.base import parse_amount, parse_currency, parse_int
from missionboard.ingest.generic import match_columns
from missionboard.ingest.tabular import table_rows
from missionboard.store.portfolio import Rate

RATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "currency": ("currency", "from", "from_currency", "currency_code", "code"),
    "reporting_currency": ("reporting_currency", "to", "to_currency", "reporting", "base", "base_currency"),
    "year": ("year", "period", "date"),
    "rate": ("rate", "exchange_rate", "value", "fx", "fx_rate"),
    "source": ("source", "note", "provider"),
}


def read_rates(path: Path, *, reporting_currency: str | None = None) -> list[Rate]:
    """Every row of a rates file, checked; any bad row makes the whole file fail (nothing is imported)."""
    rates: list[Rate] = []
    problems: list[Problem] = []
    default_reporting = parse_currency(reporting_currency) if reporting_currency else None
    try:
        columns: dict[str, str] | None = None
        for row in table_rows(path):
            if columns is None:
                columns = match_columns(row.header, RATE_COLUMNS, {}, path.name)
                missing = [c for c in ("currency", "year", "rate") if c not in columns]
                if "reporting_currency" not in columns and default_reporting is None:
                    missing.append("reporting_currency (or --to)")
                if missing:
                    raise InputError(Problem(path.name, 1, "", f"missing column(s): {', '.join(missing)}"))
            if row.error:
                problems.append(Problem(path.name, row.line, "", row.error))
                continue
            values = {name: row.values.get(column, "") for name, column in columns.items()}
            try:
                rates.append(_rate(values, default_reporting))
            except FieldError as exc:
                problems.append(Problem(path.name, row.line, columns.get(exc.field, exc.field), exc.message))
    except FileRejected as exc:
        raise InputError(exc.problem) from exc
    if problems:
        raise InputError(problems[:20])
    if not rates:
        raise InputError(Problem(path.name, None, "", "no rates in the file"))
    seen: dict[tuple[str, str, int], int] = {}
    for index, rate in enumerate(rates):
        key = (rate.currency, rate.reporting_currency, rate.year)
        if key in seen:
            raise InputError(Problem(path.name, None, "", f"{key[0]}→{key[1]} {key[2]} is given twice"))
        seen[key] = index
    return rates


def _rate(values: dict[str, str], default_reporting: str | None) -> Rate:
    def parsed(name: str, parse: object) -> object:
        try:
            return parse(values.get(name, ""))  # type: ignore[operator]
        except FieldError as exc:
            exc.field = name
            raise

    currency = parsed("currency", parse_currency)
    reporting = parsed("reporting_currency", parse_currency) or default_reporting
    year_text = values.get("year", "")[:4]
    try:
        year = parse_int(year_text, low=1900, high=2100)
    except FieldError as exc:
        exc.field = "year"
        raise
    rate = parsed("rate", parse_amount)
    if currency is None:
        raise FieldError("missing currency", "currency")
    if reporting is None:
        raise FieldError("missing reporting currency", "reporting_currency")
    if year is None:
        raise FieldError("missing year", "year")
    if rate is None or not isinstance(rate, Decimal) or rate <= 0:
        raise FieldError("the rate must be a number greater than 0", "rate")
    return Rate(str(currency), str(reporting), year, float(rate), values.get("source") or None)


@dataclass
class RateTable:
    """Rates by (currency, reporting currency) and year; the closest earlier year stands in for a missing
    one (then the closest later year); a reverse rate is used inverted."""

    rates: dict[tuple[str, str], dict[int, float]] = field(default_factory=dict)

    @classmethod
    def of(cls, rates: Iterable[Rate]) -> RateTable:
        table = cls()
        for rate in rates:
            table.rates.setdefault((rate.currency, rate.reporting_currency), {})[rate.year] = rate.rate
        return table

    def rate(self, currency: str, reporting_currency: str, year: int) -> float | None:
        if currency == reporting_currency:
            return 1.0
        direct = self.rates.get((currency, reporting_currency))
        if direct:
            return _closest(direct, year)
        reverse = self.rates.get((reporting_currency, currency))
        if reverse:
            value = _closest(reverse, year)
            return 1.0 / value if value else None
        return None

    def convert(
        self, amount: Decimal | float, currency: str, reporting_currency: str, when: int | dt.date | None
    ) -> Decimal | None:
        """``amount`` in the reporting currency, or None when no rate is known for the currency."""
        year = when.year if isinstance(when, dt.date) else (when or dt.date.today().year)
        rate = self.rate(currency.upper(), reporting_currency.upper(), year)
        if rate is None:
            return None
        return (Decimal(str(amount)) * Decimal(str(rate))).quantize(Decimal("0.01"))


def _closest(by_year: dict[int, float], year: int) -> float:
    if year in by_year:
        return by_year[year]
    earlier = [y for y in by_year if y < year]
    chosen = max(earlier) if earlier else min(by_year)
    return by_year[chosen]
