"""The array forms used at scale agree with the plain formulas and with a naive computation."""

from __future__ import annotations

import itertools
import random

import duckdb
import networkx as nx
import numpy as np
import pandas as pd
import pyarrow.compute as pa_compute
import pytest

from missionboard.analytics import network, participants
from missionboard.domain import metrics


def test_array_modularity_equals_the_domain_formula_on_two_triangles() -> None:
    edges = [(0, 1, 1.0), (1, 2, 1.0), (0, 2, 1.0), (3, 4, 1.0), (4, 5, 1.0), (3, 5, 1.0), (2, 3, 1.0)]
    community = np.array([0, 0, 0, 1, 1, 1])
    u, v, w = (np.array(x) for x in zip(*edges, strict=True))
    q, within = network.modularity(u.astype(int), v.astype(int), w.astype(float), community)
    assert q == pytest.approx(metrics.modularity(edges, dict(enumerate(community.tolist()))))
    assert q == pytest.approx(6 / 7 - 0.5)
    assert within == pytest.approx(6 / 7)


NAMES = ["Agency A", "Agency B", "Agency C"]


def _random_portfolio(seed: int) -> duckdb.DuckDBPyConnection:
    """Tables money, fx_rates, participations, actors and project_funders as ``Engine.build_scope`` leaves them, at random.

    With the awkward cases: projects without a year or budget, participations of projects out of scope,
    funder-role rows, amounts in the reporting currency, in a currency with and without a rate, with no
    currency, shares, actors missing from the actors table or without a helix, repeated (project, actor).
    """
    rng = random.Random(seed)
    money = []
    for project in range(1, 60):
        year = rng.choice([None, 2018, 2019, 2020, 2021])
        budget = rng.choice([None, 100.0, 250.0, 1000.0])
        money.append((project * 3, year, budget, rng.choice([None, "EUR", "SEK"])))
    fx_rates = [("SEK", y, 0.1 + 0.01 * (y - 2018)) for y in (2018, 2019, 2020, 2021)] + [("SEK", None, 0.09)]
    parts = []
    for project in [m[0] for m in money] + [1, 2, 500]:  # 1, 2, 500: not in scope
        for actor in rng.sample(range(100, 142), rng.randint(1, 6)) + rng.choice([[], [100]]):
            parts.append(
                (
                    project,
                    actor,
                    int(rng.random() < 0.15),
                    rng.choice([None, 40.0, 55.5]),
                    rng.choice([None, "EUR", "SEK", "USD"]),
                    rng.choice([None, 0.25, 0.5]),
                )
            )
    project_funders = [(m[0], rng.choice(NAMES)) for m in money if rng.random() < 0.9]
    project_funders += [(m[0], rng.choice(NAMES)) for m in money if rng.random() < 0.2]
    actors = [
        (a, f"Actor {a}", rng.choice([None, "research", "industry", "unknown"])) for a in range(100, 140)
    ]
    con = duckdb.connect()
    frames = {
        "money": pd.DataFrame(money, columns=["id", "start_year", "budget", "budget_currency"]).astype(
            {"start_year": "Int64", "budget": "Float64"}
        ),
        "fx_rates": pd.DataFrame(fx_rates, columns=["currency", "year", "rate"]).astype({"year": "Int64"}),
        "participations": pd.DataFrame(
            parts, columns=["project_id", "actor_id", "is_funder", "amount", "currency", "share"]
        ).astype({"amount": "Float64", "share": "Float64"}),
        "project_funders": pd.DataFrame(sorted(set(project_funders)), columns=["project_id", "funder"]),
        "actors": pd.DataFrame(actors, columns=["id", "name", "helix"]),
    }
    for name, frame in frames.items():
        con.from_df(frame).create(name)
    return con


PART_SQL = """
SELECT r.project_id, r.actor_id, coalesce(a.helix, 'unknown') AS helix, m.start_year AS year,
       CASE WHEN r.amount IS NOT NULL AND (r.currency = 'EUR' OR r.currency IS NULL AND m.budget_currency = 'EUR')
                 THEN r.amount
            WHEN r.amount IS NOT NULL AND fx_rates.rate IS NOT NULL THEN r.amount * fx_rates.rate
            WHEN r.amount IS NULL AND r.share IS NOT NULL THEN m.budget * r.share END AS money
FROM participations r JOIN money m ON m.id = r.project_id
LEFT JOIN actors a ON a.id = r.actor_id
LEFT JOIN fx_rates ON fx_rates.currency = r.currency AND fx_rates.year IS NOT DISTINCT FROM m.start_year
WHERE r.is_funder = 0
"""


def _loaded(seed: int) -> tuple[duckdb.DuckDBPyConnection, participants.Participants]:
    con = _random_portfolio(seed)
    people = participants.load(con, "EUR")
    con.execute(f"CREATE TABLE part AS {PART_SQL}")
    con.execute(
        "CREATE TABLE pa AS SELECT project_id, actor_id, any_value(year) AS year FROM part GROUP BY 1, 2"
    )
    return con, people


def _key(value: float | None) -> float:
    return -1.0 if value is None or value != value else round(value, 9)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_participation_arrays_equal_the_sql_join(seed: int) -> None:
    con, people = _loaded(seed)
    expected = sorted(
        (p, a, h, -1 if y is None else y, _key(m))
        for p, a, h, y, m in con.execute("SELECT * FROM part").fetchall()
    )
    year = people.project_year[people.project]
    found = sorted(
        (
            int(people.project_ids[p]),
            int(people.actor_ids[n]),
            people.helix_names[h],
            -1 if y == participants.NO_YEAR else int(y),
            _key(float(m)),
        )
        for p, n, h, y, m in zip(people.project, people.node, people.helix, year, people.money, strict=True)
    )
    assert found == expected
    assert any(m is not None for *_, m in con.execute("SELECT * FROM part").fetchall())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_helix_rows_and_money_received_equal_the_sql(seed: int) -> None:
    con, people = _loaded(seed)
    expected = [
        dict(zip(["helix", "participations", "actors", "projects", "money", "with_money"], r, strict=True))
        for r in con.execute(
            """
            WITH p AS (SELECT helix, count(*) AS participations, sum(money) AS money, count(money) AS with_money
                       FROM part GROUP BY 1),
                 a AS (SELECT coalesce(a.helix, 'unknown') AS helix, count(*) AS actors
                       FROM (SELECT DISTINCT actor_id FROM pa) d LEFT JOIN actors a ON a.id = d.actor_id GROUP BY 1),
                 j AS (SELECT helix, count(*) AS projects FROM (SELECT DISTINCT project_id, helix FROM part) GROUP BY 1)
            SELECT p.helix, p.participations, coalesce(a.actors, 0) AS actors, j.projects, p.money, p.with_money
            FROM p LEFT JOIN a USING (helix) LEFT JOIN j USING (helix)
            ORDER BY p.participations DESC, p.helix
            """
        ).fetchall()
    ]
    rows, multi, known = participants.helix_rows(people)
    assert [{**r, "money": _key(r["money"])} for r in rows] == [
        {**r, "money": _key(r["money"])} for r in expected
    ]
    assert (multi, known) == con.execute(
        """
        SELECT count(*) FILTER (WHERE h > 1), count(*) FROM (
          SELECT project_id, count(DISTINCT helix) AS h FROM part WHERE helix <> 'unknown' GROUP BY 1)
        """
    ).fetchone()
    received = {
        a: _key(m)
        for a, m in con.execute(
            """
            WITH k AS (SELECT project_id, count(*) AS n, count(money) AS priced FROM part GROUP BY 1)
            SELECT p.actor_id, sum(coalesce(p.money, CASE WHEN k.priced = 0 THEN m.budget / k.n END)) AS money
            FROM part p JOIN k USING (project_id) JOIN money m ON m.id = p.project_id GROUP BY 1
            """
        ).fetchall()
    }
    total, has = participants.received(people)
    found = {
        int(a): _key(float(t)) if h else -1.0 for a, t, h in zip(people.actor_ids, total, has, strict=True)
    }
    assert found == received


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_packed_pair_counting_matches_a_naive_count(seed: int) -> None:
    con, people = _loaded(seed)
    members: dict[int, list[tuple[int, int | None]]] = {}
    for project, actor, year in con.execute("SELECT project_id, actor_id, year FROM pa").fetchall():
        members.setdefault(project, []).append((actor, year))
    expected: dict[tuple[int, int], tuple[int, int]] = {}
    for people_of in members.values():
        for (a, year), (b, _) in itertools.combinations(sorted(people_of), 2):
            weight, first = expected.get((a, b), (0, 10_000))
            expected[(a, b)] = (weight + 1, min(first, year if year is not None else 10_000))
    graph, _af = network._build_graph(con, people)
    found = {
        (int(graph.nodes[u]), int(graph.nodes[v])): (int(w), int(y) if y >= 0 else 10_000)
        for u, v, w, y in zip(graph.u, graph.v, graph.w, graph.first_year, strict=True)
    }
    assert found == expected
    reference = nx.Graph()
    reference.add_nodes_from(int(x) for x in graph.nodes)
    reference.add_edges_from(expected)
    count, largest = network.components(people)
    assert count == nx.number_connected_components(reference)
    assert largest == max(len(c) for c in nx.connected_components(reference))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_actor_funders_and_main_funders_equal_the_sql(seed: int) -> None:
    con, people = _loaded(seed)
    graph, af = network._build_graph(con, people)
    expected = con.execute(
        """
        SELECT pa.actor_id, c.code, count(*) AS n FROM pa JOIN project_funders USING (project_id) JOIN funder_codes c USING (funder)
        GROUP BY 1, 2 ORDER BY 1, 2
        """
    ).fetchall()
    assert [(int(people.actor_ids[a]), int(c), int(n)) for a, c, n in af] == expected
    main = dict(
        con.execute(
            """
            WITH ranked AS (SELECT af.actor_id, f.funder, row_number() OVER (
                                PARTITION BY af.actor_id ORDER BY af.n DESC, f.funder) AS r
                            FROM af JOIN funder_codes f USING (code))
            SELECT n.actor_id, coalesce(ranked.funder, '(no funder)')
            FROM (SELECT DISTINCT actor_id FROM pa) n LEFT JOIN ranked ON ranked.actor_id = n.actor_id AND r = 1
            """
        ).fetchall()
    )
    found = {int(a): graph.community_names[c] for a, c in zip(graph.nodes, graph.community, strict=True)}
    assert found == main
    assert graph.community_names == sorted(set(main.values()))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dynamics_of_actors_equal_the_sql(seed: int) -> None:
    con, people = _loaded(seed)
    graph, _ = network._build_graph(con, people)
    expected = {
        year: (active, new)
        for year, active, new in con.execute(
            """
            WITH first_actor AS (SELECT actor_id, min(year) AS year FROM pa GROUP BY 1),
                 new_y AS (SELECT year, count(*) AS new_actors FROM first_actor WHERE year IS NOT NULL GROUP BY 1),
                 active_y AS (
                    SELECT year, count(DISTINCT actor_id) AS active_actors FROM pa WHERE year IS NOT NULL GROUP BY 1)
            SELECT coalesce(a.year, n.year) AS year, coalesce(active_actors, 0), coalesce(new_actors, 0)
            FROM active_y a FULL OUTER JOIN new_y n ON a.year = n.year
            """
        ).fetchall()
    }
    found = {
        r["year"]: (r["active_actors"], r["new_actors"]) for r in network.dynamics(people, graph)["rows"]
    }
    assert {y: v for y, v in found.items() if v != (0, 0)} == expected


@pytest.mark.parametrize("ids", [[5, 9, 10, 11], [3, 10**12, 10**15]])
def test_positions_find_ids_by_table_or_by_search(ids: list[int]) -> None:
    positions = participants.Positions(np.asarray(ids, dtype=np.int64))
    probe = np.asarray([ids[-1], 4, ids[0], 10**16, -1, ids[1]], dtype=np.int64)
    assert positions(probe).tolist() == [len(ids) - 1, -1, 0, -1, -1, 1]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_funder_network_from_arrays_equals_the_one_read_from_tables(seed: int) -> None:
    con, people = _loaded(seed)
    _, af = network._build_graph(con, people)
    from_tables = network.funder_network(con)
    from_arrays = network.funder_network(con, af, network.funded_projects(con))
    assert from_arrays == from_tables
    assert from_tables["nodes"]["value"] == len(NAMES)
    multi = con.execute(
        "SELECT count(*) FILTER (WHERE k > 1), count(*) FROM (SELECT project_id, count(*) AS k FROM project_funders GROUP BY 1)"
    ).fetchone()
    share = from_tables["multi_funder_share"]["value"]
    assert multi is not None and share == pytest.approx(multi[0] / multi[1], abs=1e-6)  # figures: 6 places


def test_a_portfolio_without_participants_has_an_empty_network() -> None:
    con = _random_portfolio(1)
    con.execute("DELETE FROM participations")
    people = participants.load(con, "EUR")
    arrays = network.actor_arrays(people, network.funded_projects(con))
    assert len(arrays.graph.nodes) == 0 and len(arrays.graph.u) == 0
    assert arrays.components == (0, 0)
    assert arrays.modularity == (None, None)
    assert participants.helix_rows(people) == ([], 0, 0)


def test_participations_read_from_the_loaders_arrow_tables_equal_those_read_through_duckdb() -> None:
    con = _random_portfolio(4)
    arrow = {
        "participations": con.sql("SELECT * FROM participations").to_arrow_table(),
        "actors": con.sql("SELECT * FROM actors").to_arrow_table(),
    }
    assert pc_sum(arrow["participations"].column("is_funder")) > 0  # funder rows to leave out
    through_duckdb = participants.build(participants.fetch(con, "EUR"))
    from_arrow = participants.build(participants.fetch(con, "EUR", arrow))
    for name in ("project", "node", "helix", "pair_project", "pair_node", "actor_ids"):
        assert getattr(from_arrow, name).tolist() == getattr(through_duckdb, name).tolist()
    assert np.array_equal(from_arrow.money, through_duckdb.money, equal_nan=True)


def pc_sum(column: object) -> int:
    return int(pa_compute.sum(column).as_py())  # type: ignore[arg-type]
