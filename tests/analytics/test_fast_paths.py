"""The vectorised fast paths used at scale give what the plain (networkx / per-row) computations give."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest

from missionboard.analytics import instruments, network


def _random_graph(seed: int, n: int, p: float) -> nx.Graph[int]:
    graph: nx.Graph[int] = nx.gnp_random_graph(n, p, seed=seed)
    # a pendant path and an isolated node: unreachable pairs and long shortest paths
    graph.add_edges_from([(n, 0), (n + 1, n)])
    graph.add_node(n + 2)
    return graph


def _adjacency(graph: nx.Graph[int]) -> np.ndarray:
    return np.asarray(nx.to_numpy_array(graph, nodelist=list(graph.nodes()), weight=None))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exact_betweenness_equals_networkx(seed: int) -> None:
    graph = _random_graph(seed, 40, 0.08)
    expected = nx.betweenness_centrality(graph, normalized=True)
    found = network.betweenness(_adjacency(graph))
    for i, node in enumerate(graph.nodes()):
        assert found[i] == pytest.approx(expected[node], abs=1e-12)


@pytest.mark.parametrize(("seed", "k"), [(1, 5), (2, 12), (42, 30)])
def test_sampled_betweenness_draws_the_same_sources_and_scales_like_networkx(seed: int, k: int) -> None:
    graph = _random_graph(seed, 60, 0.06)
    expected = nx.betweenness_centrality(graph, k=k, seed=seed, normalized=True)
    found = network.betweenness(_adjacency(graph), k, seed=seed)
    for i, node in enumerate(graph.nodes()):
        assert found[i] == pytest.approx(expected[node], abs=1e-12)


def test_betweenness_of_a_path_is_highest_in_the_middle() -> None:
    adjacency = np.zeros((3, 3))
    adjacency[0, 1] = adjacency[1, 0] = adjacency[1, 2] = adjacency[2, 1] = 1.0
    assert network.betweenness(adjacency).tolist() == [0.0, 1.0, 0.0]


def test_betweenness_of_a_star_with_many_paths_counts_each_shortest_path_once() -> None:
    rng = random.Random(5)
    graph: nx.Graph[int] = nx.Graph()
    graph.add_edges_from((0, i) for i in range(1, 6))
    graph.add_edges_from((i, 6) for i in range(1, 6))  # five shortest paths 0 → 6
    graph.add_edges_from((6, rng.randint(7, 9)) for _ in range(3))
    expected = nx.betweenness_centrality(graph, normalized=True)
    found = network.betweenness(_adjacency(graph))
    assert found.tolist() == pytest.approx([expected[v] for v in graph.nodes()], abs=1e-12)


def test_the_text_rule_prefilter_never_drops_a_text_the_exact_rules_match() -> None:
    phrases = [
        "pre-commercial procurement", "Public Procurement", "TENDERED BY", "regulatory sandbox",
        "challenge prize", "purchase premium", "rebate scheme", "tax relief", "green loans", "Loan guarantee",
        "venture capital", "doctoral training", "testbed", "innovation voucher", "R&D grant", "ſoft loan",
        "éloan", "loané", "İtax credit", "\u212aloan", "a plain sentence about batteries",
    ]  # fmt: skip
    rng = random.Random(7)
    neighbours = ["x", "é", " ", ".", "-", "Z", "ß", "İ", "ı", "\u212a", "ſ", ""]
    texts = [
        rng.choice(neighbours) + rng.choice(phrases) + rng.choice(neighbours) + rng.choice(["", " and more"])
        for _ in range(3000)
    ]
    candidates = instruments.text_rule_candidates(texts)
    exact = [instruments.infer_instrument_from_text(t) is not None for t in texts]
    assert all(c for c, e in zip(candidates, exact, strict=True) if e)
    assert any(exact) and not all(exact)
    assert instruments.text_rule_candidates(["solar panels on rooftops"]) == [False]


@pytest.mark.parametrize("values", [[], [2019], [2021, 2019, 2019, 0, 65534, 2021]])
def test_counting_years_without_a_sort_equals_numpy_unique(values: list[int]) -> None:
    array = np.asarray(values, dtype=np.int64)
    found = network._count_values(array)
    expected = np.unique(array, return_counts=True)
    assert found[0].tolist() == expected[0].tolist()
    assert found[1].tolist() == expected[1].tolist()
