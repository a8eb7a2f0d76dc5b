"""Password hashes (argon2id, the parameters below: the one place they are set), and the
way every handler reaches them: through the bounded pool of hash_pool.py, never on the
event loop.

`await hashing.run_for(address, auth.login, ...)` runs the whole service call in one of
HASH_WORKERS threads (the number of cores by default): at most that many argon2
computations at once, the rest wait in a bounded queue, fair between addresses
(hash_pool.py); the event loop stays free. A full queue refuses at once (`Busy`, with
its French message). argon2 asked for on an event loop's thread raises `OnEventLoop`
(tests/services/accounts/test_hashing_paths.py and tests/attack/test_hashing_pool.py
prove every handler that hashes goes through the pool)."""
from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import secrets
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from espace.config import settings
from espace.services.accounts import hash_pool

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
    _off_the_loop("hash_password")
    return _HASHER.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    _off_the_loop("verify_password")
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
    _off_the_loop("burn_time_like_verify")
    with contextlib.suppress(VerificationError, ValueError):
        _HASHER.verify(_DUMMY_HASH, password)


P = ParamSpec("P")
T = TypeVar("T")


class OnEventLoop(RuntimeError):
    """argon2 asked for on an event loop's thread: it would stall every tab of the worker."""


def _off_the_loop(what: str) -> None:
    """argon2 runs in the pool (hash_pool.py), or where no event loop runs (the command
    line, the demo's loader, a test). On an event loop's thread it raises: a handler that
    forgot `hashing.run` fails loudly in the tests instead of stalling the worker."""
    if hash_pool.in_pool():
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        if STRICT[0]:
            raise OnEventLoop(f"{what}: outside the hashing pool") from None
        return
    raise OnEventLoop(f"{what} on the event loop: call it through hashing.run")


# Tests set STRICT[0] = True: then argon2 outside the pool's threads raises anywhere.
STRICT = [False]
WORKERS = settings.hash_workers or os.cpu_count() or 1
POOL = hash_pool.FairPool(WORKERS, settings.hash_queue_max or 16 * WORKERS, settings.hash_queue_per_key)
Busy = hash_pool.Busy
BUSY = hash_pool.BUSY


async def run_for(key: str, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a call that hashes or verifies a password in the pool, on behalf of `key`
    (the client's address, or the device cookie of a known browser), and await it.
    Raises `Busy` (French message) at once when the queue has no room for it."""
    future = POOL.submit(key, functools.partial(fn, *args, **kwargs))
    return await asyncio.wrap_future(future)


async def run_known(key: str, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """run_for for a browser with a valid device cookie of the identifier (the key): its
    check runs before the others' (hash_pool.py)."""
    future = POOL.submit(key, functools.partial(fn, *args, **kwargs), known=True)
    return await asyncio.wrap_future(future)


async def run(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """run_for without a key (all such calls share one)."""
    return await run_for("", fn, *args, **kwargs)
