"""What a flood of logins within every per-address limit does to a real login (issue 22,
item 7: « cannot delay a real login by more than 2× »).

Starts the app (demo data, the production login limits, TRUSTED_PROXIES so that each
websocket's X-Forwarded-For is its address), then times Luce's real login (her correct
password, from a fresh address, no device cookie: submit → the ticket's script) at rest,
and again while 24 addresses each send 10 login events at once (240 in all: unknown
identifiers and wrong passwords, each address within LOGIN_EVENTS_PER_CONNECTION,
LOGIN_EVENTS_PER_ADDRESS and LOGIN_IP_MAX_FAILURES: every one would be checked with
argon2). Prints the median and max of both and the ratio flood / rest, and how the
flood's events were answered.

    .venv/bin/python bench/login_queue.py [--root PATH_OF_A_CHECKOUT] [--samples N]

`--root` runs another checkout of the app (e.g. an export of an older commit) with this
script, to compare before and after. Timings on a shared machine are noisy: compare the
ratio of one run, not milliseconds across runs.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

PARSER = argparse.ArgumentParser()
PARSER.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
PARSER.add_argument("--samples", type=int, default=7, help="Luce's logins at rest and during the flood")
PARSER.add_argument("--addresses", type=int, default=24)
PARSER.add_argument("--per-address", type=int, default=10)
ARGS = PARSER.parse_args()
sys.path.insert(0, ARGS.root)

from tests.e2e.appserver import start_app, stop_app  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reflex_socket import LOGIN, Socket  # noqa: E402

LIMITS = {"TRUSTED_PROXIES": "127.0.0.1, ::1", "LOGIN_EVENTS_PER_CONNECTION": "10",
          "LOGIN_EVENTS_PER_ADDRESS": "30", "LOGIN_IP_MAX_FAILURES": "30", "LOGIN_MAX_FAILURES": "5"}
LUCE = ("academy@secib.fr", "a12RJ3d11P")


async def _answer(sock: Socket) -> str:
    """'ticket' when the login's script arrives, else the error it shows."""
    script = asyncio.create_task(sock.scripts.get())
    update = asyncio.create_task(sock.updates.get())
    try:
        while True:
            done, _ = await asyncio.wait({script, update}, return_when=asyncio.FIRST_COMPLETED, timeout=120)
            if not done:
                return "no answer"
            if script in done:
                if "ticket=" in script.result():
                    return "ticket"
                script = asyncio.create_task(sock.scripts.get())
            if update in done:
                error = update.result().get(LOGIN, {}).get("error_rx_state_")
                if error:
                    return error
                update = asyncio.create_task(sock.updates.get())
    finally:
        script.cancel()
        update.cancel()


async def real_login(http: aiohttp.ClientSession, url: str, n: int) -> tuple[float, str]:
    sock = Socket(http, url, headers={"X-Forwarded-For": f"198.51.100.{n % 250 + 1}"})
    await sock.open("/connexion")
    await sock.emit(f"{LOGIN}.load", {})
    await asyncio.sleep(0.2)
    while not sock.updates.empty():
        sock.updates.get_nowait()
    start = time.perf_counter()
    await sock.emit(f"{LOGIN}.submit", {"form": {"identifier": LUCE[0], "password": LUCE[1]}})
    outcome = await _answer(sock)
    elapsed = (time.perf_counter() - start) * 1000
    await sock.close()
    return elapsed, outcome


async def flooder(http: aiohttp.ClientSession, url: str, k: int, answers: dict) -> None:
    sock = Socket(http, url, headers={"X-Forwarded-For": f"203.0.113.{k + 1}"})
    await sock.open("/connexion")
    await sock.emit(f"{LOGIN}.load", {})
    await asyncio.sleep(0.2)
    for i in range(ARGS.per_address):
        form = {"identifier": f"intrus{k}-{i}@example.net", "password": f"essai-{i}"}
        await sock.emit(f"{LOGIN}.submit", {"form": form})
    seen = 0
    deadline = time.perf_counter() + 300
    while seen < ARGS.per_address and time.perf_counter() < deadline:
        try:
            delta = await asyncio.wait_for(sock.updates.get(), deadline - time.perf_counter())
        except TimeoutError:
            break
        error = delta.get(LOGIN, {}).get("error_rx_state_")
        if error is not None:
            seen += 1
            answers[error] = answers.get(error, 0) + 1
    await sock.close()


async def measure(url: str) -> dict:
    async with aiohttp.ClientSession() as http:
        await asyncio.wait_for(real_login(http, url, 0), 120)  # warm
        rest = [await real_login(http, url, n) for n in range(1, ARGS.samples + 1)]
        answers: dict[str, int] = {}
        start = time.perf_counter()
        flood = [asyncio.create_task(flooder(http, url, k, answers)) for k in range(ARGS.addresses)]
        await asyncio.sleep(0.5)  # the flood's events are in
        during = []
        for n in range(ARGS.samples):
            during.append(await real_login(http, url, 100 + n))
            if all(t.done() for t in flood):
                break
        await asyncio.gather(*flood)
        return {"rest": rest, "flood": during, "answers": answers, "flood_s": time.perf_counter() - start}


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    srv, proc = start_app(data_dir, extra_env=LIMITS)
    try:
        result = asyncio.run(measure(srv.url))
    finally:
        stop_app(proc)
    rest, flood = [ms for ms, _ in result["rest"]], [ms for ms, _ in result["flood"]]
    print(f"app: {ARGS.root}")
    print(f"flood: {ARGS.addresses} addresses × {ARGS.per_address} login events, answered in "
          f"{result['flood_s']:.1f} s: {result['answers']}")
    print(f"Luce's login at rest: median {statistics.median(rest):.0f} ms, max {max(rest):.0f} ms "
          f"({[o for _, o in result['rest']]})")
    print(f"Luce's login during the flood: median {statistics.median(flood):.0f} ms, max {max(flood):.0f} ms "
          f"({[o for _, o in result['flood']]})")
    print(f"ratio flood / rest (medians): {statistics.median(flood) / statistics.median(rest):.2f}x")


if __name__ == "__main__":
    main()
