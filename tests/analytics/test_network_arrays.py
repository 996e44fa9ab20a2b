"""The array forms used at scale agree with the plain formulas and with a naive computation."""

from __future__ import annotations

import itertools
import random

import duckdb
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from missionboard.analytics import network
from missionboard.domain import metrics


def test_array_modularity_equals_the_domain_formula_on_two_triangles() -> None:
    edges = [(0, 1, 1.0), (1, 2, 1.0), (0, 2, 1.0), (3, 4, 1.0), (4, 5, 1.0), (3, 5, 1.0), (2, 3, 1.0)]
    community = np.array([0, 0, 0, 1, 1, 1])
    u, v, w = (np.array(x) for x in zip(*edges, strict=True))
    q, within = network.modularity(u.astype(int), v.astype(int), w.astype(float), community)
    assert q == pytest.approx(metrics.modularity(edges, dict(enumerate(community.tolist()))))
    assert q == pytest.approx(6 / 7 - 0.5)
    assert within == pytest.approx(6 / 7)


def _random_portfolio(seed: int) -> duckdb.DuckDBPyConnection:
    rng = random.Random(seed)
    pa = []
    for project in range(1, 60):
        year = rng.choice([None, 2018, 2019, 2020, 2021])
        for actor in rng.sample(range(100, 140), rng.randint(1, 6)):
            pa.append((project, actor, year))
    pf = [(p, rng.choice(["A", "B", "C"])) for p in range(1, 60)]
    actors = [(a, f"Actor {a}", rng.choice([None, "research", "industry"])) for a in range(100, 140)]
    con = duckdb.connect()
    con.from_df(
        pd.DataFrame(pa, columns=["project_id", "actor_id", "year"]).astype({"year": "Int64"})
    ).create("pa")
    con.from_df(pd.DataFrame(pf, columns=["project_id", "funder"])).create("pf")
    con.from_df(pd.DataFrame(actors, columns=["id", "name", "helix"])).create("actors")
    return con


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_packed_pair_counting_matches_a_naive_count(seed: int) -> None:
    con = _random_portfolio(seed)
    members: dict[int, list[tuple[int, int | None]]] = {}
    for project, actor, year in con.execute("SELECT project_id, actor_id, year FROM pa").fetchall():
        members.setdefault(project, []).append((actor, year))
    expected: dict[tuple[int, int], tuple[int, int]] = {}
    for people in members.values():
        for (a, year), (b, _) in itertools.combinations(sorted(people), 2):
            weight, first = expected.get((a, b), (0, 10_000))
            expected[(a, b)] = (weight + 1, min(first, year if year is not None else 10_000))
    graph = network._build_graph(con)
    found = {
        (int(graph.nodes[u]), int(graph.nodes[v])): (int(w), int(y) if y >= 0 else 10_000)
        for u, v, w, y in zip(graph.u, graph.v, graph.w, graph.first_year, strict=True)
    }
    assert found == expected
    reference = nx.Graph()
    reference.add_nodes_from(int(x) for x in graph.nodes)
    reference.add_edges_from(expected)
    assert network.components(graph)[0] == nx.number_connected_components(reference)
