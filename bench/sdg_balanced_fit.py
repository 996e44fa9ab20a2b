"""Fit the SDG mapping's per-goal thresholds on the train half of the balanced sets; report the held-out half.

    .venv/bin/python bench/sdg_balanced_fit.py            # fit on train, print train and held-out figures
    .venv/bin/python bench/sdg_balanced_fit.py --write    # and write them into sdg.calibration.json

The balanced sets (bench/data/sdg_balanced, every language present) are split by a hash of each text's id,
so the halves never change and never share a text. For each goal the threshold kept is the one with the
highest accuracy on the goal's true and hard-negative texts of the train half (ties: the one nearest the
current threshold). The stacking weights are left as they are (fitted by ``bench/mapping_eval.py --fit``).
The held-out half is never used for fitting: its mean per-goal accuracy is the figure to report, printed
before and after, overall and per language. Thresholds chosen on one kind of text did not carry over to
another before (issue 17): the sets mix IATI activities, grant summaries, abstracts and report paragraphs.

Since the SDG taxonomy ships a supervised model fitted on the same train half (``sdg.supervised.json``),
its scores on train texts are the scores of texts it has seen: thresholds fitted on them would be too
high for new texts. ``bench/sdg_head_fit.py`` fits the model and the thresholds together (on out-of-fold
scores); this script still reports, and ``--write`` refuses while a packaged model is in use.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sdg_balanced import Item, half, headline, load, score_goals

from missionboard.services.mapping import make_mapper

CALIBRATION = Path(__file__).resolve().parents[1] / "src/missionboard/mapping/taxonomies/sdg.calibration.json"


def mean_accuracy(items: list[Item], rows: list[int], decided: np.ndarray, goals: list[str]) -> float:
    predicted = [{goals[j] for j in range(len(goals)) if decided[i, j]} for i in rows]
    return headline(score_goals([items[i] for i in rows], predicted))[0]


def fit_thresholds(
    items: list[Item], rows: list[int], final: np.ndarray, goals: list[str], current: dict[str, float]
) -> dict[str, float]:
    """Per goal, the threshold with the highest accuracy on its labelled texts among ``rows``."""
    fitted = {}
    for j, goal in enumerate(goals):
        labelled = [i for i in rows if goal in items[i].labels]
        truth = np.array([items[i].labels[goal] for i in labelled], dtype=bool)
        scores = final[labelled, j]
        candidates = np.unique(np.concatenate([scores, [current[goal]]]))
        best = max(
            candidates, key=lambda t: (float(((scores >= t) == truth).mean()), -abs(float(t) - current[goal]))
        )
        fitted[goal] = round(float(best), 3)
    return fitted


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--write", action="store_true", help="write the fitted thresholds into the calibration"
    )
    args = parser.parse_args()
    items = load().items
    mapper = make_mapper("sdg")
    goals = list(mapper.goals)
    scores = mapper.score([item.text for item in items])
    final = mapper.combine(scores)
    current = {goal: mapper.calibration.threshold(goal) for goal in goals}
    rows = {name: [i for i, item in enumerate(items) if half(item) == name] for name in ("train", "test")}
    fitted = fit_thresholds(items, rows["train"], final, goals, current)
    before = np.stack([final[:, j] >= current[g] for j, g in enumerate(goals)], axis=1)
    after = np.stack([final[:, j] >= fitted[g] for j, g in enumerate(goals)], axis=1)
    print(f"{len(items)} texts: train {len(rows['train'])}, held out {len(rows['test'])}")
    print("| texts | thresholds in use | fitted on train |")
    print("|---|---|---|")
    for name in ("train", "test"):
        print(
            f"| {name} | {mean_accuracy(items, rows[name], before, goals):.3f} "
            f"| {mean_accuracy(items, rows[name], after, goals):.3f} |"
        )
    decided = mapper.assigned(scores)  # as ``classify`` decides (the thresholds in use, the floor)
    print(f"| test, as classify decides | {mean_accuracy(items, rows['test'], decided, goals):.3f} | — |")
    for lang in sorted({item.lang for item in items}):
        held = [i for i in rows["test"] if items[i].lang == lang]
        print(
            f"| held out, {lang} ({len(held)}) | {mean_accuracy(items, held, before, goals):.3f} "
            f"| {mean_accuracy(items, held, after, goals):.3f} |"
        )
    print("thresholds (in use → fitted):", {g: (round(current[g], 3), fitted[g]) for g in goals})
    if args.write and mapper.head is not None:
        print(
            "not written: the default blends a packaged model fitted on the train half; use bench/sdg_head_fit.py"
        )
        return 2
    if args.write:
        document = json.loads(CALIBRATION.read_text("utf-8"))
        document["thresholds"] = fitted
        document["fitted_on"] = (
            "stacking weights: train split of dpg, dpg-evidence, caf (bench/mapping_data.py); per-goal thresholds: "
            "the train half (by a hash of the id) of the balanced SDG sets, bench/data/sdg_balanced, each goal's "
            "threshold the one with the highest accuracy on its true and hard-negative texts (bench/sdg_balanced_fit.py)"
        )
        CALIBRATION.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {CALIBRATION}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
