"""Mapping to mission objectives (issue 17 item 4): per-objective precision and recall, and how many
reviews it takes to reach 85 % F1 on an objective.

    .venv/bin/python bench/objective_eval.py                       # the EU-Missions CORDIS set
    .venv/bin/python bench/objective_eval.py --demo --json /tmp/obj.json  # + the five demo missions
    .venv/bin/python bench/objective_eval.py --batch 5 --max-reviews 200

**The labels.** Agencies map their portfolio to a mission's own objectives, so the benchmark needs texts
labelled with mission objectives by someone other than us. CORDIS gives that for free: a Horizon Europe
project funded under a mission topic carries its mission in the topic code
(``HORIZON-MISS-2022-SOIL-01-04`` → "A Soil Deal for Europe"). ``bench/data/eu_missions_cordis.jsonl``
holds the mission-funded projects of one public CORDIS export (its source, commit and checksums are in
``bench/data/build_eu_missions_cordis.py``, which rebuilds it) and as many non-mission projects of the
same clusters (CL5 climate/energy/mobility, CL6 food/environment, Health) as hard negatives. The goals
are the five EU Missions of the built-in ``eu-missions`` taxonomy. The snapshot lacked the projects'
abstracts, so a project's text is its title and its deliverables' titles: shorter and terser than what
an agency maps, which makes this a hard test. A topic code says what a project was *funded under*, not
everything it serves: a CL6 project on coastal flooding may well serve the adaptation mission, so some
"false positives" here are right, and precision is a lower bound.

The demo workspace's missions (``missionboard demo``) are no independent test: its projects are written
by ``services/demo`` from themes that each name the objective they serve, so their labels are ours. Use
them to see the loop work, not to measure it. A demo mission's goals are its objectives and the outcomes
that lead to them; a link to an outcome counts for the objectives it leads to
(``Mission.link_attribution``), and is right when the project's objective is among them (the demo's own
review rule).

**Per objective.** The texts are mapped with the default method (``ensemble``, the taxonomy's packaged
calibration or the default one) exactly as ``missionboard classify --taxonomy eu-missions`` does; the
yes/no decision per text and goal is ``Mapper.assigned``. Nothing is fitted on this set, so the table is
over every text (and, for comparison with the curve, over the held-out half).

**Reviews.** A fixed split (seed ``SEED``, stratified by label) gives a review pool and a held-out half.
A simulated reviewer works the review queue as the product orders it — proposed links of the pool, the
most uncertain first (closest to their goal's threshold) — in batches, and answers from the CORDIS
label. After each batch the supervised model is retrained from the reviews (accepted → positive,
rejected → negative for that goal) as ``missionboard map --retrain`` does, and the default method
re-maps the pool and the held-out half with it. Two variants:

- ``guarded``: the product's rule — a goal's model joins the default method only when, fitted without
  the held-back third of the reviewed projects (``supervised.held_back``), it beats the current
  decisions there (``supervised.judge``); a model not accepted leaves the goal as it was;
- ``unguarded``: every goal's model that could be fitted joins the blend at once (what the default
  method would do without the guard), to show what the guard costs in reviews.

and two queues: ``proposed links`` (the product's queue: only links the method proposed, so a project
it missed is never shown to the reviewer) and ``all pairs`` (every project × objective pair of the pool,
proposed or not, the nearest its threshold first: textbook uncertainty sampling, which would need the
review queue to offer near-misses below the threshold).

The curve prints the held-out F1 per objective after each batch, and for each objective the number of
reviews after which it first reaches 85 % (or "not reached by N").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

import numpy as np

from missionboard.domain.mapping import Taxonomy
from missionboard.mapping.classifier import Mapper, TextScores
from missionboard.mapping.supervised import SupervisedModel, held_back, judge
from missionboard.mapping.supervised import train as train_supervised
from missionboard.mapping.taxonomy import builtin, taxonomy_of_mission, top_goals

DATA = Path(__file__).resolve().parent / "data" / "eu_missions_cordis.jsonl"
SEED = 17
TARGET_F1 = 0.85


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    labels: frozenset[str]
    topic: str = ""


def load(path: Path = DATA) -> list[Item]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            items.append(Item(str(r["id"]), r["text"], frozenset(r["labels"]), r.get("topic", "")))
    return items


def split_strata(
    strata: Sequence[str], seed: int = SEED, test_share: float = 0.5
) -> tuple[list[int], list[int]]:
    """Review pool and held-out indices: the same share of each stratum (a label, or "" for none) held
    out, chosen by a seeded shuffle."""
    groups: dict[str, list[int]] = {}
    for i, stratum in enumerate(strata):
        groups.setdefault(stratum, []).append(i)
    rng = random.Random(seed)
    pool, test = [], []
    for key in sorted(groups):
        idx = groups[key][:]
        rng.shuffle(idx)
        cut = round(len(idx) * test_share)
        test += idx[:cut]
        pool += idx[cut:]
    return sorted(pool), sorted(test)


def truth(items: Sequence[Item], goals: Sequence[str]) -> np.ndarray:
    return np.array([[g in it.labels for g in goals] for it in items], dtype=bool).reshape(
        len(items), len(goals)
    )


def per_goal(pred: np.ndarray, gold: np.ndarray, goals: Sequence[str]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for j, g in enumerate(goals):
        tp = int((pred[:, j] & gold[:, j]).sum())
        fp = int((pred[:, j] & ~gold[:, j]).sum())
        fn = int((~pred[:, j] & gold[:, j]).sum())
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        out[g] = {
            "support": tp + fn,
            "predicted": tp + fp,
            "precision": p,
            "recall": r,
            "f1": 2 * p * r / (p + r) if p + r else 0.0,
        }
    return out


def macro(table: dict[str, dict[str, float]], key: str) -> float:
    rows = [m[key] for m in table.values() if m["support"] > 0]
    return float(np.mean(rows)) if rows else 0.0


def up(decisions: np.ndarray, rollup: np.ndarray) -> np.ndarray:
    """Link decisions (texts × goals) → objective decisions (texts × objectives)."""
    linked: np.ndarray = (decisions.astype(np.int64) @ rollup.astype(np.int64)) > 0
    return linked


def take(scores: TextScores, idx: Sequence[int]) -> TextScores:
    """The rows ``idx`` of every score matrix."""
    rows = np.asarray(idx, dtype=np.intp)
    return replace(
        scores,
        sim=scores.sim[rows],
        zsim=scores.zsim[rows],
        top3=scores.top3[rows],
        sentence=scores.sentence[rows],
        proto=scores.proto[rows],
        query=scores.query[rows],
        rank1=scores.rank1[rows],
        supervised=None if scores.supervised is None else scores.supervised[rows],
        query_evidence=[scores.query_evidence[i] for i in idx],
        vectors=scores.vectors[rows],
        sentences=[scores.sentences[i] for i in idx],
        sentence_vectors=[scores.sentence_vectors[i] for i in idx],
    )


def decide(base: Mapper, scores: TextScores, model: SupervisedModel | None) -> tuple[np.ndarray, np.ndarray]:
    """The default method's scores and yes/no decisions with this supervised model (or none), as
    ``map`` decides after a retrain: only the goals whose model is ``used`` are blended."""
    mapper = Mapper(base.taxonomy, supervised=model, calibration=base.calibration, embedder=base.embedder)
    with_model = replace(
        scores,
        supervised=None
        if model is None
        else model.predict(scores.vectors, scores.query, base.goals, used_only=True),
    )
    final = mapper.combine(with_model)
    return final, mapper.assigned(with_model)


def supervised_alone(base: Mapper, scores: TextScores, model: SupervisedModel | None) -> np.ndarray:
    """The decisions of ``--method supervised`` (the model alone, every goal it could fit; none where
    it has no model)."""
    if model is None:
        return np.zeros((len(scores.query), len(base.goals)), dtype=bool)
    mapper = Mapper(base.taxonomy, method="supervised", supervised=model, calibration=base.calibration)
    with_model = replace(scores, supervised=model.predict(scores.vectors, scores.query, base.goals))
    return mapper.assigned(with_model)


def retrain(
    base: Mapper,
    scores: TextScores,
    keys: Sequence[str],
    reviewed: dict[int, dict[str, bool]],
    current: SupervisedModel | None,
    *,
    guarded: bool,
) -> SupervisedModel | None:
    """The model ``map --retrain`` would store after these reviews (``reviewed[row][goal]``)."""
    ids = sorted(reviewed)
    labels = [reviewed[i] for i in ids]
    vectors, query = scores.vectors[ids], scores.query[ids]
    everything = train_supervised(base.taxonomy.code, vectors, query, base.goals, labels)
    if not everything.goals:
        return current
    if not guarded:
        return everything
    held = np.array([held_back(f"bench:{keys[i]}") for i in ids], dtype=bool)
    fit = np.flatnonzero(~held)
    fitted = train_supervised(
        base.taxonomy.code, vectors[fit], query[fit], base.goals, [labels[k] for k in fit]
    )
    rows = [ids[k] for k in np.flatnonzero(held)]
    goals = {}
    in_use = {g: m for g, m in (current.goals if current else {}).items() if m.used}
    if rows:
        held_scores = take(scores, rows)
        _, now = decide(base, held_scores, current)
        _, new = decide(base, held_scores, fitted)
    for j, goal in enumerate(base.goals):
        accepted = False
        if rows and goal in fitted.goals:
            have = [k for k, i in enumerate(rows) if goal in reviewed[i]]
            gold = np.array([reviewed[rows[k]][goal] for k in have], dtype=bool)
            verdict = judge(gold, np.ones(len(have)), now[have, j], new[have, j])
            accepted = verdict.accepted
        if accepted:
            goals[goal] = fitted.goals[goal]
        elif goal in in_use:
            goals[goal] = in_use[goal]
        elif goal in everything.goals:
            goals[goal] = replace(everything.goals[goal], used=False)
    return replace(everything, goals=goals)


@dataclass
class Curve:
    variant: str
    points: list[tuple[int, dict[str, float]]] = field(default_factory=list)  # (reviews, F1 per goal)
    alone: list[dict[str, float]] = field(default_factory=list)  # the supervised method alone, same points
    stopped: str = ""

    def reached(self, goal: str, target: float = TARGET_F1, *, alone: bool = False) -> int | None:
        f1s = self.alone if alone else [f1 for _, f1 in self.points]
        return next((n for (n, _), f1 in zip(self.points, f1s, strict=True) if f1[goal] >= target), None)


def simulate(
    base: Mapper,
    scores: TextScores,
    gold: np.ndarray,
    keys: Sequence[str],
    pool: Sequence[int],
    test: Sequence[int],
    *,
    batch: int,
    max_reviews: int,
    guarded: bool,
    proposed_only: bool = True,
    rollup: np.ndarray | None = None,
    objectives: Sequence[str] | None = None,
    served: np.ndarray | None = None,
) -> Curve:
    """A reviewer answering the most uncertain links of the pool, ``batch`` at a time, with a retrain
    after each batch; the held-out F1 per goal before the first review and after each batch.

    ``proposed_only``: the queue holds the proposed links, as the product's review queue does; else
    every (project, objective) pair not yet reviewed, proposed or not, the nearest its threshold first.
    ``rollup`` (goals × objectives) says which objectives a link to each goal counts for (identity by
    default), ``served`` (texts × objectives) which objectives each text serves (``gold`` by default):
    F1 is per objective.
    """
    rollup = np.eye(len(base.goals), dtype=bool) if rollup is None else rollup
    objectives = list(base.goals) if objectives is None else list(objectives)
    gold_objectives = (gold if served is None else served)[test]
    curve = Curve(
        ("guarded" if guarded else "unguarded") + (", proposed links" if proposed_only else ", all pairs")
    )
    thresholds = base.thresholds()
    test_scores, pool_scores = take(scores, test), take(scores, pool)
    reviewed: dict[int, dict[str, bool]] = {}
    model: SupervisedModel | None = None
    n = 0
    while True:
        _, test_pred = decide(base, test_scores, model)
        f1 = {g: m["f1"] for g, m in per_goal(up(test_pred, rollup), gold_objectives, objectives).items()}
        curve.points.append((n, f1))
        alone = per_goal(up(supervised_alone(base, test_scores, model), rollup), gold_objectives, objectives)
        curve.alone.append({g: m["f1"] for g, m in alone.items()})
        if n >= max_reviews:
            curve.stopped = f"stopped at {max_reviews} reviews"
            break
        final, proposed = decide(base, pool_scores, model)
        candidates = proposed if proposed_only else np.ones_like(proposed)
        queue = sorted(
            (abs(float(final[k, j]) - float(thresholds[j])), pool[k], j)
            for k, j in zip(*np.nonzero(candidates), strict=True)
            if base.goals[j] not in reviewed.get(pool[k], {})
        )
        if not queue:
            curve.stopped = f"the review queue ran empty after {n} reviews"
            break
        for _, i, j in queue[: min(batch, max_reviews - n)]:
            reviewed.setdefault(i, {})[base.goals[j]] = bool(gold[i, j])
            n += 1
        model = retrain(base, scores, keys, reviewed, model, guarded=guarded)
    return curve


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
        return f"{one:.2f} {five:.2f} {fifteen:.2f}"
    except OSError:
        return "n/a"


@dataclass
class LabelledSet:
    """Texts, and per goal of ``taxonomy`` whether a link from the text to it is right (``gold``, what a
    reviewer answers); per objective whether the text serves it (``served``); ``rollup`` (goals ×
    objectives) says which objectives a link to each goal counts for (``Mission.link_attribution``)."""

    name: str
    taxonomy: Taxonomy
    texts: list[str]
    keys: list[str]
    gold: np.ndarray
    objectives: list[str]
    rollup: np.ndarray
    served: np.ndarray
    strata: list[str]
    about: str = ""


def eu_set(path: Path = DATA) -> LabelledSet:
    items = load(path)
    taxonomy = builtin("eu-missions")
    goals = [g.code for g in top_goals(taxonomy)]
    return LabelledSet(
        "EU Missions (CORDIS topic codes)",
        taxonomy,
        [it.text for it in items],
        [it.id for it in items],
        truth(items, goals),
        goals,
        np.eye(len(goals), dtype=bool),
        truth(items, goals),
        [min(it.labels) if it.labels else "" for it in items],
        f"{sum(1 for it in items if it.labels)} mission-funded projects, "
        f"{sum(1 for it in items if not it.labels)} hard negatives (CL5, CL6, Health)",
    )


def demo_sets(workdir: Path) -> list[LabelledSet]:
    """One set per demo mission: every demo project, labelled by the objective its theme was written
    for (our own generator's label, not an independent one)."""
    from missionboard.domain.mapping import project_text_of
    from missionboard.missionfile import read_mission
    from missionboard.services.demo import portfolio
    from missionboard.services.demo.build import mission_files
    from missionboard.services.missions import import_missions
    from missionboard.store.workspace import Workspace

    national, development, _ = portfolio.generate_projects()
    projects = national + development
    texts = [project_text_of(p.title, p.abstract) for p in projects]
    workspace = Workspace.open(f"sqlite:///{workdir / 'objective-eval.db'}", create=True)
    import_missions(workspace, mission_files(), user="bench")
    out = []
    for path in mission_files():
        mission = read_mission(path)
        with workspace.reading() as session:
            taxonomy = taxonomy_of_mission(session, mission.id)
        goals = [g.code for g in top_goals(taxonomy)]
        attribution = mission.link_attribution()
        objectives = [o.id for o in mission.objectives]
        rollup = np.array([[o in attribution.get(g, []) for o in objectives] for g in goals], dtype=bool)
        serves = [p.theme.objective if p.theme.mission == mission.id else None for p in projects]
        gold = np.array(
            [[s is not None and s in attribution.get(g, []) for g in goals] for s in serves], dtype=bool
        )
        out.append(
            LabelledSet(
                f"demo mission {mission.id} (labels written by services/demo)",
                taxonomy,
                texts,
                [p.id for p in projects],
                gold,
                objectives,
                rollup,
                np.array([[s == o for o in objectives] for s in serves], dtype=bool),
                [s or "" for s in serves],
                f"{sum(1 for s in serves if s)} of {len(projects)} demo projects serve one of its objectives",
            )
        )
    workspace.close()
    return out


def evaluate(
    data: LabelledSet,
    *,
    batch: int,
    max_reviews: int,
    seed: int = SEED,
    variants: Sequence[tuple[bool, bool]] = ((True, True), (True, False), (False, True), (False, False)),
    out: TextIO = sys.stdout,
) -> dict[str, object]:
    """Print (and return) the per-objective table and the active-learning curves of one set."""

    def say(line: str = "") -> None:
        print(line, file=out)

    base = Mapper(data.taxonomy)
    started = time.perf_counter()
    base.load()
    scores = base.score(data.texts)
    say(
        f"\n## {data.name}\n\n{len(data.texts)} texts: {data.about}; scored in "
        f"{time.perf_counter() - started:.1f}s (model load included)"
    )
    pool, test = split_strata(data.strata, seed)
    gold_obj = data.served
    report: dict[str, object] = {"texts": len(data.texts), "pool": len(pool), "held_out": len(test)}
    query = Mapper(data.taxonomy, method="query", calibration=base.calibration)
    preds = {
        "ensemble": up(base.assigned(scores), data.rollup),
        "query": up(query.assigned(scores), data.rollup),
    }
    for name, idx in (("every text", list(range(len(data.texts)))), ("held-out half", test)):
        table = per_goal(preds["ensemble"][idx], gold_obj[idx], data.objectives)
        q = per_goal(preds["query"][idx], gold_obj[idx], data.objectives)
        say(
            f"\nPer objective, default method (ensemble), {name} ({len(idx)} texts); last columns: the "
            "query method alone:"
        )
        say("| objective | support | proposed | precision | recall | F1 | query P | query R | query F1 |")
        say("|---|---|---|---|---|---|---|---|---|")
        for g in data.objectives:
            t = table[g]
            say(
                f"| {g} | {t['support']} | {t['predicted']} | {t['precision']:.3f} | {t['recall']:.3f} | "
                f"{t['f1']:.3f} | {q[g]['precision']:.3f} | {q[g]['recall']:.3f} | {q[g]['f1']:.3f} |"
            )
        say(
            f"| macro | {sum(int(t['support']) for t in table.values())} | "
            f"{sum(int(t['predicted']) for t in table.values())} | {macro(table, 'precision'):.3f} | "
            f"{macro(table, 'recall'):.3f} | {macro(table, 'f1'):.3f} | {macro(q, 'precision'):.3f} | "
            f"{macro(q, 'recall'):.3f} | {macro(q, 'f1'):.3f} |"
        )
        report[f"per_objective/{name}"] = table
        report[f"per_objective_query/{name}"] = q

    for proposed_only, guarded in variants:
        started = time.perf_counter()
        curve = simulate(
            base,
            scores,
            data.gold,
            data.keys,
            pool,
            test,
            batch=batch,
            max_reviews=max_reviews,
            guarded=guarded,
            proposed_only=proposed_only,
            rollup=data.rollup,
            objectives=data.objectives,
            served=data.served,
        )
        say(
            f"\nActive learning ({curve.variant}), a retrain after each batch of {batch} "
            f"({curve.stopped}; {time.perf_counter() - started:.1f}s). Held-out F1 per objective:"
        )
        say("| reviews | " + " | ".join(data.objectives) + " | macro | supervised alone: macro |")
        say("|---" * (len(data.objectives) + 3) + "|")
        for (n, f1), alone in zip(curve.points, curve.alone, strict=True):
            say(
                f"| {n} | "
                + " | ".join(f"{f1[g]:.2f}" for g in data.objectives)
                + f" | {np.mean(list(f1.values())):.3f} | {np.mean(list(alone.values())):.3f} |"
            )
        last = curve.points[-1][0]
        say(
            f"Reviews until F1 ≥ {TARGET_F1:.0%} on the held-out half (default method; supervised method alone):"
        )
        for g in data.objectives:
            r, a = curve.reached(g), curve.reached(g, alone=True)
            say(
                f"  {g}: {r if r is not None else f'not reached by {last}'}; "
                f"{a if a is not None else f'not reached by {last}'} "
                f"(F1 after the last batch {curve.points[-1][1][g]:.2f}; {curve.alone[-1][g]:.2f})"
            )
        report[f"curve/{curve.variant}"] = {
            "stopped": curve.stopped,
            "points": [
                {"reviews": n, "f1": f1, "supervised_alone_f1": a}
                for (n, f1), a in zip(curve.points, curve.alone, strict=True)
            ],
            "reached": {g: curve.reached(g) for g in data.objectives},
            "reached_supervised_alone": {g: curve.reached(g, alone=True) for g in data.objectives},
        }
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--batch", type=int, default=10, help="reviews per retrain")
    parser.add_argument("--max-reviews", type=int, default=400)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--demo", action="store_true", help="also the demo missions (labels written by us)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)

    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs; "
        f"load average before: {load_average()}"
    )
    started = time.perf_counter()
    report: dict[str, object] = {}
    sets = [eu_set(args.data)]
    if args.demo:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            sets += demo_sets(Path(tmp))
    for data in sets:
        variants: tuple[tuple[bool, bool], ...] = ((True, True), (True, False), (False, True), (False, False))
        if data.name.startswith("demo"):
            variants = ((True, True), (False, False))
        report[data.name] = evaluate(
            data, batch=args.batch, max_reviews=args.max_reviews, seed=args.seed, variants=variants
        )
    print(f"\ntotal {time.perf_counter() - started:.0f}s; load average after: {load_average()}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
