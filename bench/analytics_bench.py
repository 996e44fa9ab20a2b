"""Benchmark ``analyze`` on a synthetic national portfolio, and cross-check it with plain pandas.

    .venv/bin/python bench/analytics_bench.py                 # 1,000,000 projects (about 1 min to generate)
    .venv/bin/python bench/analytics_bench.py --scale 0.05    # 50,000 projects
    .venv/bin/python bench/analytics_bench.py --reuse         # keep an existing generated workspace
    .venv/bin/python bench/analytics_bench.py --reuse --workdir /tmp/bench   # workspace and results there

At scale 1 the workspace holds 1,000,000 projects, 300,000 actors, 4,000,000 participations, a
mission with 8 objectives and 200,000 links to it. The analysis runs in a child process so that its
peak memory (max RSS) is measured apart from the generator. It first times making the columnar
snapshot from scratch (what an import adds at its end), then the analysis with that fresh snapshot and
cold (tables read from SQLite, as without a snapshot). It prints seconds per phase: load, aggregates, network, texts (reading the sampled texts) and themes (TF-IDF + k-means +
overlaps: the embedding computation the target excludes).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).resolve().parent / "out"
MISSION_ID = "national-mission"

THEMES = [
    "battery storage grid lithium cell charging electrolyte anode cathode recycling",
    "hydrogen electrolysis fuel cell ammonia pipeline green steel catalyst membrane",
    "wind offshore turbine blade foundation floating cable maintenance rotor",
    "solar photovoltaic perovskite module rooftop inverter silicon tandem panel",
    "soil farming crop fertiliser nitrogen regenerative pasture yield drought",
    "ocean fisheries marine plastic coastal aquaculture seabed pollution algae",
    "health dementia elderly care diagnosis hospital patient clinical telemedicine",
    "cancer immunotherapy tumour biomarker screening genomics therapy oncology",
    "school meals nutrition children obesity diet canteen food education",
    "buildings renovation insulation heat pump retrofit timber construction cement",
    "mobility bus electric vehicle rail cycling freight logistics urban traffic",
    "water drought irrigation reservoir flood wastewater groundwater sanitation",
    "circular textile reuse repair waste packaging recycling design materials",
    "digital artificial intelligence data platform cloud cybersecurity software skills",
    "forest biodiversity wildfire restoration wetland species pollinators habitat",
    "air quality pollution particulate emissions monitoring sensors city stove",
]
SCHEMES = [
    ("HORIZON-RIA", None),
    ("HORIZON-IA", None),
    ("HORIZON-CSA", None),
    ("MSCA fellowship", None),
    ("Pre-commercial procurement", None),
    ("Innovation procurement call", None),
    ("Green loan facility", None),
    ("Venture equity fund", None),
    ("Innovation voucher", None),
    ("Challenge prize", None),
    ("Regulatory sandbox", None),
    ("R&D tax credit", None),
    ("Cluster network", None),
    ("Research infrastructure", None),
    ("Open call", None),
    (None, "rd_grant"),
    (None, "adoption_subsidy"),
    (None, "platform"),
]
HELIX = ["research", "industry", "government", "civil_society"]


def generate(path: Path, scale: float, seed: int = 7) -> dict[str, int]:
    """Write the synthetic portfolio into a fresh workspace at ``path``; returns row counts."""
    from sqlalchemy import insert

    from missionboard.domain.missions import Mission
    from missionboard.store.missions import MissionStore
    from missionboard.store.tables import ActorRow, ExchangeRateRow, LinkRow, ParticipationRow, ProjectRow
    from missionboard.store.workspace import Workspace

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    workspace = Workspace.open(f"sqlite:///{path}", create=True)
    mission = Mission.model_validate(
        {
            "id": MISSION_ID,
            "title": "A climate-neutral, healthy nation",
            "challenge": "Climate and health",
            "statement": "Halve emissions and improve health by 2035",
            "owner": "Government offices",
            "objectives": [
                {"id": f"o{i + 1}", "title": THEMES[i * 2].split()[0].title(), "weight": w}
                for i, w in enumerate([3, 2, 2, 1, 1, 1, 1, 1])
            ],
        }
    )
    with workspace.transaction() as session:
        MissionStore(session).save(mission, author="bench")
    dialect = workspace.engine.dialect
    workspace.close()

    def statement(table: object, columns: list[str]) -> str:
        compiled = insert(table).compile(dialect=dialect, column_keys=columns)  # type: ignore[arg-type]
        if list(compiled.positiontup or []) != columns:
            raise AssertionError(f"columns must follow the table's order: {compiled.positiontup}")
        return str(compiled)

    rng = np.random.default_rng(seed)
    n_projects = max(100, int(1_000_000 * scale))
    n_actors = max(30, int(300_000 * scale))
    n_participations = max(300, int(4_000_000 * scale))
    n_links = max(20, int(200_000 * scale))
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA cache_size=-500000")

    # --- projects -------------------------------------------------------------------------------
    vocab = [t.split() for t in THEMES]
    theme = rng.integers(0, len(THEMES), n_projects)
    words = rng.integers(0, 10, (n_projects, 14))
    funders = [f"Agency {i:02d}" for i in range(1, 41)]
    funder_p = 1.0 / np.arange(1, 41) ** 0.8
    funder = rng.choice(40, n_projects, p=funder_p / funder_p.sum())
    scheme = rng.integers(0, len(SCHEMES), n_projects)
    currency = rng.choice(3, n_projects, p=[0.9, 0.08, 0.02])
    budget = np.round(np.exp(rng.normal(13, 1.2, n_projects)), 2)
    public_share = rng.uniform(0.4, 1.0, n_projects)
    start = rng.integers(2010, 2026, n_projects)
    duration = rng.integers(0, 5, n_projects)
    trl = rng.integers(1, 10, n_projects)
    has_trl = rng.random(n_projects) < 0.6
    region = rng.integers(0, 300, (n_projects, 2))
    two_regions = rng.random(n_projects) < 0.2
    country = rng.integers(0, 30, n_projects)
    codes = ["EUR", "SEK", "USD"]
    cols = [
        "id", "source", "source_id", "title", "abstract", "titles", "abstracts", "funder", "programme", "instrument",
        "funding_scheme", "budget_amount", "budget_currency", "public_amount", "public_currency", "start", "end",
        "status", "trl", "countries", "regions", "sectors", "topics", "source_labels", "raw", "content_hash",
        "created_at", "updated_at",
    ]  # fmt: skip
    sql = statement(ProjectRow.__table__, cols)
    now = "2026-11-23 00:00:00"

    def project_rows(lo: int, hi: int):  # type: ignore[no-untyped-def]
        for i in range(lo, hi):
            v = vocab[theme[i]]
            w = words[i]
            title = " ".join(v[k % len(v)] for k in w[:5])
            abstract = " ".join(v[k % len(v)] for k in w[5:])
            s_name, s_instr = SCHEMES[scheme[i]]
            cur = codes[currency[i]]
            b = float(budget[i])
            regions = [f"R{region[i, 0]:03d}"] + ([f"R{region[i, 1]:03d}"] if two_regions[i] else [])
            yield (
                i + 1, "bench", str(i + 1), title, abstract, "[]", "[]", funders[funder[i]], f"Programme {funder[i] % 7}",
                s_instr, s_name, b, cur, round(b * float(public_share[i]), 2), cur, f"{start[i]}-01-01",
                f"{start[i] + duration[i]}-12-31", "active", int(trl[i]) if has_trl[i] else None,
                json.dumps([f"C{country[i]:02d}"]), json.dumps(regions), "[]", "[]", "[]", "{}", str(i), now, now,
            )  # fmt: skip

    for lo in range(0, n_projects, 200_000):
        con.executemany(sql, project_rows(lo, min(n_projects, lo + 200_000)))
    # --- actors ---------------------------------------------------------------------------------
    helix = rng.choice(4, n_actors, p=[0.3, 0.45, 0.15, 0.1])
    sql = statement(ActorRow.__table__, ["id", "name", "normalized_name", "helix", "created_at"])
    con.executemany(
        sql,
        ((i + 1, f"Actor {i + 1}", f"actor {i + 1}", HELIX[helix[i]], now) for i in range(n_actors)),
    )
    # --- participations: project sizes ~ 1 + Poisson, actor popularity power-law ---------------
    sizes = 1 + rng.poisson(n_participations / n_projects - 1, n_projects)
    project_of = np.repeat(np.arange(1, n_projects + 1), sizes)[:n_participations]
    popularity = 1.0 / np.arange(1, n_actors + 1) ** 0.7
    actor_of = rng.choice(n_actors, len(project_of), p=popularity / popularity.sum()) + 1
    pairs = np.unique(project_of.astype(np.int64) * 10_000_000 + actor_of)
    project_of, actor_of = pairs // 10_000_000, pairs % 10_000_000
    first = np.r_[True, project_of[1:] != project_of[:-1]]
    priced = rng.random(len(project_of)) < 0.5
    amounts = np.round(rng.uniform(1e4, 5e5, len(project_of)), 2)
    sql = statement(ParticipationRow.__table__, ["project_id", "actor_id", "role", "amount", "currency"])
    con.executemany(
        sql,
        (
            (int(p), int(a), "coordinator" if f else "partner", float(m) if c else None, "EUR" if c else None)
            for p, a, f, c, m in zip(project_of, actor_of, first, priced, amounts, strict=True)
        ),
    )
    # --- links to the mission: objective follows the theme, some proposed ------------------------
    linked = rng.choice(n_projects, n_links, replace=False) + 1
    status = rng.random(n_links) < 0.7
    scores = np.round(rng.uniform(0.3, 1.0, n_links), 3)
    sql = statement(
        LinkRow.__table__,
        [
            "project_id",
            "taxonomy",
            "goal",
            "score",
            "method",
            "evidence",
            "status",
            "created_at",
            "updated_at",
        ],
    )
    con.executemany(
        sql,
        (
            (int(p), f"mission:{MISSION_ID}", f"o{theme[p - 1] % 8 + 1}", float(s), "ensemble", "{}",
             "accepted" if a else "proposed", now, now)
            for p, a, s in zip(linked, status, scores, strict=True)
        ),
    )  # fmt: skip
    sql = statement(ExchangeRateRow.__table__, ["currency", "reporting_currency", "year", "rate"])
    con.executemany(sql, (("SEK", "EUR", y, 0.09 + 0.001 * (y - 2005)) for y in range(2005, 2031)))
    con.commit()
    con.close()
    return {
        "projects": n_projects,
        "actors": n_actors,
        "participations": len(project_of),
        "links": n_links,
    }


def analyse(path: Path, mission: str | None, result_file: Path, mode: str = "snapshot") -> None:
    """Child process: run the analysis, write its timings and the figures the cross-check needs.

    ``mode``: 'snapshot' (the columnar snapshot, made first if missing or stale), 'cold' (read the
    tables from SQLite, as without a snapshot) or 'build' (only make the snapshot, from scratch).
    """
    from missionboard.analytics import analyze_portfolio, snapshot
    from missionboard.analytics.loader import refresh_snapshot
    from missionboard.store.workspace import Workspace

    workspace = Workspace.open(f"sqlite:///{path}")
    if mode == "build":
        snapshot.remove(workspace)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert children_before.ru_utime + children_before.ru_stime == 0
    load_before = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    if mode == "build":
        loaded = refresh_snapshot(workspace)
        data: dict[str, object] = {
            "status": loaded.status if loaded else None,
            "bytes": snapshot.sizes(workspace),
        }
    else:
        data = analyze_portfolio(workspace, mission, snapshot=mode == "snapshot").to_dict()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak = after.ru_maxrss / 1024
    # the snapshot is saved by a child process (missing or stale snapshot): count its CPU and memory
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu += children.ru_utime + children.ru_stime
    peak = max(peak, children.ru_maxrss / 1024)
    result_file.write_text(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "peak_mib": peak,
                "load_average": [load_before, os.getloadavg()[0]],
                "data": data,
            },
            default=str,
        )
    )


def child(path: Path, mission: str, result_file: Path, mode: str) -> tuple[dict[str, Any], float]:
    """Run ``analyse`` in a child process; its result and the process's wall seconds."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--_child", str(path), mission, str(result_file), mode], check=True
    )
    wall = time.perf_counter() - started
    result: dict[str, Any] = json.loads(result_file.read_text())
    return result, wall


def pandas_crosscheck(path: Path) -> dict[str, object]:
    """The same whole-portfolio aggregates with plain pandas (sqlite3 + read_sql), independently."""
    import pandas as pd

    started = time.perf_counter()
    con = sqlite3.connect(path)
    projects = pd.read_sql(
        "SELECT id, funder, budget_amount, budget_currency, public_amount, trl, stage, "
        "CAST(strftime('%Y', start) AS INTEGER) AS start_year FROM projects",
        con,
    )
    rates = pd.read_sql(
        "SELECT currency, year, rate FROM exchange_rates WHERE reporting_currency = 'EUR'", con
    )
    parts = pd.read_sql("SELECT project_id, actor_id, role FROM participations", con)
    actors = pd.read_sql("SELECT id, helix FROM actors", con)
    con.close()
    loaded = time.perf_counter() - started
    projects = projects.merge(
        rates, how="left", left_on=["budget_currency", "start_year"], right_on=["currency", "year"]
    )
    eur = projects["budget_currency"] == "EUR"
    rate = projects["rate"].where(~eur, 1.0)
    projects["budget"] = projects["budget_amount"] * rate
    projects["public"] = projects["public_amount"] * rate
    total = float(projects["budget"].sum())
    unconverted = float(
        projects.loc[projects["budget"].isna() & projects["budget_amount"].notna(), "budget_amount"].sum()
    )
    by_funder = projects.groupby("funder")["budget"].sum()
    shares = by_funder / by_funder.sum()
    hhi = float((shares**2).sum())
    stage = pd.cut(
        projects["trl"], [0, 3, 5, 7, 9], labels=["research", "development", "demonstration", "deployment"]
    )
    stages = stage.astype("string").fillna("unknown").value_counts().to_dict()
    helix = (
        parts[parts["role"] != "funder"]
        .merge(actors, left_on="actor_id", right_on="id")["helix"]
        .value_counts()
        .to_dict()
    )
    starts = projects["start_year"].value_counts().sort_index().to_dict()
    private = (projects["budget"] - projects["public"]).where(projects["public"] > 0)
    leverage = float(private.sum() / projects.loc[private.notna(), "public"].sum())
    return {
        "seconds_total": time.perf_counter() - started,
        "seconds_load": loaded,
        "budget_total": total,
        "unconverted_usd": unconverted,
        "funder_hhi": hhi,
        "stages": {str(k): int(v) for k, v in stages.items()},
        "helix_participations": {str(k): int(v) for k, v in helix.items()},
        "starts": {int(k): int(v) for k, v in starts.items()},
        "leverage": leverage,
    }


def compare(data: dict[str, object], check: dict[str, object]) -> list[str]:
    """Lines 'figure: analyze vs pandas → ok/DIFF'."""

    def close(a: float | None, b: float | None) -> bool:
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)

    d: dict = data  # type: ignore[type-arg]
    lines = []
    pairs = [
        ("budget total (EUR)", d["budget"]["total"]["value"], check["budget_total"]),
        (
            "unconverted USD",
            sum(r["amount"] for r in d["budget"]["unconverted"]["rows"]),
            check["unconverted_usd"],
        ),
        ("funder HHI", d["concentration"]["funders"]["hhi"]["value"], check["funder_hhi"]),
        ("leverage", d["leverage"]["total"]["value"], check["leverage"]),
    ]
    for name, a, b in pairs:
        lines.append(f"{name}: analyze {a:,.6f} vs pandas {b:,.6f} → {'ok' if close(a, b) else 'DIFF'}")
    stages = {r["stage"]: r["projects"] for r in d["stages"]["by_stage"]["rows"]}
    lines.append(f"projects per stage: {'ok' if stages == check['stages'] else f'DIFF {stages} vs {check}'}")
    helix = {r["helix"]: r["participations"] for r in d["helix"]["by_helix"]["rows"]}
    lines.append(
        f"participations per helix: {'ok' if helix == check['helix_participations'] else f'DIFF {helix}'}"
    )
    starts = {r["year"]: r["starts"] for r in d["timeline"]["rows"] if r["starts"]}
    lines.append(f"project starts per year: {'ok' if starts == check['starts'] else 'DIFF'}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="1.0 = 1M projects, 300k actors, 4M participations"
    )
    parser.add_argument("--reuse", action="store_true", help="Reuse the generated workspace if present")
    parser.add_argument(
        "--mission", action="store_true", help="Also time the analysis of the mission's portfolio"
    )
    parser.add_argument("--no-pandas", action="store_true", help="Skip the pandas cross-check")
    parser.add_argument(
        "--cold-themes",
        action="store_true",
        help="Delete the stored shared themes first: the first analysis computes them, as the first "
        "analyze after a large import does; the later ones reuse them",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=OUT,
        help=f"Where the generated workspace and results go (default {OUT})",
    )
    parser.add_argument("--_child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._child:
        path, mission, out, mode = args._child
        analyse(Path(path), None if mission == "-" else mission, Path(out), mode)
        return
    out = args.workdir
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"analytics-{args.scale:g}.db"
    if not (args.reuse and path.exists()):
        started = time.perf_counter()
        counts = generate(path, args.scale)
        seconds = time.perf_counter() - started
        print(f"generated {counts} in {seconds:.1f} s ({os.path.getsize(path) / 2**20:,.0f} MiB)")
    if args.cold_themes:
        con = sqlite3.connect(path)
        with con:
            con.execute("DELETE FROM theme_members")
            con.execute("DELETE FROM themes")
            con.execute("DELETE FROM theme_sets")
        con.close()
    built, wall = child(path, "-", out / "analytics-snapshot-build.json", "build")
    print(
        f"snapshot build (from scratch, what an import adds at its end): {built['seconds']:.2f} s, "
        f"process wall {wall:.2f} s, CPU {built['cpu_seconds']:.2f} s, peak RSS {built['peak_mib']:,.0f} MiB, "
        f"{built['data']['bytes'] / 2**20:,.0f} MiB on disk, 1-min load average "
        f"{built['load_average'][0]:.1f} → {built['load_average'][1]:.1f} (2 cores)"
    )
    runs = [("whole portfolio", "-")] + ([("mission", MISSION_ID)] if args.mission else [])
    whole: dict[str, Any] = {}
    for label, mission in runs:
        for mode, how in (("snapshot", "fresh snapshot"), ("cold", "cold: no snapshot, rows from SQLite")):
            name = MISSION_ID if mission != "-" else "portfolio"
            result, wall = child(path, mission, out / f"analytics-result-{name}-{mode}.json", mode)
            meta = result["data"]["meta"]
            timings = meta["seconds"]
            excluded = timings.get("texts", 0) + timings.get("themes", 0)
            print(
                f"analyze ({label}, {how}): {result['seconds']:.2f} s in analyze_portfolio "
                f"({result['seconds'] - excluded:.2f} s without texts+themes), process wall {wall:.2f} s, "
                f"CPU {result['cpu_seconds']:.2f} s, peak RSS {result['peak_mib']:,.0f} MiB, "
                f"1-min load average {result['load_average'][0]:.1f} → {result['load_average'][1]:.1f} "
                f"(2 cores); load method {meta['load_method']}; phases {timings}; "
                f"CPU per phase {meta['cpu_seconds']}"
            )
            if mission == "-" and mode == "snapshot":
                whole = result["data"]
    if not args.no_pandas:
        check = pandas_crosscheck(path)
        print(f"pandas cross-check: {check['seconds_total']:.2f} s (load {check['seconds_load']:.2f} s)")
        for line in compare(whole, check):
            print("  " + line)


if __name__ == "__main__":
    main()
