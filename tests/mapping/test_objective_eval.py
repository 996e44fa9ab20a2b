"""bench/objective_eval.py (issue 17 item 4) on a tiny set, so the benchmark cannot rot unnoticed: its
metrics, its split, the roll-up of outcome links to objectives, the simulated review loop and the
report it prints; and the labelled CORDIS set it reads is the one recorded by its checksum."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"

# Short texts written for this test: three per mission, and three that serve none of them.
TEXTS = [
    (
        "a1",
        "Flood early warning and climate risk plans for coastal regions facing sea level rise.",
        ["adaptation"],
    ),
    ("a2", "Drought resilience and heatwave adaptation pathways for rural communities.", ["adaptation"]),
    ("a3", "Climate adaptation of regions: nature-based solutions against floods.", ["adaptation"]),
    ("c1", "Cancer screening programmes and early detection of tumours in primary care.", ["cancer"]),
    ("c2", "Quality of life of cancer survivors after chemotherapy and radiotherapy.", ["cancer"]),
    ("c3", "Oncology trials for childhood leukaemia and lymphoma.", ["cancer"]),
    ("o1", "Restoring marine ecosystems and cutting plastic litter in the ocean.", ["ocean"]),
    ("o2", "Freshwater and river restoration against water pollution.", ["ocean"]),
    ("o3", "Sustainable fisheries and aquaculture in the Baltic seas.", ["ocean"]),
    ("t1", "A climate-neutral city plan: net zero buildings and urban mobility.", ["cities"]),
    ("t2", "Smart cities pilot positive energy districts in municipalities.", ["cities"]),
    ("t3", "Decarbonising urban districts with zero emission public transport.", ["cities"]),
    ("s1", "Living labs restoring soil health and soil organic carbon on farms.", ["soil"]),
    ("s2", "Stopping land degradation, soil sealing and erosion.", ["soil"]),
    ("s3", "Regenerative agriculture and soil biodiversity monitoring.", ["soil"]),
    ("n1", "Quantum computing hardware for secure communication networks.", []),
    ("n2", "Semiconductor lithography for faster microchips.", []),
    ("n3", "Medieval manuscripts and the history of European libraries.", []),
]


@pytest.fixture(scope="module")
def bench() -> Any:
    sys.path.insert(0, str(BENCH))
    import objective_eval

    return objective_eval


@pytest.fixture(scope="module")
def tiny(bench: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("objective") / "tiny.jsonl"
    path.write_text(
        "".join(json.dumps({"id": i, "text": t, "labels": lab}) + "\n" for i, t, lab in TEXTS),
        encoding="utf-8",
    )
    return bench.eu_set(path)


def test_per_objective_metrics_count_as_by_hand(bench: Any) -> None:
    pred = np.array([[1, 0], [1, 0], [0, 1], [0, 0]], dtype=bool)
    gold = np.array([[1, 0], [0, 0], [1, 1], [0, 0]], dtype=bool)
    table = bench.per_goal(pred, gold, ["x", "y"])
    assert table["x"] == {"support": 2, "predicted": 2, "precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert table["y"]["precision"] == table["y"]["recall"] == table["y"]["f1"] == 1.0
    assert bench.macro(table, "f1") == 0.75
    # an objective without support is left out of the mean
    empty = bench.per_goal(pred, np.zeros_like(gold), ["x", "y"])
    assert bench.macro(empty, "f1") == 0.0


def test_split_is_fixed_disjoint_and_stratified(bench: Any) -> None:
    strata = ["a"] * 10 + ["b"] * 6 + [""] * 4
    pool, test = bench.split_strata(strata, seed=17)
    assert (pool, test) == bench.split_strata(strata, seed=17)
    assert sorted(pool + test) == list(range(20)) and not set(pool) & set(test)
    assert [sum(strata[i] == s for i in test) for s in ("a", "b", "")] == [5, 3, 2]
    assert bench.split_strata(strata, seed=18) != (pool, test)


def test_links_to_an_outcome_count_for_the_objectives_it_leads_to(bench: Any) -> None:
    # goals: objective A, objective B, an outcome leading to both
    rollup = np.array([[1, 0], [0, 1], [1, 1]], dtype=bool)
    links = np.array([[0, 0, 1], [1, 0, 0], [0, 0, 0]], dtype=bool)
    assert bench.up(links, rollup).tolist() == [[True, True], [True, False], [False, False]]


def test_the_review_loop_and_the_report(bench: Any, tiny: Any) -> None:
    assert tiny.objectives == ["adaptation", "cancer", "ocean", "cities", "soil"]
    assert tiny.gold.sum() == 15 and tiny.served.tolist() == tiny.gold.tolist()
    out = io.StringIO()
    report = bench.evaluate(
        tiny, batch=7, max_reviews=1000, seed=3, variants=((True, True), (False, False)), out=out
    )
    text = out.getvalue()
    assert "Per objective, default method (ensemble), every text (18 texts)" in text
    every = report["per_objective/every text"]
    assert set(every) == set(tiny.objectives) and all(every[g]["support"] == 3 for g in tiny.objectives)
    pool = report["pool"]
    assert pool + report["held_out"] == 18
    # the product's queue: only proposed links, so it runs out; every pair: each (text, goal) once
    proposed = report["curve/guarded, proposed links"]
    everything = report["curve/unguarded, all pairs"]
    assert "ran empty" in proposed["stopped"] and "ran empty" in everything["stopped"]
    reviews = [p["reviews"] for p in everything["points"]]
    assert reviews[0] == 0 and reviews[-1] == pool * 5
    assert all(b - a == 7 for a, b in itertools.pairwise(reviews[:-1])) and 0 < reviews[-1] - reviews[-2] <= 7
    assert proposed["points"][-1]["reviews"] <= reviews[-1]
    for curve in (proposed, everything):
        for goal, n in curve["reached"].items():
            f1s = [p["f1"][goal] for p in curve["points"]]
            first = next((p["reviews"] for p, f in zip(curve["points"], f1s, strict=True) if f >= 0.85), None)
            assert n == first
            assert f"  {goal}: " in text
    # before any review there is no supervised model: the supervised method alone assigns nothing
    assert all(v == 0.0 for v in everything["points"][0]["supervised_alone_f1"].values())


def test_the_cordis_set_is_the_recorded_one(bench: Any) -> None:
    data = (BENCH / "data" / "eu_missions_cordis.jsonl").read_bytes()
    recorded = (BENCH / "data" / "eu_missions_cordis.sha256").read_text().split()[0]
    assert hashlib.sha256(data).hexdigest() == recorded
    items = bench.load()
    goals = {"adaptation", "cancer", "ocean", "cities", "soil"}
    assert len(items) == 158 and sum(1 for it in items if it.labels) == 79
    assert all(it.labels <= goals and it.text for it in items)
    # the label is the topic code's: mission topics for positives, none for the negatives
    for it in items:
        assert it.topic.startswith("HORIZON-MISS-") == bool(it.labels), it.id
