"""Per-language precision and recall of the prescriptive-statement check (domain/prescriptive.py).

    python bench/prescriptive_eval.py                 # held-out set, then the dev set for reference
    python bench/prescriptive_eval.py --errors        # also list every statement judged wrongly

``bench/data/prescriptive_dev.csv`` is the set the word lists were built on; ``prescriptive_heldout.csv``
was written before the check existed and is never tuned on. Columns: lang, label (prescriptive|open),
statement. "Positive" means prescriptive: precision is the share of flagged statements that prescribe a
solution, recall the share of prescriptive statements that are flagged. Every language's lists are
applied to every statement, as the quality check does.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

from missionboard.domain.prescriptive import LANGUAGES, is_prescriptive

DATA = Path(__file__).parent / "data"


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def evaluate(path: Path) -> tuple[dict[str, Counts], list[tuple[str, str, str]]]:
    """Counts per language (and 'all'), and the statements judged wrongly (lang, label, statement)."""
    counts = {code: Counts() for code in (*LANGUAGES, "all")}
    errors = []
    with path.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            truth = row["label"] == "prescriptive"
            flagged = is_prescriptive(row["statement"])
            for key in (row["lang"], "all"):
                c = counts[key]
                if truth and flagged:
                    c.tp += 1
                elif flagged:
                    c.fp += 1
                elif truth:
                    c.fn += 1
                else:
                    c.tn += 1
            if truth != flagged:
                errors.append((row["lang"], row["label"], row["statement"]))
    return counts, errors


def table(name: str, counts: dict[str, Counts]) -> str:
    lines = [
        f"{name}",
        "| language | prescriptive | open | precision | recall |",
        "|---|---|---|---|---|",
    ]
    for code, c in counts.items():
        lines.append(
            f"| {code} | {c.tp + c.fn} | {c.fp + c.tn} | {c.precision:.2f} ({c.tp}/{c.tp + c.fp}) "
            f"| {c.recall:.2f} ({c.tp}/{c.tp + c.fn}) |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list the statements judged wrongly")
    parser.add_argument("--only", choices=("heldout", "dev"), help="evaluate one set only")
    args = parser.parse_args()
    for name in (args.only,) if args.only else ("heldout", "dev"):
        counts, errors = evaluate(DATA / f"prescriptive_{name}.csv")
        print(table(f"\n{name} (bench/data/prescriptive_{name}.csv)", counts))
        if args.errors:
            for lang, label, statement in errors:
                print(f"  wrong: {lang} {label}: {statement}")


if __name__ == "__main__":
    main()
