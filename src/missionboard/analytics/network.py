"""Coordination and silos: the actor collaboration network, the funder network, brokers, dynamics.

Edges are built with NumPy from the participation arrays of ``participants`` (actors sharing a project)
and with SciPy sparse products (funders sharing a project or an actor); sizes, components (on the
actor–project graph) and modularity are computed over whole edge lists, so they scale to millions of
edges, and need no database: ``actor_arrays`` runs in a thread of its own. Betweenness (for brokers) is computed on the most connected actors only — exactly
when that subgraph is small, else approximately from ``samples`` random sources (Brandes–Pich); the
result says which. It is Brandes' algorithm in NumPy over a dense adjacency matrix, all sources at
once, drawing the same sources and giving the same values as ``networkx.betweenness_centrality``
(the tests hold it to networkx). The funder network's betweenness is the same function up to 500
funders (networkx beyond, where the dense matrix would not hold).
"""

from __future__ import annotations

import math
import random
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import duckdb
import numpy as np
import pyarrow as pa

from missionboard.analytics import participants
from missionboard.analytics.engine import rows
from missionboard.analytics.participants import Arrangement
from missionboard.analytics.result import figure, table
from missionboard.domain import metrics
from missionboard.store.arrow_arrays import numbers

if TYPE_CHECKING:  # imported where used: the whole portfolio's network is read, not computed
    import networkx as nx
    from scipy.sparse import csr_matrix

NO_FUNDER = "(no funder)"
BROKER_NODES = 300
"""Betweenness is computed on this many most connected actors."""
BROKER_SAMPLES = 48
"""Sources betweenness is estimated from, beyond that many nodes (exact below)."""
SEED = 42


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
    """Table funder_codes: each funder of ``project_funders`` with a code 0…F−1 in name order."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE funder_codes AS "
        "SELECT funder, (row_number() OVER (ORDER BY funder) - 1)::BIGINT AS code FROM (SELECT DISTINCT funder FROM project_funders)"
    )


@dataclass
class FundedProjects:
    """The funders of ``project_funders`` in name order, and its rows as (project id, funder code)."""

    names: list[str]
    project: np.ndarray
    code: np.ndarray


def funded_projects(con: duckdb.DuckDBPyConnection) -> FundedProjects:
    """Table ``funder_codes`` made, and ``project_funders`` read as codes, by project and funder."""
    _funder_codes(con)
    names = [str(r["funder"]) for r in rows(con, "SELECT funder FROM funder_codes ORDER BY code")]
    found = con.execute(
        "SELECT project_funders.project_id, c.code FROM project_funders JOIN funder_codes c USING (funder) "
        "ORDER BY project_funders.project_id, c.code"  # DuckDB's threads give rows in any order otherwise
    ).fetchnumpy()
    return FundedProjects(
        names=names,
        project=np.asarray(found["project_id"], dtype=np.int64),
        code=np.asarray(found["code"], dtype=np.int64),
    )


def _build_graph(con: duckdb.DuckDBPyConnection, people: Arrangement) -> tuple[ActorGraph, np.ndarray]:
    """``graph_arrays`` over the ``project_funders`` of ``con``, with ``af`` registered there (see ``register_af``)."""
    graph, af = graph_arrays(people, funded_projects(con))
    register_af(con, people, af)
    return graph, af


def register_af(con: duckdb.DuckDBPyConnection, people: Arrangement, af: np.ndarray) -> None:
    """Table ``af`` (actor id, funder code, projects) for the brokers and the funder network."""
    con.register(
        "af",
        # from buffers: pyarrow.table of NumPy arrays imports pandas (store.arrow_arrays)
        pa.table(
            {
                "actor_id": numbers(people.actor_ids[af[:, 0]]),
                "code": numbers(af[:, 1]),
                "n": numbers(af[:, 2]),
            }
        ),
    )


def _communities(people: Arrangement, funded: FundedProjects) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``af`` (node, funder code, projects), each node's community (main funder) and the community names.

    An actor's main funder is the funder of most of its projects, ties to the first funder by name
    (the lowest code); '(no funder)' where none. Communities are numbered in name order.
    """
    names = funded.names
    funders = len(names)
    af = participants.actor_funders(people, funded.project, funded.code, funders)
    main = participants.main_funder(af, len(people.actor_ids), max(funders, 1))
    main[main < 0] = funders  # the last label: NO_FUNDER
    labels = [*names, NO_FUNDER]
    used = np.flatnonzero(np.bincount(main, minlength=funders + 1))
    community_names = sorted(labels[int(code)] for code in used)
    rank = {name: i for i, name in enumerate(community_names)}
    by_code = np.asarray([rank.get(name, -1) for name in labels], dtype=np.int64)
    return af, by_code[main], community_names


def graph_arrays(
    people: Arrangement, funded: FundedProjects, pool: Executor | None = None
) -> tuple[ActorGraph, np.ndarray]:
    """Actor pairs sharing a project, as arrays indexed by the position of each actor in sorted id order.

    Pairs are enumerated from the distinct (project, actor) pairs (``participants.pair_keys``); each is
    packed into one unsigned 64-bit integer (node u: 24 bits, node v: 24 bits, start year: 16 bits) and
    the pairs are counted with one NumPy sort. Sorting puts each pair's earliest year first, which is the
    year the pair first collaborated. Also returns ``af`` (node, funder code, projects). Arrays only:
    it may run in a thread of its own; with a ``pool``, the communities are found there meanwhile.
    """
    found = pool.submit(_communities, people, funded) if pool is not None else None
    # helix types as ranks of the actor's own helix field (NULL or unknown actor: −1)
    raw = people.raw_helix_names
    order = {name: i for i, name in enumerate(sorted(raw))}
    helix_rank = np.asarray([order[name] for name in raw] + [-1], dtype=np.int64)
    node_ids = people.actor_ids
    graph = ActorGraph(
        nodes=node_ids,
        u=np.zeros(0, dtype=np.int64),
        v=np.zeros(0, dtype=np.int64),
        w=np.zeros(0, dtype=np.float64),
        first_year=np.zeros(0, dtype=np.int64),
        community=np.zeros(0, dtype=np.int64),
        community_names=[],
        helix=helix_rank[people.node_helix_raw],
    )
    if 0 < len(node_ids) < 1 << PACK_NODE_BITS:
        _pairs(graph, people)
    af, graph.community, graph.community_names = (
        found.result() if found is not None else _communities(people, funded)
    )
    if len(node_ids) >= 1 << PACK_NODE_BITS:
        raise ValueError(f"more than {1 << PACK_NODE_BITS:,} actors: too many for the packed pair keys")
    return graph, af


def _pairs(graph: ActorGraph, people: Arrangement) -> None:
    """Fill the edges of ``graph``: u < v, weight = shared projects, first year (−1: none)."""
    keys = participants.pair_keys(people, PACK_NODE_BITS, PACK_YEAR_BITS)
    if len(keys) == 0:
        return
    keys.sort()  # in place: no second copy of millions of keys
    pair = keys >> np.uint64(PACK_YEAR_BITS)
    starts = participants.group_starts(pair)
    first = pair[starts]
    del pair
    # (the packed fields are far below 2⁶³: int64 views of them are exact, and copy nothing)
    year = (keys[starts] & np.uint64(NO_YEAR)).view(np.int64)
    graph.w = np.diff(np.r_[starts, len(keys)]).astype(np.float64)
    del keys
    graph.u = (first >> np.uint64(PACK_NODE_BITS)).view(np.int64)
    graph.v = (first & np.uint64((1 << PACK_NODE_BITS) - 1)).view(np.int64)
    year[year == NO_YEAR] = -1
    graph.first_year = year


def components(people: Arrangement) -> tuple[int, int]:
    """Number of connected components of the actor network and the size of the largest.

    Computed on the bipartite actor–project graph (fewer edges than the actor pairs): two actors are
    connected through shared projects exactly when they are in the same bipartite component, and every
    project there has at least one actor.
    """
    n = len(people.actor_ids)
    if n == 0:
        return 0, 0
    projects = len(people.project_ids)
    # rows n… are the projects, each listing its actors (``pa`` is sorted by project): built in place
    # (float64 data and int32 indices: what SciPy's graph routines convert to anyway)
    edges = len(people.pair_node)
    index = np.int32 if n + projects < 2**31 and edges < 2**31 else np.int64
    per_project = np.bincount(people.pair_project, minlength=projects)
    indptr = np.zeros(n + projects + 1, dtype=index)
    np.cumsum(per_project, out=indptr[n + 1 :])
    # SciPy takes 0.2-0.3 s to import (measured): only where matrices are built
    from scipy.sparse import csr_matrix

    matrix = csr_matrix(
        (np.ones(edges), people.pair_node.astype(index), indptr), shape=(n + projects, n + projects)
    )
    from scipy.sparse.csgraph import connected_components  # 0.2 s to import: only where computed

    _, labels = connected_components(matrix, directed=False)
    actor_labels = labels[:n]
    sizes = np.bincount(actor_labels)
    return int((sizes > 0).sum()), int(sizes.max())


def modularity(
    u: np.ndarray, v: np.ndarray, w: np.ndarray, community: np.ndarray
) -> tuple[float | None, float | None]:
    """Newman's modularity Q = Σ_c L_c/m − Σ_c (D_c/2m)² and the share of edge weight inside groups.

    The array form of ``domain.metrics.modularity`` (which the tests hold it to), for millions of edges.
    """
    m = float(w.sum())
    if m <= 0:
        return None, None
    groups = int(community.max()) + 1 if len(community) else 0
    if 0 < groups < 2**31:
        community = community.astype(np.int32)  # narrower gathers over millions of edges
    cu, cv = community[u], community[v]
    inside = float(w[cu == cv].sum())
    degree = np.bincount(cu, weights=w, minlength=groups) + np.bincount(cv, weights=w, minlength=groups)
    return inside / m - float(((degree / (2.0 * m)) ** 2).sum()), inside / m


@dataclass
class ActorArrays:
    """The collaboration network's arrays and whole-graph figures (``actor_arrays``)."""

    graph: ActorGraph
    af: np.ndarray
    components: tuple[int, int]
    modularity: tuple[float | None, float | None]
    dynamics: dict[str, Any]


def actor_arrays(people: Arrangement, funded: FundedProjects, pool: Executor | None = None) -> ActorArrays:
    """Everything about the actor network that needs no database: may run in a thread of its own.

    With a ``pool``, the components are computed there, alongside the pairs.
    """
    found = pool.submit(components, people) if pool is not None else None
    graph, af = graph_arrays(people, funded, pool)
    return ActorArrays(
        graph=graph,
        af=af,
        components=found.result() if found is not None else components(people),
        modularity=modularity(graph.u, graph.v, graph.w, graph.community),
        dynamics=dynamics(people, graph),
    )


def actor_network(
    con: duckdb.DuckDBPyConnection,
    people: Arrangement,
    arrays: ActorArrays | None = None,
    *,
    broker_nodes: int = BROKER_NODES,
    broker_samples: int = BROKER_SAMPLES,
    seed: int = SEED,
) -> tuple[dict[str, Any], ActorArrays]:
    """Size, density, components, silo index and brokers of the actor collaboration network.

    ``arrays`` (computed beforehand by ``actor_arrays``), else computed here. Returns them too: ``af``
    for ``funder_network`` and the per-year ``dynamics``.
    """
    if arrays is None:
        arrays = actor_arrays(people, funded_projects(con))
    register_af(con, people, arrays.af)
    graph = arrays.graph
    nodes, edges = len(graph.nodes), len(graph.u)
    count, largest = arrays.components
    q, within = arrays.modularity
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
        "graph": _drawn_graph(con, graph),
    }
    return section, arrays


def _drawn_graph(con: duckdb.DuckDBPyConnection, graph: ActorGraph, limit: int = 40) -> dict[str, Any]:
    """The ``limit`` actors with the most collaborators and the links between them, for a drawing:
    nodes ``{name, helix, degree}``, edges ``{u, v, weight}`` (names; shared projects)."""
    n = len(graph.nodes)
    if n == 0 or len(graph.u) == 0:
        return {"nodes": [], "edges": []}
    degree = np.bincount(graph.u, minlength=n) + np.bincount(graph.v, minlength=n)
    top = np.argsort(-degree, kind="stable")[:limit]
    top = top[degree[top] > 0]
    ids = [int(graph.nodes[i]) for i in top]
    details = {
        int(r["actor_id"]): r
        for r in rows(
            con,
            "SELECT a.id AS actor_id, a.name, a.helix FROM actors a WHERE a.id IN (SELECT unnest($ids))",
            {"ids": ids},
        )
    }
    names: dict[int, str] = {}
    seen: set[str] = set()
    for index, actor in zip(top.tolist(), ids, strict=True):
        name = str(details.get(actor, {}).get("name") or f"actor {actor}")
        names[index] = name if name not in seen else f"{name} (#{actor})"
        seen.add(names[index])
    chosen = np.zeros(n, dtype=bool)
    chosen[top] = True
    keep = chosen[graph.u] & chosen[graph.v]
    edges = [
        {"u": names[int(a)], "v": names[int(b)], "weight": float(w)}
        for a, b, w in zip(
            graph.u[keep].tolist(), graph.v[keep].tolist(), graph.w[keep].tolist(), strict=True
        )
    ]
    nodes = [
        {"name": names[i], "helix": details.get(actor, {}).get("helix"), "degree": int(degree[i])}
        for i, actor in zip(top.tolist(), ids, strict=True)
    ]
    return {"nodes": nodes, "edges": edges}


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


def _incidence(entity: np.ndarray, code: np.ndarray, funders: int) -> csr_matrix:
    """A binary (entity × funder) matrix from (entity id, funder code) rows; entities in id order."""
    # SciPy takes 0.2-0.3 s to import (measured): only where matrices are built
    from scipy.sparse import coo_matrix, csr_matrix

    if len(entity) == 0:
        return csr_matrix((0, funders))
    ids = participants.distinct_sorted(entity)
    index = participants.Positions(ids)(entity)
    matrix = coo_matrix((np.ones(len(index)), (index, code)), shape=(len(ids), funders)).tocsr()
    matrix.data[:] = 1.0
    return matrix


def funder_network(
    con: duckdb.DuckDBPyConnection,
    af: np.ndarray | None = None,
    funded: FundedProjects | None = None,
    *,
    samples: int = 48,
    seed: int = 42,
) -> dict[str, Any]:
    """Funders linked by co-funded projects or shared actors; multi-funder share of projects.

    Co-funding and sharing are sparse matrix products (projects × funders, actors × funders).
    ``af``: (node, code, n) rows from ``actor_network``, else read from table ``af``; ``funded``: the
    rows of ``project_funders`` as ``funded_projects`` reads them, else read here.
    """
    if funded is None:
        funded = funded_projects(con)
    funders = funded.names
    f = len(funders)
    projects = _incidence(funded.project, funded.code, f)
    if af is None:
        af = _actor_funder_rows(con)
    actors = _incidence(af[:, 0], af[:, 1], f)
    edges = _funder_edges(funders, projects, actors)
    n, m = len(funders), len(edges)
    exact = n <= max(samples, 500)
    figures = _funder_graph(funders, edges) if exact and len(set(funders)) == n else None
    if figures is None:
        figures = _funder_graph_of_networkx(funders, edges, samples=None if exact else samples, seed=seed)
    partners, centrality, count_components = figures
    # projects with more than one funder (``project_funders`` holds distinct (project, funder) rows)
    per_project = np.asarray(projects.sum(axis=1)).ravel()
    multi = {"multi": int((per_project > 1).sum()), "funded": int((per_project > 0).sum())}
    stats = _funder_rows(funders, projects, actors, partners, centrality)
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


def _actor_funder_rows(con: duckdb.DuckDBPyConnection) -> np.ndarray:
    """The (actor id, funder code) rows of table ``af``."""
    found = con.execute("SELECT actor_id, code FROM af").fetchnumpy()
    return np.stack(
        [np.asarray(found["actor_id"], dtype=np.int64), np.asarray(found["code"], dtype=np.int64)], axis=1
    )


def _funder_edges(funders: list[str], projects: csr_matrix, actors: csr_matrix) -> list[dict[str, Any]]:
    """Funder pairs with their co-funded projects and shared actors, most shared actors first."""
    cofunded = (projects.T @ projects).tocoo()
    shared = (actors.T @ actors).tocoo()
    pairs: dict[tuple[int, int], list[int]] = {}
    for matrix, slot in ((cofunded, 0), (shared, 1)):
        for i, j, value in zip(matrix.row, matrix.col, matrix.data, strict=True):
            if i < j:
                pairs.setdefault((int(i), int(j)), [0, 0])[slot] = int(value)
    return sorted(
        (
            {"u": funders[i], "v": funders[j], "cofunded_projects": c, "shared_actors": s}
            for (i, j), (c, s) in pairs.items()
        ),
        key=lambda e: (-e["shared_actors"], -e["cofunded_projects"], e["u"], e["v"]),
    )


FunderGraph: TypeAlias = tuple[dict[str, int], dict[str, float], int]
"""Of the funder graph (funders linked by the pairs of ``_funder_edges``): each funder's partners (its
degree), its normalised betweenness (none under three funders) and the number of connected components."""


def _funder_graph(funders: list[str], edges: list[dict[str, Any]]) -> FunderGraph:
    """``FunderGraph`` with exact betweenness from ``betweenness`` (a dense matrix: used up to the 500
    funders networkx computed exactly; the tests hold the two to the same values), for distinct funder
    names, without networkx: 0.2-0.3 s to import (measured)."""
    n = len(funders)
    position = {name: i for i, name in enumerate(funders)}
    u = np.asarray([position[e["u"]] for e in edges], dtype=np.int64)
    v = np.asarray([position[e["v"]] for e in edges], dtype=np.int64)
    adjacency = np.zeros((n, n))
    adjacency[u, v] = adjacency[v, u] = 1.0
    degree = adjacency.sum(axis=1)
    values = betweenness(adjacency) if n > 2 else None
    centrality = {} if values is None else {name: float(values[i]) for i, name in enumerate(funders)}
    # connected components: union-find over the edges (a few hundred funders)
    root = list(range(n))

    def find(i: int) -> int:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    for a, b in zip(u.tolist(), v.tolist(), strict=True):
        root[find(a)] = find(b)
    components = len({find(i) for i in range(n)})
    return {name: int(degree[i]) for i, name in enumerate(funders)}, centrality, components


def _funder_graph_of_networkx(
    funders: list[str], edges: list[dict[str, Any]], *, samples: int | None, seed: int
) -> FunderGraph:
    """``FunderGraph`` computed by networkx (betweenness from ``samples`` sources where given): for more
    than 500 funders, whose dense matrices ``_funder_graph`` would not hold."""
    import networkx as nx  # 0.2-0.3 s to import (measured): only for a network this large

    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(funders)
    graph.add_edges_from((e["u"], e["v"]) for e in edges)
    n = graph.number_of_nodes()
    centrality = nx.betweenness_centrality(graph, k=samples, seed=seed, normalized=True) if n > 2 else {}
    components = nx.number_connected_components(graph) if n else 0
    return {name: int(graph.degree(name)) for name in funders}, centrality, components


def _funder_rows(
    funders: list[str],
    projects: csr_matrix,
    actors: csr_matrix,
    partners: dict[str, int],
    centrality: dict[str, float],
) -> list[dict[str, Any]]:
    """The 50 funders with the most actors: actors (shared with another funder), projects, partners,
    betweenness."""
    per_actor = np.asarray(actors.sum(axis=1)).ravel()
    actor_counts = np.asarray(actors.sum(axis=0)).ravel()
    shared_counts = np.asarray(actors[per_actor > 1].sum(axis=0)).ravel() if actors.shape[0] else actor_counts
    project_counts = np.asarray(projects.sum(axis=0)).ravel()
    stats: list[dict[str, Any]] = []
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
                "partners": partners[name],
                "betweenness": centrality.get(name),
            }
        )
    return stats


def _count_values(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_counts=True)`` for small non-negative integers (years), without a sort."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    counts = np.bincount(values)
    present = np.flatnonzero(counts)
    return present, counts[present]


def dynamics(people: Arrangement, graph: ActorGraph) -> dict[str, Any]:
    """Per start year: active and new actors, new collaborations and cross-sector pairs (arrays).

    Active actors in a year: distinct actors of projects starting then; new: actors whose earliest
    dated project starts then (``min(year)`` per actor over ``pa``).
    """
    pair_year = people.pair_year
    dated_pairs = pair_year != participants.NO_YEAR
    node, when = people.pair_node[dated_pairs], pair_year[dated_pairs]
    actors_by_year: dict[int, dict[str, int]] = {}
    if len(when):
        low = int(when.min())
        width = np.int64(int(when.max()) - low + 1)
        # distinct (actor, year), sorted: counted per year = active; each actor's first = new
        seen = participants.distinct_sorted(node * width + (when - low))
        active_years, active_counts = _count_values(seen % width)
        first = seen[participants.group_starts(seen // width)] % width
        new_years, new_counts = _count_values(first)
        for y, c in zip(active_years.tolist(), active_counts.tolist(), strict=True):
            actors_by_year[y + low] = {"active_actors": c, "new_actors": 0}
        for y, c in zip(new_years.tolist(), new_counts.tolist(), strict=True):
            actors_by_year.setdefault(y + low, {"active_actors": 0, "new_actors": 0})["new_actors"] = c
    # counted by bincount over year + 1 (undated pairs, −1, fall into bin 0 and are dropped)
    shifted = graph.first_year + 1
    years, new_pairs = _count_values(shifted)
    helix = graph.helix.astype(np.int8) if len(graph.helix) and int(graph.helix.max()) < 127 else graph.helix
    hu, hv = helix[graph.u], helix[graph.v]
    cross = (hu >= 0) & (hv >= 0) & (hu != hv)
    del hu, hv
    cross_years, cross_counts = _count_values(np.where(cross, shifted, 0))
    years, new_pairs = years[years > 0] - 1, new_pairs[years > 0]
    cross_years, cross_counts = cross_years[cross_years > 0] - 1, cross_counts[cross_years > 0]
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
