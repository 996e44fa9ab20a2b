"""Does `map --retrain` on CAF's IATI SDG tags lower the default method's per-goal accuracy?

Imports CAF's activities of bench/mapping_data's train split (with their tags) into a fresh workspace,
runs map --retrain (default method, confirmed), then scores the test split of the project's labelled
sets (dpg, dpg-evidence, caf, and all of own) and the balanced sets with hard negatives
(bench/data/sdg_balanced) with the default method before and after.
Per goal: balanced accuracy (mean of recall on texts about the goal and on texts not about it), what a
balanced per-goal set measures; the headline is the mean over the goals with positives.
Usage: python bench/retrain_guard_check.py [workdir]
"""

import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import mapping_data as data  # noqa: E402

from missionboard.mapping.classifier import Mapper  # noqa: E402
from missionboard.mapping.taxonomy import builtin  # noqa: E402
from missionboard.services import mapping as service  # noqa: E402
from missionboard.services.ingest import ingest_files  # noqa: E402
from missionboard.store.workspace import Workspace  # noqa: E402

work = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp())
tree = etree.parse(
    str(data.SHARED / "iati" / "caf-activities-2025-10-10.xml"),
    etree.XMLParser(resolve_entities=False, no_network=True),
)
for activity in list(tree.getroot().iter("iati-activity")):
    ident = (activity.findtext("iati-identifier") or "").strip()
    if data.Example(f"caf:{ident}", "", frozenset(), "caf").split == "test":
        activity.getparent().remove(activity)
tree.write(str(work / "caf-train.xml"))
workspace = Workspace.open(f"sqlite:///{work / 'caf.db'}", create=True)
ingest_files(workspace, "iati", [work / "caf-train.xml"])
t = time.perf_counter()
summary = service.map_projects(workspace, "sdg", retrain=True, user="check")
with workspace.reading() as session:
    model = service.load_model(session, "sdg")
assert model is not None
report = model.report
assert report is not None
print(f"retrain: {summary.retrained} in {time.perf_counter() - t:.0f} s")
print(
    f"publisher labels on {report.publisher_labelled_projects} projects, compared {report.publisher_compared}, "
    f"weight {report.publisher_weight}; fit {report.fit_projects}, held back {report.held_back_projects}"
)
for g in report.goals:
    print(
        f"  goal {g.goal:>2}: {g.reason:<55} current {g.current_score} retrained {g.retrained_score} gain {g.gain}"
    )

sets = data.load_all(data.SHARED)
before = Mapper(builtin("sdg"))
after = service.make_mapper("sdg", workspace=workspace)
assert after.supervised is not None
rows = []
for name, examples in sets.items():
    examples = [e for e in examples if e.split == "test" or name == "own"]
    texts = [e.text for e in examples]
    gold = np.array([[g in e.goals for g in before.goals] for e in examples])
    scores = before.score(texts)
    with_model = replace(
        scores, supervised=after.supervised.predict(scores.vectors, scores.query, after.goals, used_only=True)
    )
    for label, decided in (("before", before.assigned(scores)), ("after", after.assigned(with_model))):
        per_goal = []
        for j in range(len(before.goals)):
            pos, neg = gold[:, j], ~gold[:, j]
            if pos.sum() and neg.sum():
                per_goal.append((decided[pos, j].mean() + (~decided[neg, j]).mean()) / 2)
        plain = (decided == gold).mean()
        rows.append((name, len(examples), label, 100 * np.mean(per_goal), len(per_goal), 100 * plain))
# The balanced sets with hard negatives (bench/data/sdg_balanced, every language present): the issue's
# measure, the mean over the goals of the accuracy of each goal's yes/no decision on its labelled texts.
import sdg_balanced  # noqa: E402

balanced = sdg_balanced.load().items
scores = before.score([item.text for item in balanced])
with_model = replace(
    scores, supervised=after.supervised.predict(scores.vectors, scores.query, after.goals, used_only=True)
)
for label, decided in (("before", before.assigned(scores)), ("after", after.assigned(with_model))):
    predicted = [
        {before.goals[j] for j in range(len(before.goals)) if decided[i, j]} for i in range(len(balanced))
    ]
    mean, pooled = sdg_balanced.headline(sdg_balanced.score_goals(balanced, predicted))
    print(
        f"balanced sets ({len(balanced)} texts), {label}: mean per-goal accuracy {100 * mean:.2f}, pooled {100 * pooled:.2f}"
    )
print(f"{'set':<13} {'texts':>5} {'':<6} {'mean per-goal balanced acc':>27} {'goals':>5} {'pooled acc':>10}")
for name, n, label, bal, goals, plain in rows:
    print(f"{name:<13} {n:>5} {label:<6} {bal:>27.2f} {goals:>5} {plain:>10.2f}")
workspace.close()
