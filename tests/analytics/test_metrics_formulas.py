"""The metric formulas against values worked out by hand, plus properties that must always hold."""

from __future__ import annotations

import math

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from missionboard.domain import metrics

ONE = [[0.0, 1.0], [1.0, 0.0]]


def test_shares_divide_by_the_total_and_refuse_negative_values() -> None:
    assert metrics.shares([1, 3]) == [0.25, 0.75]
    assert metrics.shares([0, 0]) == []
    with pytest.raises(ValueError):
        metrics.shares([1, -1])


def test_shannon_entropy_of_two_equal_shares_is_ln2_and_evenness_is_one() -> None:
    assert metrics.shannon_entropy([0.5, 0.5]) == pytest.approx(math.log(2))
    assert metrics.shannon_evenness([0.5, 0.5]) == pytest.approx(1.0)


def test_shannon_evenness_of_uneven_shares_by_hand() -> None:
    # H = -(0.75 ln 0.75 + 0.25 ln 0.25) = 0.562335; J = H / ln 2 = 0.811278
    assert metrics.shannon_entropy([0.75, 0.25]) == pytest.approx(0.5623351446)
    assert metrics.shannon_evenness([0.75, 0.25]) == pytest.approx(0.8112781245)


def test_a_single_category_has_zero_entropy_and_is_perfectly_even() -> None:
    assert metrics.shannon_entropy([1.0]) == 0.0
    assert metrics.shannon_evenness([1.0, 0.0]) == 1.0


def test_hhi_of_shares_by_hand() -> None:
    # 0.5² + 0.3² + 0.2² = 0.25 + 0.09 + 0.04 = 0.38
    assert metrics.herfindahl_hirschman([0.5, 0.3, 0.2]) == pytest.approx(0.38)
    assert metrics.hhi_points([0.5, 0.3, 0.2]) == pytest.approx(3800)
    assert metrics.equivalent_number([0.25] * 4) == pytest.approx(4)


def test_stirling_of_three_themes_by_hand() -> None:
    p = [0.5, 0.3, 0.2]
    d = [[0.0, 0.2, 0.8], [0.2, 0.0, 0.6], [0.8, 0.6, 0.0]]
    # ordered pairs: 2·(0.2·0.5·0.3 + 0.8·0.5·0.2 + 0.6·0.3·0.2) = 2·(0.03 + 0.08 + 0.036) = 0.292
    assert metrics.stirling(p, d) == pytest.approx(0.292)
    result = metrics.diversity(p, d)
    assert result.variety == 3
    assert result.disparity == pytest.approx((0.2 + 0.8 + 0.6) / 3)
    assert result.balance == pytest.approx(metrics.shannon_entropy(p) / math.log(3))


def test_stirling_with_unit_distances_equals_gini_simpson() -> None:
    p = [0.5, 0.3, 0.2]
    d = [[0.0 if i == j else 1.0 for j in range(3)] for i in range(3)]
    assert metrics.stirling(p, d) == pytest.approx(1 - 0.38)


def test_disparity_ignores_categories_without_a_share() -> None:
    d = [[0.0, 0.4, 1.0], [0.4, 0.0, 1.0], [1.0, 1.0, 0.0]]
    assert metrics.disparity([0.5, 0.5, 0.0], d) == pytest.approx(0.4)


def test_distance_matrix_must_match_the_shares() -> None:
    with pytest.raises(ValueError):
        metrics.stirling([0.5, 0.5], [[0.0]])


def test_leverage_is_private_per_unit_of_public_money() -> None:
    assert metrics.leverage_ratio(140, 160) == pytest.approx(0.875)
    assert metrics.leverage_ratio(10, 0) is None
    with pytest.raises(ValueError):
        metrics.leverage_ratio(-1, 10)


def test_density_of_four_nodes_and_four_edges() -> None:
    assert metrics.density(4, 4) == pytest.approx(4 / 6)
    assert metrics.density(1, 0) == 0.0


def test_modularity_of_two_triangles_joined_by_one_edge_by_hand() -> None:
    # m = 7; each triangle: L_c = 3, D_c = 7 → Q = 2·(3/7 − (7/14)²) = 6/7 − 1/2 = 0.357143
    edges = [(1, 2, 1.0), (2, 3, 1.0), (1, 3, 1.0), (4, 5, 1.0), (5, 6, 1.0), (4, 6, 1.0), (3, 4, 1.0)]
    community = {1: "A", 2: "A", 3: "A", 4: "B", 5: "B", 6: "B"}
    assert metrics.modularity(edges, community) == pytest.approx(6 / 7 - 0.5)
    graph = nx.Graph()
    graph.add_weighted_edges_from(edges)
    assert metrics.modularity(edges, community) == pytest.approx(
        nx.community.modularity(graph, [{1, 2, 3}, {4, 5, 6}])
    )


def test_modularity_of_a_single_group_is_zero() -> None:
    assert metrics.modularity([(1, 2, 1.0), (2, 3, 2.0)], {1: 0, 2: 0, 3: 0}) == pytest.approx(0.0)


def test_budget_to_weight_ratio() -> None:
    assert metrics.gap_ratio(0.25, 0.5) == pytest.approx(0.5)
    assert metrics.gap_ratio(0.25, 0.0) is None


share_lists = st.lists(
    st.floats(min_value=0.0, max_value=1e6, allow_nan=False), min_size=1, max_size=8
).filter(lambda xs: sum(xs) > 1e-6)


@given(share_lists)
def test_hhi_lies_between_one_over_n_and_one(values: list[float]) -> None:
    p = metrics.shares(values)
    n = metrics.variety(p)
    assert 1 / n - 1e-9 <= metrics.herfindahl_hirschman(p) <= 1 + 1e-9


@given(share_lists)
def test_evenness_lies_between_zero_and_one(values: list[float]) -> None:
    assert -1e-9 <= metrics.shannon_evenness(metrics.shares(values)) <= 1 + 1e-9


@given(st.floats(min_value=1e-3, max_value=1e9), st.integers(min_value=2, max_value=6))
def test_splitting_a_budget_evenly_between_identical_themes_keeps_disparity_and_stirling_at_zero(
    budget: float, copies: int
) -> None:
    p = metrics.shares([budget / copies] * copies)
    identical = [[0.0] * copies for _ in range(copies)]
    result = metrics.diversity(p, identical)
    assert result.disparity == 0.0
    assert result.stirling == 0.0
    assert result.variety == copies


@given(share_lists, st.floats(min_value=0.0, max_value=1.0))
def test_stirling_never_exceeds_the_largest_distance(values: list[float], distance: float) -> None:
    p = metrics.shares(values)
    n = len(p)
    d = [[0.0 if i == j else distance for j in range(n)] for i in range(n)]
    assert metrics.stirling(p, d) <= distance + 1e-9
    assert metrics.stirling(p, d) == pytest.approx(distance * (1 - metrics.herfindahl_hirschman(p)), abs=1e-9)
