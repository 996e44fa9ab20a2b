"""Speed of the mapping: queries alone, the default method, model load, `map` cold and warm, memory.

    .venv/bin/python bench/mapping_speed.py                      # CPU figures (2-core machine)
    .venv/bin/python bench/mapping_speed.py --device cuda --texts 50000 --only classify   # a GPU

Texts are ~120-word project abstracts made by joining our own labelled snippets (seven languages).
Those repeat words a lot, which favours the per-word and per-token caches; the ``*_eval_texts``
figures are measured in a fresh process (empty caches) on the 1,113 evaluation texts of
bench/mapping_data.py instead (skipped if that data is not there). The machine is shared: the load
average is printed before and after, and CPU seconds per text are printed next to wall-clock rates.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNIPPETS = ROOT / "tests" / "mapping" / "labelled_snippets.jsonl"


def abstracts(n: int, words: int = 120, seed: int = 7) -> list[str]:
    pool = [json.loads(line)["text"] for line in SNIPPETS.read_text("utf-8").splitlines() if line.strip()]
    rng = random.Random(seed)
    out = []
    for i in range(n):
        parts: list[str] = []
        while sum(len(p.split()) for p in parts) < words:
            parts.append(rng.choice(pool))
        text = " ".join(" ".join(parts).split()[:words])
        out.append(f"Project {i}: {text}.")
    return out


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_seconds(device: str) -> float:
    """Model load in a fresh process: import, model weights, goal prototypes."""
    code = (
        "import time; t=time.perf_counter()\n"
        "from missionboard.services.mapping import make_mapper\n"
        f"m = make_mapper('sdg', device={device!r}); m.load()\n"
        "print(time.perf_counter()-t)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def classify_rate(texts: list[str], method: str, device: str, workers: int) -> tuple[float, float]:
    """(texts per wall-clock second, texts per CPU-second); with workers > 1 (processes), the CPU is
    that of the workers (their warm-up included) and of this process together."""
    from missionboard.services.mapping import ClassifyPool, classify_jsonl, make_mapper

    mapper = make_mapper("sdg", method=method, device=device)
    mapper.load()
    mapper.classify(texts[:8])
    lines = [json.dumps({"id": i, "text": t}) for i, t in enumerate(texts)]
    pool = None
    children = _children_cpu()
    if workers > 1:  # started and warmed up outside the timing: steady-state throughput
        pool = ClassifyPool(mapper, workers)
        pool.warm_up()
    start, cpu = time.perf_counter(), time.process_time()
    count = sum(1 for _ in classify_jsonl(mapper, lines, workers=pool or 1))
    wall, used = time.perf_counter() - start, time.process_time() - cpu
    if pool is not None:
        pool.close()
        used += _children_cpu() - children
    return count / wall, count / used


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def best_rate(texts: list[str], method: str, device: str) -> float:
    """Texts/s of the fastest of five in-process runs: the least disturbed by other load on the machine."""
    from missionboard.services.mapping import make_mapper

    mapper = make_mapper("sdg", method=method, device=device)
    mapper.load()
    best = min(timeit.repeat(lambda: mapper.classify(texts), number=1, repeat=5))
    return len(texts) / best


def eval_text_rates() -> dict[str, float]:
    """Texts per CPU-second on the evaluation texts, each method in a fresh process (cold caches)."""
    code = (
        "import json, sys, time\n"
        f"sys.path.insert(0, {str(ROOT / 'bench')!r})\n"
        "from mapping_data import load_all\n"
        "from missionboard.services.mapping import make_mapper\n"
        "texts = [e.text for examples in load_all().values() for e in examples]\n"
        "m = make_mapper('sdg', method=sys.argv[1]); m.load()\n"
        "cpu = time.process_time(); m.classify(texts); used = time.process_time() - cpu\n"
        "print(json.dumps({'texts': len(texts), 'cpu_s': used}))\n"
    )
    out: dict[str, float] = {}
    for method in ("query", "ensemble"):
        done = subprocess.run([sys.executable, "-c", code, method], capture_output=True, text=True)
        if done.returncode != 0:  # the evaluation data is not in ../shared/data
            return {}
        result = json.loads(done.stdout.strip().splitlines()[-1])
        name = "default" if method == "ensemble" else method
        out[f"{name}_texts_per_cpu_s_eval_texts"] = round(result["texts"] / result["cpu_s"], 1)
    return out


def map_times(n: int) -> tuple[float, float]:
    from missionboard.services.mapping import map_projects
    from missionboard.store.tables import ProjectRow
    from missionboard.store.workspace import Workspace

    texts = abstracts(n, seed=11)
    with tempfile.TemporaryDirectory() as folder:
        workspace = Workspace.open(f"sqlite:///{folder}/bench.db", create=True)
        with workspace.transaction() as session:
            for i, text in enumerate(texts):
                title, _, abstract = text.partition(": ")
                session.add(
                    ProjectRow(
                        source="bench", source_id=str(i), title=title, abstract=abstract, content_hash=str(i)
                    )
                )
        start = time.perf_counter()
        cold = map_projects(workspace, "sdg", user="bench")
        cold_s = time.perf_counter() - start
        start = time.perf_counter()
        warm = map_projects(workspace, "sdg", user="bench")
        warm_s = time.perf_counter() - start
        assert cold.scored == n and warm.scored == 0, (cold, warm)
        workspace.close()
    return cold_s, warm_s


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--texts", type=int, default=2000, help="texts for the default-method rate")
    parser.add_argument("--projects", type=int, default=3000, help="projects for the map timing")
    parser.add_argument("--workers", type=int, default=0, help="classify worker processes (0: auto)")
    parser.add_argument("--only", choices=["classify", "all"], default="all")
    args = parser.parse_args()

    figures: dict[str, float | str] = {"device": args.device}
    figures["load_average_before"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    figures["model_load_s"] = round(load_seconds(args.device), 2)
    wall, per_cpu = classify_rate(abstracts(5000), "query", args.device, 1)
    figures["query_texts_per_s_1_process"] = round(wall, 1)
    figures["query_texts_per_cpu_s"] = round(per_cpu, 1)
    figures["query_cpu_ms_per_text"] = round(1000 / per_cpu, 3)
    figures["query_texts_per_s_best_of_5_1_core"] = round(best_rate(abstracts(300), "query", args.device), 1)
    texts = abstracts(args.texts)
    wall, per_cpu = classify_rate(texts, "ensemble", args.device, 1)
    figures["default_texts_per_s_1_process"] = round(wall, 1)
    figures["default_texts_per_cpu_s"] = round(per_cpu, 1)
    figures["default_cpu_ms_per_text"] = round(1000 / per_cpu, 3)
    figures["default_texts_per_s_best_of_5_1_core"] = round(
        best_rate(texts[:200], "ensemble", args.device), 1
    )
    workers = args.workers or 2
    if workers > 1:
        wall, per_cpu = classify_rate(texts, "ensemble", args.device, workers)
        figures[f"default_texts_per_s_{workers}_workers"] = round(wall, 1)
        figures[f"default_cpu_ms_per_text_{workers}_workers"] = round(1000 / per_cpu, 3)
    if args.only == "all":
        cold, warm = map_times(args.projects)
        figures[f"map_{args.projects}_cold_s"] = round(cold, 2)
        figures[f"map_{args.projects}_warm_s"] = round(warm, 2)
    if args.only == "all" and args.device == "cpu":
        figures.update(eval_text_rates())
    figures["peak_memory_mb"] = round(peak_mb(), 1)
    figures["load_average_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    for key, value in figures.items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
