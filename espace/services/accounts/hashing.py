"""A bounded pool for the work that hashes or verifies passwords (argon2: 64 MiB, about
150 ms of CPU), so that it never runs on the event loop.

`await hashing.run(auth.login, ...)` runs the whole service call in one of HASH_WORKERS
threads (the number of cores by default): at most that many argon2 computations at once,
the rest wait in the queue, the event loop stays free. argon2-cffi releases the GIL. The
threads run at a lower CPU priority (nice +10, Linux: per thread, inherited by argon2's
own lane threads), so that a burst of logins yields the cores to the page events of
people already logged in."""
from __future__ import annotations

import asyncio
import functools
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from espace.config import settings

log = logging.getLogger(__name__)

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
