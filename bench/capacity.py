"""Capacity of one worker (bench/pages.py --quick, `pg_capacity_ratio`): navigations per
second when TABS tabs navigate back to back (a closed loop: the worker is never idle),
on SQLite and on PostgreSQL, each on a fresh demo database (no heavy data, so that the two
hold the same rows), one Granian worker, the same app code.

Until 2026-12-08 the worker served nobody while it waited for PostgreSQL's answer (the
event loop was held by the synchronous driver); handlers now run their database work in
a bounded thread pool on PostgreSQL (espace/web/offload.py). The ratio PostgreSQL ÷
SQLite measures what is left of that wait.

Alone (≈ 2 min; the capacity part of --quick, plus the p50 of one tab navigating back to
back on each database, PostgreSQL ÷ SQLite: the issue's « p50 ≤ 1.3× SQLite »):

    .venv/bin/python bench/capacity.py                       # this worktree's app code
    .venv/bin/python bench/capacity.py --app-root /tmp/base  # another copy's (BEFORE figures)
    .venv/bin/python bench/capacity.py --ab sqlite 0 4       # EVENT_DB_THREADS=0 against =4, same run
    .venv/bin/python bench/capacity.py --ab postgres 5 5 --against /tmp/base  # /tmp/base's code against this one's

Environment variables reach the servers (e.g. EVENT_DB_THREADS=4 to try the thread pool
on SQLite too). Timings on a shared machine are noisy: compare ratios within one run."""
from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import time
from pathlib import Path

import aiohttp

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TABS = 8
SECONDS = 8.0


async def navs_per_second(srv, routes, tokens: list[str], pages: list[str], seconds: float = SECONDS,
                          times: list[float] | None = None) -> tuple[float, int]:
    """Closed loop: each tab navigates back to back over `pages` (one warm-up round each,
    not counted) for `seconds`; (navigations per second, navigations with an error).
    `times` (if given) receives each navigation's milliseconds."""
    from bench.pages import Tab

    count = errors = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        tabs = [Tab(http, srv.url, routes, t) for t in tokens]
        for tab in tabs:
            await tab.open(pages[0])
        await asyncio.gather(*(_round(tab, pages) for tab in tabs))
        stop = time.perf_counter() + seconds
        start = time.perf_counter()

        async def loop(tab, offset: int) -> None:
            nonlocal count, errors
            i = offset
            while time.perf_counter() < stop:
                nav = await tab.navigate(pages[i % len(pages)])
                if times is not None:
                    times.append(nav.ms)
                count += 1
                errors += bool(nav.errors)
                i += 1

        await asyncio.gather(*(loop(tab, k) for k, tab in enumerate(tabs)))
        took = time.perf_counter() - start
        for tab in tabs:
            await tab.close()
    return count / took, errors


async def _round(tab, pages: list[str]) -> None:
    for p in pages:
        await tab.navigate(p)


async def one_database(bench, db: str, routes, info: dict, one_tab: list[float] | None = None) -> tuple[float, int]:
    """A fresh demo database on `db` (sqlite | postgres), its server, the capacity;
    `one_tab` (if given) first receives the milliseconds of one tab navigating alone."""
    from bench import pages as P

    srv, _env, url = bench.app_server(db, tag="-capacity", heavy=False)
    srv.start()
    try:
        async with aiohttp.ClientSession() as http:
            token = await P.real_login(http, srv.url, routes, info)
        client = P.Client("demo", [token, *P.clone_sessions(url, token, TABS + 1)])
        client.dossier = f"/dossiers/{P.largest_dossier(url, P.session_user(url, token))[0]}"
        await bench.probe_late(srv, routes, client, True)
        pages = [client.page(t) for _, t in P.MEASURED]
        if one_tab is not None:
            await navs_per_second(srv, routes, client.tokens[TABS:TABS + 1], pages, SECONDS / 2, one_tab)
        return await navs_per_second(srv, routes, client.tokens[:TABS], pages)
    finally:
        srv.stop()


async def pg_capacity(bench, routes, info: dict) -> dict:
    """Navigations per second on SQLite and on PostgreSQL (one worker each, one after the other)."""
    sqlite, e1 = await one_database(bench, "sqlite", routes, info)
    pg, e2 = await one_database(bench, "postgres", routes, info)
    return {"sqlite": sqlite, "postgres": pg, "ratio": pg / sqlite if sqlite else float("nan"), "errors": e1 + e2}


async def _alone(args: argparse.Namespace) -> int:
    from bench import pages as P

    bench = P.Bench(args)
    info = P.discover(bench.app_root, {**P._base_env(), "DATA_DIR": str(bench.work / "discover")})
    routes = P.Routes(info)
    ms: dict[str, list[float]] = {"sqlite": [], "postgres": []}
    try:
        sqlite, e1 = await one_database(bench, "sqlite", routes, info, ms["sqlite"])
        pg, e2 = await one_database(bench, "postgres", routes, info, ms["postgres"])
    finally:
        for name in bench.pg_databases:
            P.pg_drop(name)
        import shutil
        shutil.rmtree(bench.work, ignore_errors=True)
    p50 = {db: statistics.median(v) if v else float("nan") for db, v in ms.items()}
    print(f"capacity, one worker, {TABS} tabs back to back over the 4 pages: SQLite {sqlite:.0f} navigations/s, "
          f"PostgreSQL {pg:.0f} (×{pg / sqlite:.2f}), errors {e1 + e2}")
    print(f"one tab back to back, p50: SQLite {p50['sqlite']:.1f} ms, PostgreSQL {p50['postgres']:.1f} ms "
          f"(×{p50['postgres'] / p50['sqlite']:.2f}; {len(ms['sqlite'])} and {len(ms['postgres'])} navigations)")
    print(f"capacity: pg_capacity_ratio={pg / sqlite:.2f} pg_p50_ratio={p50['postgres'] / p50['sqlite']:.2f}")
    return 0


async def _ab(args: argparse.Namespace) -> int:
    """The same database served by two servers at once, their rounds alternating (one tab
    back to back, then TABS tabs): EVENT_DB_THREADS=a and =b, or (`--against DIR`) DIR's
    app code (A, e.g. the code before a change) and this copy's (B); B ÷ A in the same run."""
    import shutil

    from bench import pages as P

    db, a, b = args.ab
    bench = P.Bench(args)
    info = P.discover(bench.app_root, {**P._base_env(), "DATA_DIR": str(bench.work / "discover")})
    routes = P.Routes(info)
    labels = (f"A: EVENT_DB_THREADS={a}" + (f", {args.against}" if args.against else ""), f"B: EVENT_DB_THREADS={b}")
    servers: dict[str, P.Server] = {}
    one: dict[str, list[float]] = {n: [] for n in labels}
    cap: dict[str, list[float]] = {n: [] for n in labels}
    try:
        srv, env, url = bench.app_server(db, tag="-ab", heavy=False)
        srv.start()
        async with aiohttp.ClientSession() as http:
            token = await P.real_login(http, srv.url, routes, info)
        srv.stop()
        client = P.Client("demo", [token, *P.clone_sessions(url, token, TABS + 1)])
        client.dossier = f"/dossiers/{P.largest_dossier(url, P.session_user(url, token))[0]}"
        await bench.probe_late(srv, routes, client, True)
        pages = [client.page(t) for _, t in P.MEASURED]
        dirs = [_app_copy(Path(args.against), bench.work / "app-against") if args.against else srv.app_dir,
                srv.app_dir]
        for i, (label, threads) in enumerate(zip(labels, (a, b), strict=True)):
            servers[label] = P.Server(label, dirs[i], {**env, "EVENT_DB_THREADS": threads},
                                      srv.log.with_name(f"server-{'ab'[i]}.log"))
            servers[label].start()
        for r in range(args.rounds):
            for n in labels if r % 2 == 0 else labels[::-1]:
                await navs_per_second(servers[n], routes, client.tokens[TABS:TABS + 1], pages, SECONDS / 2, one[n])
                cap[n].append((await navs_per_second(servers[n], routes, client.tokens[:TABS], pages, SECONDS / 2))[0])
    finally:
        for s in servers.values():
            s.stop()
        for name in bench.pg_databases:
            P.pg_drop(name)
        shutil.rmtree(bench.work, ignore_errors=True)
    for n in labels:
        print(f"{db}, {n}: one tab p50 {statistics.median(one[n]):.1f} ms ({len(one[n])} navigations), "
              f"{TABS} tabs {statistics.mean(cap[n]):.0f} navigations/s {[round(x) for x in cap[n]]}")
    la, lb = labels
    print(f"{db}: B ÷ A: one tab p50 ×{statistics.median(one[lb]) / statistics.median(one[la]):.2f}, "
          f"capacity ×{statistics.mean(cap[lb]) / statistics.mean(cap[la]):.2f}")
    return 0


def _app_copy(root: Path, dest: Path) -> Path:
    """The app files of another copy of the code (bench.pages.APP_FILES), in `dest`."""
    from bench.pages import APP_FILES

    dest.mkdir()
    for src in (root / name for name in APP_FILES if (root / name).exists()):
        copy = shutil.copytree if src.is_dir() else shutil.copy2
        copy(src, dest / src.name, **({"ignore": shutil.ignore_patterns("__pycache__")} if src.is_dir() else {}))
    return dest


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--app-root", default=str(Path(__file__).resolve().parents[1]),
                   help="the copy whose app code runs (default: this one)")
    p.add_argument("--ab", nargs=3, metavar=("DB", "A", "B"),
                   help="instead: on DB (sqlite | postgres), EVENT_DB_THREADS=A against =B in the same run")
    p.add_argument("--rounds", type=int, default=4, help="--ab: alternating rounds (default 4)")
    p.add_argument("--against", metavar="DIR",
                   help="--ab: server A runs DIR's app code (e.g. a copy of the code before a change)")
    args = p.parse_args()
    args.work_root, args.levels, args.data, args.nice, args.late_url, args.heavy_others = None, "1", "demo", 0, None, 1.0
    sys.exit(asyncio.run(_ab(args) if args.ab else _alone(args)))


if __name__ == "__main__":
    from bench.capacity import main as capacity_main  # one copy of bench.pages' classes

    capacity_main()
