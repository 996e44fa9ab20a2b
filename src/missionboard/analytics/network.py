"""Coordination and silos: the actor collaboration network, the funder network, brokers, dynamics.

Edges are built in DuckDB (actors sharing a project; funders sharing a project or an actor); sizes,
components and modularity are computed over whole edge lists with DuckDB and SciPy, so they scale to
millions of edges. Betweenness (for brokers) is computed on the most connected actors only — exactly
when that subgraph is small, else approximately from ``samples`` random sources (Brandes–Pich); the
result says which. It is Brandes' algorithm in NumPy over a dense adjacency matrix, all sources at
once, drawing the same sources and giving the same values as ``networkx.betweenness_centrality``
(the tests hold it to networkx). The small funder network still uses networkx.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import duckdb
import networkx as nx
import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from missionboard.analytics.engine import one, rows
from missionboard.analytics.result import figure, table
from missionboard.domain import metrics

NO_FUNDER = "(no funder)"


@dataclass
class ActorGraph:
    """The collaboration network as arrays: node ids, edge endpoints (indices), weights, first year."""

    nodes: np.ndarray
    u: np.ndarray
    v: np.ndarray
    w: np.ndarray
    first_year: np.ndarray
    community: np.ndarray
    community_names: list[str]
    helix: np.ndarray


PACK_NODE_BITS = 24
PACK_YEAR_BITS = 16
NO_YEAR = (1 << PACK_YEAR_BITS) - 1


def _funder_codes(con: duckdb.DuckDBPyConnection) -> None:
    """Table fcode: each funder of ``pf`` with a code 0…F−1 in name order."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE fcode AS "
        "SELECT funder, (row_number() OVER (ORDER BY funder) - 1)::BIGINT AS code FROM (SELECT DISTINCT funder FROM pf)"
    )


def _build_graph(con: duckdb.DuckDBPyConnection) -> ActorGraph:
    """Actor pairs sharing a project, as arrays indexed by the position of each actor in sorted id order.

    The self-join runs in DuckDB; each joined row is packed into one unsigned 64-bit integer
    (node u: 24 bits, node v: 24 bits, start year: 16 bits) and the pairs are counted with one NumPy
    sort — about five times faster than a hash aggregate over millions of nearly unique pairs. Sorting
    puts each pair's earliest year first, which is the year the pair first collaborated.
    """
    _funder_codes(con)
    funders = int(con.execute("SELECT count(*) FROM fcode").fetchone()[0])  # type: ignore[index]
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE af AS
        SELECT pa.actor_id, c.code, count(*) AS n FROM pa JOIN pf USING (project_id) JOIN fcode c USING (funder)
        GROUP BY 1, 2
        """
    )
    # each actor's main funder: most projects, ties to the first funder by name (the lowest code) —
    # one integer key per (actor, funder), n·F + (F − 1 − code), so that a plain max picks it
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE node AS
        WITH main AS (SELECT actor_id, $f - 1 - max(n * $f + ($f - 1 - code)) % $f AS code FROM af GROUP BY 1),
             n AS (SELECT DISTINCT actor_id FROM pa)
        SELECT n.actor_id, (row_number() OVER (ORDER BY n.actor_id) - 1)::BIGINT AS ix,
               coalesce(c.funder, $none) AS community, a.helix
        FROM n LEFT JOIN main ON main.actor_id = n.actor_id LEFT JOIN fcode c ON c.code = main.code
        LEFT JOIN actors a ON a.id = n.actor_id
        """,
        {"none": NO_FUNDER, "f": max(funders, 1)},
    )
    nodes = con.execute(
        """
        SELECT actor_id, (dense_rank() OVER (ORDER BY community) - 1)::BIGINT AS community,
               CASE WHEN helix IS NULL THEN -1 ELSE dense_rank() OVER (ORDER BY helix) END::BIGINT AS helix
        FROM node ORDER BY ix
        """
    ).fetchnumpy()
    names = [r["community"] for r in rows(con, "SELECT DISTINCT community FROM node ORDER BY 1")]
    node_ids = np.asarray(nodes["actor_id"], dtype=np.int64)
    graph = ActorGraph(
        nodes=node_ids,
        u=np.zeros(0, dtype=np.int64),
        v=np.zeros(0, dtype=np.int64),
        w=np.zeros(0, dtype=np.float64),
        first_year=np.zeros(0, dtype=np.int64),
        community=np.asarray(nodes["community"], dtype=np.int64),
        community_names=[str(x) for x in names],
        helix=np.asarray(nodes["helix"], dtype=np.int64),
    )
    if len(node_ids) == 0:
        return graph
    if len(node_ids) >= 1 << PACK_NODE_BITS:
        raise ValueError(f"more than {1 << PACK_NODE_BITS:,} actors: too many for the packed pair keys")
    packed = con.execute(
        """
        WITH p AS (SELECT pa.project_id, node.ix, pa.year FROM pa JOIN node USING (actor_id))
        SELECT (a.ix::UBIGINT << 40) | (b.ix::UBIGINT << 16)
               | (CASE WHEN a.year IS NULL THEN $noyear ELSE least(greatest(a.year, 0), $noyear - 1) END)::UBIGINT
               AS key
        FROM p a JOIN p b ON a.project_id = b.project_id AND a.ix < b.ix
        """,
        {"noyear": NO_YEAR},
    ).fetchnumpy()["key"]
    keys = np.asarray(packed, dtype=np.uint64)
    keys = keys if keys.flags.writeable else keys.copy()
    keys.sort()  # in place: no second copy of millions of keys
    if len(keys) == 0:
        return graph
    pair = keys >> np.uint64(PACK_YEAR_BITS)
    starts = np.r_[0, np.flatnonzero(pair[1:] != pair[:-1]) + 1]
    first = pair[starts]
    year = (keys[starts] & np.uint64(NO_YEAR)).astype(np.int64)
    graph.u = (first >> np.uint64(PACK_NODE_BITS)).astype(np.int64)
    graph.v = (first & np.uint64((1 << PACK_NODE_BITS) - 1)).astype(np.int64)
    graph.w = np.diff(np.r_[starts, len(keys)]).astype(np.float64)
    graph.first_year = np.where(year == NO_YEAR, -1, year)
    return graph


def components(graph: ActorGraph) -> tuple[int, int]:
    """Number of connected components and the size of the largest (SciPy, on the whole graph)."""
    n = len(graph.nodes)
    if n == 0:
        return 0, 0
    matrix = coo_matrix((np.ones(len(graph.u), dtype=np.int8), (graph.u, graph.v)), shape=(n, n)).tocsr()
    count, labels = connected_components(matrix, directed=False)
    return int(count), int(np.bincount(labels).max())


def modularity(
    u: np.ndarray, v: np.ndarray, w: np.ndarray, community: np.ndarray
) -> tuple[float | None, float | None]:
    """Newman's modularity Q = Σ_c L_c/m − Σ_c (D_c/2m)² and the share of edge weight inside groups.

    The array form of ``domain.metrics.modularity`` (which the tests hold it to), for millions of edges.
    """
    m = float(w.sum())
    if m <= 0:
        return None, None
    cu, cv = community[u], community[v]
    inside = float(w[cu == cv].sum())
    groups = int(community.max()) + 1 if len(community) else 0
    degree = np.bincount(cu, weights=w, minlength=groups) + np.bincount(cv, weights=w, minlength=groups)
    return inside / m - float(((degree / (2.0 * m)) ** 2).sum()), inside / m


def actor_network(
    con: duckdb.DuckDBPyConnection, *, broker_nodes: int = 300, broker_samples: int = 48, seed: int = 42
) -> tuple[dict[str, Any], ActorGraph]:
    """Size, density, components, silo index and brokers of the actor collaboration network."""
    graph = _build_graph(con)
    nodes, edges = len(graph.nodes), len(graph.u)
    count, largest = components(graph)
    q, within = modularity(graph.u, graph.v, graph.w, graph.community)
    brokers, how = _brokers(con, graph, broker_nodes=broker_nodes, samples=broker_samples, seed=seed)
    basis = "actors taking part (not as funder) in projects in scope; linked when they share a project"
    section = {
        "nodes": figure(nodes, "actors", basis),
        "edges": figure(edges, "actor pairs", basis + "; one edge per pair, weight = shared projects"),
        "density": figure(metrics.density(nodes, edges), "fraction of possible pairs", basis),
        "components": figure(count, "connected components", basis),
        "largest_component_share": figure(
            largest / nodes if nodes else None,
            "fraction of actors",
            "actors in the largest connected component",
        ),
        "silo_index": figure(
            q,
            "modularity Q (−0.5–1; >0.3 = strong silos)",
            "Newman modularity of the collaboration network partitioned by each actor's main funder "
            "(the funder of most of its projects), edges weighted by shared projects",
        ),
        "within_funder_edge_share": figure(
            within,
            "fraction of edge weight",
            "collaborations between actors with the same main funder",
        ),
        "funder_groups": figure(
            len(set(graph.community.tolist())),
            "groups",
            "main funders in the partition (incl. '(no funder)')",
        ),
        "brokers": table(
            brokers,
            {
                "betweenness": "normalised betweenness centrality (0–1)",
                "degree": "collaborators",
                "funders": "distinct funders of the actor's projects",
            },
            how,
        ),
    }
    return section, graph


def betweenness(adjacency: np.ndarray, k: int | None = None, *, seed: int = 42) -> np.ndarray:
    """Normalised betweenness of an unweighted undirected graph given as a dense 0/1 adjacency matrix.

    Brandes' algorithm run from all sources at once (one matrix product per BFS level), so that a few
    hundred nodes take milliseconds. With ``k`` it is estimated from ``k`` sources drawn exactly as
    ``networkx.betweenness_centrality(G, k=k, seed=seed)`` draws them (for a graph whose nodes were
    added in matrix order) and rescaled the same way; the tests hold it to networkx.
    """
    n = adjacency.shape[0]
    if k is not None and k == n:
        k = None
    sources = (
        np.arange(n) if k is None else np.asarray(random.Random(seed).sample(range(n), k), dtype=np.int64)
    )
    s = len(sources)
    if n == 0 or s == 0:
        return np.zeros(n)
    rows_ = np.arange(s)
    reached = np.zeros((s, n), dtype=bool)
    sigma = np.zeros((s, n))
    frontier = np.zeros((s, n), dtype=bool)
    reached[rows_, sources] = True
    sigma[rows_, sources] = 1.0
    frontier[rows_, sources] = True
    levels = [frontier]
    while True:
        paths = (sigma * frontier) @ adjacency  # shortest paths into each node through the frontier
        frontier = (paths > 0) & ~reached
        if not frontier.any():
            break
        reached |= frontier
        sigma[frontier] = paths[frontier]
        levels.append(frontier)
    delta = np.zeros((s, n))
    safe_sigma = np.where(sigma > 0, sigma, 1.0)
    for d in range(len(levels) - 1, 0, -1):
        coeff = np.where(levels[d], (1.0 + delta) / safe_sigma, 0.0)
        delta += np.where(levels[d - 1], sigma * (coeff @ adjacency), 0.0)
    delta[rows_, sources] = 0.0
    values: np.ndarray = delta.sum(axis=0)
    big_n = n - 1  # endpoints excluded
    if big_n < 2:
        return values
    if k is None:
        scaled: np.ndarray = values * (1 / (big_n * (big_n - 1)))
        return scaled
    source_scale = 1 / ((k - 1) * (big_n - 1)) if k > 1 else math.nan
    scale = np.full(n, 1 / (k * (big_n - 1)))
    scale[sources] = source_scale
    sampled: np.ndarray = values * scale
    return sampled


def _brokers(
    con: duckdb.DuckDBPyConnection, graph: ActorGraph, *, broker_nodes: int, samples: int, seed: int
) -> tuple[list[dict[str, Any]], str]:
    n_all = len(graph.nodes)
    if n_all == 0:
        return [], "no actors"
    strength = np.bincount(graph.u, weights=graph.w, minlength=n_all) + np.bincount(
        graph.v, weights=graph.w, minlength=n_all
    )
    top = np.lexsort((graph.nodes, -strength))[:broker_nodes]
    chosen = np.zeros(n_all, dtype=bool)
    chosen[top] = True
    keep = chosen[graph.u] & chosen[graph.v]
    # the subgraph of the chosen actors, as a dense adjacency matrix in the order of ``top``
    position = np.full(n_all, -1, dtype=np.int64)
    position[top] = np.arange(len(top))
    n = len(top)
    adjacency = np.zeros((n, n), dtype=np.float64)
    adjacency[position[graph.u[keep]], position[graph.v[keep]]] = 1.0
    adjacency = np.maximum(adjacency, adjacency.T)
    if n < 3:
        return [], "too few connected actors for betweenness"
    exact = n <= samples
    values = betweenness(adjacency, None if exact else samples, seed=seed)
    centrality = {int(top[i]): float(values[i]) for i in range(n)}
    degree_of = {int(top[i]): int(d) for i, d in enumerate(adjacency.sum(axis=1))}
    best = sorted(centrality.items(), key=lambda kv: (-kv[1], graph.nodes[kv[0]]))[:10]
    ids = [int(graph.nodes[i]) for i, _ in best]
    details = {
        r["actor_id"]: r
        for r in rows(
            con,
            """
            SELECT a.id AS actor_id, a.name, a.helix,
                   (SELECT count(*) FROM af WHERE af.actor_id = a.id) AS funders
            FROM actors a WHERE a.id IN (SELECT unnest($ids))
            """,
            {"ids": ids},
        )
    }
    out = []
    for index, value in best:
        actor = int(graph.nodes[index])
        found = details.get(actor, {})
        out.append(
            {
                "actor_id": actor,
                "name": found.get("name"),
                "helix": found.get("helix"),
                "main_funder": graph.community_names[graph.community[index]],
                "funders": found.get("funders"),
                "degree": degree_of[index],
                "betweenness": value,
            }
        )
    scope = (
        "the whole actor network"
        if n >= n_all
        else f"the {n:,} most connected actors (by shared projects) of {n_all:,}"
    )
    how = (
        f"exact betweenness on {scope}"
        if exact
        else f"approximate betweenness from {samples} sampled sources (seed {seed}) on {scope}"
    )
    return out, how


def _incidence(con: duckdb.DuckDBPyConnection, sql: str, funders: int) -> csr_matrix:
    """A binary (row entity × funder) matrix from a query returning (row, code)."""
    found = con.execute(sql).fetchnumpy()
    rows_ = np.asarray(found["row"], dtype=np.int64)
    if len(rows_) == 0:
        return csr_matrix((0, funders))
    _, index = np.unique(rows_, return_inverse=True)
    matrix = coo_matrix(
        (np.ones(len(index)), (index, np.asarray(found["code"], dtype=np.int64))),
        shape=(int(index.max()) + 1, funders),
    ).tocsr()
    matrix.data[:] = 1.0
    return matrix


def funder_network(con: duckdb.DuckDBPyConnection, *, samples: int = 48, seed: int = 42) -> dict[str, Any]:
    """Funders linked by co-funded projects or shared actors; multi-funder share of projects.

    Co-funding and sharing are sparse matrix products (projects × funders, actors × funders).
    """
    _funder_codes(con)
    funders = [r["funder"] for r in rows(con, "SELECT funder FROM fcode ORDER BY code")]
    f = len(funders)
    projects = _incidence(con, "SELECT pf.project_id AS row, c.code FROM pf JOIN fcode c USING (funder)", f)
    actors = _incidence(con, "SELECT actor_id AS row, code FROM af", f)
    cofunded = (projects.T @ projects).tocoo()
    shared = (actors.T @ actors).tocoo()
    pairs: dict[tuple[int, int], list[int]] = {}
    for matrix, slot in ((cofunded, 0), (shared, 1)):
        for i, j, value in zip(matrix.row, matrix.col, matrix.data, strict=True):
            if i < j:
                pairs.setdefault((int(i), int(j)), [0, 0])[slot] = int(value)
    edges = sorted(
        (
            {"u": funders[i], "v": funders[j], "cofunded_projects": c, "shared_actors": s}
            for (i, j), (c, s) in pairs.items()
        ),
        key=lambda e: (-e["shared_actors"], -e["cofunded_projects"], e["u"], e["v"]),
    )
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(funders)
    graph.add_edges_from((e["u"], e["v"]) for e in edges)
    n, m = graph.number_of_nodes(), graph.number_of_edges()
    exact = n <= max(samples, 500)
    centrality = (
        nx.betweenness_centrality(graph, k=None if exact else samples, seed=seed, normalized=True)
        if n > 2
        else {}
    )
    multi = one(
        con,
        """
        SELECT count(*) FILTER (WHERE k > 1) AS multi, count(*) AS funded
        FROM (SELECT project_id, count(*) AS k FROM pf GROUP BY 1)
        """,
    )
    per_actor = np.asarray(actors.sum(axis=1)).ravel()
    actor_counts = np.asarray(actors.sum(axis=0)).ravel()
    shared_counts = np.asarray(actors[per_actor > 1].sum(axis=0)).ravel() if actors.shape[0] else actor_counts
    project_counts = np.asarray(projects.sum(axis=0)).ravel()
    stats = []
    for code in np.argsort(-actor_counts, kind="stable")[:50]:
        name = funders[int(code)]
        count = int(actor_counts[code])
        stats.append(
            {
                "funder": name,
                "actors": count,
                "shared_actors": int(shared_counts[code]),
                "projects": int(project_counts[code]),
                "shared_actor_share": int(shared_counts[code]) / count if count else None,
                "partners": graph.degree(name),
                "betweenness": centrality.get(name),
            }
        )
    count_components = nx.number_connected_components(graph) if n else 0
    basis = "funders of projects in scope (project funder field and funder-role participants)"
    return {
        "nodes": figure(n, "funders", basis),
        "edges": figure(m, "funder pairs", basis + "; linked by a co-funded project or a shared actor"),
        "density": figure(metrics.density(n, m), "fraction of possible pairs", basis),
        "components": figure(count_components, "connected components", basis),
        "multi_funder_share": figure(
            (multi.get("multi") or 0) / multi["funded"] if multi.get("funded") else None,
            "fraction of projects",
            "projects with more than one funder, among projects with a known funder",
        ),
        "funders": table(
            stats,
            {
                "actors": "actors",
                "shared_actors": "actors also funded by another funder",
                "projects": "projects",
                "shared_actor_share": "fraction of the funder's actors",
                "partners": "funders linked",
                "betweenness": "normalised betweenness centrality (0–1)",
            },
            basis
            + " (top 50 by actors); betweenness "
            + ("exact" if exact else f"approximate from {samples} sampled sources"),
        ),
        "links": table(
            edges[:200],
            {"cofunded_projects": "projects", "shared_actors": "actors"},
            "funder pairs (top 200 by shared actors)",
        ),
    }


def _count_values(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_counts=True)`` for small non-negative integers (years), without a sort."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    counts = np.bincount(values)
    present = np.flatnonzero(counts)
    return present, counts[present]


def dynamics(con: duckdb.DuckDBPyConnection, graph: ActorGraph) -> dict[str, Any]:
    """Per start year: active and new actors (DuckDB), new collaborations and cross-sector pairs (arrays)."""
    actors_by_year = {
        r["year"]: r
        for r in rows(
            con,
            """
            WITH first_actor AS (SELECT actor_id, min(year) AS year FROM pa GROUP BY 1),
                 new_y AS (SELECT year, count(*) AS new_actors FROM first_actor WHERE year IS NOT NULL GROUP BY 1),
                 active_y AS (
                    SELECT year, count(DISTINCT actor_id) AS active_actors FROM pa WHERE year IS NOT NULL GROUP BY 1)
            SELECT coalesce(a.year, n.year) AS year, coalesce(active_actors, 0) AS active_actors,
                   coalesce(new_actors, 0) AS new_actors
            FROM active_y a FULL OUTER JOIN new_y n ON a.year = n.year
            """,
        )
    }
    dated = graph.first_year >= 0
    years, new_pairs = _count_values(graph.first_year[dated])
    hu, hv = graph.helix[graph.u], graph.helix[graph.v]
    cross = dated & (hu >= 0) & (hv >= 0) & (hu != hv)
    cross_years, cross_counts = _count_values(graph.first_year[cross])
    pairs_by_year = dict(zip(years.tolist(), new_pairs.tolist(), strict=True))
    cross_by_year = dict(zip(cross_years.tolist(), cross_counts.tolist(), strict=True))
    found = [
        {
            "year": year,
            "active_actors": actors_by_year.get(year, {}).get("active_actors", 0),
            "new_actors": actors_by_year.get(year, {}).get("new_actors", 0),
            "new_collaborations": pairs_by_year.get(year, 0),
            "new_cross_sector": cross_by_year.get(year, 0),
        }
        for year in sorted(set(actors_by_year) | set(pairs_by_year))
    ]
    return table(
        found,
        {
            "active_actors": "actors",
            "new_actors": "actors",
            "new_collaborations": "actor pairs",
            "new_cross_sector": "actor pairs of different helix types",
        },
        "by project start year, within the analysed projects: actors seen for the first time, actor pairs "
        "collaborating for the first time, and those of them that join different helix types",
    )
