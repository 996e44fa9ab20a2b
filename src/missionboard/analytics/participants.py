"""The participations in scope as NumPy arrays: helix mix, money received, co-participation pairs.

Everything analytics derives from single participations (millions of rows) is computed here with
integer arrays instead of SQL joins and hash aggregates: project and actor ids become dense positions
through lookup tables, exchange rates come from a small (currency × year) table, and groupings are
``bincount`` and sorts. The SQL it replaces is quoted in each docstring; the tests hold the two to the
same results. Project-level figures stay in DuckDB (``engine``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

UNKNOWN = "unknown"
NO_YEAR = -(1 << 40)
"""Year of a project without a start year (an int64 sentinel far below any real year)."""


_NUMPY_TYPES = {pa.int64(): np.dtype(np.int64), pa.float64(): np.dtype(np.float64)}
"""The NumPy type of each Arrow type read into arrays."""


def _numbers(column: pa.ChunkedArray | pa.Array, kind: pa.DataType, null: float) -> np.ndarray:
    """The values of an int64 or float64 ``column`` (cast to ``kind`` first where it is not), NULL →
    ``null``; read from the chunks' buffers, as ``to_numpy`` would give them (a view where the column is
    one chunk without NULLs, read-only): pyarrow's ``to_numpy`` and ``fill_null`` import pandas (0.3 s of
    an analysis that needs none of it, measured)."""
    values = column if column.type == kind else pc.cast(column, kind)
    dtype = _NUMPY_TYPES[kind]
    parts = [_chunk_values(chunk, dtype, null) for chunk in _chunks(values)]
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _bools(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A boolean column as a NumPy bool array, NULL → False (its bits unpacked, see ``_numbers``)."""
    parts = [_bits(chunk.buffers()[1], chunk) & _valid(chunk) for chunk in _chunks(column)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def _chunks(column: pa.ChunkedArray | pa.Array) -> list[pa.Array]:
    return list(column.chunks) if isinstance(column, pa.ChunkedArray) else [column]


def _chunk_values(chunk: pa.Array, dtype: np.dtype, null: float) -> np.ndarray:
    if len(chunk) == 0:
        return np.zeros(0, dtype=dtype)
    data = chunk.buffers()[1]
    values = np.frombuffer(data, dtype=dtype, count=len(chunk), offset=chunk.offset * dtype.itemsize)
    if chunk.null_count:
        return np.where(_valid(chunk), values, dtype.type(null))
    values.flags.writeable = False  # a view of the Arrow buffer, as to_numpy's
    return values


def _valid(chunk: pa.Array) -> np.ndarray:
    """Which values of ``chunk`` are not NULL."""
    if chunk.null_count == 0:
        return np.ones(len(chunk), dtype=bool)
    return _bits(chunk.buffers()[0], chunk)


def _bits(buffer: pa.Buffer, chunk: pa.Array) -> np.ndarray:
    """The ``len(chunk)`` bits of a bitmap ``buffer`` from the chunk's offset on, as bools."""
    if len(chunk) == 0:
        return np.zeros(0, dtype=bool)
    bits = np.unpackbits(
        np.frombuffer(buffer, dtype=np.uint8), count=chunk.offset + len(chunk), bitorder="little"
    )
    return bits[chunk.offset :].astype(bool)


def _floats(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A float column as float64 with NULL → NaN (SQLite and PostgreSQL store no NaN in these columns)."""
    return _numbers(column, pa.float64(), np.nan)


def ints(column: pa.ChunkedArray | pa.Array, null: int) -> np.ndarray:
    """An integer column as int64 with NULL → ``null``."""
    return _numbers(column, pa.int64(), null)


def _codes(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list[str]]:
    """Dictionary codes of a string column (NULL → −1) and the dictionary."""
    encoded = pc.dictionary_encode(pc.cast(column, pa.string()))
    chunks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
    if not chunks:
        return np.zeros(0, dtype=np.int64), []
    combined = pa.chunked_array(chunks).unify_dictionaries() if len(chunks) > 1 else pa.chunked_array(chunks)
    dictionary = combined.chunk(0).dictionary if combined.num_chunks else pa.array([], pa.string())
    indices = pa.chunked_array([c.indices for c in combined.chunks], type=combined.type.index_type)
    return ints(indices, -1), [str(x) for x in dictionary.to_pylist()]


class Positions:
    """Maps ids onto their positions in a sorted array of distinct ids (−1 where absent).

    A dense lookup table when the ids span a range not much larger than their number (autoincrement
    keys), else a binary search.
    """

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = ids
        self.table: np.ndarray | None = None
        self.low = int(ids[0]) if len(ids) else 0
        if len(ids):
            span = int(ids[-1]) - self.low + 1
            if span <= 4 * len(ids) + 1_000_000:
                table = np.full(span, -1, dtype=np.int64)
                table[ids - self.low] = np.arange(len(ids), dtype=np.int64)
                self.table = table

    def __call__(self, values: np.ndarray) -> np.ndarray:
        if len(self.ids) == 0:
            return np.full(len(values), -1, dtype=np.int64)
        if self.table is not None:
            offset = values - self.low
            if len(offset) and int(offset.min()) >= 0 and int(offset.max()) < len(self.table):
                inner: np.ndarray = self.table[offset]
                return inner
            inside = (offset >= 0) & (offset < len(self.table))
            found = np.full(len(values), -1, dtype=np.int64)
            found[inside] = self.table[offset[inside]]
            return found
        where = np.searchsorted(self.ids, values)
        where[where >= len(self.ids)] = 0
        return np.where(self.ids[where] == values, where, -1)


def distinct_sorted(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` for int64 ids, through a presence table when they are dense."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    low, high = int(values.min()), int(values.max())
    span = high - low + 1
    if span <= 4 * len(values) + 1_000_000:
        present = np.zeros(span, dtype=bool)
        present[values - low] = True
        return np.flatnonzero(present).astype(np.int64) + low
    ordered = np.sort(values)  # a (SIMD) sort: much faster here than np.unique's hash table
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    found: np.ndarray = ordered[keep]
    return found


def group_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Start index of each run of equal values in a sorted array."""
    if len(sorted_keys) == 0:
        return np.zeros(0, dtype=np.int64)
    starts: np.ndarray = np.r_[0, np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1].astype(np.int64)
    return starts


@dataclass
class Arrangement:
    """Non-funder participations of projects in scope and the distinct (project, actor) pairs, without
    money: what depends on the portfolio alone, not on exchange rates or the reporting currency (the
    whole portfolio's is computed once, when its snapshot is saved: ``precomputed``).

    ``project`` is a position in ``project_ids`` (the scope's projects, sorted); ``node`` a position in
    ``actor_ids`` (the distinct participating actors, sorted: the collaboration network's nodes).
    ``amount``, ``share`` and ``currency_code`` (a position in ``currencies``, −1 for none) are each
    participation's stated money.
    """

    project_ids: np.ndarray
    project_year: np.ndarray
    actor_ids: np.ndarray
    project: np.ndarray
    node: np.ndarray
    amount: np.ndarray
    share: np.ndarray
    currency_code: np.ndarray
    currencies: list[str]
    helix_names: list[str]
    node_helix: np.ndarray
    node_helix_raw: np.ndarray
    raw_helix_names: list[str]
    pair_project: np.ndarray
    pair_node: np.ndarray

    @property
    def pair_year(self) -> np.ndarray:
        """The start year of each (project, actor) pair's project (``NO_YEAR`` where unknown)."""
        years: np.ndarray = self.project_year[self.pair_project]
        return years


@dataclass
class Participants(Arrangement):
    """An ``Arrangement`` priced: each project's budget and each participation's money and helix."""

    project_budget: np.ndarray
    money: np.ndarray
    helix: np.ndarray


@dataclass
class Inputs:
    """What ``build`` needs, read from DuckDB (``fetch``) so that ``build`` can run in another thread."""

    currency: str
    money: pa.Table
    participations: pa.Table
    actors: pa.Table
    rates: list[tuple[str, int | None, float]]


PARTICIPATION_COLUMNS = ["project_id", "actor_id", "amount", "currency", "share"]


def fetch(con: duckdb.DuckDBPyConnection, currency: str, arrow: dict[str, pa.Table] | None = None) -> Inputs:
    """The scope's projects (table ``money``), non-funder participations, actors and the ``fx_rates``.

    ``arrow``: the loader's Arrow tables, where it has them, read as they are instead of through DuckDB.
    """
    arrow = arrow or {}
    participations = arrow.get("participations")
    if participations is not None:  # funder rows are left out by ``build`` (no copy here)
        participations = participations.select([*PARTICIPATION_COLUMNS, "is_funder"])
    else:
        participations = con.sql(
            "SELECT project_id, actor_id, amount, currency, share FROM participations WHERE is_funder = 0"
        ).to_arrow_table()
    actors = arrow.get("actors")
    return Inputs(
        currency=currency,
        money=con.sql(
            "SELECT id, start_year, budget, coalesce(budget_currency = $rc, false) AS rc FROM money",
            params={"rc": currency},
        ).to_arrow_table(),
        participations=participations,
        actors=actors.select(["id", "helix"])
        if actors is not None
        else con.sql("SELECT id, helix FROM actors").to_arrow_table(),
        rates=[
            (str(c), None if y is None else int(y), float(r))
            for c, y, r in con.execute(
                "SELECT currency, year, rate FROM fx_rates WHERE rate IS NOT NULL"
            ).fetchall()
        ],
    )


def load(con: duckdb.DuckDBPyConnection, currency: str) -> Participants:
    """``build(fetch(con, currency))``."""
    return build(fetch(con, currency))


def build(inputs: Inputs) -> Participants:
    """Arrays equal to the rows of this SQL, and of ``pa`` = its distinct (project, actor) pairs::

        SELECT r.project_id, r.actor_id, coalesce(a.helix, 'unknown') AS helix, m.start_year AS year,
               CASE WHEN r.amount IS NOT NULL AND (r.currency = $rc OR r.currency IS NULL AND m.budget_currency = $rc)
                         THEN r.amount
                    WHEN r.amount IS NOT NULL AND fx_rates.rate IS NOT NULL THEN r.amount * fx_rates.rate
                    WHEN r.amount IS NULL AND r.share IS NOT NULL THEN m.budget * r.share END AS money
        FROM participations r JOIN money m ON m.id = r.project_id
        LEFT JOIN actors a ON a.id = r.actor_id
        LEFT JOIN fx_rates ON fx_rates.currency = r.currency AND fx_rates.year IS NOT DISTINCT FROM m.start_year
        WHERE r.is_funder = 0

    over the tables ``money`` and ``fx_rates`` that ``Engine.build_scope`` made. Pure arrays: no database.
    """
    project_ids, project_year, project_budget, budget_in_rc = _scope_money(inputs.money)
    arranged = arrange(project_ids, project_year, inputs.participations, inputs.actors)
    return price(arranged, project_budget, budget_in_rc, inputs.currency, inputs.rates)


def build_arranged(arranged: Arrangement, inputs: Inputs) -> Participants | None:
    """``build(inputs)`` from an ``Arrangement`` made beforehand of the same projects or more (the whole
    portfolio's, ``precomputed``): the arrangement is narrowed to the projects of ``inputs.money``
    (``restrict``) and only the money is computed. None where ``inputs.money`` holds a project the
    arrangement lacks, or one twice (``build`` is then needed)."""
    ids = ints(inputs.money.column("id"), 0)
    where = Positions(arranged.project_ids)(ids)
    if len(where) and (int(where.min()) < 0 or len(distinct_sorted(where)) != len(where)):
        return None
    if len(ids) != len(arranged.project_ids):
        arranged = restrict(arranged, where)
        where = Positions(arranged.project_ids)(ids)
    project_budget = np.empty(len(ids), dtype=np.float64)
    project_budget[where] = _floats(inputs.money.column("budget"))
    budget_in_rc = np.empty(len(ids), dtype=bool)
    budget_in_rc[where] = _bools(inputs.money.column("rc"))
    return price(arranged, project_budget, budget_in_rc, inputs.currency, inputs.rates)


def restrict(arranged: Arrangement, kept: np.ndarray) -> Arrangement:
    """The arrangement of the projects at the positions ``kept`` (distinct) of ``arranged.project_ids``:
    what ``arrange`` gives for those projects alone (their participations in the same order, the actors
    taking part in them as the nodes, the pairs by project then actor), from arrays, not from the rows.

    Only ``currencies`` may list more codes than ``arrange`` would (those of the other projects' money):
    the codes name the same currencies, so the money priced from it is the same.
    """
    project_count = len(arranged.project_ids)
    position = np.full(project_count, -1, dtype=np.int64)
    chosen = np.sort(kept)
    position[chosen] = np.arange(len(chosen), dtype=np.int64)
    project = position[arranged.project]
    rows_kept = project >= 0
    project = project[rows_kept]
    old_node = arranged.node[rows_kept]
    # the actors taking part in the kept projects, in id order (their old positions, sorted)
    nodes_kept = distinct_sorted(old_node)
    node_position = np.full(len(arranged.actor_ids), -1, dtype=np.int64)
    node_position[nodes_kept] = np.arange(len(nodes_kept), dtype=np.int64)
    pairs_kept = position[arranged.pair_project] >= 0
    return Arrangement(
        project_ids=arranged.project_ids[chosen],
        project_year=arranged.project_year[chosen],
        actor_ids=arranged.actor_ids[nodes_kept],
        project=project,
        node=node_position[old_node],
        amount=arranged.amount[rows_kept],
        share=arranged.share[rows_kept],
        currency_code=arranged.currency_code[rows_kept],
        currencies=list(arranged.currencies),
        helix_names=list(arranged.helix_names),
        node_helix=arranged.node_helix[nodes_kept],
        node_helix_raw=arranged.node_helix_raw[nodes_kept],
        raw_helix_names=list(arranged.raw_helix_names),
        # both maps keep the order: the pairs stay sorted by project, then actor
        pair_project=position[arranged.pair_project[pairs_kept]],
        pair_node=node_position[arranged.pair_node[pairs_kept]],
    )


def _scope_money(money: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The scope's project ids (sorted), start years, budgets and whether each budget is in the reporting
    currency, from the rows of ``money`` (one per project)."""
    project_ids = ints(money.column("id"), 0)
    project_year = ints(money.column("start_year"), NO_YEAR)
    project_budget = _floats(money.column("budget"))
    budget_in_rc = _bools(money.column("rc"))
    if len(project_ids) > 1 and not bool(np.all(project_ids[1:] > project_ids[:-1])):
        order = np.argsort(project_ids, kind="stable")
        project_ids, project_year = project_ids[order], project_year[order]
        project_budget, budget_in_rc = project_budget[order], budget_in_rc[order]
        if bool(np.any(project_ids[1:] == project_ids[:-1])):
            raise ValueError("money must hold one row per project")
    return project_ids, project_year, project_budget, budget_in_rc


def arrange(
    project_ids: np.ndarray, project_year: np.ndarray, parts: pa.Table, actors: pa.Table
) -> Arrangement:
    """The non-funder participations (columns ``PARTICIPATION_COLUMNS``, with ``is_funder`` where the
    funder rows are still there) of the projects ``project_ids`` (sorted, distinct) as positions, their
    actors (columns id, helix) as network nodes, and the distinct (project, actor) pairs."""
    project = Positions(project_ids)(ints(parts.column("project_id"), -1))
    kept = project >= 0
    if "is_funder" in parts.column_names:
        kept &= ints(parts.column("is_funder"), 0) == 0
    if not bool(kept.all()):
        parts = parts.filter(pa.array(kept))
        project = project[kept]
    actor = ints(parts.column("actor_id"), -1)
    amount = _floats(parts.column("amount"))
    share = _floats(parts.column("share"))
    currency_code, currencies = _codes(parts.column("currency"))
    del parts

    # actors: network nodes in id order, their helix (raw and with NULL/missing → 'unknown')
    actor_ids = distinct_sorted(actor)
    node = Positions(actor_ids)(actor)
    known = Positions(actor_ids)(ints(actors.column("id"), -1))
    raw_code, raw_names = _codes(actors.column("helix"))
    inside = known >= 0
    node_helix_raw = np.full(len(actor_ids), -1, dtype=np.int64)
    node_helix_raw[known[inside]] = raw_code[inside]
    helix_names = sorted(set(raw_names) | {UNKNOWN})
    rename = np.asarray([helix_names.index(n) for n in raw_names] + [helix_names.index(UNKNOWN)])
    node_helix = rename[node_helix_raw]  # −1 (NULL or missing) takes the last entry: 'unknown'

    # distinct (project, actor) pairs, sorted by project then actor
    width = np.int64(max(len(actor_ids), 1))
    keys = distinct_sorted(project * width + node) if len(project) else np.zeros(0, dtype=np.int64)
    return Arrangement(
        project_ids=project_ids,
        project_year=project_year,
        actor_ids=actor_ids,
        project=project,
        node=node,
        amount=amount,
        share=share,
        currency_code=currency_code,
        currencies=currencies,
        helix_names=helix_names,
        node_helix=node_helix,
        node_helix_raw=node_helix_raw,
        raw_helix_names=raw_names,
        pair_project=keys // width,
        pair_node=keys % width,
    )


def price(
    arranged: Arrangement,
    project_budget: np.ndarray,
    budget_in_rc: np.ndarray,
    currency: str,
    rates: list[tuple[str, int | None, float]],
) -> Participants:
    """The money of each participation of ``arranged`` (whose projects have these budgets, in the
    reporting currency ``currency`` or not) converted with ``rates`` (``fx_rates``): the stated amount
    in the reporting currency, else converted, else share × budget."""
    project, amount, code = arranged.project, arranged.amount, arranged.currency_code
    year = arranged.project_year[project]
    rate = _rates(rates, code, arranged.currencies, year)
    rc_code = arranged.currencies.index(currency) if currency in arranged.currencies else -2
    stated = ~np.isnan(amount)
    in_rc = (code == rc_code) | ((code == -1) & budget_in_rc[project])
    converted = np.where(stated & in_rc, amount, amount * rate)
    shared = project_budget[project] * arranged.share
    value = np.where(stated, converted, shared)  # NaN where neither applies
    fields = {name: getattr(arranged, name) for name in Arrangement.__dataclass_fields__}
    return Participants(
        **fields, project_budget=project_budget, money=value, helix=arranged.node_helix[arranged.node]
    )


def _rates(
    rates: list[tuple[str, int | None, float]], code: np.ndarray, currencies: list[str], year: np.ndarray
) -> np.ndarray:
    """``fx_rates.rate`` for each (currency code, year): ``fx_rates.currency = r.currency AND fx_rates.year IS NOT DISTINCT FROM year``."""
    rate = np.full(len(code), np.nan)
    if not currencies or len(code) == 0:
        return rate
    index = {name: i for i, name in enumerate(currencies)}
    found: dict[tuple[int, int], float] = {}
    for cur, yr, value in rates:
        if cur in index:
            found[(index[cur], NO_YEAR if yr is None else yr)] = value
    if not found:
        return rate
    dated = year != NO_YEAR
    low = int(year[dated].min()) if dated.any() else 0
    high = int(year[dated].max()) if dated.any() else 0
    width = high - low + 2  # the last slot: no year
    if width * len(currencies) > 50_000_000:  # absurd year ranges: look the pairs up one by one
        pairs = np.stack([code, year], axis=1)
        unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
        values = np.asarray([found.get((int(c), int(y)), np.nan) for c, y in unique])
        out: np.ndarray = values[inverse.ravel()]
        return out
    table = np.full(len(currencies) * width, np.nan)
    for (c, y), value in found.items():
        if y == NO_YEAR:
            table[c * width + width - 1] = value
        elif low <= y <= high:
            table[c * width + (y - low)] = value
    slot = np.where(dated, year - low, width - 1)
    known = code >= 0
    rate[known] = table[code[known] * width + slot[known]]
    return rate


# --- helix -----------------------------------------------------------------------------------------


def helix_rows(p: Participants) -> tuple[list[dict[str, Any]], int, int]:
    """Rows per helix (participations, actors, projects, money, with_money) and (multi, known) projects.

    The SQL it replaces::

        WITH p AS (SELECT helix, count(*) AS participations, sum(money) AS money, count(money) AS with_money
                   FROM part GROUP BY 1),
             a AS (SELECT coalesce(a.helix, 'unknown') AS helix, count(*) AS actors
                   FROM (SELECT DISTINCT actor_id FROM pa) d LEFT JOIN actors a ON a.id = d.actor_id GROUP BY 1),
             j AS (SELECT helix, count(*) AS projects FROM (SELECT DISTINCT project_id, helix FROM part) GROUP BY 1)
        SELECT p.helix, p.participations, coalesce(a.actors, 0) AS actors, j.projects, p.money, p.with_money
        FROM p LEFT JOIN a USING (helix) LEFT JOIN j USING (helix)
        ORDER BY p.participations DESC, p.helix

    and ``multi`` / ``known``: projects with more than one / at least one helix other than 'unknown'.
    """
    h = len(p.helix_names)
    priced = ~np.isnan(p.money)
    participations = np.bincount(p.helix, minlength=h)
    money = np.bincount(p.helix, weights=np.where(priced, p.money, 0.0), minlength=h)
    with_money = np.bincount(p.helix[priced], minlength=h)
    actors = np.bincount(p.node_helix, minlength=h)
    project_helix = distinct_sorted(p.project * h + p.helix)
    projects = np.bincount(project_helix % h, minlength=h)
    unknown = p.helix_names.index(UNKNOWN)
    known_pairs = project_helix[project_helix % h != unknown] // h
    per_project = np.bincount(known_pairs) if len(known_pairs) else np.zeros(0, dtype=np.int64)
    multi, known = int((per_project > 1).sum()), int((per_project > 0).sum())
    found: list[dict[str, Any]] = [
        {
            "helix": name,
            "participations": int(participations[i]),
            "actors": int(actors[i]),
            "projects": int(projects[i]),
            "money": float(money[i]) if with_money[i] else None,
            "with_money": int(with_money[i]),
        }
        for i, name in enumerate(p.helix_names)
        if participations[i]
    ]
    found.sort(key=lambda r: (-r["participations"], r["helix"]))
    return found, multi, known


# --- money received --------------------------------------------------------------------------------


def received(p: Participants) -> tuple[np.ndarray, np.ndarray]:
    """Money received per network node, and whether any of it is known (else SQL's NULL).

    The SQL it replaces::

        WITH k AS (SELECT project_id, count(*) AS n, count(money) AS priced FROM part GROUP BY 1)
        SELECT p.actor_id, sum(coalesce(p.money, CASE WHEN k.priced = 0 THEN m.budget / k.n END)) AS money
        FROM part p JOIN k USING (project_id) JOIN money m ON m.id = p.project_id GROUP BY 1
    """
    projects = len(p.project_ids)
    priced = ~np.isnan(p.money)
    n = np.bincount(p.project, minlength=projects)
    priced_n = np.bincount(p.project[priced], minlength=projects)
    with np.errstate(divide="ignore", invalid="ignore"):
        even = np.where(priced_n == 0, p.project_budget / np.maximum(n, 1), np.nan)
    term = np.where(priced, p.money, even[p.project])
    known = ~np.isnan(term)
    nodes = len(p.actor_ids)
    total = np.bincount(p.node, weights=np.where(known, term, 0.0), minlength=nodes)
    has = np.bincount(p.node[known], minlength=nodes) > 0
    return total, has


# --- funders per actor -----------------------------------------------------------------------------


def actor_funders(
    p: Arrangement, funder_project: np.ndarray, funder_code: np.ndarray, funders: int
) -> np.ndarray:
    """``af``: (node, funder code, projects) rows, sorted by node then code, as an (n, 3) array.

    ``funder_project`` / ``funder_code``: the rows of ``project_funders`` (project id, funder code). The SQL it
    replaces: ``SELECT pa.actor_id, c.code, count(*) AS n FROM pa JOIN project_funders USING (project_id) JOIN
    funder_codes c USING (funder) GROUP BY 1, 2``.
    """
    if len(funder_project) == 0 or len(p.pair_project) == 0 or funders == 0:
        return np.zeros((0, 3), dtype=np.int64)
    position = Positions(p.project_ids)(funder_project)
    inside = position >= 0
    position, code = position[inside], funder_code[inside]
    order = np.argsort(position, kind="stable")
    position, code = position[order], code[order]
    count = np.bincount(position, minlength=len(p.project_ids))
    first = np.cumsum(count) - count
    width = np.int64(funders)
    # each (project, actor) pair with its project's first funder, then with the others (where there
    # are several): most projects have one
    per_pair = count[p.pair_project]
    funded = np.flatnonzero(per_pair)
    keys = [p.pair_node[funded] * width + code[first[p.pair_project[funded]]]]
    more = np.flatnonzero(per_pair > 1)
    if len(more):
        repeats = per_pair[more] - 1
        rows_ = np.repeat(more, repeats)
        offsets = np.cumsum(repeats) - repeats
        rank = 1 + np.arange(len(rows_), dtype=np.int64) - np.repeat(offsets, repeats)
        keys.append(p.pair_node[rows_] * width + code[first[p.pair_project[rows_]] + rank])
    unique, n = count_distinct(np.concatenate(keys) if len(keys) > 1 else keys[0])
    return np.stack([unique // width, unique % width, n], axis=1).astype(np.int64)


def count_distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct non-negative int64 values in order and how often each occurs (``np.unique`` with counts).

    A ``bincount`` where the values span a range not much larger than their number, else a sort.
    """
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    high = int(values.max())
    if high < 4 * len(values) + 1_000_000:
        counts = np.bincount(values, minlength=high + 1)
        present = np.flatnonzero(counts)
        return present.astype(np.int64), counts[present].astype(np.int64)
    ordered = np.sort(values)
    starts = group_starts(ordered)
    return ordered[starts], np.diff(np.r_[starts, len(ordered)]).astype(np.int64)


def main_funder(af: np.ndarray, nodes: int, funders: int) -> np.ndarray:
    """Each node's main funder code: most projects, ties to the lowest code (first by name); −1 for none."""
    main = np.full(nodes, -1, dtype=np.int64)
    if len(af) == 0:
        return main
    score = af[:, 2] * funders + (funders - 1 - af[:, 1])
    starts = group_starts(af[:, 0])
    best = np.maximum.reduceat(score, starts)
    main[af[starts, 0]] = funders - 1 - best % funders
    return main


# --- co-participation pairs ------------------------------------------------------------------------


def pair_keys(p: Arrangement, node_bits: int, year_bits: int) -> np.ndarray:
    """One packed key per (actor, actor, shared project): node u, node v (u < v), the project's year.

    The self-join ``pa a JOIN pa b ON a.project_id = b.project_id AND a.node < b.node`` done by
    enumerating, within each project's run of ``pa`` (sorted by project then node), every later member.
    Years are clamped into ``year_bits`` bits, the all-ones value meaning no year.
    """
    members = len(p.pair_project)
    if members < 2:
        return np.zeros(0, dtype=np.uint64)
    starts = group_starts(p.pair_project)
    ends = np.repeat(np.r_[starts[1:], members], np.diff(np.r_[starts, members]))
    index = np.arange(members, dtype=np.int64)
    later = ends - index - 1  # members after this one in its project
    total = int(later.sum())
    if total == 0:
        return np.zeros(0, dtype=np.uint64)
    no_year = (1 << year_bits) - 1
    year = p.pair_year
    code = np.where(year == NO_YEAR, no_year, np.clip(year, 0, no_year - 1)).astype(np.uint64)
    node = p.pair_node.astype(np.uint64)
    high = (node << np.uint64(node_bits + year_bits)) | code  # the first member and the year
    low = node << np.uint64(year_bits)  # the second member
    # pair k of member i pairs it with member i + 1 + (k − first pair of i): k − (offset_i − i − 1)
    base = np.cumsum(later) - later - index - 1
    keys = np.repeat(high, later)
    keys |= low[np.arange(total, dtype=np.int64) - np.repeat(base, later)]
    return keys
