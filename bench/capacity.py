"""Capacity of one worker (bench/pages.py --quick, `pg_capacity_ratio`): navigations per
second when TABS tabs navigate back to back (a closed loop: the worker is never idle),
on SQLite and on PostgreSQL, each on a fresh demo database (no heavy data, so that the two
hold the same rows), one Granian worker, the same app code.

While the worker waits for PostgreSQL's answer it serves nobody (the event loop is held by
the synchronous driver): the ratio PostgreSQL ÷ SQLite measures that wait."""
from __future__ import annotations

import asyncio
import time

import aiohttp

TABS = 8
SECONDS = 8.0


async def navs_per_second(srv, routes, tokens: list[str], pages: list[str], seconds: float = SECONDS) -> tuple[float, int]:
    """Closed loop: each tab navigates back to back over `pages` (one warm-up round each,
    not counted) for `seconds`; (navigations per second, navigations with an error)."""
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


async def one_database(bench, db: str, routes, info: dict) -> tuple[float, int]:
    """A fresh demo database on `db` (sqlite | postgres), its server, the capacity."""
    from bench import pages as P

    srv, _env, url = bench.app_server(db, tag="-capacity", heavy=False)
    srv.start()
    try:
        async with aiohttp.ClientSession() as http:
            token = await P.real_login(http, srv.url, routes, info)
        client = P.Client("demo", [token, *P.clone_sessions(url, token, TABS)])
        client.dossier = f"/dossiers/{P.largest_dossier(url, P.session_user(url, token))[0]}"
        await bench.probe_late(srv, routes, client, True)
        pages = [client.page(t) for _, t in P.MEASURED]
        return await navs_per_second(srv, routes, client.tokens[:TABS], pages)
    finally:
        srv.stop()


async def pg_capacity(bench, routes, info: dict) -> dict:
    """Navigations per second on SQLite and on PostgreSQL (one worker each, one after the other)."""
    sqlite, e1 = await one_database(bench, "sqlite", routes, info)
    pg, e2 = await one_database(bench, "postgres", routes, info)
    return {"sqlite": sqlite, "postgres": pg, "ratio": pg / sqlite if sqlite else float("nan"), "errors": e1 + e2}
