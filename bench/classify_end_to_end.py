"""`missionboard classify` end to end, as a user runs it: the whole command in a fresh process, the model
load, the imports and the writing of the answers counted (issue 17 item 2: ≥ 300 texts/s on 2 cores).

    .venv/bin/python bench/classify_end_to_end.py                 # 2,000 texts, 3 rounds
    .venv/bin/python bench/classify_end_to_end.py --texts 5000 --rounds 5

The texts are short snippets: the evaluation texts of bench/mapping_data.py (DPG, CAF and our own
labelled snippets, cut at 600 characters), repeated in order up to ``--texts``; without ../shared/data
our own snippets alone. Each round runs, one after the other, the command as installed and the same
command with the model package's pure-Python tokenizer in place of the C++ ``sentencepiece`` one (the
way it ran before), so the ratio between them is measured on the same machine at the same load.
Printed: median wall seconds, texts/s and CPU seconds (the command and its workers) of each, the
ratio, and the 1-minute load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

RUN = """
import sys
from missionboard.cli.app import run
sys.argv = ["missionboard", *sys.argv[1:]]
sys.exit(run())
"""
WITH_PORT = """
import sys
from missionboard.mapping import embedding
embedding._package_tokenizer = lambda use: use._tokenizer  # the package's own pure-Python port
from missionboard.cli.app import run
sys.argv = ["missionboard", *sys.argv[1:]]
sys.exit(run())
"""


def snippets(n: int) -> list[str]:
    try:
        from mapping_data import load_all

        texts = [e.text[:600] for examples in load_all().values() for e in examples]
    except (FileNotFoundError, OSError):
        texts = []
    if not texts:
        own = Path(__file__).resolve().parents[1] / "tests" / "mapping" / "labelled_snippets.jsonl"
        texts = [json.loads(line)["text"] for line in own.read_text("utf-8").splitlines() if line.strip()]
    return [texts[i % len(texts)] for i in range(n)]


def run_once(code: str, source: Path, target: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code, "classify", "-t", "sdg", "-i", str(source), "-o", str(target)],
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="classify-e2e-"))
    source = folder / "texts.jsonl"
    source.write_text(
        "".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(snippets(args.texts))),
        encoding="utf-8",
    )
    load_before = os.getloadavg()
    results: dict[str, list[tuple[float, float]]] = {
        "installed (C++ sentencepiece)": [],
        "pure-Python port": [],
    }
    for _ in range(args.rounds):
        results["installed (C++ sentencepiece)"].append(run_once(RUN, source, folder / "a.jsonl"))
        results["pure-Python port"].append(run_once(WITH_PORT, source, folder / "b.jsonl"))
    same = (folder / "a.jsonl").read_text("utf-8") == (folder / "b.jsonl").read_text("utf-8")
    load_after = os.getloadavg()
    print(
        f"{args.texts} texts, {args.rounds} rounds, {os.cpu_count()} cores; load average before "
        f"{load_before[0]:.2f}, after {load_after[0]:.2f}; identical answers: {same}"
    )
    print("| command | median wall s | texts/s | median CPU s |")
    print("|---|---|---|---|")
    medians = {}
    for name, runs in results.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        medians[name] = wall
        print(f"| {name} | {wall:.2f} | {args.texts / wall:.0f} | {cpu:.2f} |")
    print(
        f"ratio installed / port (wall): {medians['installed (C++ sentencepiece)'] / medians['pure-Python port']:.2f}"
    )


if __name__ == "__main__":
    main()
