"""Balanced per-goal SDG sets with hard negatives (issue 17, item 1): does the default mapping predict
the field?

    .venv/bin/python bench/sdg_balanced.py                 # every language file present
    .venv/bin/python bench/sdg_balanced.py --lang en       # one language
    .venv/bin/python bench/sdg_balanced.py --kind iati-activity --json out.json
    .venv/bin/python bench/sdg_balanced.py --counts        # only load, validate and count

The sets live in bench/data/sdg_balanced/<lang>.jsonl (format and labelling protocol in the README
there). A text is in goal k's set when its row has a label for k; each goal's set holds texts that serve
k and hard negatives (texts on a neighbouring goal, or texts that use k's words without serving it).
Rows whose text sits in the shared sample data (IATI, 360Giving, CORDIS) carry a ``ref`` that is resolved
from /work/shared/data (or $MISSIONBOARD_SHARED_DATA) at run time; when that folder is absent they are
skipped and the skip is reported.

The method under test is the one ``missionboard classify --taxonomy sdg`` uses: ``make_mapper("sdg")``
(method ``ensemble``, packaged calibration) and its yes/no decision per goal (``Mapper.assigned``).
Nothing here fits anything. The packaged supervised model and the per-goal thresholds are fitted on the
train half of these sets (``bench/sdg_head_fit.py``), so the figure to quote is ``--held-out``'s.

The headline is the mean per-goal accuracy over the balanced sets; the pooled accuracy (all goal/text
decisions together) is printed beside it, never instead of it.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "sdg_balanced"
SHARED_DATA = Path(os.environ.get("MISSIONBOARD_SHARED_DATA", "/work/shared/data"))
KINDS = (
    "iati-activity",
    "grant-summary",
    "project-abstract",
    "publication-abstract",
    "report-paragraph",
    "policy-paragraph",
)
GOALS = tuple(str(g) for g in range(1, 18))
REQUIRED = 50
"""True and false texts each goal needs in English (issue 17 item 1)."""
REQUIRED_OTHER = 10
"""… and in each of the other languages (nb, sv, da, fi, de, fr, es)."""


def required(lang: str) -> int:
    """How many true and how many false texts each goal needs in ``lang``."""
    return REQUIRED if lang == "en" else REQUIRED_OTHER


"""Texts per goal and side (true / false) that a finished language file holds."""


class DataError(ValueError):
    """A row of a balanced set is malformed (the message names the file and line)."""


@dataclass(frozen=True)
class Item:
    """One labelled text of a balanced set."""

    id: str
    lang: str
    kind: str
    text: str
    source: str
    labels: dict[str, bool]
    why: dict[str, str]


@dataclass(frozen=True)
class Loaded:
    items: list[Item]
    skipped: list[tuple[str, str]]
    """(id, reason) of rows that could not be resolved here (shared data absent, record missing)."""


# --- reading and validating -------------------------------------------------------------------------


def half(item: Item) -> str:
    """``train`` or ``test``, by a hash of the id: the halves never change and never share a text."""
    return "test" if int(hashlib.sha1(item.id.encode()).hexdigest(), 16) % 2 else "train"


def validate_row(row: Any, where: str) -> None:
    """Raise DataError unless ``row`` follows the format of bench/data/sdg_balanced/README.md."""
    if not isinstance(row, dict):
        raise DataError(f"{where}: not a JSON object")
    for key in ("id", "lang", "kind", "source", "labels", "why"):
        if key not in row:
            raise DataError(f"{where}: missing {key!r}")
    if row["kind"] not in KINDS:
        raise DataError(f"{where}: kind {row['kind']!r} is not one of {', '.join(KINDS)}")
    if ("text" in row) == ("ref" in row):
        raise DataError(f"{where}: give exactly one of 'text' and 'ref'")
    if "text" in row and (not isinstance(row["text"], str) or not row["text"].strip()):
        raise DataError(f"{where}: empty text")
    if "ref" in row:
        ref = row["ref"]
        if not isinstance(ref, dict) or not all(
            isinstance(ref.get(k), str) for k in ("file", "record", "field")
        ):
            raise DataError(f"{where}: ref needs string 'file', 'record' and 'field'")
    if not isinstance(row["source"], str) or len(row["source"].strip()) < 10:
        raise DataError(f"{where}: source must say where the text comes from")
    labels, why = row["labels"], row["why"]
    if not isinstance(labels, dict) or not labels:
        raise DataError(f"{where}: labels must be a non-empty object")
    for goal, value in labels.items():
        if goal not in GOALS:
            raise DataError(f"{where}: unknown goal {goal!r}")
        if not isinstance(value, bool):
            raise DataError(f"{where}: label for goal {goal} must be true or false")
        reason = why.get(goal) if isinstance(why, dict) else None
        if not isinstance(reason, str) or len(reason.strip()) < 5:
            raise DataError(f"{where}: no reason ('why') for the label of goal {goal}")
    if isinstance(why, dict) and set(why) - set(labels):
        raise DataError(f"{where}: reasons for goals without a label: {sorted(set(why) - set(labels))}")


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The validated rows of one language file; ids must be unique."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}: not valid JSON ({exc.msg})") from exc
        validate_row(row, where)
        if row["id"] in seen:
            raise DataError(f"{where}: duplicate id {row['id']!r}")
        if row["lang"] != path.stem:
            raise DataError(f"{where}: lang {row['lang']!r} in the file for {path.stem!r}")
        seen.add(row["id"])
        rows.append(row)
    return rows


def language_files(langs: Sequence[str] | None = None) -> list[Path]:
    files = sorted(DATA.glob("*.jsonl"))
    return [f for f in files if not langs or f.stem in langs]


# --- resolving references into the shared sample data -------------------------------------------------


def _iati_texts(path: Path, field: str, lang: str) -> dict[str, str]:
    """Per activity, the narratives of ``field`` in ``lang`` (else those without a language, else all)."""
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    root = ET.parse(path).getroot()
    default = root.get(xml_lang)
    out: dict[str, str] = {}
    for activity in root.iter("iati-activity"):
        ident = (activity.findtext("iati-identifier") or "").strip()
        own = activity.get(xml_lang, default)
        # IATI 2.x keeps the text in <narrative> children; 1.x files put it in the element itself.
        narratives = [
            n for element in activity.findall(field) for n in (element.findall("narrative") or [element])
        ]
        chosen = [n for n in narratives if n.get(xml_lang, own) == lang] or narratives
        parts = [n.text.strip() for n in chosen if n.text and n.text.strip()]
        if ident and parts:
            out[ident] = "\n".join(parts)
    return out


def _360_texts(path: Path, field: str) -> dict[str, str]:
    grants = json.loads(path.read_text(encoding="utf-8"))["grants"]
    return {g["id"]: str(g[field]).strip() for g in grants if g.get(field)}


def _cordis_texts(path: Path, field: str) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {r["id"]: r[field].strip() for r in csv.DictReader(handle) if r.get(field)}


class Resolver:
    """Reads the referenced texts from the shared sample data, one parse per file and field."""

    def __init__(self, root: Path = SHARED_DATA) -> None:
        self.root = root
        self._cache: dict[tuple[str, str, str], dict[str, str]] = {}

    def text(self, ref: dict[str, str], lang: str = "en") -> tuple[str | None, str]:
        """(text, "") or (None, why it could not be read)."""
        if not self.root.is_dir():
            return None, f"shared data folder {self.root} is absent"
        path = self.root / ref["file"]
        if not path.is_file():
            return None, f"{ref['file']} not found under {self.root}"
        key = (ref["file"], ref["field"], lang if path.suffix == ".xml" else "")
        if key not in self._cache:
            if path.suffix == ".xml":
                self._cache[key] = _iati_texts(path, ref["field"], lang)
            elif path.suffix == ".json":
                self._cache[key] = _360_texts(path, ref["field"])
            elif path.suffix == ".csv":
                self._cache[key] = _cordis_texts(path, ref["field"])
            else:
                raise DataError(f"no reader for {ref['file']}")
        text = self._cache[key].get(ref["record"])
        if text is None:
            return None, f"record {ref['record']!r} has no {ref['field']!r} in {ref['file']}"
        return text, ""


def load(
    langs: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    shared: Path = SHARED_DATA,
) -> Loaded:
    """The labelled texts of the language files present (optionally some languages or kinds)."""
    resolver = Resolver(shared)
    items: list[Item] = []
    skipped: list[tuple[str, str]] = []
    for path in language_files(langs):
        for row in read_rows(path):
            if kinds and row["kind"] not in kinds:
                continue
            text, reason = (row["text"], "") if "text" in row else resolver.text(row["ref"], row["lang"])
            if text is None:
                skipped.append((row["id"], reason))
                continue
            items.append(
                Item(row["id"], row["lang"], row["kind"], text, row["source"], row["labels"], row["why"])
            )
    return Loaded(items, skipped)


def counts_by_language(langs: Sequence[str] | None = None) -> dict[str, dict[str, tuple[int, int]]]:
    """Per language file present: per goal, (texts labelled true, texts labelled false); no text is read."""
    return {path.stem: counts(read_rows(path)) for path in language_files(langs)}


def counts_table(table: dict[str, dict[str, tuple[int, int]]]) -> str:
    """The counts as the markdown table bench/data/sdg_balanced/README.md carries (and the tests check)."""
    lines = ["| language | " + " | ".join(f"goal {g}" for g in GOALS) + " |", "|---" * (len(GOALS) + 1) + "|"]
    for lang, per_goal in table.items():
        cells = [f"{per_goal.get(g, (0, 0))[0]}/{per_goal.get(g, (0, 0))[1]}" for g in GOALS]
        lines.append(f"| {lang} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def kinds_table(langs: Sequence[str] | None = None) -> str:
    """Texts per kind and language file, as a markdown table."""
    lines = ["| language | " + " | ".join(KINDS) + " | all |", "|---" * (len(KINDS) + 2) + "|"]
    for path in language_files(langs):
        per_kind = Counter(row["kind"] for row in read_rows(path))
        cells = [str(per_kind.get(kind, 0)) for kind in KINDS] + [str(sum(per_kind.values()))]
        lines.append(f"| {path.stem} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def counts(rows: Iterable[dict[str, Any] | Item]) -> dict[str, tuple[int, int]]:
    """Per goal: (texts labelled true, texts labelled false)."""
    true: Counter[str] = Counter()
    false: Counter[str] = Counter()
    for row in rows:
        labels = row.labels if isinstance(row, Item) else row["labels"]
        for goal, value in labels.items():
            (true if value else false)[goal] += 1
    return {g: (true[g], false[g]) for g in GOALS if true[g] or false[g]}


# --- evaluation ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalResult:
    goal: str
    n_true: int
    n_false: int
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / max(1, self.n_true + self.n_false)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def balanced_accuracy(self) -> float:
        """Mean of the hit rates on true and on false texts: unmoved by a set's share of true texts."""
        specificity = self.tn / (self.fp + self.tn) if self.fp + self.tn else 0.0
        return (self.recall + specificity) / 2 if self.n_true and self.n_false else self.accuracy


def score_goals(items: Sequence[Item], predicted: Sequence[set[str]]) -> dict[str, GoalResult]:
    """Per goal, the confusion counts over that goal's set (the texts labelled for it)."""
    out: dict[str, GoalResult] = {}
    for goal in GOALS:
        tp = fp = fn = tn = 0
        for item, goals in zip(items, predicted, strict=True):
            if goal not in item.labels:
                continue
            said, truth = goal in goals, item.labels[goal]
            tp += said and truth
            fp += said and not truth
            fn += truth and not said
            tn += not said and not truth
        if tp + fp + fn + tn:
            out[goal] = GoalResult(goal, tp + fn, fp + tn, tp, fp, fn, tn)
    return out


def headline(results: dict[str, GoalResult]) -> tuple[float, float]:
    """(mean per-goal accuracy, pooled accuracy over every goal/text decision)."""
    if not results:
        return 0.0, 0.0
    mean = sum(r.accuracy for r in results.values()) / len(results)
    right = sum(r.tp + r.tn for r in results.values())
    total = sum(r.n_true + r.n_false for r in results.values())
    return mean, right / total


def predict(items: Sequence[Item], mapper: Any = None) -> list[set[str]]:
    """The goals the default method assigns to each text (as ``missionboard classify`` decides)."""
    if mapper is None:
        from missionboard.services.mapping import make_mapper

        mapper = make_mapper("sdg")
    scores = mapper.score([item.text for item in items])
    assigned = mapper.assigned(scores)
    return [{mapper.goals[j] for j in range(len(mapper.goals)) if assigned[i, j]} for i in range(len(items))]


def evaluate(items: Sequence[Item], predicted: Sequence[set[str]]) -> dict[str, Any]:
    """Per goal, overall, per kind and per language figures for one prediction."""
    per_goal = score_goals(items, predicted)
    mean, pooled = headline(per_goal)
    report: dict[str, Any] = {
        "texts": len(items),
        "mean_per_goal_accuracy": mean,
        "pooled_accuracy": pooled,
        "mean_per_goal_balanced_accuracy": (
            sum(r.balanced_accuracy for r in per_goal.values()) / len(per_goal) if per_goal else 0.0
        ),
        "per_goal": {
            g: {
                "n_true": r.n_true,
                "n_false": r.n_false,
                "accuracy": r.accuracy,
                "precision": r.precision,
                "recall": r.recall,
                "balanced_accuracy": r.balanced_accuracy,
            }
            for g, r in per_goal.items()
        },
    }
    for facet in ("kind", "lang"):
        groups: dict[str, list[int]] = {}
        for i, item in enumerate(items):
            groups.setdefault(getattr(item, facet), []).append(i)
        breakdown = {}
        for name, idx in sorted(groups.items()):
            sub = score_goals([items[i] for i in idx], [predicted[i] for i in idx])
            m, p = headline(sub)
            breakdown[name] = {
                "texts": len(idx),
                "decisions": sum(r.n_true + r.n_false for r in sub.values()),
                "mean_per_goal_accuracy": m,
                "pooled_accuracy": p,
            }
        report[f"per_{facet}"] = breakdown
    return report


def _load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def print_report(report: dict[str, Any]) -> None:
    print(f"texts: {report['texts']}")
    print(
        "| goal | n_true | n_false | accuracy | precision | recall | balanced accuracy |\n"
        "|---|---|---|---|---|---|---|"
    )
    for g, m in report["per_goal"].items():
        print(
            f"| {g} | {m['n_true']} | {m['n_false']} | {m['accuracy']:.3f} | {m['precision']:.3f} | "
            f"{m['recall']:.3f} | {m['balanced_accuracy']:.3f} |"
        )
    print(
        f"\nHEADLINE mean per-goal accuracy: {report['mean_per_goal_accuracy']:.3f} "
        f"(pooled over all goal/text decisions: {report['pooled_accuracy']:.3f}; mean per-goal balanced "
        f"accuracy, for sets not yet 50/50: {report['mean_per_goal_balanced_accuracy']:.3f})"
    )
    for facet in ("kind", "lang"):
        print(
            f"\nper {facet}:\n| {facet} | texts | decisions | mean per-goal accuracy | pooled |\n|---|---|---|---|---|"
        )
        for name, m in report[f"per_{facet}"].items():
            print(
                f"| {name} | {m['texts']} | {m['decisions']} | {m['mean_per_goal_accuracy']:.3f} | "
                f"{m['pooled_accuracy']:.3f} |"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--lang", action="append", help="only this language file (repeatable)")
    parser.add_argument("--kind", action="append", choices=KINDS, help="only this kind of text (repeatable)")
    parser.add_argument("--counts", action="store_true", help="only validate and count; no model")
    parser.add_argument(
        "--readme-counts", action="store_true", help="print the per-language counts table for the README"
    )
    parser.add_argument(
        "--held-out", action="store_true", help="only the held-out half (the train half fitted the default)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if args.readme_counts:
        print(counts_table(counts_by_language(args.lang)))
        print()
        print(kinds_table(args.lang))
        return 0

    t0 = time.perf_counter()
    loaded = load(args.lang, args.kind)
    if args.held_out:
        loaded = Loaded([i for i in loaded.items if half(i) == "test"], loaded.skipped)
    else:
        print("note: the train half of these texts fitted the default's model and thresholds; see --held-out")
    for ident, reason in loaded.skipped[:5]:
        print(f"skipped {ident}: {reason}", file=sys.stderr)
    if loaded.skipped:
        print(f"skipped {len(loaded.skipped)} rows whose text could not be read here", file=sys.stderr)
    print("texts per goal (true/false):")
    for lang in sorted({item.lang for item in loaded.items}):
        need = required(lang)
        print(f"  {lang} (needs {need}/{need}):")
        for goal, (n_true, n_false) in counts(i for i in loaded.items if i.lang == lang).items():
            mark = "" if n_true >= need and n_false >= need else f"  (short of {need}/{need})"
            print(f"    goal {goal:>2}: {n_true:3d} / {n_false:3d}{mark}")
    print("texts per kind:", dict(Counter(i.kind for i in loaded.items)))
    if args.counts or not loaded.items:
        return 0

    predicted = predict(loaded.items)
    elapsed = time.perf_counter() - t0
    report = evaluate(loaded.items, predicted)
    report["seconds_end_to_end"] = elapsed
    report["texts_per_second"] = len(loaded.items) / elapsed
    report["load_average"] = _load_average()
    report["skipped"] = len(loaded.skipped)
    print()
    print_report(report)
    print(
        f"\n{len(loaded.items)} texts in {elapsed:.1f}s end to end including model load "
        f"({report['texts_per_second']:.1f} texts/s); load average {report['load_average']} "
        f"on {os.cpu_count()} cores"
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
