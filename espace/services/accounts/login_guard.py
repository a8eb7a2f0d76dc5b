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
- Before any of that, in memory (per process): at most LOGIN_EVENTS_PER_CONNECTION
  login events a minute per tab, and LOGIN_EVENTS_PER_ADDRESS per address for
  browsers without a device cookie of the identifier (per device cookie with one).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import random
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, func, select

from espace.config import settings
from espace.models import LoginFailure, utcnow

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


class RateLimiter:
    """At most `limit` hits per key within `seconds` (sliding window), in memory."""

    def __init__(self, limit: int | Callable[[], int], seconds: float = 60.0, max_keys: int = 50_000):
        self._limit, self.seconds, self.max_keys = limit, seconds, max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @property
    def limit(self) -> int:
        return self._limit() if callable(self._limit) else self._limit

    def allow(self, key: str) -> bool:
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


_per_connection = RateLimiter(lambda: settings.login_events_per_connection)
_per_address = RateLimiter(lambda: settings.login_events_per_address)
_per_device = RateLimiter(lambda: settings.login_events_per_connection)


def allow_login_event(connection: str, ip: str, identifier: str, device_cookie: str | None) -> bool:
    """Checked before the login runs (no database, no hashing). A browser with a device
    cookie of the identifier is limited per device cookie instead of per address, so a
    flood from its address (a shared office, a proxy) does not hold it back."""
    if not _per_connection.allow(connection or "?"):
        return False
    device = device_nonce(device_cookie, identifier)
    if device is not None:
        return _per_device.allow(device)
    return _per_address.allow(ip or "?")
