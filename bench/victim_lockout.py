"""The victim-lockout scenario, at the protocol level: Luce logs in once (her browser keeps
its cookies), an attacker sends wrong passwords for her identifier over 7 websockets,
each behind the trusted proxy with another X-Forwarded-For address; then Luce's browser
logs in with her password, and so does a new browser. Prints what each one gets and
how long Luce waited.

    .venv/bin/python bench/victim_lockout.py [--root PATH_OF_A_WORKTREE]
"""
from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

PARSER = argparse.ArgumentParser()
PARSER.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
ARGS = PARSER.parse_args()
sys.path.insert(0, ARGS.root)

from tests.e2e.appserver import start_app, stop_app  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reflex_socket import LOGIN, Socket  # noqa: E402

LUCE = ("academy@secib.fr", "a12RJ3d11P")


async def attempt(http: aiohttp.ClientSession, url: str, identifier: str, password: str,
                  address: str | None = None) -> tuple[str, float]:
    """One login from a tab of the browser `http` (its cookie jar): 'connecté' (the session
    is opened through the ticket, cookies stored in the jar) or the error shown."""
    cookies = "; ".join(f"{c.key}={c.value}" for c in http.cookie_jar if c["path"] in ("/", ""))
    sock = Socket(http, url, cookie=cookies or None, headers={"X-Forwarded-For": address} if address else {})
    await sock.open("/connexion")
    start = time.perf_counter()
    await sock.emit(f"{LOGIN}.submit", {"form": {"identifier": identifier, "password": password}})
    error_task = asyncio.create_task(_error(sock))
    script_task = asyncio.create_task(sock.scripts.get())
    done, pending = await asyncio.wait({error_task, script_task}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
    elapsed = (time.perf_counter() - start) * 1000
    for t in pending:
        t.cancel()
    await sock.close()
    if script_task in done:
        code = script_task.result()
        ticket = re.search(r"ticket=([\w-]+)", code).group(1)
        key = re.search(r"espace_connexion=([\w-]+)", code).group(1)
        async with http.get(f"{url}/api/session/ouvrir", params={"ticket": ticket},
                            headers={"Cookie": f"espace_connexion={key}"}, allow_redirects=False) as r:
            return (f"connecté → {r.headers.get('location')}", elapsed)
    return (error_task.result() if error_task in done else "pas de réponse"), elapsed


async def _error(sock: Socket) -> str:
    while True:
        delta = await sock.updates.get()
        error = delta.get(LOGIN, {}).get("error_rx_state_")
        if error:
            return error


async def scenario(url: str) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as luce, aiohttp.ClientSession() as stranger:
        answer, ms = await attempt(luce, url, *LUCE, "198.51.100.20")
        print(f"Luce's browser, first login: {answer} ({ms:.0f} ms)")
        # She logs out: the session cookie goes, the device cookie (if any) stays.
        for c in list(jar):
            if c.key == "espace_session":
                jar.clear(lambda m, k=c.key: m.key == k)
        print("  cookies kept by her browser:", sorted(c.key for c in jar))
        for i in range(7):
            async with aiohttp.ClientSession() as attacker:
                answer, _ = await attempt(attacker, url, LUCE[0], f"devine-{i}", f"203.0.113.{i + 1}")
            print(f"attacker #{i + 1} from 203.0.113.{i + 1}: {answer}")
        answer, ms = await attempt(luce, url, *LUCE, "198.51.100.20")
        print(f"Luce's browser, right password after the attack: {answer} ({ms:.0f} ms)")
        answer, ms = await attempt(stranger, url, *LUCE, "198.51.100.40")
        print(f"a new browser, right password after the attack: {answer} ({ms:.0f} ms)")


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-victim-"))
    srv, proc = start_app(data_dir, extra_env={"TRUSTED_PROXIES": "127.0.0.1, ::1", "LOGIN_IP_MAX_FAILURES": "30"})
    try:
        print(f"app: {ARGS.root}")
        asyncio.run(scenario(srv.url))
    finally:
        stop_app(proc)


if __name__ == "__main__":
    main()
