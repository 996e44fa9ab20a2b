"""Load test of the web app on loopback: 20 concurrent users on the mission page and a filtered explorer page.

    .venv/bin/python bench/web_load.py --from bench/out/analytics-1.db      # copy the 1M-project workspace
    .venv/bin/python bench/web_load.py --scale 0.05                         # generate 50,000 projects
    .venv/bin/python bench/web_load.py --reuse --seconds 30 --users 20
    .venv/bin/python bench/web_load.py --reuse --seconds 20 --rounds 3     # the same server measured 3 times
    .venv/bin/python bench/web_load.py --reuse --insights --seconds 5  # first view of the slow fragments

The workspace is the synthetic national portfolio of ``bench/analytics_bench.py`` (1,000,000 projects,
200,000 links to one mission at scale 1), copied or generated into ``bench/out/web-*.db``. The app runs
under uvicorn in a child process (one worker, as ``missionboard serve`` runs it) so that the load
generator does not share its interpreter; the users are asyncio tasks with one httpx client each,
authenticated with an API token. Each user loops over the mission page and an explorer page filtered by
funder and programme on a random page of the first 20. It prints p50/p95/p99 latency per page and the
throughput, after four concurrent warm-up requests per page (filling each worker's caches), with the CPU
time the server (each of its processes) and the load generator spent per request.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
MISSION = "national-mission"


def _prepare(args: argparse.Namespace) -> Path:
    target = args.workdir / f"web-{args.scale:g}.db"
    if args.reuse and target.exists():
        return target
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.source:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        print(f"copying {args.source} → {target}", flush=True)
        shutil.copy(args.source, target)
        return target
    sys.path.insert(0, str(HERE))
    from analytics_bench import generate  # the same synthetic portfolio as the analytics bench

    started = time.perf_counter()
    counts = generate(target, args.scale)
    print(f"generated {counts} in {time.perf_counter() - started:.0f} s", flush=True)
    return target


def _token(path: Path) -> str:
    from missionboard.errors import InputError
    from missionboard.services import accounts
    from missionboard.store.workspace import Workspace

    workspace = Workspace.open(f"sqlite:///{path}")  # brings the schema up to date (adds the web tables)
    with contextlib.suppress(InputError):
        accounts.create_user(workspace, "bench", "bench password", admin=True, by="bench")
    token = accounts.create_token(workspace, "bench", "load test", by="bench")
    workspace.close()
    return token


def _serve(path: str, port: int, workers: int) -> None:
    """As ``missionboard --workspace PATH serve --port PORT --workers N`` runs it."""
    import typer

    from missionboard.cli import web
    from missionboard.cli.app import root

    cli = typer.Typer()
    cli.callback()(root)
    web.register(cli)
    args = [
        "--workspace",
        path,
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--insecure-cookies",
    ]
    cli(args=args, standalone_mode=False)


def _cpu_seconds(root: int) -> dict[int, float]:
    """CPU seconds (user + system) used so far by process ``root`` and by each process under it (Linux
    ``/proc``; none elsewhere): the server's cost per request, which a loaded machine does not inflate as it
    inflates latency, and how evenly its workers share the work."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # a process that ended meanwhile
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        used[pid] = (int(fields[11]) + int(fields[12])) / tick
    tree, grown = {root}, True
    while grown:
        grown = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grown = True
    return {pid: used[pid] for pid in sorted(tree) if pid in used}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _load(
    base: str,
    token: str,
    users: int,
    seconds: float,
    pairs: list[tuple[str, str]],
    think: float,
    server: int,
    rounds: int = 1,
) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    pages: dict[str, Callable[[], str]] = {
        "mission page": lambda: f"/missions/{MISSION}",
        "filtered explorer": lambda: (
            "/projects?"
            + urlencode(
                dict(
                    zip(("funder", "programme"), random.choice(pairs), strict=True),
                    page=random.randint(1, 20),
                )
            )
        ),
    }
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as warm:
        # a server just started fills its caches in the background: measure it once every worker has
        started = time.perf_counter()
        warm_in_a_row = 0
        while warm_in_a_row < 10 and time.perf_counter() - started < 600:
            ready = (await warm.get("/healthz")).json().get("warm", False)
            warm_in_a_row = warm_in_a_row + 1 if ready else 0
            if not ready:
                await asyncio.sleep(0.5)
        print(f"workers warm after {time.perf_counter() - started:.1f} s", flush=True)
        for name, url in pages.items():
            started = time.perf_counter()
            # a few at once, so that every worker process fills its caches
            responses = await asyncio.gather(*(warm.get(url()) for _ in range(4)))
            response = responses[0]
            print(
                f"warm-up {name}: {response.status_code} in {time.perf_counter() - started:.2f} s", flush=True
            )

    for round_ in range(1, rounds + 1):
        if rounds > 1:
            print(f"\nround {round_} of {rounds}", end="")
        await _measure(base, headers, users, seconds, pages, think, server)


async def _measure(
    base: str,
    headers: dict[str, str],
    users: int,
    seconds: float,
    pages: dict[str, Callable[[], str]],
    think: float,
    server: int,
) -> None:
    """``users`` users for ``seconds``: latency per page, throughput, and the CPU time of the server and of
    this load generator (which shares the machine) per request."""
    import httpx

    timings: dict[str, list[float]] = {name: [] for name in pages}
    errors: dict[str, int] = dict.fromkeys(pages, 0)
    stop = time.perf_counter() + seconds

    async def user(index: int) -> None:
        random.seed(index)
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
            names = list(pages)
            turn = index
            while time.perf_counter() < stop:
                name = names[turn % len(names)]
                turn += 1
                started = time.perf_counter()
                response = await client.get(pages[name]())
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    errors[name] += 1
                timings[name].append(elapsed)
                if think:
                    await asyncio.sleep(think)

    started, cpu, own = time.perf_counter(), _cpu_seconds(server), time.process_time()
    await asyncio.gather(*(user(i) for i in range(users)))
    wall = time.perf_counter() - started
    own = time.process_time() - own
    after = _cpu_seconds(server)
    per_process = [after[pid] - cpu.get(pid, 0.0) for pid in after]
    total = sum(len(v) for v in timings.values())
    print(
        f"\n{users} concurrent users (think time {think:g} s) for {wall:.1f} s: {total} requests, "
        f"{total / wall:.1f} requests/s; load average {os.getloadavg()[0]:.1f}; "
        f"server CPU {sum(per_process):.1f} s ({' + '.join(f'{c:.1f}' for c in per_process)} by process), "
        f"{1000 * sum(per_process) / max(total, 1):.1f} ms a request; load generator "
        f"{1000 * own / max(total, 1):.1f} ms a request"
    )
    print(
        f"{'page':<20} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    )
    for name, values in timings.items():
        if not values:
            continue
        print(
            f"{name:<20} {len(values):>8} {errors[name]:>6} {statistics.median(values) * 1000:>8.0f} "
            f"{_percentile(values, 0.95) * 1000:>8.0f} {_percentile(values, 0.99) * 1000:>8.0f} "
            f"{max(values) * 1000:>8.0f}",
            flush=True,
        )


def _insights(base: str, token: str) -> None:
    """Seconds for each slow fragment of the mission page on first view (computed, then cached).

    Each fragment is requested twice in a row so that both worker processes have computed it (a
    request goes to either); the first figure is a cold computation, the second cold or cached.
    """
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
        for part in ("quality", "analytics", "monitoring"):
            seconds = []
            for _ in range(2):
                started = time.perf_counter()
                response = client.get(f"/missions/{MISSION}/insights", params={"part": part, "fragment": 1})
                seconds.append(time.perf_counter() - started)
                if response.status_code != 200:
                    print(f"insights {part}: HTTP {response.status_code}", flush=True)
            print(
                f"insights fragment '{part}' on first view: {seconds[0]:.2f} s, then {seconds[1]:.2f} s; "
                f"load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )


def _facet_values(path: Path) -> list[tuple[str, str]]:
    """(funder, programme) pairs that occur together, as a user picking from the facets would choose."""
    import sqlite3

    with sqlite3.connect(path) as db:
        rows = db.execute(
            "select funder, programme, count(*) from (select funder, programme from projects limit 200000) "
            "where funder is not null and programme is not null group by 1, 2 order by 3 desc limit 30"
        ).fetchall()
    return [(funder, programme) for funder, programme, _ in rows]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 1,000,000 projects")
    parser.add_argument("--from", dest="source", help="Copy this generated workspace instead of generating")
    parser.add_argument("--reuse", action="store_true", help="Reuse WORKDIR/web-SCALE.db if present")
    parser.add_argument("--workdir", type=Path, default=OUT, help=f"Where the workspace goes (default {OUT})")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--workers", type=int, default=2, help="Server worker processes (2 = this machine's cores)"
    )
    parser.add_argument("--think", type=float, default=0.0, help="Seconds each user waits between requests")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="Measure this many times in a row on the same server: the first round includes the first "
        "views of the explorer's selections (their charts computed), later ones the server as it then runs",
    )
    parser.add_argument(
        "--insights",
        action="store_true",
        help="First time each of the mission page's slow fragments (quality, analytics, monitoring) cold, "
        "one after the other, before the load test",
    )
    parser.add_argument("--_serve", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._serve:
        _serve(args._serve[0], int(args._serve[1]), int(args._serve[2]))
        return
    path = _prepare(args)
    token = _token(path)
    pairs = _facet_values(path)
    port = _free_port()
    server = subprocess.Popen([sys.executable, __file__, "--_serve", str(path), str(port), str(args.workers)])
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.3)
        print(
            f"workspace {path} ({path.stat().st_size / 1e6:.0f} MB); server pid {server.pid} on port {port}"
        )
        if args.insights:
            _insights(f"http://127.0.0.1:{port}", token)
        asyncio.run(
            _load(
                f"http://127.0.0.1:{port}",
                token,
                args.users,
                args.seconds,
                pairs,
                args.think,
                server.pid,
                args.rounds,
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
