"""Rebuild ``eu_missions_cordis.jsonl``: Horizon Europe projects labelled with their EU Mission by the
topic code they were funded under, plus as many hard negatives from the same clusters.

The source is CORDIS's "EU research projects under Horizon Europe (2021-2027)" export as committed to
the public repository VoteVeto2/MDA_project (commit 58a27c712c127a600f777266b5e822bbf9f6d856, 2025-06-04;
the repository has no licence file; the data are CORDIS's, © European Union, reusable under CC BY 4.0 by
Commission Decision 2011/833/EU). That snapshot lacks ``project.xlsx`` (too large; absent from the
mirror), so the projects' ``objective`` abstracts are not there. What the snapshot does hold:

- ``dataset/projects/topics.xlsx``: every project's call topic (15,341 rows) — the label;
- ``dataset/summaries.xlsx``: the periodic-report records, whose title carries the project's full title
  (3,521 projects);
- ``dataset/deliverables.xlsx``: the titles of the projects' public deliverables (20,815 rows).

A project's text is therefore its title followed by its deliverables' titles (the words its consortium
chose), capped at ``MAX_CHARS``. Only projects with such text are kept: 79 of the export's 228
projects funded under the five missions. The label comes from the topic code (``HORIZON-MISS-2022-SOIL-01-04`` → ``soil``), which no
one here wrote.

    .venv/bin/python bench/data/build_eu_missions_cordis.py [--git-dir PATH]

(fetch the snapshot first; PATH defaults to /work/.mirror/VoteVeto2+MDA_project/repo). The blobs are
checked against their git ids below, and the output's SHA-256 is printed to compare with
``eu_missions_cordis.sha256``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import re
import subprocess
from collections import defaultdict
from pathlib import Path

REPO = "VoteVeto2/MDA_project"
COMMIT = "58a27c712c127a600f777266b5e822bbf9f6d856"
BLOBS = {
    "dataset/projects/topics.xlsx": "e61d2213a12b5543697a9645736d7dd9e6ef153b",
    "dataset/summaries.xlsx": "01a7b28b8d042ca28ca0f64487e56f7b9622a36f",
    "dataset/deliverables.xlsx": "735a64a06bdeb024075876a3f81db650731bc757",
}
OUT = Path(__file__).resolve().parent / "eu_missions_cordis.jsonl"
MAX_CHARS = 1200
SEED = 17

# Mission part of a HORIZON-MISS topic code → goal code in taxonomies/eu-missions.yaml.
MISSIONS = {
    "CLIMA": "adaptation",
    "CANCER": "cancer",
    "UNCAN": "cancer",
    "OCEAN": "ocean",
    "CIT": "cities",
    "CITIES": "cities",
    "SOIL": "soil",
}
# Hard negatives: non-mission topics of the clusters the missions draw on.
NEGATIVE_GROUPS = {
    "HORIZON-CL5": "climate, energy, mobility",
    "HORIZON-CL6": "food, bioeconomy, natural resources, environment",
    "HORIZON-HLTH": "health",
}


def mission_labels(topic: str) -> set[str]:
    """The five missions a topic code funds (a joint topic such as ``…-SOIL-CANCER`` funds two)."""
    if not topic.startswith("HORIZON-MISS-"):
        return set()
    return {MISSIONS[t] for t in topic.split("-")[3:] if t in MISSIONS}


def _rows(data: bytes) -> list[tuple[object, ...]]:
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))[1:]


def _blob(git_dir: Path, path: str) -> bytes:
    blob = subprocess.run(
        ["git", "--git-dir", str(git_dir), "rev-parse", f"{COMMIT}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if blob != BLOBS[path]:
        raise SystemExit(f"{path}: blob {blob} is not the expected {BLOBS[path]}")
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), "cat-file", "blob", blob], check=True, capture_output=True
    ).stdout


def build(git_dir: Path) -> list[dict[str, object]]:
    topics: dict[str, list[str]] = defaultdict(list)
    for pid, topic, _ in _rows(_blob(git_dir, "dataset/projects/topics.xlsx")):
        topics[str(pid)].append(str(topic))
    titles: dict[str, str] = {}
    for _, title, pid, acronym, *_ in _rows(_blob(git_dir, "dataset/summaries.xlsx")):
        # "Periodic Reporting for period 1 - ACRONYM (Full title of the project)"
        head = f"{acronym} ("
        full = str(title)
        if head in full and full.endswith(")"):
            titles[str(pid)] = full[full.index(head) + len(head) : -1].strip()
    deliverables: dict[str, list[str]] = defaultdict(list)
    for _, title, _, _, pid, *_ in _rows(_blob(git_dir, "dataset/deliverables.xlsx")):
        t = re.sub(r"\s+", " ", str(title or "")).strip().strip('"')
        if t and t not in deliverables[str(pid)]:
            deliverables[str(pid)].append(t)

    def text(pid: str) -> str:
        parts = ([titles[pid]] if pid in titles else []) + sorted(deliverables.get(pid, []))
        return ". ".join(p.rstrip(".") for p in parts)[:MAX_CHARS]

    positives: list[tuple[str, list[str]]] = []
    negatives: dict[str, list[str]] = defaultdict(list)
    for pid in sorted(topics):
        labels = set[str]().union(*(mission_labels(t) for t in topics[pid]))
        if not text(pid):
            continue
        if labels:
            positives.append((pid, sorted(labels)))
        elif not any(t.startswith("HORIZON-MISS-") for t in topics[pid]):
            group = next((g for g in NEGATIVE_GROUPS if any(t.startswith(g) for t in topics[pid])), None)
            if group:
                negatives[group].append(pid)
    rng = random.Random(SEED)
    chosen: list[str] = []
    per_group = -(-len(positives) // len(NEGATIVE_GROUPS))
    for group in NEGATIVE_GROUPS:
        chosen += rng.sample(negatives[group], min(per_group, len(negatives[group])))
    chosen = sorted(chosen[: len(positives)])
    source = f"CORDIS Horizon Europe export via github.com/{REPO}@{COMMIT[:12]}"
    out: list[dict[str, object]] = []
    for pid, names in positives:
        out.append(
            {
                "id": pid,
                "title": titles.get(pid, ""),
                "text": text(pid),
                "topic": ";".join(topics[pid]),
                "labels": names,
                "source": source,
            }
        )
    for pid in chosen:
        out.append(
            {
                "id": pid,
                "title": titles.get(pid, ""),
                "text": text(pid),
                "topic": ";".join(topics[pid]),
                "labels": [],
                "source": source,
            }
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--git-dir", type=Path, default=Path("/work/.mirror/VoteVeto2+MDA_project/repo"))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    records = build(args.git_dir)
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    args.out.write_bytes(data)
    counts: dict[str, int] = defaultdict(int)
    for r in records:
        labels = r["labels"]
        assert isinstance(labels, list)
        for label in labels or ["(none)"]:
            counts[str(label)] += 1
    print(f"wrote {len(records)} projects to {args.out}: {dict(sorted(counts.items()))}")
    print(f"sha256 {hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
