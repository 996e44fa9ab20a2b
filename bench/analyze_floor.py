"""The whole ``missionboard analyze`` command beside its DuckDB floor, on the same workspace and snapshot.

    .venv/bin/python bench/analyze_floor.py --scales 0.1 1 --workdir /tmp/h_analyze --repeat 3
    .venv/bin/python bench/analyze_floor.py --scales 1 --workdir /tmp/h_analyze --no-mission

Per scale it uses the synthetic workspace of ``bench/analytics_bench.py`` (``analytics-<scale>.db`` in the
work folder; generated when missing: 1M projects take ~3 min), runs the command once to warm it (the
columnar snapshot and the shared themes are made then, as after an import), and then, ``--repeat``
times in turn, each in a fresh child process:

- floor: the simplest correct DuckDB program for the analysis' core figures, from the interpreter's
  start to its JSON on stdout: it memory-maps the same snapshot (Arrow IPC files) the command reads,
  reads the exchange rates with ``sqlite3``, and computes in DuckDB (all cores) the money in the
  reporting currency, the unconverted budgets, the funder HHI, projects per stage, participations per
  helix, starts per year, the leverage, the budget per region, the spend per year, the money received
  per actor and the actor collaboration network's edges (the self-join of participations, counted per
  pair with the first year) — no Python loop over rows;
- whole-cold: ``missionboard -w DB analyze --format json`` (the whole command, interpreter start
  included) computing the analysis: the stored results (``analytics.result_cache``) are removed first;
- whole: the same command again, reading the result the cold run stored (what every ``analyze`` of an
  unchanged workspace does);
- mission-cold / mission: the same for ``analyze national-mission`` (unless ``--no-mission``);
- before / before-mission (with ``--baseline SRC``): the same commands run by another copy of the source
  (``PYTHONPATH=SRC``, e.g. ``git archive HEAD src | tar -x -C /tmp/base`` then ``--baseline /tmp/base/src``);
  the mission's analysis by both copies is then compared section by section (``meta`` aside): every
  value equal, sums of money within 1e-9 of each other (DuckDB's threads add them in any order, so
  the last digits differ from run to run of the same code too).
- snapshot-step / snapshot-step-before (with ``--snapshot-step``, timed once before the warm-up): the child
  process that saves the snapshot (``python -m missionboard.analytics.save_snapshot DB``), exactly what an
  import runs at its end (``loader.save_after_import``), with the snapshot removed first; the current
  code's runs last, so the snapshot the runs then read is its own. "whole-cold" keeps the snapshot and
  what is precomputed with it (``analytics.precomputed``): that work is the import's, timed here.

Each line gives wall seconds, CPU seconds (user + sys of the child) and what ``meta.result_cache`` said;
the summary gives the medians and the ratios to the floor (wall and CPU), with the 1-minute load average
before and after.
The command's figures are checked against the floor's (``analytics_bench.compare``).
Targets (issue 19 item 3): whole ≤ 3 s and ≤ 2× floor at 1M projects / 4M participations; mission ≤ 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from analytics_bench import MISSION_ID, compare, generate  # noqa: E402  (the analytics benchmark)

MISSIONBOARD = [
    sys.executable,
    "-c",
    "import sys; from missionboard.cli.app import run; sys.argv[0] = 'missionboard'; sys.exit(run())",
]

FLOOR = r"""
import json, sqlite3, sys
from pathlib import Path
import duckdb
import pyarrow as pa

database = sys.argv[1]
folders = sorted(Path(database + ".analytics").glob("snapshot-*"))
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")  # stdout holds the JSON only
for name in ("projects", "actors", "participations"):
    with pa.memory_map(str(folders[-1] / f"{name}.arrow")) as source:
        con.register(name, pa.ipc.open_file(source).read_all())
lite = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
rates = lite.execute("SELECT currency, year, rate FROM exchange_rates WHERE reporting_currency = 'EUR'").fetchall()
lite.close()
con.register("rates", pa.table({"currency": [r[0] for r in rates], "year": [r[1] for r in rates],
                                "rate": [r[2] for r in rates]}))
con.execute('''CREATE TEMP TABLE money AS
    SELECT p.id, p.funder, p.start_year, p.end_year, p.trl, p.regions, p.budget_amount, p.budget_currency,
           CASE WHEN p.budget_currency = 'EUR' THEN p.budget_amount ELSE p.budget_amount * r.rate END AS budget,
           CASE WHEN p.public_currency = 'EUR' THEN p.public_amount ELSE p.public_amount * r2.rate END AS public
    FROM projects p
    LEFT JOIN rates r ON r.currency = p.budget_currency AND r.year = p.start_year
    LEFT JOIN rates r2 ON r2.currency = p.public_currency AND r2.year = p.start_year''')
out = {}
out["budget_total"], out["unconverted_usd"] = con.execute(
    "SELECT sum(budget), sum(budget_amount) FILTER (WHERE budget IS NULL AND budget_amount IS NOT NULL) FROM money"
).fetchone()
out["funder_hhi"] = con.execute(
    "WITH f AS (SELECT funder, sum(budget) AS b FROM money GROUP BY 1) SELECT sum((b / (SELECT sum(b) FROM f)) ^ 2) FROM f"
).fetchone()[0]
out["stages"] = dict(con.execute(
    "SELECT CASE WHEN trl BETWEEN 1 AND 3 THEN 'research' WHEN trl BETWEEN 4 AND 5 THEN 'development' "
    "WHEN trl BETWEEN 6 AND 7 THEN 'demonstration' WHEN trl BETWEEN 8 AND 9 THEN 'deployment' ELSE 'unknown' END, "
    "count(*) FROM money GROUP BY 1").fetchall())
out["helix_participations"] = dict(con.execute(
    "SELECT coalesce(a.helix, 'unknown'), count(*) FROM participations r LEFT JOIN actors a ON a.id = r.actor_id "
    "WHERE r.is_funder = 0 GROUP BY 1").fetchall())
out["starts"] = {str(k): v for k, v in con.execute(
    "SELECT start_year, count(*) FROM money WHERE start_year IS NOT NULL GROUP BY 1").fetchall()}
private, public = con.execute(
    "SELECT sum(budget - public), sum(public) FROM money WHERE public > 0 AND budget - public IS NOT NULL").fetchone()
out["leverage"] = private / public
out["regions"] = con.execute(
    "WITH l AS (SELECT id, budget, from_json(coalesce(nullif(regions, ''), '[]'), '[\"VARCHAR\"]') AS places FROM money) "
    "SELECT count(*) FROM (SELECT unnest(places) AS place, budget / len(places) AS b FROM l) GROUP BY place").fetchall().__len__()
out["spend_years"] = con.execute(
    "SELECT count(*) FROM (SELECT y, sum(s) FROM (SELECT unnest(range(start_year, greatest(coalesce(end_year, start_year), start_year) + 1)) AS y, "
    "budget / (greatest(coalesce(end_year, start_year), start_year) - start_year + 1) AS s FROM money WHERE start_year IS NOT NULL) GROUP BY y)"
).fetchone()[0]
out["recipients"] = con.execute(
    "SELECT count(*) FROM (SELECT actor_id, sum(amount) FROM participations WHERE is_funder = 0 GROUP BY 1)").fetchone()[0]
con.execute("CREATE TEMP TABLE pa AS SELECT DISTINCT r.project_id, r.actor_id, m.start_year FROM participations r "
            "JOIN money m ON m.id = r.project_id WHERE r.is_funder = 0")
out["edges"], out["edge_weight"] = con.execute(
    "SELECT count(*), sum(n) FROM (SELECT a.actor_id, b.actor_id, count(*) AS n, min(a.start_year) AS first "
    "FROM pa a JOIN pa b ON a.project_id = b.project_id AND a.actor_id < b.actor_id GROUP BY 1, 2)").fetchone()
print(json.dumps(out))
"""


def run_child(argv: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``argv``; wall seconds, CPU seconds (user + sys), peak RSS and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, check=True, stdout=subprocess.PIPE, text=True, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # RUSAGE_CHILDREN's max RSS is the largest child so far: a child smaller than an earlier one is not
    # measured apart, so peaks are reported as "≤"
    return {"seconds": wall, "cpu_seconds": cpu, "peak_mib": after.ru_maxrss / 1024, "stdout": done.stdout}


def differences(after: Any, before: Any, path: str = "") -> tuple[list[str], int]:
    """Where two analyses differ: the paths of values that are not equal (floats within 1e-9 relative
    count as equal), and how many floats differ in their last digits only."""
    if isinstance(after, dict) and isinstance(before, dict):
        found: list[str] = []
        digits = 0
        for key in sorted(set(after) | set(before)):
            more, last = differences(after.get(key), before.get(key), f"{path}/{key}")
            found += more
            digits += last
        return found, digits
    if isinstance(after, list) and isinstance(before, list) and len(after) == len(before):
        found, digits = [], 0
        for i, (a, b) in enumerate(zip(after, before, strict=True)):
            more, last = differences(a, b, f"{path}[{i}]")
            found += more
            digits += last
        return found, digits
    if after == before:
        return [], 0
    if (
        isinstance(after, float)
        and isinstance(before, float)
        and abs(after - before) <= 1e-9 * max(abs(after), abs(before))
    ):
        return [], 1
    return [path], 0


def mission_check(after: dict[str, Any], before: dict[str, Any]) -> str:
    """The line comparing the mission's analysis by the current code with the baseline's."""
    found, digits = differences(
        {k: v for k, v in after.items() if k != "meta"}, {k: v for k, v in before.items() if k != "meta"}
    )
    return (
        f"mission scope, after vs before: {'identical' if not found else 'DIFF at ' + ', '.join(found[:5])}"
        f" ({digits} sums differ in their last digits, within 1e-9)"
    )


def remove_results(path: Path) -> None:
    """Remove the analyses stored next to the workspace (``analytics.result_cache``), not the snapshot."""
    for entry in Path(f"{path}.analytics").glob("results-*"):
        shutil.rmtree(entry, ignore_errors=True)


def time_snapshot_step(path: Path, baseline: Path | None) -> None:
    """Time the import's last step, saving the snapshot (a child process), for the baseline and then the
    current code, the snapshot removed before each."""
    steps: list[tuple[str, dict[str, str] | None]] = []
    if baseline is not None:
        steps.append(("snapshot-step-before", {**os.environ, "PYTHONPATH": str(baseline.resolve())}))
    steps.append(("snapshot-step", None))
    for name, env in steps:
        for entry in Path(f"{path}.analytics").glob("snapshot-*"):
            shutil.rmtree(entry, ignore_errors=True)
        found = run_child([sys.executable, "-m", "missionboard.analytics.save_snapshot", str(path)], env)
        print(
            f"  {name}: {found['seconds']:.2f} s wall, {found['cpu_seconds']:.2f} s CPU, "
            f"peak ≤ {found['peak_mib']:.0f} MiB, load {os.getloadavg()[0]:.2f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.1, 1.0])
    parser.add_argument("--workdir", type=Path, default=BENCH / "out")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-mission", action="store_true", help="Do not time the mission scope")
    parser.add_argument("--json", type=Path, help="Also write the summary here")
    parser.add_argument("--baseline", type=Path, help="Also run the commands of this copy of src/ ('before')")
    parser.add_argument(
        "--snapshot-step", action="store_true", help="Also time saving the snapshot, as an import does"
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    summaries = []
    for scale in args.scales:
        path = args.workdir / f"analytics-{scale:g}.db"
        if not path.exists():
            started = time.perf_counter()
            counts = generate(path, scale)
            print(f"generated {counts} in {time.perf_counter() - started:.1f} s", flush=True)
        base = [*MISSIONBOARD, "-w", str(path), "analyze"]
        command = [*base, "--format", "json"]
        runs = {"floor": [sys.executable, "-c", FLOOR, str(path)], "whole-cold": command, "whole": command}
        if not args.no_mission:
            runs["mission-cold"] = runs["mission"] = [*base, MISSION_ID, "--format", "json"]
        envs: dict[str, dict[str, str]] = {}
        if args.baseline is not None:
            runs["before"] = command
            envs["before"] = {**os.environ, "PYTHONPATH": str(args.baseline.resolve())}
            if not args.no_mission:
                runs["before-mission"] = runs["mission"]
                envs["before-mission"] = envs["before"]
        if args.snapshot_step:
            time_snapshot_step(path, args.baseline)
        warm = run_child(command)  # the snapshot and the shared themes, made once as after an import
        print(f"scale {scale:g}: warm-up run {warm['seconds']:.2f} s", flush=True)
        load_before = os.getloadavg()
        results: dict[str, list[dict[str, Any]]] = {name: [] for name in runs}
        for _ in range(args.repeat):
            for name, argv in runs.items():
                if name.endswith("-cold"):
                    remove_results(path)
                found = run_child(argv, envs.get(name))
                results[name].append(found)
                cache = (
                    json.loads(found["stdout"]).get("meta", {}).get("result_cache", {})
                    if name != "floor"
                    else {}
                )
                print(
                    f"  {name}: {found['seconds']:.2f} s wall, {found['cpu_seconds']:.2f} s CPU, "
                    f"load {os.getloadavg()[0]:.2f}" + (f", result {cache.get('status')}" if cache else ""),
                    flush=True,
                )
        load_after = os.getloadavg()
        floor = json.loads(results["floor"][-1]["stdout"].strip().splitlines()[-1])
        floor["starts"] = {int(year): n for year, n in floor["starts"].items()}  # JSON keys are strings
        computed = json.loads(results["whole-cold"][-1]["stdout"])
        cached = json.loads(results["whole"][-1]["stdout"])
        checks = [line.replace("vs pandas", "vs floor") for line in compare(computed, floor)]
        if cached.get("meta", {}).get("result_cache", {}).get("status") == "read":
            checks.append(
                "stored result: " + ("identical" if cached["budget"] == computed["budget"] else "DIFF")
            )
        else:  # a --baseline run removed it (other code, other stamp): the two were computed apart
            checks.append("stored result: not read back in the last round (a baseline run removed it)")
        if "before-mission" in results:
            checks.append(
                mission_check(
                    json.loads(results["mission-cold"][-1]["stdout"]),
                    json.loads(results["before-mission"][-1]["stdout"]),
                )
            )
        edges = computed["network"]["actors"]["edges"]["value"]
        checks.append(
            f"actor network edges: analyze {edges:,} vs floor {floor['edges']:,} → "
            + ("ok" if edges == floor["edges"] else "DIFF")
        )
        median = {
            name: {key: statistics.median(r[key] for r in found) for key in ("seconds", "cpu_seconds")}
            for name, found in results.items()
        }
        ratios = {
            name: (
                round(median[name]["seconds"] / median["floor"]["seconds"], 2),
                round(median[name]["cpu_seconds"] / median["floor"]["cpu_seconds"], 2),
            )
            for name in median
            if name != "floor"
        }
        summary = {
            "scale": scale,
            "median": median,
            "over_floor_wall_cpu": ratios,
            "load_before": load_before,
            "load_after": load_after,
            "floor_edges": floor["edges"],
            "whole_edges": computed["network"]["actors"]["edges"]["value"],
            "checks": checks,
            "phases": computed["meta"]["seconds"],
        }
        summaries.append(summary)
        print(
            f"scale {scale:g}: floor {median['floor']['seconds']:.2f} s ({median['floor']['cpu_seconds']:.2f} CPU); "
            + "; ".join(
                f"{name} {median[name]['seconds']:.2f} s ({median[name]['cpu_seconds']:.2f} CPU), "
                f"÷ floor {ratios[name][0]:.2f} (CPU {ratios[name][1]:.2f})"
                for name in ratios
            )
            + f"; load {load_before[0]:.2f} → {load_after[0]:.2f}; phases of the last computed run "
            f"{summary['phases']}"
        )
        for line in checks:
            print("  " + line)
    if args.json:
        args.json.write_text(json.dumps(summaries, indent=1))


if __name__ == "__main__":
    main()
