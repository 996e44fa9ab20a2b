"""Small value types shared by the whole domain."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")


def _slug(value: str) -> str:
    if not SLUG.match(value):
        raise ValueError(
            "must be a short identifier: lower-case letters, digits, '-', '_' or '.', starting with a letter or digit"
        )
    return value


Slug = Annotated[str, AfterValidator(_slug)]
"""Stable identifiers users type on the command line and in URLs."""

NonEmptyText = Annotated[str, Field(min_length=1)]

LARGEST_ROW_ID = 2**63 - 1
"""The largest integer key SQLite and PostgreSQL store (a signed 64-bit integer)."""


def row_number(ref: str) -> int | None:
    """The stored row a user names by number (``gate list 42``), or None where ``ref`` is not one: ASCII
    digits only, and within the range a key can hold (a larger number names no row; it is not an error
    of the database)."""
    ref = ref.strip()
    if not (ref.isascii() and ref.isdigit()):
        return None
    number = int(ref)
    return number if number <= LARGEST_ROW_ID else None


def utc_aware(moment: dt.datetime) -> dt.datetime:
    """A time read back from the workspace, time-zone aware. Every time the workspace stores is UTC, and
    SQLite hands times back naive: a naive time is taken as UTC; an aware one is returned unchanged."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


class DomainModel(BaseModel):
    """Base for domain records: strict about unknown fields so typos in YAML are caught."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_assignment=True)


def _currency(value: str) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError("must be a three-letter ISO 4217 currency code such as EUR, SEK or USD")
    return code


CurrencyCode = Annotated[str, AfterValidator(_currency)]


class Money(DomainModel):
    """An amount in its original currency; conversion happens only through an imported rates table."""

    amount: Decimal
    currency: CurrencyCode

    def __str__(self) -> str:
        return f"{self.amount:,.0f} {self.currency}"
