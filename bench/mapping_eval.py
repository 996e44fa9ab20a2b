"""Per-goal precision, recall, F1 and accuracy of the SDG mapping on held-out labelled data.

    .venv/bin/python bench/mapping_eval.py              # report on the test split
    .venv/bin/python bench/mapping_eval.py --fit        # fit stacking weights and per-goal thresholds
                                                        # on the TRAIN split only, write
                                                        # src/missionboard/mapping/taxonomies/sdg.calibration.json,
                                                        # then report on the test split

Datasets and the split: see bench/mapping_data.py. The ``own`` set is never used for fitting.
Per-goal accuracy is (TP + TN) / N for the yes/no decision "does this text serve goal g", as in the
published per-goal comparisons; precision, recall and F1 are per goal too, then averaged (macro).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mapping_data import Example, load_all

from missionboard.mapping.classifier import FEATURES, SEMANTIC_FEATURES, Calibration, Mapper, TextScores
from missionboard.mapping.supervised import train as train_supervised
from missionboard.mapping.taxonomy import builtin

CALIBRATION = Path(__file__).resolve().parents[1] / "src/missionboard/mapping/taxonomies/sdg.calibration.json"
FIT_SETS = ("dpg", "dpg-evidence", "caf")


def truth(examples: list[Example], goals: list[str]) -> np.ndarray:
    return np.array([[g in e.goals for g in goals] for e in examples], dtype=bool)


def metrics(pred: np.ndarray, gold: np.ndarray, goals: list[str]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for j, g in enumerate(goals):
        tp = int((pred[:, j] & gold[:, j]).sum())
        fp = int((pred[:, j] & ~gold[:, j]).sum())
        fn = int((~pred[:, j] & gold[:, j]).sum())
        tn = int((~pred[:, j] & ~gold[:, j]).sum())
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        out[g] = {
            "support": tp + fn,
            "precision": p,
            "recall": r,
            "f1": f1,
            "accuracy": (tp + tn) / max(1, len(pred)),
        }
    return out


def macro(per_goal: dict[str, dict[str, float]], key: str) -> float:
    rows = [m[key] for m in per_goal.values() if m["support"] > 0]
    return float(np.mean(rows)) if rows else 0.0


def predict(mapper: Mapper, scores: TextScores, min_labels: bool = True) -> np.ndarray:
    final = mapper.combine(scores)
    pred = final >= mapper.thresholds()[None, :]
    if min_labels and mapper.method == "ensemble":
        floor = mapper.calibration.min_label_floor
        top = final.argmax(axis=1)
        empty = ~pred.any(axis=1) & (final.max(axis=1) >= floor)
        pred[np.arange(len(pred))[empty], top[empty]] = True
    return pred


def fit(mapper: Mapper, scores: TextScores, gold: np.ndarray, goals: list[str]) -> Calibration:
    from sklearn.linear_model import LogisticRegression

    x = scores.feature_matrix().reshape(-1, len(FEATURES))
    y = gold.reshape(-1)
    lr = LogisticRegression(C=1.0, fit_intercept=False, max_iter=5000).fit(x, y)
    weights = [float(w) for w in lr.coef_[0]]
    sem = LogisticRegression(C=1.0, fit_intercept=False, max_iter=5000).fit(x[:, :SEMANTIC_FEATURES], y)
    logit = scores.feature_matrix() @ np.asarray(weights)
    final = 1 / (1 + np.exp(-logit))
    grid = np.arange(0.05, 0.951, 0.025)

    def best_threshold(p: np.ndarray, t: np.ndarray) -> float:
        f1s = []
        for th in grid:
            pr = p >= th
            tp = (pr & t).sum()
            f1s.append(2 * tp / max(1, pr.sum() + t.sum()))
        return float(grid[int(np.argmax(f1s))])

    global_t = best_threshold(final.reshape(-1), gold.reshape(-1))
    thresholds = {}
    for j, g in enumerate(goals):
        n_pos = int(gold[:, j].sum())
        t = best_threshold(final[:, j], gold[:, j]) if n_pos else global_t
        thresholds[g] = round((n_pos * t + 10 * global_t) / (n_pos + 10), 3)
    sem_final = 1 / (1 + np.exp(-(scores.feature_matrix()[..., :SEMANTIC_FEATURES] @ sem.coef_[0])))
    q_t = best_threshold(scores.query.reshape(-1), gold.reshape(-1))
    calibration = Calibration(
        weights=weights,
        thresholds=thresholds,
        default_threshold=round(global_t, 3),
        query_threshold=round(max(q_t, 0.01), 3),
        semantic_threshold=round(best_threshold(sem_final.reshape(-1), gold.reshape(-1)), 3),
        fitted_on="train split of " + ", ".join(FIT_SETS) + " (bench/mapping_data.py)",
        semantic_weights=[float(w) for w in sem.coef_[0]],
    )
    mapper.calibration = calibration
    best_floor, best_f1 = 1.0, -1.0
    for floor in (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 1.0):
        calibration.min_label_floor = floor
        f1 = macro(metrics(predict(mapper, scores), gold, goals), "f1")
        if f1 > best_f1 + 1e-6:
            best_floor, best_f1 = floor, f1
    calibration.min_label_floor = best_floor
    return calibration


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fit", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument(
        "--aurora", type=Path, help="also score Aurora's SDG queries from this folder (query only)"
    )
    args = parser.parse_args()

    taxonomy = builtin("sdg")
    data = load_all()
    mapper = Mapper(taxonomy)
    goals = mapper.goals
    t0 = time.perf_counter()
    scored: dict[str, tuple[list[Example], TextScores]] = {}
    for name, examples in data.items():
        scored[name] = (examples, mapper.score([e.text for e in examples]))
    print(
        f"scored {sum(len(v) for v in data.values())} texts in {time.perf_counter() - t0:.1f}s",
        file=sys.stderr,
    )

    def subset(name: str, split: str) -> tuple[list[Example], TextScores]:
        examples, s = scored[name]
        idx = [i for i, e in enumerate(examples) if e.split == split or (name == "own" and split == "test")]
        if name == "own" and split == "train":
            idx = []
        take = np.array(idx, dtype=np.int64)
        sub = TextScores(
            s.sim[take],
            s.zsim[take],
            s.top3[take],
            s.sentence[take],
            s.proto[take],
            s.query[take],
            s.rank1[take],
            None,
            [s.query_evidence[i] for i in idx],
            s.vectors[take],
            [s.sentences[i] for i in idx],
            [s.sentence_vectors[i] for i in idx],
        )
        return [examples[i] for i in idx], sub

    def concat(parts: list[tuple[list[Example], TextScores]]) -> tuple[list[Example], TextScores]:
        ex = [e for p in parts for e in p[0]]
        cat = lambda attr: np.concatenate([getattr(p[1], attr) for p in parts])  # noqa: E731
        return ex, TextScores(
            cat("sim"),
            cat("zsim"),
            cat("top3"),
            cat("sentence"),
            cat("proto"),
            cat("query"),
            cat("rank1"),
            None,
            [q for p in parts for q in p[1].query_evidence],
            cat("vectors"),
            [s for p in parts for s in p[1].sentences],
            [s for p in parts for s in p[1].sentence_vectors],
        )

    train_ex, train_scores = concat([subset(n, "train") for n in FIT_SETS])
    if args.fit:
        calibration = fit(mapper, train_scores, truth(train_ex, goals), goals)
        CALIBRATION.write_text(json.dumps(calibration.as_dict(), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {CALIBRATION}", file=sys.stderr)
        mapper.calibration = calibration

    # A supervised model trained on the train split's source labels (as `map --retrain` would).
    labels = [{g: g in e.goals for g in goals} for e in train_ex]
    supervised = train_supervised("sdg", train_scores.vectors, train_scores.query, goals, labels)

    report: dict[str, object] = {}
    lines = [
        "| dataset (test split) | texts | method | macro P | macro R | macro F1 | avg per-goal accuracy | top-1 hit |",
        "|---|---|---|---|---|---|---|---|",
    ]
    per_goal_table: dict[str, dict[str, dict[str, float]]] = {}
    for name in data:
        examples, s = subset(name, "test")
        gold = truth(examples, goals)
        for method in ("query", "semantic", "ensemble", "ensemble+supervised"):
            m = Mapper(
                taxonomy,
                method="ensemble" if method.startswith("ensemble") else method,
                calibration=mapper.calibration,
                supervised=supervised if method == "ensemble+supervised" else None,
            )
            if method == "ensemble+supervised":
                s.supervised = supervised.predict(s.vectors, s.query, goals)
            else:
                s.supervised = None
            pred = predict(m, s)
            final = m.combine(s)
            top1 = (
                float(np.mean([gold[i, int(np.argmax(final[i]))] for i in range(len(gold))]))
                if len(gold)
                else 0
            )
            per_goal = metrics(pred, gold, goals)
            row = {k: macro(per_goal, k) for k in ("precision", "recall", "f1", "accuracy")}
            row["top1"] = top1
            report[f"{name}/{method}"] = {"texts": len(examples), **row}
            lines.append(
                f"| {name} | {len(examples)} | {method} | {row['precision']:.3f} | {row['recall']:.3f} | "
                f"{row['f1']:.3f} | {row['accuracy']:.3f} | {top1:.3f} |"
            )
            if method == "ensemble":
                per_goal_table[name] = per_goal
    if args.aurora:
        from missionboard.mapping.aurora import read_folder

        aurora = Mapper(read_folder(args.aurora), method="query")
        aurora.calibration = replace(aurora.calibration, query_threshold=0.01)
        for name in data:
            examples, _ = subset(name, "test")
            gold = truth(examples, goals)
            results = aurora.classify([e.text for e in examples])
            pred = np.array(
                [[any(lab.goal == g for lab in labels) for g in goals] for labels in results], dtype=bool
            )
            per_goal = metrics(pred, gold, goals)
            row = {k: macro(per_goal, k) for k in ("precision", "recall", "f1", "accuracy")}
            top1 = float(
                np.mean([bool(r) and gold[i, goals.index(r[0].goal)] for i, r in enumerate(results)])
            )
            report[f"{name}/aurora-queries"] = {"texts": len(examples), **row, "top1": top1}
            lines.append(
                f"| {name} | {len(examples)} | Aurora queries | {row['precision']:.3f} | {row['recall']:.3f} | "
                f"{row['f1']:.3f} | {row['accuracy']:.3f} | {top1:.3f} |"
            )
    print("\n".join(lines))
    print()
    print("Per goal, default method (ensemble), all test splits pooled:")
    pooled_ex, pooled = concat([subset(n, "test") for n in data])
    pred = predict(mapper, pooled)
    per_goal = metrics(pred, truth(pooled_ex, goals), goals)
    print("| goal | support | precision | recall | F1 | accuracy |\n|---|---|---|---|---|---|")
    for g in goals:
        m = per_goal[g]
        print(
            f"| {g} | {m['support']} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['accuracy']:.3f} |"
        )
    print(
        f"| macro | {sum(int(m['support']) for m in per_goal.values())} | {macro(per_goal, 'precision'):.3f} | "
        f"{macro(per_goal, 'recall'):.3f} | {macro(per_goal, 'f1'):.3f} | {macro(per_goal, 'accuracy'):.3f} |"
    )
    report["pooled/per_goal"] = per_goal
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
