"""Lockout that cannot be aimed at a victim (device cookies), limits shared by workers,
the client address behind trusted proxies, login events limited before any hashing,
and the bounded hashing pool: as the victim and the attacker see them."""
from __future__ import annotations

import asyncio
import threading
import time
import warnings

import pytest
from sqlmodel import select

from espace.config import settings
from espace.db import session_scope
from espace.http import core as api
from espace.http import routes
from espace.models import LoginFailure
from espace.services import crypto as security
from espace.services.accounts import auth, client_address, hashing, login_guard
from tests.infra import redis_server

LUCE = ("academy@secib.fr", "a12RJ3d11P")
MARC = ("marc.bertrand@example.com", "Bertrand-Demo-2024")


def _client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    return TestClient(routes.api, follow_redirects=False)


def browser_login(http, identifier, password, ip="10.0.0.1"):
    """What a browser does: the login (with its device cookie, if any), then the ticket
    exchange that sets the session cookie and the device cookie. Returns the login result."""
    result = auth.login(identifier, password, ip, http.cookies.get(login_guard.DEVICE_COOKIE))
    if result.ok:
        http.cookies.set(api.LOGIN_KEY_COOKIE, result.browser_key, path=api.LOGIN_KEY_PATH)
        answer = http.get(f"/api/session/ouvrir?ticket={result.ticket}")
        assert answer.status_code == 303 and answer.headers["location"] in ("/accueil", "/admin")
    return result


def attack(identifier, count=8):
    """Wrong passwords from as many addresses, without any device cookie."""
    for i in range(count):
        answer = auth.login(identifier, f"devine-{i}", f"203.0.113.{i + 1}")
        assert not answer.ok and answer.error in (auth.BAD_CREDENTIALS, auth.TOO_MANY)


def test_the_ticket_route_sets_an_httponly_lax_device_cookie_bound_to_the_identifier(demo):
    with _client() as http:
        result = auth.login(*LUCE, "10.0.0.1")
        http.cookies.set(api.LOGIN_KEY_COOKIE, result.browser_key, path=api.LOGIN_KEY_PATH)
        answer = http.get(f"/api/session/ouvrir?ticket={result.ticket}")
    header = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(login_guard.DEVICE_COOKIE + "="))
    assert "HttpOnly" in header and "samesite=lax" in header.lower() and "Path=/" in header
    assert f"Max-Age={settings.device_cookie_days * 86400}" in header
    value = header.split(";")[0].split("=", 1)[1]
    assert login_guard.device_nonce(value, LUCE[0]) is not None
    assert login_guard.device_nonce(value, MARC[0]) is None
    assert LUCE[0] not in value and "academy" not in value  # the identifier is not readable in it


def test_attacker_cannot_lock_out_a_browser_that_logged_in_before(demo):
    with _client() as luce_browser:
        assert browser_login(luce_browser, *LUCE).ok
        attack(LUCE[0], 12)
        # A new browser (no device cookie) is locked out, even with the right password…
        assert auth.login(*LUCE, "10.0.0.2").error == auth.TOO_MANY
        # …Luce's own browser logs in at once, from any address.
        assert browser_login(luce_browser, *LUCE, ip="198.51.100.7").ok
        assert browser_login(luce_browser, *LUCE, ip="203.0.113.1").ok
    with session_scope() as s:
        scopes = {f.scope for f in s.exec(select(LoginFailure)).all()}
    assert scopes == {"identifier", "address"}  # the attacker's failures never touched a device


def test_a_device_cookie_of_another_identifier_or_a_forged_one_does_not_help(demo):
    with _client() as http:
        assert browser_login(http, *MARC).ok
        marc_cookie = http.cookies.get(login_guard.DEVICE_COOKIE)
    with _client() as http:
        assert browser_login(http, *LUCE).ok
        luce_cookie = http.cookies.get(login_guard.DEVICE_COOKIE)
    attack(LUCE[0])
    nonce, sig = luce_cookie.split(".", 1)
    forged = [
        marc_cookie,                                   # Marc's browser, Luce's identifier
        f"{nonce}.{sig[:-2]}{'AA' if sig[-2:] != 'AA' else 'BB'}",  # tampered signature
        f"{nonce[:-1]}{'x' if nonce[-1] != 'x' else 'y'}.{sig}",     # tampered nonce
        f"{security.new_token()[:22]}.{sig}",           # another nonce with her signature
        "n" * 22 + "." + "s" * 43,                      # made up
        luce_cookie + "~" * 3000,                        # oversized
        "",
    ]
    for cookie in forged:
        assert auth.login(*LUCE, "10.0.0.3", cookie).error == auth.TOO_MANY, cookie[:60]
    assert auth.login(*LUCE, "10.0.0.3", luce_cookie).ok
    # Luce's cookie does not open Marc's account to an attacker's guesses either: it is
    # not his, so it counts as untrusted for him.
    assert login_guard.device_nonce(luce_cookie, MARC[0]) is None


def test_a_device_is_locked_by_its_own_failures_only(demo):
    with _client() as first, _client() as second:
        assert browser_login(first, *LUCE).ok
        assert browser_login(second, *LUCE).ok
        cookie = first.cookies.get(login_guard.DEVICE_COOKIE)
        for i in range(settings.login_device_max_failures):
            assert auth.login(LUCE[0], f"oubli-{i}", "10.0.0.1", cookie).error == auth.BAD_CREDENTIALS
        assert auth.login(*LUCE, "10.0.0.1", cookie).error == auth.TOO_MANY
        # Her other browser and new browsers are not affected by that device's failures.
        assert browser_login(second, *LUCE).ok
        assert auth.login(*LUCE, "10.0.0.9").ok


def test_untrusted_clients_are_limited_per_identifier_and_per_address(demo):
    with _client() as trusted:
        assert browser_login(trusted, *LUCE, ip="6.6.6.6").ok
        for i in range(settings.login_ip_max_failures):
            auth.login(f"inconnu{i}@example.com", "x", "6.6.6.6")
        # Every untrusted browser at that address is refused, for any identifier…
        assert auth.login(*MARC, "6.6.6.6").error == auth.TOO_MANY
        assert auth.login(*MARC, "7.7.7.7").ok
        # …but not a browser of Luce that logged in before (a shared office, a proxy).
        assert browser_login(trusted, *LUCE, ip="6.6.6.6").ok
    # Unknown identifiers are locked like existing ones (no existence signal).
    attack("personne@example.com", settings.login_max_failures)
    assert auth.login("personne@example.com", "x", "10.1.1.1").error == auth.TOO_MANY


def test_throttled_attempts_run_no_password_hashing(demo, monkeypatch):
    attack(LUCE[0], settings.login_max_failures)
    calls = []
    real = hashing.verify_password
    monkeypatch.setattr(hashing, "verify_password", lambda *a: calls.append(1) or real(*a))
    for ident in (LUCE[0], "personne@example.com"):
        attack(ident, settings.login_max_failures)  # the unknown one gets locked too
    calls.clear()
    assert auth.login(*LUCE, "10.0.0.5").error == auth.TOO_MANY
    assert auth.login("personne@example.com", "x", "10.0.0.5").error == auth.TOO_MANY
    assert calls == []


def test_a_browser_keeps_the_device_cookies_of_several_identifiers(demo):
    with _client() as family_computer:
        assert browser_login(family_computer, *LUCE).ok
        assert browser_login(family_computer, *MARC).ok
        cookie = family_computer.cookies.get(login_guard.DEVICE_COOKIE)
    assert login_guard.device_nonce(cookie, LUCE[0]) and login_guard.device_nonce(cookie, MARC[0])
    # A new login as Luce replaces her entry (fresh nonce: the old failures stop counting).
    again = login_guard.issue_device_cookie(cookie, LUCE[0])
    assert login_guard.device_nonce(again, LUCE[0]) != login_guard.device_nonce(cookie, LUCE[0])
    assert login_guard.device_nonce(again, MARC[0]) == login_guard.device_nonce(cookie, MARC[0])
    many = cookie
    for i in range(10):
        many = login_guard.issue_device_cookie(many, f"u{i}@example.com")
    assert len(many.split("~")) == login_guard.MAX_DEVICES


def test_the_failures_are_shared_through_the_database(demo):
    """Several workers: each reads the same table (a second engine stands for another process)."""
    from espace import db

    attack(LUCE[0], settings.login_max_failures)
    db.reset_engine()  # what another worker process has: its own engine and connections
    assert auth.login(*LUCE, "10.0.0.8").error == auth.TOO_MANY


@pytest.mark.parametrize("peer, forwarded, trusted, expected", [
    ("203.0.113.9", "1.2.3.4", "", "203.0.113.9"),                      # no proxy configured
    ("203.0.113.9", "1.2.3.4", "10.0.0.0/8", "203.0.113.9"),            # peer is not a proxy
    ("10.0.0.2", "198.51.100.4", "10.0.0.0/8", "198.51.100.4"),
    ("10.0.0.2", "6.6.6.6, 198.51.100.4", "10.0.0.0/8", "198.51.100.4"),  # spoofed left entry
    ("10.0.0.2", "198.51.100.4, 10.0.0.7", "10.0.0.0/8", "198.51.100.4"),  # two proxies
    ("127.0.0.1", "198.51.100.4", "127.0.0.1, 10.0.0.0/8", "198.51.100.4"),
    ("10.0.0.2", "not-an-ip", "10.0.0.0/8", "10.0.0.2"),
    ("10.0.0.2", "", "10.0.0.0/8", "10.0.0.2"),
    ("::1", "2001:db8::5", "::1", "2001:db8::5"),
    ("::ffff:10.0.0.2", "198.51.100.4:5555", "10.0.0.0/8", "198.51.100.4"),
    ("10.0.0.2", "10.0.0.3", "10.0.0.0/8", "10.0.0.3"),                  # all trusted: the left-most
])
def test_client_address_believes_x_forwarded_for_only_from_trusted_proxies(peer, forwarded, trusted, expected):
    assert client_address.client_ip(peer, forwarded, trusted) == expected


def test_the_http_routes_use_the_same_client_address(demo, monkeypatch):
    monkeypatch.setattr(settings, "trusted_proxies", "testclient, 127.0.0.1")
    from starlette.requests import Request

    def request(peer, xff):
        headers = [(b"x-forwarded-for", xff.encode())] if xff else []
        return Request({"type": "http", "client": (peer, 1234), "headers": headers})

    assert api.client_ip(request("127.0.0.1", "6.6.6.6, 198.51.100.4")) == "198.51.100.4"
    assert api.client_ip(request("203.0.113.9", "198.51.100.4")) == "203.0.113.9"


def test_login_events_are_limited_per_connection_and_per_address_before_any_check(monkeypatch):
    monkeypatch.setattr(settings, "login_events_per_connection", 3)
    monkeypatch.setattr(settings, "login_events_per_address", 5)
    for limiter in (login_guard._per_connection, login_guard._per_address, login_guard._per_device):
        monkeypatch.setattr(limiter, "_hits", {})
    allow = login_guard.allow_login_event
    assert [allow("tab-1", "6.6.6.6", "a@example.com", None) for _ in range(4)] == [True, True, True, False]
    assert [allow(f"tab-{i}", "6.6.6.6", "a@example.com", None) for i in range(2, 5)] == [True, True, False]
    assert allow("tab-9", "7.7.7.7", "a@example.com", None)
    # A browser with a device cookie of the identifier is not held back by its address's flood.
    cookie = login_guard.issue_device_cookie(None, "a@example.com")
    assert allow("tab-10", "6.6.6.6", "a@example.com", cookie)
    assert not allow("tab-11", "6.6.6.6", "b@example.com", cookie)  # not b's device


def test_the_rate_limiter_forgets_old_hits_and_bounds_its_memory():
    limiter = login_guard.RateLimiter(2, seconds=0.2, max_keys=100)
    assert limiter.allow("k") and limiter.allow("k") and not limiter.allow("k")
    time.sleep(0.25)
    assert limiter.allow("k")
    for i in range(1000):
        limiter.allow(f"fresh-{i}")
    assert len(limiter._hits) <= 100


def test_with_redis_the_login_rate_limits_are_shared_by_the_workers(tmp_path, monkeypatch):
    """Two limiters of the same name stand for two worker processes: with Redis they
    allow `limit` events between them, not `limit` each; while Redis is down each counts
    in memory again, and once it is back they share again."""
    with redis_server(tmp_path / "redis") as redis:
        monkeypatch.setattr(settings, "redis_url", redis.url)
        worker_a = login_guard.RateLimiter(3, name="test-shared")
        worker_b = login_guard.RateLimiter(3, name="test-shared")
        assert [worker_a.allow("6.6.6.6"), worker_b.allow("6.6.6.6"), worker_a.allow("6.6.6.6"),
                worker_b.allow("6.6.6.6"), worker_a.allow("6.6.6.6")] == [True, True, True, False, False]
        assert worker_b.allow("7.7.7.7")  # per key
        assert login_guard.RateLimiter(3).allow("6.6.6.6")  # a limiter without a name stays in memory

        redis.stop()
        assert [worker_a.allow("8.8.8.8") for _ in range(4)] == [True, True, True, False]
        redis.start()
        assert [worker_b.allow("9.9.9.9") for _ in range(2)] + [worker_a.allow("9.9.9.9") for _ in range(2)] == [
            True, True, True, False]


def test_the_hashing_pool_runs_at_most_as_many_verifications_as_workers():
    running, peak, lock = [0], [0], threading.Lock()
    loop_thread = threading.get_ident()
    threads = set()

    def verify():
        threads.add(threading.get_ident())
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        hashing.burn_time_like_verify()
        with lock:
            running[0] -= 1
        return True

    async def main():
        return await asyncio.gather(*(hashing.run_for(f"10.0.0.{n}", verify) for n in range(3 * hashing.WORKERS)))

    assert all(asyncio.run(main()))
    assert peak[0] == hashing.WORKERS <= (__import__("os").cpu_count() or 1)
    assert loop_thread not in threads


def test_login_through_the_pool_keeps_the_event_loop_free(demo):
    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.005)
                ticks += 1

        t = asyncio.create_task(ticker())
        results = await asyncio.gather(*(hashing.run_for("10.0.0.1", auth.login, LUCE[0], "faux", "10.0.0.1")
                                         for _ in range(4)))
        t.cancel()
        return results, ticks

    results, ticks = asyncio.run(main())
    assert all(r.error == auth.BAD_CREDENTIALS for r in results)
    assert ticks > 10  # the loop kept running while four argon2 verifications ran


def test_reflex_does_not_believe_x_forwarded_for_by_itself():
    """Reflex's trusted_proxy_hops takes the header from any peer: it stays 0, and
    SessionState._ip() goes through client_address with TRUSTED_PROXIES."""
    import rxconfig

    assert rxconfig.config.trusted_proxy_hops == 0
