"""Metric formulas for portfolio analytics: pure functions over shares, distances and edge lists.

Every function here is deterministic and free of I/O, so each can be checked against values worked
out by hand. Conventions:

- a *share* vector ``p`` holds non-negative proportions that sum to 1 (``shares`` makes one from raw
  amounts or counts);
- entropies are in **nats** (natural logarithm) unless the name says otherwise;
- distances ``d[i][j]`` are dissimilarities in [0, 1] (e.g. cosine distance between theme centroids),
  symmetric with a zero diagonal.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

EPSILON = 1e-12


def shares(values: Sequence[float]) -> list[float]:
    """Proportions of a total: ``values[i] / sum(values)``.

    Why: diversity and concentration are defined on proportions, not on raw money or counts.
    Negative values are refused; an all-zero (or empty) input has no shares and gives ``[]``.
    """
    if any(v < 0 for v in values):
        raise ValueError("shares need non-negative values")
    total = math.fsum(values)
    if total <= 0:
        return []
    return [v / total for v in values]


def variety(p: Sequence[float]) -> int:
    """Number of categories with a positive share (Stirling's *variety*; unit: categories)."""
    return sum(1 for x in p if x > EPSILON)


def shannon_entropy(p: Sequence[float]) -> float:
    """Shannon entropy H = −Σ p_i ln p_i, in nats.

    Why: a standard measure of how spread a portfolio is across categories; 0 when everything sits
    in one category, ln(n) when n categories hold equal shares.
    """
    return 0.0 - math.fsum(x * math.log(x) for x in p if x > EPSILON)


def shannon_evenness(p: Sequence[float]) -> float:
    """Pielou's evenness J = H / ln(n) over the n categories with a positive share (unitless, 0–1).

    Why: Stirling's *balance* — how evenly the money is spread over the categories that are present,
    independent of how many there are. Defined as 1.0 for a single category (perfectly even).
    """
    n = variety(p)
    if n <= 1:
        return 1.0
    return shannon_entropy(p) / math.log(n)


def herfindahl_hirschman(p: Sequence[float]) -> float:
    """Herfindahl–Hirschman index HHI = Σ p_i² (unitless, 1/n … 1).

    Why: concentration of funding among funders or recipients; 1 means a single actor holds it all.
    Multiply by 10,000 for the antitrust "points" convention (see ``hhi_points``).
    """
    return math.fsum(x * x for x in p)


def hhi_points(p: Sequence[float]) -> float:
    """HHI on the 0–10,000 scale used by competition authorities (>2,500 = highly concentrated)."""
    return herfindahl_hirschman(p) * 10_000.0


def equivalent_number(p: Sequence[float]) -> float:
    """The number of equal-sized categories with the same HHI: 1 / HHI (unit: categories)."""
    h = herfindahl_hirschman(p)
    return 0.0 if h <= 0 else 1.0 / h


def _check_distances(d: Sequence[Sequence[float]], n: int) -> None:
    if len(d) != n or any(len(row) != n for row in d):
        raise ValueError(f"the distance matrix must be {n}×{n}")


def disparity(p: Sequence[float], d: Sequence[Sequence[float]]) -> float:
    """Mean pairwise distance between the categories present (Stirling's *disparity*; unit of d).

    Why: two themes that are nearly the same add little real diversity; disparity measures how
    different the categories a portfolio spans are. 0 when fewer than two categories are present.
    """
    _check_distances(d, len(p))
    present = [i for i, x in enumerate(p) if x > EPSILON]
    pairs = [(i, j) for a, i in enumerate(present) for j in present[a + 1 :]]
    if not pairs:
        return 0.0
    return math.fsum(d[i][j] for i, j in pairs) / len(pairs)


def stirling(p: Sequence[float], d: Sequence[Sequence[float]]) -> float:
    """Stirling's diversity Δ = Σ_{i≠j} d_ij · p_i · p_j (unit of d; 0 … max d).

    Why: one number that rises with variety, balance and disparity together (Stirling 2007). With
    d_ij = 1 for every pair it equals the Gini–Simpson index 1 − Σp². Sums over ordered pairs, so
    each unordered pair counts twice, as in the formula.
    """
    _check_distances(d, len(p))
    n = len(p)
    return math.fsum(d[i][j] * p[i] * p[j] for i in range(n) for j in range(n) if i != j)


@dataclass(frozen=True)
class StirlingDiversity:
    """The three properties of diversity and the integrated index, for one set of shares."""

    variety: int
    balance: float
    disparity: float
    stirling: float
    shannon_entropy: float


def diversity(p: Sequence[float], d: Sequence[Sequence[float]]) -> StirlingDiversity:
    """Variety (categories), balance (Shannon evenness), disparity (mean distance) and Stirling's Δ."""
    return StirlingDiversity(
        variety=variety(p),
        balance=shannon_evenness(p),
        disparity=disparity(p, d),
        stirling=stirling(p, d),
        shannon_entropy=shannon_entropy(p),
    )


def leverage_ratio(private: float, public: float) -> float | None:
    """Co-funding from non-public sources per unit of public funding (currency / currency).

    Why: "crowding in" — how much private money each unit of public money brings along. ``None``
    when there is no public funding to divide by.
    """
    if private < 0 or public < 0:
        raise ValueError("leverage needs non-negative amounts")
    if public <= 0:
        return None
    return private / public


def density(nodes: int, edges: int) -> float:
    """Share of the possible undirected links that exist: 2m / (n(n−1)) (unitless, 0–1)."""
    if nodes < 2:
        return 0.0
    return 2.0 * edges / (nodes * (nodes - 1))


def modularity(
    edges: Iterable[tuple[Hashable, Hashable, float]], community: Mapping[Hashable, Hashable]
) -> float:
    """Newman's modularity Q = Σ_c [ L_c / m − (D_c / 2m)² ] of a partition of an undirected graph.

    ``edges`` are (u, v, weight) with each undirected edge listed once; ``community`` maps every node
    to its group. L_c is the total weight inside group c, D_c the total weighted degree of its nodes,
    m the total weight. Why: applied to the partition *by funder*, a high Q (towards 1) means actors
    collaborate mostly within their funder's circle — a silo index; near 0 means no more than chance.
    Self-loops count once towards L_c and twice towards the degree, as in networkx.
    """
    inside: dict[Hashable, float] = {}
    degree: dict[Hashable, float] = {}
    m = 0.0
    for u, v, w in edges:
        cu, cv = community[u], community[v]
        m += w
        degree[cu] = degree.get(cu, 0.0) + w
        degree[cv] = degree.get(cv, 0.0) + w
        if cu == cv:
            inside[cu] = inside.get(cu, 0.0) + w
    if m <= 0:
        return 0.0
    return math.fsum(inside.get(c, 0.0) / m - (deg / (2.0 * m)) ** 2 for c, deg in degree.items())


def gap_ratio(budget_share: float, weight_share: float) -> float | None:
    """Budget share received over share of effort the mission declared (unitless; 1 = as intended).

    ``None`` where the objective declares no weight (weight share 0).
    """
    if weight_share <= 0:
        return None
    return budget_share / weight_share
