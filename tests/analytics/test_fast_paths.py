"""The vectorised fast paths used at scale give what the plain (networkx / per-row) computations give."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest

from missionboard.analytics import instruments, network, participants


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


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_funder_graph_without_networkx_gives_networkx_figures(seed: int) -> None:
    graph = _random_graph(seed, 30, 0.1)
    funders = [f"funder {node}" for node in graph.nodes()]
    edges = [{"u": f"funder {a}", "v": f"funder {b}"} for a, b in graph.edges()]
    partners, centrality, components = network._funder_graph(funders, edges)
    expected = network._funder_graph_of_networkx(funders, edges, samples=None, seed=42)
    assert partners == expected[0]
    assert centrality == pytest.approx(expected[1], abs=1e-12)
    assert components == expected[2]


@pytest.mark.parametrize("funders", [[], ["a"], ["a", "b"]])
def test_a_funder_graph_under_three_funders_has_no_betweenness(funders: list[str]) -> None:
    edges = [{"u": "a", "v": "b"}] if len(funders) == 2 else []
    found = network._funder_graph(funders, edges)
    assert found == network._funder_graph_of_networkx(funders, edges, samples=None, seed=42)


def _arrangement(actors: int, projects: int, pairs: list[tuple[int, int]]) -> participants.Arrangement:
    """Actors and projects at positions 0…, joined by (project, actor) ``pairs``: all ``components`` reads."""
    empty = np.zeros(0, dtype=np.int64)
    pairs = sorted(pairs)
    project, node = (
        (np.asarray(x, dtype=np.int64) for x in zip(*pairs, strict=True)) if pairs else (empty, empty)
    )
    return participants.Arrangement(
        project_ids=np.arange(projects, dtype=np.int64),
        project_year=np.zeros(projects, dtype=np.int64),
        actor_ids=np.arange(actors, dtype=np.int64),
        project=empty,
        node=empty,
        amount=np.zeros(0),
        share=np.zeros(0),
        currency_code=empty,
        currencies=[],
        helix_names=[],
        node_helix=empty,
        node_helix_raw=empty,
        raw_helix_names=[],
        pair_project=project,
        pair_node=node,
    )


def _components_of_networkx(actors: int, pairs: list[tuple[int, int]]) -> tuple[int, int]:
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(f"a{a}" for a in range(actors))
    graph.add_edges_from((f"p{p}", f"a{a}") for p, a in pairs)
    sizes = [sum(1 for x in c if x.startswith("a")) for c in nx.connected_components(graph)]
    return sum(1 for size in sizes if size), max(sizes)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_components_of_the_actor_project_graph_are_networkx_components(seed: int) -> None:
    rng = random.Random(seed)
    actors, projects = 300, 200
    pairs = list({(rng.randrange(projects), rng.randrange(actors)) for _ in range(rng.randint(50, 400))})
    found = network.components(_arrangement(actors, projects, pairs))
    assert found == _components_of_networkx(actors, pairs)


def test_components_join_a_long_chain_in_shuffled_order_at_once() -> None:
    # project i joins the i-th and (i + 1)-th actors of a shuffled order: a graph search finds the one
    # chain in linear time, where propagating the least label along it took 45,885 rounds (223 s) at
    # 200,000 actors (measured on a label-propagation version that was not kept)
    actors = 20_000
    order = list(range(actors))
    random.Random(3).shuffle(order)
    pairs = [(i, order[i]) for i in range(actors - 1)] + [(i, order[i + 1]) for i in range(actors - 1)]
    found = network.components(_arrangement(actors + 5, actors - 1, pairs))
    assert found == (6, actors)


def test_actors_without_projects_are_components_of_their_own() -> None:
    assert network.components(_arrangement(4, 0, [])) == (4, 1)
