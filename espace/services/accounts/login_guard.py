"""Lockout that cannot be aimed at a victim (OWASP "device cookies"), and the rate of
login events.

- After a successful login the browser gets a device cookie (`espace_appareil`,
  HttpOnly): a random nonce and an HMAC of (identifier, nonce) with the app secret. A
  browser may hold several (one per identifier used on it, at most MAX_DEVICES).
- An attempt with a valid device cookie of the identifier is judged on that device's
  own failures only: LOGIN_DEVICE_MAX_FAILURES within LOGIN_WINDOW_MINUTES lock that
  device cookie out, nobody else.
- An attempt without one (an untrusted browser) is refused once the identifier has had
  LOGIN_MAX_FAILURES failures from untrusted browsers, or the address
  LOGIN_IP_MAX_FAILURES, within the window. Trusted devices are never locked by them.
- The failures live in the database (table login_failure): every worker sees them.
- Before any of that: at most LOGIN_EVENTS_PER_CONNECTION login events a minute per
  tab, and LOGIN_EVENTS_PER_ADDRESS per address for browsers without a device cookie
  of the identifier (per device cookie with one). Counted in Redis when REFLEX_REDIS_URL
  is set, so that N workers allow the same rate as one (a tab or an address may reach
  any worker); in memory otherwise, and while Redis does not answer.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import random
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, delete, func, select

from espace.config import settings
from espace.models import LoginFailure, utcnow
from espace.services.accounts.client_address import limit_key

log = logging.getLogger("espace.login_guard")

DEVICE_COOKIE = "espace_appareil"
MAX_DEVICES = 5
_SEP = "~"


def _key() -> bytes:
    return hashlib.sha256(b"espace-device-cookie:" + settings.secret).digest()


def _signature(identifier: str, nonce: str) -> str:
    mac = hmac.new(_key(), f"{identifier}\n{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _entries(cookie: str | None) -> list[tuple[str, str]]:
    if not cookie or len(cookie) > 2000:
        return []
    out = []
    for entry in cookie.split(_SEP)[:MAX_DEVICES]:
        nonce, _, sig = entry.partition(".")
        if 16 <= len(nonce) <= 64 and 16 <= len(sig) <= 64:
            out.append((nonce, sig))
    return out


def device_entries(cookie: str | None) -> list[tuple[str, str]]:
    """The (nonce, signature) entries of a device cookie, well-formed ones only (unchecked)."""
    return _entries(cookie)


def device_nonce(cookie: str | None, identifier: str) -> str | None:
    """The nonce of the browser's device cookie for `identifier`, if it holds a valid one."""
    for nonce, sig in _entries(cookie):
        if hmac.compare_digest(sig, _signature(identifier, nonce)):
            return nonce
    return None


def issue_device_cookie(cookie: str | None, identifier: str) -> str:
    """The device cookie value after a successful login as `identifier`: a fresh nonce
    for it (its past failures no longer count), the browser's other entries kept."""
    others = [f"{n}.{s}" for n, s in _entries(cookie) if not hmac.compare_digest(s, _signature(identifier, n))]
    nonce = secrets.token_urlsafe(16)
    return _SEP.join([f"{nonce}.{_signature(identifier, nonce)}", *others[:MAX_DEVICES - 1]])


@dataclass(frozen=True)
class Verdict:
    locked: bool
    identifier: str
    ip: str
    device: str | None  # the nonce of a valid device cookie of the identifier


def _count(s: Session, scope: str, key: str, since: datetime) -> int:
    return s.exec(select(func.count()).select_from(LoginFailure).where(
        col(LoginFailure.scope) == scope, col(LoginFailure.key) == key, col(LoginFailure.at) >= since)).one()


def check(s: Session, identifier: str, ip: str, device_cookie: str | None) -> Verdict:
    """Whether this attempt may be checked at all (no password hashing when locked)."""
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    device = device_nonce(device_cookie, identifier)
    if device is not None:
        locked = _count(s, "device", device, since) >= settings.login_device_max_failures
    else:
        locked = (_count(s, "identifier", identifier, since) >= settings.login_max_failures
                  or (bool(ip) and _count(s, "address", ip, since) >= settings.login_ip_max_failures))
    return Verdict(locked, identifier, ip, device)


def record_failure(s: Session, verdict: Verdict) -> None:
    """Count a wrong password (or unknown identifier) where the verdict says it belongs."""
    if verdict.device is not None:
        s.add(LoginFailure(scope="device", key=verdict.device))
    else:
        s.add(LoginFailure(scope="identifier", key=verdict.identifier[:254]))
        if verdict.ip:
            s.add(LoginFailure(scope="address", key=verdict.ip[:64]))
    if random.random() < 0.02:  # now and then, forget what no window counts any more
        s.exec(delete(LoginFailure).where(
            col(LoginFailure.at) < utcnow() - timedelta(minutes=settings.login_window_minutes + 60)))


# A sliding window in one sorted set per key: drop the hits older than the window,
# refuse when `limit` remain, else add this one. Atomic (a script), shared by the workers.
_SLIDING_WINDOW = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return 1
"""
_shared: dict[str, Any] = {}  # redis URL -> the script bound to its client
_shared_lock = threading.Lock()
_shared_warned_at = [0.0]


def _shared_window(url: str) -> Any:
    with _shared_lock:
        found = _shared.get(url)
        if found is None:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
            found = _shared[url] = client.register_script(_SLIDING_WINDOW)
        return found


class RateLimiter:
    """At most `limit` hits per key within `seconds` (sliding window). A limiter with a
    `name` counts in Redis when REFLEX_REDIS_URL is set (every worker sees the same
    hits), in memory when it is not or while Redis does not answer."""

    def __init__(self, limit: int | Callable[[], int], seconds: float = 60.0, max_keys: int = 50_000,
                 name: str = ""):
        self._limit, self.seconds, self.max_keys, self.name = limit, seconds, max_keys, name
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @property
    def limit(self) -> int:
        return self._limit() if callable(self._limit) else self._limit

    def allow(self, key: str) -> bool:
        if self.name and settings.redis_url:
            shared = self._allow_shared(settings.redis_url, key)
            if shared is not None:
                return shared
        return self._allow_here(key)

    def _allow_shared(self, url: str, key: str) -> bool | None:
        from redis.exceptions import RedisError

        digest = hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:32]
        now = time.time()
        try:
            window = _shared_window(url)
            return bool(window(keys=[f"espace:rate:{self.name}:{digest}"],
                               args=[now, self.seconds, self.limit, f"{now:.6f}:{secrets.token_hex(4)}"]))
        except RedisError as exc:
            if time.monotonic() - _shared_warned_at[0] > 60:
                _shared_warned_at[0] = time.monotonic()
                log.warning("login rate limits counted in memory (Redis does not answer): %s", exc)
            return None

    def _allow_here(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self.max_keys:
                    self._prune(now)
                hits = self._hits[key] = deque()
            while hits and hits[0] <= now - self.seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def _prune(self, now: float) -> None:
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.seconds]:
            del self._hits[key]
        if len(self._hits) >= self.max_keys:  # a flood of fresh keys: start over
            self._hits.clear()


_per_connection = RateLimiter(lambda: settings.login_events_per_connection, name="tab")
_per_address = RateLimiter(lambda: settings.login_events_per_address, name="address")
_per_device = RateLimiter(lambda: settings.login_events_per_connection, name="device")


def allow_login_event(connection: str, ip: str, identifier: str, device_cookie: str | None) -> bool:
    """Checked before the login runs (no database, no hashing). A browser with a device
    cookie of the identifier is limited per device cookie instead of per address, so a
    flood from its address (a shared office, a proxy) does not hold it back."""
    if not _per_connection.allow(connection or "?"):
        return False
    device = device_nonce(device_cookie, identifier)
    if device is not None:
        return _per_device.allow(device)
    return _per_address.allow(limit_key(ip))
