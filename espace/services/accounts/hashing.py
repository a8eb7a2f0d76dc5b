"""Password hashes (argon2id, the parameters below: the one place they are set), and a
bounded pool for the work that hashes or verifies passwords, so that it never runs on
the event loop.

`await hashing.run(auth.login, ...)` runs the whole service call in one of HASH_WORKERS
threads (the number of cores by default): at most that many argon2 computations at once,
the rest wait in the queue, the event loop stays free. argon2-cffi releases the GIL. The
threads run at a lower CPU priority (nice +10, Linux: per thread, inherited by argon2's
own lane threads), so that a burst of logins yields the cores to the page events of
people already logged in."""
from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from espace.config import settings

log = logging.getLogger(__name__)

# argon2id at the OWASP Password Storage Cheat Sheet's recommendation for interactive
# logins: m = 19 MiB, t = 2, p = 1 (a verification: about 21 ms of CPU on one core,
# measured 2026-12-07; 64 MiB, t = 3, p = 4 took about 170 ms of CPU over four lanes: a
# login waited on it, and a burst of logins on a 2-core server held both cores). A hash made with other parameters still verifies; the login
# that proves its password replaces it (`needs_rehash`, services/accounts/auth.py).
MEMORY_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1
_HASHER = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM)
# A hash verified when the identifier is unknown, so both answers take the same time.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        burn_time_like_verify(password)
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError, ValueError):  # a mismatch, a malformed hash, unencodable text
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's (or is unreadable)."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def burn_time_like_verify(password: str = "x") -> None:
    with contextlib.suppress(VerificationError, ValueError):
        _HASHER.verify(_DUMMY_HASH, password)


NICE = 10
P = ParamSpec("P")
T = TypeVar("T")


def _lower_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
    except (AttributeError, OSError) as exc:  # not Linux: the pool is still bounded
        log.info("hashing threads keep their priority: %s", exc)


WORKERS = settings.hash_workers or os.cpu_count() or 1
_POOL = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="espace-hash", initializer=_lower_priority)


async def run(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a call that hashes or verifies a password in the pool, and await it."""
    return await asyncio.get_running_loop().run_in_executor(_POOL, functools.partial(fn, *args, **kwargs))
