"""A login flood against the other users: starts the app (demo data, production login
limits), then measures `/api/health` and a logged-in client's page event (Luce on
`/accueil`: `HomeState.refresh`, a session check and the home counts) at rest, and again
while 4 anonymous websockets send 160 login events (40 each, as fast as the socket takes
them, each with another unknown identifier: the most hashing an attacker can ask for).
Prints median and p95 of both, and the ratio flood / rest.

    .venv/bin/python bench/login_flood.py [--root PATH_OF_A_WORKTREE] [--rest SECONDS]

`--root` runs another checkout of the app (e.g. a worktree of an older commit) with this
script, to compare before and after.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

PARSER = argparse.ArgumentParser()
PARSER.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
PARSER.add_argument("--rest", type=float, default=6.0, help="seconds measured at rest")
PARSER.add_argument("--sockets", type=int, default=4)
PARSER.add_argument("--events", type=int, default=160)
ARGS = PARSER.parse_args()
sys.path.insert(0, ARGS.root)

from tests.e2e.appserver import start_app, stop_app  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reflex_socket import HOME, LOGIN, Socket  # noqa: E402

# The production defaults (the e2e harness raises the per-address limit for its tests).
PRODUCTION_LIMITS = {"LOGIN_IP_MAX_FAILURES": "30", "LOGIN_MAX_FAILURES": "5"}


def luce_cookie(data_dir: Path) -> str:
    """Luce logs in through the services of the app under test (its own database)."""
    os.environ["DATA_DIR"] = str(data_dir)
    from espace.config import settings
    from espace.services.accounts import auth

    settings.data_dir = data_dir
    result = auth.login("academy@secib.fr", "a12RJ3d11P", "127.0.0.9")
    token, _ = auth.open_session(result.ticket, result.browser_key)
    return f"espace_session={token}"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))] if values else float("nan")


async def measure(url: str, cookie: str) -> dict:
    phase = {"now": "warm"}
    samples: dict[tuple[str, str], list[float]] = {}
    stop = asyncio.Event()

    def add(kind: str, ms: float) -> None:
        samples.setdefault((kind, phase["now"]), []).append(ms)

    async with aiohttp.ClientSession() as http:
        luce = Socket(http, url, cookie)
        await luce.open("/accueil")
        await luce.emit(f"{HOME}.load", {})
        await luce.wait(HOME, "loaded", True)

        async def page_events() -> None:
            while not stop.is_set():
                await luce.emit(f"{HOME}.leave", {})
                await luce.wait(HOME, "loaded", False)
                start = time.perf_counter()
                await luce.emit(f"{HOME}.refresh", {})
                await luce.wait(HOME, "loaded", True)
                add("page", (time.perf_counter() - start) * 1000)
                await asyncio.sleep(0.02)

        async def health() -> None:
            while not stop.is_set():
                start = time.perf_counter()
                async with http.get(f"{url}/api/health") as r:
                    await r.read()
                    assert r.status == 200
                add("health", (time.perf_counter() - start) * 1000)
                await asyncio.sleep(0.02)

        attackers = [Socket(http, url) for _ in range(ARGS.sockets)]
        for a in attackers:
            await a.open("/connexion")
            await a.emit(f"{LOGIN}.load", {})
        probes = [asyncio.create_task(page_events()), asyncio.create_task(health())]
        await asyncio.sleep(1.5)
        phase["now"] = "rest"
        await asyncio.sleep(ARGS.rest)

        async def flood(sock: Socket, n: int, first: int) -> None:
            while not sock.updates.empty():  # the answers to the page load
                sock.updates.get_nowait()
            for i in range(n):
                form = {"identifier": f"intrus{first + i}@example.net", "password": f"essai-{first + i}"}
                await sock.emit(f"{LOGIN}.submit", {"form": form})
            # Events of one tab run in order: the answer to this load comes after all of them.
            await sock.emit(f"{LOGIN}.load", {})
            await sock.wait(LOGIN, "error", "", timeout=900)

        per = ARGS.events // ARGS.sockets
        phase["now"] = "flood"
        start = time.perf_counter()
        await asyncio.gather(*(flood(a, per, k * per) for k, a in enumerate(attackers)))
        flood_s = time.perf_counter() - start
        phase["now"] = "after"
        await asyncio.sleep(1)
        stop.set()
        await asyncio.wait(probes, timeout=30)
        for a in [*attackers, luce]:
            await a.close()
    return {"samples": samples, "flood_s": flood_s}


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-flood-"))
    srv, proc = start_app(data_dir, extra_env=PRODUCTION_LIMITS)
    try:
        cookie = luce_cookie(data_dir)
        result = asyncio.run(measure(srv.url, cookie))
    finally:
        stop_app(proc)
    s = result["samples"]
    print(f"app: {ARGS.root}")
    print(f"flood: {ARGS.events} login events from {ARGS.sockets} anonymous websockets, "
          f"all answered in {result['flood_s']:.1f} s")
    for kind, label in (("health", "/api/health"), ("page", "Luce's page event (HomeState.refresh)")):
        rest, flood = s.get((kind, "rest"), []), s.get((kind, "flood"), [])
        ratio = statistics.median(flood) / statistics.median(rest) if rest and flood else float("nan")
        print(f"{label}: rest median {statistics.median(rest):.1f} ms p95 {pct(rest, .95):.1f} ms (n={len(rest)}); "
              f"flood median {statistics.median(flood) if flood else float('nan'):.1f} ms "
              f"p95 {pct(flood, .95):.1f} ms (n={len(flood)}); ratio {ratio:.1f}x")
    refused = (data_dir / "server.log").read_text(errors="replace").count("throttled")
    print(f"server log lines 'throttled': {refused}")


if __name__ == "__main__":
    main()
