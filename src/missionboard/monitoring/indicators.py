"""Indicator observations: import (long or wide files), revisions, and the series as known on a date.

Rules (see docs/monitoring.md):

* An observation is identified by (indicator, geography, source, year, date). Importing a value for an
  identity that already has one adds a new **revision** when the value differs (the earlier value is
  kept) and leaves it alone when it is the same.
* Units: a file with a ``unit`` column must match the indicator's unit; a new indicator takes its
  name/unit/source from the mission objective that defines it, or from the file's ``name``/``unit``.
* Known on ``as_of``: a period has ended by then (a year-only value counts as dated 31 December), and
  the revision was recorded by then — or it is the first revision (historical data imported later
  without a ``published`` date counts as known once its period ended).
* One value per year: the latest date within the year; where several sources give one, the indicator's
  own source wins, otherwise the most recently recorded value.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from missionboard.domain.common import SLUG, utc_aware
from missionboard.domain.indicators import (
    IndicatorInfo as IndicatorInfo,  # in domain/: store/quick.py builds it too
)
from missionboard.domain.missions import Indicator
from missionboard.domain.records import ImportRun
from missionboard.domain.targets import Point
from missionboard.errors import NotFound, Problem
from missionboard.monitoring import files
from missionboard.store import audit
from missionboard.store.indicators import IndicatorRecord, IndicatorStore, Observation
from missionboard.store.missions import MissionStore
from missionboard.store.workspace import Session, Workspace

INDICATOR_COLUMNS = ("indicator", "indicator_id", "indicator_code", "series_code", "series", "code")
GEOGRAPHY_COLUMNS = ("geography", "geo", "country_code", "ref_area", "geo_area", "area", "country")
NAME_COLUMNS = ("name", "indicator_name", "series_name", "title")
UNIT_COLUMNS = ("unit", "units", "unit_measure", "unit_of_measure")
YEAR_COLUMN = re.compile(r"^(?:yr_?)?(\d{4})(?:_yr\d{4})?$")
UNIT_ALIASES = {"%": "percent", "pct": "percent", "percentage": "percent", "per_cent": "percent"}


def unit_key(unit: str) -> str:
    key = re.sub(r"\s+", "", unit.strip().lower())
    return UNIT_ALIASES.get(key, key)


def indicator_id(raw: str) -> str:
    """File codes such as 'EN_ATM_CO2' become workspace ids such as 'en_atm_co2'."""
    return raw.strip().lower()


@dataclass
class ParsedRow:
    line: int
    indicator: str
    year: int
    date: dt.date | None
    value: float
    geography: str
    source: str
    note: str | None
    published: dt.datetime | None
    name: str | None
    unit: str | None


@dataclass
class ImportSummary:
    """What an indicator import did."""

    file: str
    format: str
    read: int = 0
    inserted: int = 0
    revised: int = 0
    unchanged: int = 0
    duplicates: int = 0
    indicators_created: list[str] = field(default_factory=list)
    indicators: list[str] = field(default_factory=list)
    import_run: int | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __str__(self) -> str:
        return (
            f"{self.read} values for {len(self.indicators)} indicators: {self.inserted} new, "
            f"{self.revised} revised, {self.unchanged} unchanged"
        )


def _pick(row: dict[str, Any], names: Iterable[str]) -> Any:
    for name in names:
        if name in row:
            return row[name]
    return None


def _has(header: list[str], names: Iterable[str]) -> str | None:
    return next((n for n in names if n in header), None)


DDF_DATAPOINTS = re.compile(r"^ddf--datapoints--([a-z0-9_]+)--by--", re.IGNORECASE)


def _from_ddf(table: files.Table) -> files.Table | None:
    """A DDF datapoints file (Open Numbers / Gapminder, e.g. the UN SDG database) as a long table.

    ``ddf--datapoints--en_atm_co2--by--geo_area--…--year.csv`` has the values in the column named
    after the indicator; the other key columns (``geo_area``, ``units``, ``year``) map as usual.
    """
    match = DDF_DATAPOINTS.match(table.name)
    if match is None or files.normalise(match.group(1)) not in table.header:
        return None
    code = files.normalise(match.group(1))
    rows = [(line, {**row, "indicator": code, "value": row.get(code)}) for line, row in table.rows]
    return files.Table(table.name, [*table.header, "indicator", "value"], table.original_header, rows)


def parse(table: files.Table) -> tuple[str, list[ParsedRow], list[Problem]]:
    """Turn a long or wide table into observation rows; problems name file, line and field."""
    if _has(table.header, INDICATOR_COLUMNS) is None:
        table = _from_ddf(table) or table
    header = table.header
    ind_col = _has(header, INDICATOR_COLUMNS)
    year_cols = [(h, int(m.group(1))) for h in header if (m := YEAR_COLUMN.match(h))]
    if ind_col is None:
        return "", [], [Problem(table.name, 1, "indicator", "no 'indicator' column")]
    if "value" in header:
        if "year" not in header and "date" not in header:
            return "long", [], [Problem(table.name, 1, "year", "a long file needs a 'year' or 'date' column")]
        return "long", *_parse_long(table, ind_col)
    if year_cols:
        return "wide", *_parse_wide(table, ind_col, year_cols)
    return (
        "",
        [],
        [
            Problem(
                table.name,
                1,
                "",
                "neither long format (indicator, year|date, value) nor wide format (indicator, 2015, 2016, …)",
            )
        ],
    )


def _common(
    table: files.Table, line: int, row: dict[str, Any], ind_col: str, problems: list[Problem]
) -> dict[str, Any] | None:
    raw = files.text(row.get(ind_col))
    if raw is None:
        problems.append(Problem(table.name, line, "indicator", "missing"))
        return None
    ident = indicator_id(raw)
    if not SLUG.match(ident):
        problems.append(
            Problem(table.name, line, "indicator", f"'{raw}' is not an identifier (letters, digits, - _ .)")
        )
        return None
    published: dt.datetime | None = None
    try:
        day = files.date(row.get("published"))
        if day is not None:
            published = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    except ValueError as exc:
        problems.append(Problem(table.name, line, "published", str(exc)))
        return None
    return {
        "indicator": ident,
        "geography": files.text(_pick(row, GEOGRAPHY_COLUMNS)) or "",
        "source": files.text(row.get("source")) or "",
        "note": files.text(row.get("note")),
        "published": published,
        "name": files.text(_pick(row, NAME_COLUMNS)),
        "unit": files.text(_pick(row, UNIT_COLUMNS)),
    }


def _parse_long(table: files.Table, ind_col: str) -> tuple[list[ParsedRow], list[Problem]]:
    rows: list[ParsedRow] = []
    problems: list[Problem] = []
    for line, row in table.rows:
        common = _common(table, line, row, ind_col, problems)
        if common is None:
            continue
        try:
            day = files.date(row.get("date"))
        except ValueError as exc:
            problems.append(Problem(table.name, line, "date", str(exc)))
            continue
        try:
            year = files.year(row.get("year"))
        except ValueError as exc:
            problems.append(Problem(table.name, line, "year", str(exc)))
            continue
        if day is None and year is None:
            problems.append(Problem(table.name, line, "year", "missing: give a year or a date"))
            continue
        if day is not None and year is not None and day.year != year:
            problems.append(Problem(table.name, line, "date", f"{day} is not in year {year}"))
            continue
        try:
            value = files.number(row.get("value"))
        except ValueError as exc:
            problems.append(Problem(table.name, line, "value", str(exc)))
            continue
        if value is None:
            continue  # an empty or '..' cell: no observation
        period = year if year is not None else day.year  # type: ignore[union-attr]
        rows.append(ParsedRow(line, year=period, date=day, value=value, **common))
    return rows, problems


def _parse_wide(
    table: files.Table, ind_col: str, year_cols: list[tuple[str, int]]
) -> tuple[list[ParsedRow], list[Problem]]:
    rows: list[ParsedRow] = []
    problems: list[Problem] = []
    for line, row in table.rows:
        common = _common(table, line, row, ind_col, problems)
        if common is None:
            continue
        for column, year in year_cols:
            try:
                value = files.number(row.get(column))
            except ValueError as exc:
                problems.append(Problem(table.name, line, str(year), str(exc)))
                continue
            if value is not None:
                rows.append(ParsedRow(line, year=year, date=None, value=value, **common))
    return rows, problems


Key = tuple[str, str, str, int, dt.date | None]


def _key(row: ParsedRow) -> Key:
    return (row.indicator, row.geography, row.source, row.year, row.date)


def _definitions(session: Session) -> dict[str, Indicator]:
    """Indicators defined by mission objectives (current versions), by id."""
    found: dict[str, Indicator] = {}
    for version in MissionStore(session).list():
        for objective in version.mission.objectives:
            if objective.indicator is not None:
                found.setdefault(objective.indicator.id, objective.indicator)
    return found


def _resolve_indicators(
    session: Session, table: files.Table, rows: list[ParsedRow], summary: ImportSummary
) -> list[Problem]:
    problems: list[Problem] = []
    first: dict[str, ParsedRow] = {}
    for row in rows:
        first.setdefault(row.indicator, row)
        known_unit = first[row.indicator].unit
        if row.unit and known_unit and unit_key(row.unit) != unit_key(known_unit):
            problems.append(
                Problem(table.name, row.line, "unit", f"'{row.unit}' differs from '{known_unit}' used above")
            )
    definitions: dict[str, Indicator] | None = None
    store = IndicatorStore(session)
    for ident, row in first.items():
        existing = store.get(ident)
        if existing is None:
            if definitions is None:
                definitions = _definitions(session)
            defined = definitions.get(ident)
            if defined is not None:
                if row.unit and unit_key(row.unit) != unit_key(defined.unit):
                    problems.append(
                        Problem(
                            table.name,
                            row.line,
                            "unit",
                            f"'{row.unit}' does not match the unit of indicator '{ident}' ({defined.unit})",
                        )
                    )
                    continue
                existing = IndicatorRecord(
                    id=ident,
                    name=defined.name,
                    unit=defined.unit,
                    source=defined.source,
                    description=defined.description,
                )
            elif row.unit:
                existing = IndicatorRecord(id=ident, name=row.name or ident, unit=row.unit, source=None)
            else:
                problems.append(
                    Problem(
                        table.name,
                        row.line,
                        "indicator",
                        f"unknown indicator '{ident}': define it in a mission objective, "
                        "or give 'unit' (and 'name') columns",
                    )
                )
                continue
            store.add(existing)
            summary.indicators_created.append(ident)
        elif row.unit and unit_key(row.unit) != unit_key(existing.unit):
            problems.append(
                Problem(
                    table.name,
                    row.line,
                    "unit",
                    f"'{row.unit}' does not match the unit of indicator '{ident}' ({existing.unit})",
                )
            )
    return problems


def import_indicators(workspace: Workspace, path: Path, *, user: str) -> ImportSummary:
    """Import a long or wide CSV/XLSX file of observations in one transaction (nothing on any error)."""
    # the portfolio store (import runs) is read by imports alone, not by the board or 'indicators show'
    from missionboard.store.portfolio import finish_run, start_run

    started = time.perf_counter()
    table = files.read_table(Path(path))
    fmt, rows, problems = parse(table)
    files.raise_problems(problems)
    summary = ImportSummary(file=table.name, format=fmt, read=len(rows))

    # duplicates inside the file: same identity and value collapse; a different value is an error
    # unless the rows carry different 'published' dates (then they are successive revisions).
    by_key: dict[Key, list[ParsedRow]] = defaultdict(list)
    for row in rows:
        group = by_key[_key(row)]
        clash = next((r for r in group if r.published == row.published), None)
        if clash is not None:
            if clash.value != row.value:
                problems.append(
                    Problem(
                        table.name,
                        row.line,
                        "value",
                        f"{row.value:g} contradicts {clash.value:g} on line {clash.line} for the same "
                        "indicator, geography, source and period (add a 'published' column for revisions)",
                    )
                )
            else:
                summary.duplicates += 1
            continue
        group.append(row)
    files.raise_problems(problems)

    with workspace.transaction() as session:
        files.raise_problems(_resolve_indicators(session, table, rows, summary))
        run = ImportRun(
            format=f"indicators-{fmt}",
            source=None,
            files=[files.describe(Path(path))],
            started_at=dt.datetime.now(dt.UTC),
            user=user,
        )
        run_id = start_run(session, run)
        summary.import_run = run_id
        indicators = sorted({k[0] for k in by_key})
        latest: dict[Key, tuple[int, float]] = {}
        store = IndicatorStore(session)
        for obs in store.observations_of(indicators):
            key = (obs.indicator_id, obs.geography, obs.source, obs.year, obs.date)
            if key not in latest or obs.revision > latest[key][0]:
                latest[key] = (obs.revision, obs.value)
        now = dt.datetime.now(dt.UTC)
        for key, group in by_key.items():
            group.sort(key=lambda r: r.published or now)
            for row in group:
                revision, value = latest.get(key, (0, float("nan")))
                if revision and value == row.value:
                    summary.unchanged += 1
                    continue
                store.record(
                    row.indicator,
                    year=row.year,
                    date=row.date,
                    value=row.value,
                    geography=row.geography,
                    source=row.source,
                    note=row.note,
                    revision=revision + 1,
                    recorded_at=row.published or now,
                )
                latest[key] = (revision + 1, row.value)
                if revision:
                    summary.revised += 1
                else:
                    summary.inserted += 1
        summary.indicators = indicators
        summary.seconds = round(time.perf_counter() - started, 3)
        run = run.model_copy(
            update={
                "read": summary.read,
                "inserted": summary.inserted,
                "updated": summary.revised,
                "unchanged": summary.unchanged + summary.duplicates,
                "seconds": summary.seconds,
            }
        )
        finish_run(session, run_id, run)
        audit.record(
            session,
            actor=user,
            action="import",
            entity="observations",
            entity_id=table.name,
            after={k: v for k, v in summary.to_dict().items() if k != "seconds"},
        )
    return summary


# --- reading -----------------------------------------------------------------------------------


def list_indicators(workspace: Workspace) -> list[IndicatorInfo]:
    with workspace.reading() as session:
        store = IndicatorStore(session)
        stats = store.statistics()
        geos: dict[str, list[str]] = defaultdict(list)
        for ident, geo in store.geographies():
            geos[ident].append(geo)
        out = []
        for row in store.all():
            count, first, last = stats.get(row.id, (0, None, None))
            out.append(
                IndicatorInfo(row.id, row.name, row.unit, row.source, count, first, last, geos[row.id])
            )
        return out


@dataclass(frozen=True)
class SeriesValue:
    year: int
    date: dt.date | None
    value: float
    source: str
    revision: int
    recorded_at: dt.datetime
    revisions: int
    """How many revisions of this value exist (1 = never revised)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "date": self.date.isoformat() if self.date else None,
            "value": self.value,
            "source": self.source,
            "revision": self.revision,
            "revisions": self.revisions,
        }


@dataclass(frozen=True)
class Series:
    indicator: str
    geography: str
    values: list[SeriesValue]
    geographies: list[str]

    def points(self) -> list[Point]:
        return [Point(float(v.year), v.value) for v in self.values]


def load_series(
    session: Session,
    indicator: str,
    *,
    geography: str | None = None,
    as_of: dt.date | None = None,
    preferred_source: str | None = None,
) -> Series:
    """The yearly series of ``indicator`` as known on ``as_of`` (see the module rules)."""
    return series_from(
        IndicatorStore(session).observations(indicator),
        indicator,
        geography=geography,
        as_of=as_of,
        preferred_source=preferred_source,
    )


def series_from(
    rows: Sequence[Observation],
    indicator: str,
    *,
    geography: str | None = None,
    as_of: dt.date | None = None,
    preferred_source: str | None = None,
    exact: bool = False,
) -> Series:
    """The yearly series of ``indicator`` in ``rows`` (its stored revisions) as known on ``as_of``.

    A ``geography`` the rows lack is matched ignoring case; where none matches, the series falls back to
    the observations without geography, else the geography with the most observations — unless
    ``exact``, when it stays empty (a region is never judged on another geography's numbers).
    """
    geographies = sorted({r.geography for r in rows})
    if exact and geography is not None and geography not in geographies:
        geography = next((g for g in geographies if g.lower() == geography.lower()), geography)
    elif geography is None or geography not in geographies:
        counts: dict[str, int] = defaultdict(int)
        for r in rows:
            counts[r.geography] += 1
        if geography is not None and geography.lower() in {g.lower() for g in geographies}:
            geography = next(g for g in geographies if g.lower() == geography.lower())
        elif "" in counts:
            geography = ""
        else:
            geography = max(sorted(counts), key=lambda g: counts[g]) if counts else ""
    cutoff = None
    if as_of is not None:
        cutoff = dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC)
    revisions: dict[Key, list[Observation]] = defaultdict(list)
    for r in rows:
        if r.geography != geography:
            continue
        if as_of is not None:
            period_end = r.date if r.date is not None else dt.date(r.year, 12, 31)
            if period_end > as_of:
                continue
        revisions[(r.indicator_id, r.geography, r.source, r.year, r.date)].append(r)
    chosen: list[tuple[Observation, int]] = []
    for group in revisions.values():
        group.sort(key=lambda r: r.revision)
        known = [r for r in group if cutoff is None or utc_aware(r.recorded_at) <= cutoff]
        chosen.append((known[-1] if known else group[0], len(group)))
    by_year: dict[int, list[tuple[Observation, int]]] = defaultdict(list)
    for item in chosen:
        by_year[item[0].year].append(item)
    values = []
    for year in sorted(by_year):
        candidates = by_year[year]
        latest_date = max((c[0].date or dt.date(year, 12, 31)) for c in candidates)
        candidates = [c for c in candidates if (c[0].date or dt.date(year, 12, 31)) == latest_date]
        row, count = max(
            candidates,
            key=lambda c: (
                preferred_source is not None and c[0].source == preferred_source,
                utc_aware(c[0].recorded_at),
                c[0].source,
            ),
        )
        values.append(
            SeriesValue(
                row.year, row.date, row.value, row.source, row.revision, utc_aware(row.recorded_at), count
            )
        )
    return Series(indicator, geography, values, geographies)


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return SPARKS[3] * len(values)
    return "".join(SPARKS[round((v - low) / (high - low) * (len(SPARKS) - 1))] for v in values)


@dataclass(frozen=True)
class IndicatorDetail:
    info: IndicatorInfo
    series: Series
    sparkline: str
    history: list[Observation]
    """Every stored revision of the shown geography, oldest first."""

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.info.to_dict(),
            "geography": self.series.geography,
            "sparkline": self.sparkline,
            "series": [v.to_dict() for v in self.series.values],
            "history": [_revision_dict(r) for r in self.history],
        }


def _revision_dict(revision: Observation) -> dict[str, Any]:
    """One stored revision as ``show_indicator``'s JSON lists it under ``history``."""
    return {
        "year": revision.year,
        "date": revision.date.isoformat() if revision.date else None,
        "source": revision.source,
        "value": revision.value,
        "revision": revision.revision,
        "recorded_at": utc_aware(revision.recorded_at).isoformat(),
        "note": revision.note,
    }


def show_indicator(
    workspace: Workspace, indicator: str, *, geography: str | None = None, as_of: dt.date | None = None
) -> IndicatorDetail:
    ident = indicator_id(indicator)
    infos = {i.id: i for i in list_indicators(workspace)}
    if ident not in infos:
        raise NotFound(f"no indicator '{indicator}' in this workspace (see 'missionboard indicators list')")
    with workspace.reading() as session:
        store = IndicatorStore(session)
        row = store.get(ident)
        series = load_series(
            session, ident, geography=geography, as_of=as_of, preferred_source=row.source if row else None
        )
        history = store.history(ident, series.geography)
    return IndicatorDetail(infos[ident], series, sparkline([v.value for v in series.values]), history)
