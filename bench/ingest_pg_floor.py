"""CSV ingest into a PostgreSQL workspace beside its floor: the same file imported by missionboard and by
the simplest correct loader, each in a child process of this script, one after the other, and the
ratios between them (the SQLite counterpart is bench/ingest_floor.py).

    .venv/bin/python bench/ingest_pg_floor.py --rows 100000
    .venv/bin/python bench/ingest_pg_floor.py --rows 100000 1000000 \\
        --url postgresql+psycopg://postgres@127.0.0.1:5432/test --workdir /tmp/pgfloor

Per size it writes the CSV of bench/ingest_bench.py (18 columns, the funder as each project's
participant) and, each in a schema of its own in the database of ``--url`` (dropped at the end), runs:

- floor-pg: ``csv.reader`` → psycopg ``COPY … FROM STDIN`` into one table of text columns, one
  transaction (the server's own settings);
- fresh: ``ingest_files`` into a new workspace (its schema created first, untimed), the analytics
  snapshot saved at its end included;
- re-import: the same file again into that workspace (every row unchanged);
- floor-schema: the rows the fresh import wrote (projects, actors, their participations …) copied by
  ``INSERT … SELECT`` from that schema into an empty copy of the workspace schema (indexes,
  constraints), one transaction: what the workspace's own tables cost with no parsing, hashing or
  Python at all.

Each line gives wall seconds of the work (interpreter start and imports left out), CPU seconds of the
process (and the children it waited for), ``server_cpu_seconds`` (the CPU of the server processes that
served its connections, read from /proc where the server runs on this machine, else null) and peak RSS.
The summary gives fresh / floor-pg and re-import / fresh, of wall seconds and of client + server CPU
seconds, with the 1-minute load average before and after.
Target (issue 19 item 2): fresh ≤ 3× the floor, as on SQLite.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_bench import write_csv  # the generator of the ingest benchmark
from ingest_floor import MEASURE, child  # the timed child processes of the SQLite floor

SERVER = r"""
def server_cpu(connection_pids):
    '''CPU seconds of these server processes so far, or None where /proc does not show them.'''
    total = 0.0
    try:
        for pid in connection_pids:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None
    return total
"""

FLOOR_PG = (
    MEASURE
    + SERVER
    + r"""
import csv
import psycopg
path, dsn, schema = sys.argv[1], sys.argv[2], sys.argv[3]
con = psycopg.connect(dsn, autocommit=True)
con.execute(f'SET search_path TO "{schema}"')
pids = [con.info.backend_pid]
server = server_cpu(pids)
start, cpu = begin()
with open(path, encoding="utf-8", newline="") as handle:
    rows = csv.reader(handle)
    header = next(rows)
    columns = ", ".join(f'"{name}" text' for name in header)
    with con.transaction():
        con.execute(f"CREATE TABLE projects ({columns})")
        with con.cursor().copy("COPY projects FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
count = con.execute("SELECT count(*) FROM projects").fetchone()[0]
after = server_cpu(pids)
con.close()
finish({"run": "floor-pg", "rows": count,
        "server_cpu_seconds": None if server is None or after is None else round(after - server, 2)},
       start, cpu)
"""
)

MISSIONBOARD_PG = (
    MEASURE
    + SERVER
    + r"""
from pathlib import Path
from sqlalchemy import text
import missionboard.ingest.engine as engine
from missionboard.services.ingest import ingest_files
from missionboard.store.workspace import Workspace
label, path, url, name = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]
snapshot = [0.0]
refresh = engine._refresh_analytics_snapshot
def timed(workspace):
    began = time.perf_counter()
    refresh(workspace)
    snapshot[0] = time.perf_counter() - began
engine._refresh_analytics_snapshot = timed
workspace = Workspace.open(url, create=True)  # the schema is made before the clock starts

def backends():
    with workspace.engine.connect() as connection:
        query = "SELECT pid FROM pg_stat_activity WHERE application_name = :name"
        return [pid for (pid,) in connection.execute(text(query), {"name": name})]

server = server_cpu(backends())
start, cpu = begin()
run = ingest_files(workspace, "csv", [path], source="bench")
result = {"run": label, "rows": run.read, "inserted": run.inserted, "updated": run.updated,
          "unchanged": run.unchanged, "rejected": run.rejected, "snapshot_seconds": round(snapshot[0], 2)}
pids = backends()
after = server_cpu(pids)
# backends opened during the import count whole (they did not exist before it)
result["server_cpu_seconds"] = None if server is None or after is None else round(after - server, 2)
result["server_connections"] = len(pids)
finish(result, start, cpu)
"""
)

FLOOR_SCHEMA_PG = (
    MEASURE
    + SERVER
    + r"""
import psycopg
from missionboard.store.workspace import Workspace
dsn, url, written, schema = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
Workspace.open(url, create=True).close()  # an empty copy of the workspace schema
TABLES = ("import_runs", "actors", "actor_identifiers", "actor_aliases", "projects", "participations")
con = psycopg.connect(dsn, autocommit=True)
pids = [con.info.backend_pid]
server = server_cpu(pids)
start, cpu = begin()
with con.transaction():
    for name in TABLES:
        con.execute(f'INSERT INTO "{schema}".{name} SELECT * FROM "{written}".{name} ORDER BY id')
count = con.execute(f'SELECT count(*) FROM "{schema}".projects').fetchone()[0]
after = server_cpu(pids)
con.close()
finish({"run": "floor-schema", "rows": count,
        "server_cpu_seconds": None if server is None or after is None else round(after - server, 2)},
       start, cpu)
"""
)


def _dsn(url: str) -> str:
    """The libpq address of a SQLAlchemy URL (``postgresql+psycopg://…`` → ``postgresql://…``)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _in_schema(url: str, schema: str, application: str) -> str:
    separator = "&" if "?" in url else "?"
    options = quote(f"-csearch_path={schema}")
    return f"{url}{separator}options={options}&application_name={application}"


def _total_cpu(result: dict[str, object]) -> float | None:
    server = result.get("server_cpu_seconds")
    if server is None:
        return None
    return float(result["cpu_seconds"]) + float(server)  # type: ignore[arg-type]


def compare(rows: int, folder: Path, url: str) -> list[dict[str, object]]:
    import psycopg  # the bench's own schemas; the children connect on their own

    path = folder / f"portfolio-{rows}.csv"
    write_csv(path, rows)
    tag = uuid.uuid4().hex[:8]
    schemas = {name: f"bench_{name}_{tag}" for name in ("floor", "workspace", "schema")}
    admin = psycopg.connect(_dsn(url), autocommit=True)
    for schema in schemas.values():
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        load_before = round(os.getloadavg()[0], 2)
        results = [child(FLOOR_PG, str(path), _dsn(url), schemas["floor"])]
        workspace = _in_schema(url, schemas["workspace"], f"mbbench{tag}")
        results.append(child(MISSIONBOARD_PG, "fresh", str(path), workspace, f"mbbench{tag}"))
        results.append(child(MISSIONBOARD_PG, "re-import", str(path), workspace, f"mbbench{tag}"))
        empty = _in_schema(url, schemas["schema"], f"mbschema{tag}")
        results.append(child(FLOOR_SCHEMA_PG, _dsn(url), empty, schemas["workspace"], schemas["schema"]))
        load_after = round(os.getloadavg()[0], 2)
    finally:
        for schema in schemas.values():
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()
    for result in results:
        result.update(csv_rows=rows, file_mb=round(path.stat().st_size / 1024 / 1024))
        print(json.dumps(result), flush=True)
    by_run = {str(r["run"]): r for r in results}
    fresh, floor, copied = by_run["fresh"], by_run["floor-pg"], by_run["floor-schema"]
    reimport = by_run["re-import"]

    def ratio(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else round(a / b, 2)

    def seconds(result: dict[str, object]) -> float:
        return float(result["seconds"])  # type: ignore[arg-type]

    summary: dict[str, object] = {
        "csv_rows": rows,
        "fresh_s": fresh["seconds"],
        "floor_pg_s": floor["seconds"],
        "fresh_over_floor_pg": ratio(seconds(fresh), seconds(floor)),
        "floor_schema_s": copied["seconds"],
        "floor_schema_over_floor_pg": ratio(seconds(copied), seconds(floor)),
        "fresh_over_floor_schema": ratio(seconds(fresh), seconds(copied)),
        "reimport_s": reimport["seconds"],
        "reimport_over_fresh": ratio(seconds(reimport), seconds(fresh)),
        # on a busy machine wall seconds wait for the CPU: client + server CPU seconds compare too
        "fresh_over_floor_pg_cpu": ratio(_total_cpu(fresh), _total_cpu(floor)),
        "reimport_over_fresh_cpu": ratio(_total_cpu(reimport), _total_cpu(fresh)),
        "floor_schema_over_floor_pg_cpu": ratio(_total_cpu(copied), _total_cpu(floor)),
        "load_average_1min": [load_before, load_after],
        "cores": os.cpu_count(),
    }
    print(json.dumps({"summary": summary}), flush=True)
    path.unlink()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument(
        "--url",
        default=os.environ.get(
            "MISSIONBOARD_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL database (SQLAlchemy URL) in which the bench makes and drops its schemas",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="where the CSV files go (temp dir)")
    args = parser.parse_args()
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.workdir) as temp:
        for rows in args.rows:
            compare(rows, Path(temp), args.url)


if __name__ == "__main__":
    main()
