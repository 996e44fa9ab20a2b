"""Sum up a mapped landscape per mission objective, straight from the Parquet files ``landscape map``
writes, with DuckDB: the records stay on disk and only the summary comes back (``domain.landscape``
says what is counted and how).

The input is every ``*.parquet`` file under a folder, at any depth, except under folders or files whose
name starts with ``_`` or ``.`` (Spark's ``_temporary`` attempts, hidden files). Columns: ``id`` and
``labels`` (a list of ``{goal, score, evidence}``) are needed; ``year``, ``organisations``,
``countries``, ``fields`` and ``amount_eur`` are read where the files have them.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# DuckDB reads the Parquet files where they lie, a column at a time, and spills to disk past its memory
# limit: a corpus of hundreds of millions of records is summed up on one machine without loading it.
import duckdb

from missionboard.domain.landscape import (
    Activity,
    Dimension,
    LandscapeOrganisation,
    ObjectiveLandscape,
    YearWindow,
)
from missionboard.errors import InputError, Problem

REQUIRED = ("id", "labels")
OPTIONAL: dict[str, str] = {
    "year": "TRY_CAST(year AS INTEGER)",
    "organisations": "CAST(organisations AS VARCHAR[])",
    "countries": "CAST(countries AS VARCHAR[])",
    "fields": "CAST(fields AS VARCHAR[])",
    "amount_eur": "CASE WHEN isfinite(TRY_CAST(amount_eur AS DOUBLE)) THEN TRY_CAST(amount_eur AS DOUBLE) END",
}
"""How each optional column is read; a column the files lack reads as NULL (no year, no money, no names)."""
ABSENT: dict[str, str] = {
    "year": "NULL::INTEGER",
    "organisations": "NULL::VARCHAR[]",
    "countries": "NULL::VARCHAR[]",
    "fields": "NULL::VARCHAR[]",
    "amount_eur": "NULL::DOUBLE",
}


@dataclass(frozen=True)
class LandscapeFigures:
    """What one pass over the landscape found, per objective (before the portfolio is set beside it)."""

    files: int
    records_read: int
    records: int
    """Distinct records counting for at least one objective."""
    money: float
    other_labels: int
    latest_year: int | None
    objectives: dict[str, ObjectiveLandscape] = field(default_factory=dict)


def parquet_files(folder: Path) -> list[Path]:
    """Every Parquet file under ``folder``, sorted; an input error naming the folder when there is none."""
    if not folder.exists():
        raise InputError(
            Problem(str(folder), None, "--input", "no such folder: give the --output of 'landscape map'")
        )
    if not folder.is_dir():
        raise InputError(
            Problem(str(folder), None, "--input", "not a folder: give the --output of 'landscape map'")
        )
    found = sorted(
        path
        for path in folder.rglob("*.parquet")
        if path.is_file() and not any(part.startswith(("_", ".")) for part in path.relative_to(folder).parts)
    )
    if not found:
        raise InputError(
            Problem(
                str(folder),
                None,
                "--input",
                "holds no Parquet files: run 'landscape map --output' into it first",
            )
        )
    return found


def aggregate(
    folder: Path,
    attribution: Mapping[str, Sequence[str]],
    *,
    min_score: float,
    recent_years: int,
    top: int,
    portfolio_keys: Collection[str],
    normalise: Callable[[str], str],
) -> LandscapeFigures:
    """Per objective of ``attribution`` (goal → the objectives a label on it counts for): records and money,
    by year, country, field and organisation; organisations matched on ``normalise``d names, those in
    ``portfolio_keys`` marked as in the portfolio."""
    files = parquet_files(folder)
    with _connection() as con:
        columns = _columns(con, folder, files)
        con.execute("CREATE TEMP TABLE attribution (goal VARCHAR, objective VARCHAR)")
        pairs = [(goal, objective) for goal, objectives in attribution.items() for objective in objectives]
        if pairs:
            con.executemany("INSERT INTO attribution VALUES (?, ?)", pairs)
        records_read = _scalar(
            con, "SELECT count(*) FROM read_parquet(?, union_by_name = true)", [_names(files)]
        )
        _labelled(con, files, min_score)
        _records(con, files, columns)
        other = _scalar(
            con, "SELECT count(*) FROM scored_labels WHERE goal NOT IN (SELECT goal FROM attribution)"
        )
        latest = con.execute("SELECT max(year) FROM records").fetchone()
        window = YearWindow(int(latest[0]), recent_years) if latest and latest[0] is not None else None
        _organisations(con, normalise, portfolio_keys, window)
        objectives = _objectives(con, attribution, window, top)
        totals = con.execute("SELECT count(*), coalesce(sum(amount), 0) FROM records").fetchone()
        assert totals is not None
    return LandscapeFigures(
        files=len(files),
        records_read=records_read,
        records=int(totals[0]),
        money=float(totals[1]),
        other_labels=other,
        latest_year=window.latest if window else None,
        objectives=objectives,
    )


# --- helpers ---------------------------------------------------------------------------------------


@contextmanager
def _connection() -> Iterator[duckdb.DuckDBPyConnection]:
    spill = tempfile.mkdtemp(prefix="missionboard-landscape-")
    con = duckdb.connect(config={"temp_directory": spill, "preserve_insertion_order": False})
    try:
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def _names(files: Sequence[Path]) -> list[str]:
    return [str(path) for path in files]


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, parameters: list[Any] | None = None) -> int:
    row = con.execute(sql, parameters or []).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _columns(con: duckdb.DuckDBPyConnection, folder: Path, files: Sequence[Path]) -> set[str]:
    try:
        described = con.execute(
            "DESCRIBE SELECT * FROM read_parquet(?, union_by_name = true)", [_names(files)]
        ).fetchall()
    except duckdb.Error as exc:
        raise InputError(
            Problem(str(folder), None, "--input", f"cannot read its Parquet files: {exc}")
        ) from None
    columns = {str(row[0]) for row in described}
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise InputError(
            Problem(
                str(folder),
                None,
                "--input",
                f"its Parquet files have no column {', '.join(missing)}: they are not the output of 'landscape map'",
            )
        )
    return columns


def _labelled(con: duckdb.DuckDBPyConnection, files: Sequence[Path], min_score: float) -> None:
    """``scored_labels``: (record, goal) of each label at or above the minimum score;
    ``record_objectives``: (record, objective) each record counts for, once."""
    con.execute(
        """
        CREATE TEMP TABLE scored_labels AS
        SELECT DISTINCT id, label.goal AS goal
        FROM (
            SELECT CAST(id AS VARCHAR) AS id, unnest(labels) AS label
            FROM read_parquet(?, union_by_name = true)
            WHERE id IS NOT NULL
        )
        WHERE label.goal IS NOT NULL AND label.score >= ?
        """,
        [_names(files), min_score],
    )
    con.execute(
        """
        CREATE TEMP TABLE record_objectives AS
        SELECT DISTINCT s.id, a.objective FROM scored_labels s JOIN attribution a ON a.goal = s.goal
        """
    )


def _records(con: duckdb.DuckDBPyConnection, files: Sequence[Path], columns: set[str]) -> None:
    """``records``: one row per record counting for an objective (the first file's where an id repeats)."""
    # The select list is put together from the constant expressions of OPTIONAL and ABSENT only (which
    # of them depends on the columns the files have); the files' names travel as a parameter.
    read = ", ".join(f"{OPTIONAL[name] if name in columns else ABSENT[name]} AS {name}" for name in OPTIONAL)
    con.execute(
        f"""
        CREATE TEMP TABLE records AS
        SELECT id, year, organisations, countries, fields, amount_eur AS amount
        FROM (
            SELECT CAST(id AS VARCHAR) AS id, {read},
                   row_number() OVER (PARTITION BY CAST(id AS VARCHAR) ORDER BY filename) AS copy
            FROM read_parquet(?, union_by_name = true, filename = true)
            WHERE CAST(id AS VARCHAR) IN (SELECT id FROM record_objectives)
        )
        WHERE copy = 1
        """,
        [_names(files)],
    )
    con.execute(
        "CREATE TEMP TABLE objective_records AS "
        "SELECT o.objective, r.* FROM record_objectives o JOIN records r USING (id)"
    )


def _organisations(
    con: duckdb.DuckDBPyConnection,
    normalise: Callable[[str], str],
    portfolio_keys: Collection[str],
    window: YearWindow | None,
) -> None:
    """``objective_organisations``: per objective and organisation (normalised name) its records, money,
    first year, whether it is in the portfolio or new, and its rank in each list."""
    con.execute(
        """
        CREATE TEMP TABLE record_names AS
        SELECT DISTINCT id, trim(name) AS name
        FROM (SELECT id, unnest(organisations) AS name FROM records)
        WHERE name IS NOT NULL AND trim(name) <> ''
        """
    )
    # Names go in and out as lists, not Arrow tables: building one from Python values imports pandas
    # (1.8 s on the 2 loaded cores, more than the rest of a 100k-record analysis).
    names = [str(row[0]) for row in con.execute("SELECT DISTINCT name FROM record_names").fetchall()]
    con.execute(
        """
        CREATE TEMP TABLE organisation_keys AS
        SELECT name, key FROM (
            SELECT unnest(CAST($1 AS VARCHAR[])) AS name, unnest(CAST($2 AS VARCHAR[])) AS key
        ) WHERE key <> ''
        """,
        [names, [normalise(name) for name in names]],
    )
    con.execute(
        "CREATE TEMP TABLE portfolio_keys AS SELECT DISTINCT unnest(CAST($1 AS VARCHAR[])) AS key",
        [sorted(set(portfolio_keys))],
    )
    con.execute(
        "CREATE TEMP TABLE record_organisations AS "
        "SELECT DISTINCT n.id, k.key FROM record_names n JOIN organisation_keys k USING (name)"
    )
    # the spelling shown: the one most records use (A–Z among equals)
    con.execute(
        """
        CREATE TEMP TABLE organisation_spellings AS
        SELECT key, name FROM (
            SELECT k.key, n.name, row_number() OVER (PARTITION BY k.key ORDER BY count(*) DESC, n.name) AS rank
            FROM record_names n JOIN organisation_keys k USING (name)
            GROUP BY k.key, n.name
        ) WHERE rank = 1
        """
    )
    first_recent = window.first_recent if window else None
    con.execute(
        """
        CREATE TEMP TABLE objective_organisations AS
        WITH counted AS (
            SELECT r.objective, o.key, count(*) AS records, coalesce(sum(r.amount), 0) AS money,
                   min(r.year) AS first_year
            FROM objective_records r JOIN record_organisations o USING (id)
            GROUP BY r.objective, o.key
        ), flagged AS (
            SELECT c.*, c.key IN (SELECT key FROM portfolio_keys) AS in_portfolio,
                   coalesce(c.first_year >= ?, false) AS newcomer
            FROM counted c
        )
        SELECT f.*, s.name,
               row_number() OVER (PARTITION BY objective ORDER BY records DESC, money DESC, key) AS position,
               row_number() OVER (PARTITION BY objective, in_portfolio ORDER BY records DESC, money DESC, key)
                   AS group_position,
               row_number() OVER (PARTITION BY objective, newcomer ORDER BY records DESC, money DESC, key)
                   AS newcomer_position
        FROM flagged f JOIN organisation_spellings s USING (key)
        """,
        [first_recent],
    )


def _objectives(
    con: duckdb.DuckDBPyConnection,
    attribution: Mapping[str, Sequence[str]],
    window: YearWindow | None,
    top: int,
) -> dict[str, ObjectiveLandscape]:
    recent = (window.first_recent, window.latest) if window else (None, None)
    earlier = (window.first_earlier, window.first_recent - 1) if window else (None, None)
    totals = {
        str(row[0]): row[1:]
        for row in con.execute(
            """
            SELECT objective, count(*), coalesce(sum(amount), 0), count(amount),
                   count(*) FILTER (WHERE year BETWEEN $1 AND $2),
                   coalesce(sum(amount) FILTER (WHERE year BETWEEN $1 AND $2), 0),
                   count(*) FILTER (WHERE year BETWEEN $3 AND $4),
                   coalesce(sum(amount) FILTER (WHERE year BETWEEN $3 AND $4), 0)
            FROM objective_records GROUP BY objective
            """,
            [*recent, *earlier],
        ).fetchall()
    }
    organisations = {
        str(row[0]): row[1:]
        for row in con.execute(
            "SELECT objective, count(*), count(*) FILTER (WHERE NOT in_portfolio), count(*) FILTER (WHERE newcomer) "
            "FROM objective_organisations GROUP BY objective"
        ).fetchall()
    }
    activity = _activity(con, top)
    fields = _field_counts(con)
    listed = _listed(con, top)
    objectives: dict[str, ObjectiveLandscape] = {}
    for objective in dict.fromkeys(o for targets in attribution.values() for o in targets):
        counts = totals.get(objective, (0, 0.0, 0, 0, 0.0, 0, 0.0))
        orgs = organisations.get(objective, (0, 0, 0))
        dims = activity.get(objective, {})
        objectives[objective] = ObjectiveLandscape(
            objective=objective,
            title="",
            records=int(counts[0]),
            money=float(counts[1]),
            records_with_money=int(counts[2]),
            organisations=int(orgs[0]),
            outside_portfolio=int(orgs[1]),
            newcomer_count=int(orgs[2]),
            countries=len(dims.get(Dimension.COUNTRY, ())),
            fields=fields.get(objective, 0),
            recent_records=int(counts[3]),
            recent_money=float(counts[4]),
            earlier_records=int(counts[5]),
            earlier_money=float(counts[6]),
            portfolio_projects=0,
            portfolio_money=0.0,
            by_year=tuple(dims.get(Dimension.YEAR, ())),
            by_country=tuple(dims.get(Dimension.COUNTRY, ())),
            by_field=tuple(dims.get(Dimension.FIELD, ())[:top]),
            top_organisations=tuple(listed.get(objective, ())),
            top=top,
        )
    return objectives


def _activity(con: duckdb.DuckDBPyConnection, top: int) -> dict[str, dict[str, list[Activity]]]:
    """Per objective: every year (oldest first), every country and the ``top`` fields (most active first)."""
    con.execute(
        """
        CREATE TEMP TABLE objective_countries AS
        SELECT DISTINCT r.objective, r.id, r.amount, upper(trim(c)) AS value
        FROM (SELECT objective, id, amount, unnest(countries) AS c FROM objective_records) r
        WHERE c IS NOT NULL AND trim(c) <> ''
        """
    )
    con.execute(
        """
        CREATE TEMP TABLE objective_fields AS
        SELECT DISTINCT r.objective, r.id, r.amount, trim(f) AS value
        FROM (SELECT objective, id, amount, unnest(fields) AS f FROM objective_records) r
        WHERE f IS NOT NULL AND trim(f) <> ''
        """
    )
    found: dict[str, dict[str, list[Activity]]] = {}
    queries = {
        Dimension.YEAR: "SELECT objective, CAST(year AS VARCHAR), count(*), coalesce(sum(amount), 0) "
        "FROM objective_records WHERE year IS NOT NULL GROUP BY objective, year ORDER BY objective, year",
        Dimension.COUNTRY: "SELECT objective, value, count(*) AS n, coalesce(sum(amount), 0) AS money "
        "FROM objective_countries GROUP BY objective, value ORDER BY objective, n DESC, money DESC, value",
        Dimension.FIELD: "SELECT objective, value, n, money FROM ("
        "  SELECT objective, value, count(*) AS n, coalesce(sum(amount), 0) AS money,"
        "         row_number() OVER (PARTITION BY objective ORDER BY count(*) DESC, sum(amount) DESC NULLS LAST,"
        "                            value) AS position"
        "  FROM objective_fields GROUP BY objective, value"
        ") WHERE position <= ? ORDER BY objective, position",
    }
    parameters: dict[str, list[Any]] = {Dimension.FIELD: [top]}
    for dimension, sql in queries.items():
        for objective, value, records, money in con.execute(sql, parameters.get(dimension, [])).fetchall():
            found.setdefault(str(objective), {}).setdefault(dimension, []).append(
                Activity(str(value), int(records), float(money))
            )
    return found


def _field_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Per objective, its distinct fields (all of them, not only the ``top`` kept)."""
    return {
        str(objective): int(count)
        for objective, count in con.execute(
            "SELECT objective, count(DISTINCT value) FROM objective_fields GROUP BY objective"
        ).fetchall()
    }


def _listed(con: duckdb.DuckDBPyConnection, top: int) -> dict[str, list[LandscapeOrganisation]]:
    """Per objective, the organisations of the three lists (most active, outside the portfolio,
    newcomers), each list's ``top`` first, in rank order."""
    found: dict[str, list[LandscapeOrganisation]] = {}
    for row in con.execute(
        """
        SELECT objective, key, name, records, money, first_year, in_portfolio, newcomer, position
        FROM objective_organisations
        WHERE position <= $1 OR (NOT in_portfolio AND group_position <= $1) OR (newcomer AND newcomer_position <= $1)
        ORDER BY objective, position
        """,
        [top],
    ).fetchall():
        objective, key, name, records, money, first_year, in_portfolio, newcomer, position = row
        found.setdefault(str(objective), []).append(
            LandscapeOrganisation(
                key=str(key),
                name=str(name),
                records=int(records),
                money=float(money),
                first_year=None if first_year is None else int(first_year),
                in_portfolio=bool(in_portfolio),
                newcomer=bool(newcomer),
                position=int(position),
            )
        )
    return found
