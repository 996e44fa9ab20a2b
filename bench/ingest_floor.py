"""CSV ingest beside its floor: the same file imported by missionboard and by the simplest correct
loaders, each in a child process of this script, one after the other, and the ratios between them.

    .venv/bin/python bench/ingest_floor.py --rows 100000 1000000 --workdir /tmp/ingestfloor
    .venv/bin/python bench/ingest_floor.py --rows 100000 --no-duckdb        # the sqlite3 floor only

Per size it writes the CSV of bench/ingest_bench.py (18 columns, the funder as each project's
participant) and runs:

- floor-sqlite: ``csv.reader`` → ``sqlite3.executemany`` into one table of text columns, one
  transaction, WAL and ``synchronous=NORMAL`` (the settings of a workspace);
- floor-duckdb: ``CREATE TABLE … AS SELECT * FROM read_csv(…)`` into a DuckDB file (all cores);
- fresh: ``ingest_files`` into a new workspace, the analytics snapshot saved at its end included;
- re-import: the same file again into that workspace (every row unchanged);
- floor-schema: the rows the fresh import wrote (projects, actors, their participations …) copied by
  ``INSERT … SELECT`` from that workspace (attached) into an empty copy of its schema (indexes,
  constraints, pragmas), one transaction: what the workspace's own tables cost with no parsing, hashing
  or Python at all. fresh / floor-schema is the part of the gap that the import's code adds.

Each line gives wall seconds of the work (interpreter start and imports left out), CPU seconds (the
process and the children it waited for) and peak RSS; the summary gives fresh / floor-sqlite,
fresh / floor-duckdb and re-import / fresh (of wall seconds, and of CPU seconds where other work keeps
the machine busy), with the 1-minute load average before and after.
Targets (issue 19 item 2): fresh ≤ 3× floor-sqlite, re-import ≤ 0.4× fresh.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_bench import write_csv  # the generator of the ingest benchmark

MEASURE = r"""
import json, os, resource, sys, time

def finish(result, start, cpu_start):
    self_usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = self_usage.ru_utime + self_usage.ru_stime + children.ru_utime + children.ru_stime - cpu_start
    result.update(seconds=round(time.perf_counter() - start, 2), cpu_seconds=round(cpu, 2),
                  peak_mb=round(max(self_usage.ru_maxrss, children.ru_maxrss) / 1024))
    print(json.dumps(result))

def begin():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), usage.ru_utime + usage.ru_stime
"""

FLOOR_SQLITE = (
    MEASURE
    + r"""
import csv, sqlite3
path, db = sys.argv[1], sys.argv[2]
start, cpu = begin()
con = sqlite3.connect(db, isolation_level=None)
con.execute("PRAGMA journal_mode=WAL")
con.execute("PRAGMA synchronous=NORMAL")
with open(path, encoding="utf-8", newline="") as handle:
    rows = csv.reader(handle)
    header = next(rows)
    con.execute(f"CREATE TABLE projects ({', '.join(f'{name!r} TEXT' for name in header)})")
    con.execute("BEGIN")
    con.executemany(f"INSERT INTO projects VALUES ({', '.join('?' * len(header))})", rows)
    con.execute("COMMIT")
count = con.execute("SELECT count(*) FROM projects").fetchone()[0]
con.close()
finish({"run": "floor-sqlite", "rows": count}, start, cpu)
"""
)

FLOOR_DUCKDB = (
    MEASURE
    + r"""
import duckdb
path, db = sys.argv[1], sys.argv[2]
start, cpu = begin()
con = duckdb.connect(db)
con.execute("CREATE TABLE projects AS SELECT * FROM read_csv(?, header = true)", [path])
count = con.execute("SELECT count(*) FROM projects").fetchone()[0]
con.close()
finish({"run": "floor-duckdb", "rows": count, "threads": os.cpu_count()}, start, cpu)
"""
)

FLOOR_SCHEMA = (
    MEASURE
    + r"""
import sqlite3
source, db = sys.argv[1], sys.argv[2]
TABLES = ("import_runs", "actors", "actor_identifiers", "actor_aliases", "projects", "participations")
con = sqlite3.connect(db, isolation_level=None)
con.execute("PRAGMA journal_mode=WAL")
con.execute("ATTACH DATABASE ? AS written", (source,))
schema = [sql for (sql,) in con.execute(
    "SELECT sql FROM written.sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]
for sql in schema:
    con.execute(sql)
start, cpu = begin()
con.execute("PRAGMA foreign_keys=ON")
con.execute("PRAGMA synchronous=NORMAL")
con.execute("PRAGMA cache_size=-131072")
con.execute("BEGIN")
for name in TABLES:
    con.execute(f"INSERT INTO main.{name} SELECT * FROM written.{name} ORDER BY rowid")
con.execute("COMMIT")
count = con.execute("SELECT count(*) FROM main.projects").fetchone()[0]
con.close()
finish({"run": "floor-schema", "rows": count}, start, cpu)
"""
)

MISSIONBOARD = (
    MEASURE
    + r"""
from pathlib import Path
import missionboard.ingest.engine as engine
from missionboard.services.ingest import ingest_files
from missionboard.store.workspace import Workspace
label, path, db = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
fmt, counted = sys.argv[4], sys.argv[5]  # the format imported and the name its count goes by
snapshot = [0.0]
refresh = engine._refresh_analytics_snapshot
def timed(workspace):
    began = time.perf_counter()
    refresh(workspace)
    snapshot[0] = time.perf_counter() - began
engine._refresh_analytics_snapshot = timed
start, cpu = begin()
workspace = Workspace.open(f"sqlite:///{db}", create=True)
run = ingest_files(workspace, fmt, [path], source="bench")
finish({"run": label, counted: run.read, "inserted": run.inserted, "updated": run.updated,
        "unchanged": run.unchanged, "rejected": run.rejected,
        "snapshot_seconds": round(snapshot[0], 2)}, start, cpu)
"""
)


def child(code: str, *arguments: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", code, *arguments], check=True, capture_output=True, text=True
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def compare(rows: int, folder: Path, duckdb: bool) -> list[dict[str, object]]:
    path = folder / f"portfolio-{rows}.csv"
    write_csv(path, rows)
    load_before = round(os.getloadavg()[0], 2)
    results = [child(FLOOR_SQLITE, str(path), str(folder / f"floor-{rows}.sqlite"))]
    if duckdb:
        results.append(child(FLOOR_DUCKDB, str(path), str(folder / f"floor-{rows}.duckdb")))
    workspace = str(folder / f"missionboard-{rows}.db")
    results.append(child(MISSIONBOARD, "fresh", str(path), workspace, "csv", "rows"))
    results.append(child(MISSIONBOARD, "re-import", str(path), workspace, "csv", "rows"))
    results.append(child(FLOOR_SCHEMA, workspace, str(folder / f"floor-schema-{rows}.db")))
    load_after = round(os.getloadavg()[0], 2)
    for result in results:
        result.update(csv_rows=rows, file_mb=round(path.stat().st_size / 1024 / 1024))
        print(json.dumps(result), flush=True)
    by_run = {str(r["run"]): r for r in results}
    fresh, floor = by_run["fresh"], by_run["floor-sqlite"]

    def ratio(a: dict[str, object], b: dict[str, object], key: str = "seconds") -> float:
        return round(float(a[key]) / float(b[key]), 2)  # type: ignore[arg-type]

    summary: dict[str, object] = {
        "csv_rows": rows,
        "fresh_s": fresh["seconds"],
        "floor_sqlite_s": floor["seconds"],
        "fresh_over_floor_sqlite": ratio(fresh, floor),
        "floor_schema_s": by_run["floor-schema"]["seconds"],
        "floor_schema_over_floor_sqlite": ratio(by_run["floor-schema"], floor),
        "fresh_over_floor_schema": ratio(fresh, by_run["floor-schema"]),
        "reimport_s": by_run["re-import"]["seconds"],
        "reimport_over_fresh": ratio(by_run["re-import"], fresh),
        # on a machine that other work keeps busy, wall seconds wait for the CPU: CPU seconds compare too
        "fresh_over_floor_sqlite_cpu": ratio(fresh, floor, "cpu_seconds"),
        "reimport_over_fresh_cpu": ratio(by_run["re-import"], fresh, "cpu_seconds"),
        "floor_schema_over_floor_sqlite_cpu": ratio(by_run["floor-schema"], floor, "cpu_seconds"),
        "load_average_1min": [load_before, load_after],
        "cores": os.cpu_count(),
    }
    if duckdb:
        summary["floor_duckdb_s"] = by_run["floor-duckdb"]["seconds"]
        summary["fresh_over_floor_duckdb"] = ratio(fresh, by_run["floor-duckdb"])
    print(json.dumps({"summary": summary}), flush=True)
    path.unlink()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--no-duckdb", action="store_true", help="leave the DuckDB floor out")
    parser.add_argument("--workdir", type=Path, default=None, help="where files and databases go (temp dir)")
    args = parser.parse_args()
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.workdir) as temp:
        for rows in args.rows:
            compare(rows, Path(temp), duckdb=not args.no_duckdb)


if __name__ == "__main__":
    main()
