"""Indicators and their observations: every revision of a value is kept (``monitoring.indicators`` says
which one is known on a date)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from missionboard.store.tables import IndicatorRow, ObservationRow


@dataclass(frozen=True)
class IndicatorRecord:
    id: str
    name: str
    unit: str
    source: str | None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    """One stored revision of one value."""

    indicator_id: str
    geography: str
    source: str
    year: int
    date: dt.date | None
    value: float
    revision: int
    recorded_at: dt.datetime
    note: str | None


def _indicator(row: IndicatorRow) -> IndicatorRecord:
    return IndicatorRecord(row.id, row.name, row.unit, row.source, row.description)


def _observation(row: ObservationRow) -> Observation:
    return Observation(
        row.indicator_id,
        row.geography,
        row.source,
        row.year,
        row.date,
        row.value,
        row.revision,
        row.recorded_at,
        row.note,
    )


class IndicatorStore:
    """Reads and writes indicators and observations inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, indicator_id: str) -> IndicatorRecord | None:
        row = self.session.get(IndicatorRow, indicator_id)
        return _indicator(row) if row is not None else None

    def add(self, indicator: IndicatorRecord) -> None:
        self.session.add(
            IndicatorRow(
                id=indicator.id,
                name=indicator.name,
                unit=indicator.unit,
                source=indicator.source,
                description=indicator.description,
            )
        )

    def all(self) -> list[IndicatorRecord]:
        """Every indicator, by id."""
        return [
            _indicator(row) for row in self.session.scalars(select(IndicatorRow).order_by(IndicatorRow.id))
        ]

    def statistics(self) -> dict[str, tuple[int, int | None, int | None]]:
        """Per indicator with observations: how many, the first and the last year."""
        return {
            row[0]: (row[1], row[2], row[3])
            for row in self.session.execute(
                select(
                    ObservationRow.indicator_id,
                    func.count(ObservationRow.id),
                    func.min(ObservationRow.year),
                    func.max(ObservationRow.year),
                ).group_by(ObservationRow.indicator_id)
            )
        }

    def geographies(self) -> list[tuple[str, str]]:
        """Each (indicator, geography) observed, sorted."""
        return [
            (ident, geo)
            for ident, geo in self.session.execute(
                select(ObservationRow.indicator_id, ObservationRow.geography)
                .distinct()
                .order_by(ObservationRow.indicator_id, ObservationRow.geography)
            )
        ]

    def observations(self, indicator_id: str) -> list[Observation]:
        """Every revision of every value of one indicator, in no particular order."""
        return [
            _observation(row)
            for row in self.session.scalars(
                select(ObservationRow).where(ObservationRow.indicator_id == indicator_id)
            )
        ]

    def observations_of(self, indicator_ids: Sequence[str]) -> list[Observation]:
        """Every revision of every value of several indicators, in no particular order."""
        return [
            _observation(row)
            for row in self.session.scalars(
                select(ObservationRow).where(ObservationRow.indicator_id.in_(indicator_ids))
            )
        ]

    def history(self, indicator_id: str, geography: str) -> list[Observation]:
        """Every revision in one geography, by year, date, source and revision."""
        return [
            _observation(row)
            for row in self.session.scalars(
                select(ObservationRow)
                .where(ObservationRow.indicator_id == indicator_id, ObservationRow.geography == geography)
                .order_by(
                    ObservationRow.year, ObservationRow.date, ObservationRow.source, ObservationRow.revision
                )
            )
        ]

    def record(
        self,
        indicator_id: str,
        *,
        year: int,
        date: dt.date | None,
        value: float,
        geography: str,
        source: str,
        note: str | None,
        revision: int,
        recorded_at: dt.datetime,
    ) -> None:
        """Add one revision of a value."""
        self.session.add(
            ObservationRow(
                indicator_id=indicator_id,
                year=year,
                date=date,
                value=value,
                geography=geography,
                source=source,
                note=note,
                revision=revision,
                recorded_at=recorded_at,
            )
        )
