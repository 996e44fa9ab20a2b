"""Ingest benchmark: generate a large CSV portfolio and a large IATI file, import each into a fresh
SQLite workspace in a child process, and print rows/s, seconds and peak memory (max RSS).

    .venv/bin/python bench/ingest_bench.py --csv-rows 1000000 --iati-mb 500
    .venv/bin/python bench/ingest_bench.py --csv-rows 100000 --iati-mb 0     # CSV only, smaller

Targets (issue 3): 1,000,000 CSV rows in ≤ 90 s; a 500 MB IATI file in ≤ 120 s; each ≤ 2 GB.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

INSTRUMENTS = ["rd_grant", "public_procurement", "challenge_prize", "regulatory_sandbox", "loan"]
FUNDERS = ["Energy Agency", "Innovation Agency", "Research Council", "Regional Fund", "Climate Ministry"]
SECTORS = ["energy", "transport", "health", "food", "water", "buildings", "industry", "digital"]
WORDS = [
    "hydrogen",
    "steel",
    "grid",
    "battery",
    "heat",
    "pump",
    "mobility",
    "circular",
    "plastics",
    "soil",
    "water",
    "health",
    "data",
    "climate",
    "adaptation",
    "resilience",
    "district",
    "renewable",
    "storage",
    "retrofit",
    "biodiversity",
    "farming",
    "logistics",
]

CHILD = r"""
import json, os, resource, sys, time
from pathlib import Path
from missionboard.store.workspace import Workspace
from missionboard.services.ingest import ingest_files
fmt, path, db = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
ws = Workspace.open(f"sqlite:///{db}", create=True)
start, cpu = time.perf_counter(), time.process_time()
run = ingest_files(ws, fmt, [path], source="bench")
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"format": fmt, "read": run.read, "inserted": run.inserted, "rejected": run.rejected,
                  "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
                  "cpu_us_per_record": round(cpu / max(run.read, 1) * 1e6, 1),
                  "rows_per_s": round(run.read / seconds), "peak_mb": round(peak_mb),
                  "load_average": [round(x, 2) for x in os.getloadavg()]}))
"""


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize()


def write_csv(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    header = ["id", "title", "abstract", "funder", "programme", "instrument", "funding_scheme", "budget",
              "currency", "public_funding", "co_funding", "start", "end", "status", "trl", "country", "region",
              "sectors"]  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for i in range(rows):
            budget = rng.randrange(50_000, 5_000_000)
            public = budget * rng.randrange(40, 100) // 100
            year = rng.randrange(2015, 2026)
            writer.writerow(
                [
                    f"P{i:07d}",
                    _sentence(rng, 6),
                    _sentence(rng, 40),
                    rng.choice(FUNDERS),
                    f"Programme {rng.randrange(20)}",
                    rng.choice(INSTRUMENTS),
                    "open call",
                    budget,
                    "EUR",
                    public,
                    budget - public,
                    f"{year}-{rng.randrange(1, 13):02d}-01",
                    f"{year + rng.randrange(1, 5)}-12-31",
                    rng.choice(["active", "completed", "planned"]),
                    rng.randrange(1, 10),
                    rng.choice(["SE", "FI", "NO", "DK", "DE"]),
                    "",
                    ";".join(rng.sample(SECTORS, 2)),
                ]
            )


ACTIVITY = """ <iati-activity xml:lang="en" default-currency="EUR" last-updated-datetime="2025-01-01T00:00:00Z">
  <iati-identifier>XM-BENCH-{i}</iati-identifier>
  <reporting-org ref="XM-BENCH" type="10"><narrative>Bench Agency</narrative></reporting-org>
  <title><narrative>{title}</narrative><narrative xml:lang="fr">{title} (fr)</narrative></title>
  <description type="1"><narrative>{abstract}</narrative></description>
  <description type="2"><narrative>{abstract}</narrative></description>
  <participating-org ref="XM-BENCH" role="1" type="10"><narrative>Bench Agency</narrative></participating-org>
  <participating-org ref="XM-ORG-{org}" role="4" type="{otype}"><narrative>Implementer {org}</narrative></participating-org>
  <activity-status code="2"/>
  <activity-date iso-date="2020-01-01" type="2"/>
  <activity-date iso-date="2026-12-31" type="3"/>
  <recipient-country code="KE" percentage="100"/>
  <sector vocabulary="1" code="23210" percentage="100"/>
  <tag vocabulary="2" code="{sdg}"/>
  <policy-marker vocabulary="1" code="6" significance="1"/>
  <budget type="1" status="1"><period-start iso-date="2020-01-01"/><period-end iso-date="2020-12-31"/><value currency="EUR" value-date="2020-01-01">{b1}</value></budget>
  <budget type="1" status="1"><period-start iso-date="2021-01-01"/><period-end iso-date="2021-12-31"/><value currency="EUR" value-date="2021-01-01">{b2}</value></budget>
  <transaction><transaction-type code="2"/><transaction-date iso-date="2020-01-15"/><value currency="EUR" value-date="2020-01-15">{c}</value></transaction>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2020-06-15"/><value currency="EUR" value-date="2020-06-15">{d}</value></transaction>
 </iati-activity>
"""


def write_iati(path: Path, megabytes: int, seed: int = 2) -> int:
    rng = random.Random(seed)
    target = megabytes * 1024 * 1024
    written = 0
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        head = '<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03">\n'
        handle.write(head)
        written += len(head)
        while written < target:
            text = ACTIVITY.format(
                i=count,
                title=_sentence(rng, 8),
                abstract=_sentence(rng, 120),
                org=rng.randrange(5000),
                otype=rng.choice(["21", "22", "70", "80", "10"]),
                sdg=rng.randrange(1, 18),
                b1=rng.randrange(10_000, 900_000),
                b2=rng.randrange(10_000, 900_000),
                c=rng.randrange(100_000, 2_000_000),
                d=rng.randrange(10_000, 100_000),
            )
            handle.write(text)
            written += len(text.encode("utf-8"))
            count += 1
        handle.write("</iati-activities>\n")
    return count


def measure(fmt: str, path: Path, folder: Path) -> dict[str, object]:
    db = folder / f"bench-{fmt}.db"
    output = subprocess.run(
        [sys.executable, "-c", CHILD, fmt, str(path), str(db)], check=True, capture_output=True, text=True
    )
    result: dict[str, object] = json.loads(output.stdout.strip().splitlines()[-1])
    result["file_mb"] = round(path.stat().st_size / 1024 / 1024)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--csv-rows", type=int, default=1_000_000, help="0 to skip the CSV benchmark")
    parser.add_argument("--iati-mb", type=int, default=500, help="0 to skip the IATI benchmark")
    parser.add_argument("--workdir", type=Path, default=None, help="where files and workspaces go (temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir) as temp:
        folder = Path(temp)
        if args.csv_rows:
            path = folder / "portfolio.csv"
            write_csv(path, args.csv_rows)
            print(json.dumps(measure("csv", path, folder)), flush=True)
            path.unlink()
        if args.iati_mb:
            path = folder / "activities.xml"
            activities = write_iati(path, args.iati_mb)
            result = measure("iati", path, folder)
            result["activities"] = activities
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
