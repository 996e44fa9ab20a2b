"""How long does an import make other writers wait? (issue 12: imports must not starve web writes)

A second process writes one row every 50 ms (BEGIN IMMEDIATE … COMMIT, as a web write does) while
``missionboard ingest csv`` imports N rows into the same SQLite workspace, fresh and then again (all
unchanged). Printed per run: the import's wall time — how long a single-transaction import that reads
inside its transaction holds the write lock, the baseline — and the writer's longest and p95 wait, with
the ratio longest wait / import time. Imports up to ``STAGE_IN_MEMORY`` records are read before the
write transaction starts; larger ones read the rest inside it.

    python bench/import_lock_bench.py --rows 10000 50000 200000 --workdir /tmp/lockbench
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

WRITER = r"""
import sqlite3, sys, time
db, stop = sys.argv[1], sys.argv[2]
c = sqlite3.connect(db, timeout=120, isolation_level=None)
c.execute("CREATE TABLE IF NOT EXISTS bench_probe (x REAL)")
waits = []
import os
while not os.path.exists(stop):
    t = time.perf_counter()
    c.execute("BEGIN IMMEDIATE"); c.execute("INSERT INTO bench_probe VALUES (?)", (t,)); c.execute("COMMIT")
    waits.append(time.perf_counter() - t)
    time.sleep(0.05)
waits.sort()
print(f"{waits[-1]:.3f} {waits[int(len(waits) * 0.95)]:.3f} {len(waits)}")
"""


def _csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["id", "title", "abstract", "funder", "budget", "currency", "start", "end"])
        for i in range(rows):
            out.writerow(
                [
                    f"L-{i}",
                    f"Project {i}",
                    "Coastal litter and fishing gear.",
                    "Agency",
                    1000 + i,
                    "EUR",
                    "2024-01-01",
                    "2028-12-31",
                ]
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/lockbench"))
    args = parser.parse_args()
    command = str(Path(sys.executable).parent / "missionboard")
    print(f"machine load (1 min) {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(
        "| rows | run | import wall s (baseline: lock held throughout) | longest wait s | p95 wait s | ratio |"
    )
    print("|---|---|---|---|---|---|")
    for rows in args.rows:
        shutil.rmtree(args.workdir, ignore_errors=True)
        args.workdir.mkdir(parents=True)
        data = args.workdir / f"rows-{rows}.csv"
        _csv(data, rows)
        database = args.workdir / "ws.db"
        subprocess.run([command, "--workspace", str(database), "init"], check=True, capture_output=True)
        for label in ("fresh", "unchanged"):
            stop = args.workdir / "stop"
            stop.unlink(missing_ok=True)
            writer = subprocess.Popen(
                [sys.executable, "-c", WRITER, str(database), str(stop)], stdout=subprocess.PIPE, text=True
            )
            time.sleep(0.5)
            started = time.perf_counter()
            subprocess.run(
                [command, "--workspace", str(database), "ingest", "csv", str(data), "--source", "b"],
                check=True,
                capture_output=True,
            )
            wall = time.perf_counter() - started
            time.sleep(0.3)
            stop.touch()
            longest, p95, _ = writer.communicate(timeout=60)[0].split()
            print(
                f"| {rows:,} | {label} | {wall:.2f} | {float(longest):.2f} | {float(p95):.2f} | "
                f"{float(longest) / wall:.2f} |"
            )


if __name__ == "__main__":
    main()
