"""The one bounded pool where passwords are hashed and verified (argon2), fair between
addresses, with a bounded queue.

- HASH_WORKERS threads (the number of cores by default), at a lower CPU priority (nice
  +10, Linux: per thread), so that a burst of logins yields the cores to the page
  events of people already logged in. argon2-cffi releases the GIL.
- Every job carries a key: the address it comes from (or the device cookie of a known
  browser, or the account). The next job to run is the oldest job of the key that
  started the fewest jobs lately (a count halved every HALF_LIFE seconds): a flood from
  some addresses, each within its limits, waits behind itself, and a login from an
  address that asked for nothing runs right after the jobs already running. A login
  from a browser with a valid device cookie of its identifier (`known`) runs first.
- The queue is bounded: at most HASH_QUEUE_PER_KEY jobs waiting per key and
  HASH_QUEUE_MAX in all. When it is full, the newest job of the busiest key gives its
  place to a job of a lighter key; otherwise the new job is refused at once with
  `Busy` (its French message), before any work.
- argon2 runs only here: hashing.py refuses it on an event loop's thread
  (`in_pool()` says whether the current thread is one of the pool's)."""
from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("espace.hash_pool")

BUSY = "Le service est très sollicité en ce moment. Réessayez dans quelques secondes."
HALF_LIFE = 10.0
NICE = 10

_local = threading.local()


class Busy(Exception):
    """The queue is full (or this address already waits for HASH_QUEUE_PER_KEY jobs)."""

    def __init__(self) -> None:
        super().__init__(BUSY)


def in_pool() -> bool:
    return bool(getattr(_local, "in_pool", False))


@dataclass
class _Job:
    seq: int
    key: str
    call: Callable[[], Any]
    known: bool = False
    future: Future[Any] = field(default_factory=Future)


def _lower_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
    except (AttributeError, OSError) as exc:  # not Linux: the pool is still bounded
        log.info("hashing threads keep their priority: %s", exc)


class FairPool:
    def __init__(self, workers: int, max_queued: int, per_key: int) -> None:
        self.workers, self.max_queued, self.per_key = max(1, workers), max(1, max_queued), max(1, per_key)
        self._cond = threading.Condition()
        self._queues: dict[str, deque[_Job]] = {}
        self._queued = 0
        self._served: dict[str, tuple[float, float]] = {}  # key -> (decayed count of started jobs, when)
        self._seq = itertools.count()
        self._pid = 0
        self.refused = 0
        self.ran = 0

    # -- submitting ------------------------------------------------------------------
    def submit(self, key: str, call: Callable[[], Any], known: bool = False) -> Future[Any]:
        """Queue `call` for `key`; raises Busy at once when there is no room for it.
        `known`: a browser that proved itself before (a valid device cookie of the
        identifier, rate-limited on its own): its check runs before the others."""
        key = key or "?"
        with self._cond:
            self._start_threads()
            waiting = self._queues.get(key)
            if waiting is not None and len(waiting) >= self.per_key:
                self.refused += 1
                raise Busy()
            if self._queued >= self.max_queued and not self._make_room_for(key):
                self.refused += 1
                raise Busy()
            job = _Job(next(self._seq), key, call, known)
            self._queues.setdefault(key, deque()).append(job)
            self._queued += 1
            self._cond.notify()
            return job.future

    def _weight(self, key: str, now: float) -> tuple[int, float]:
        return len(self._queues.get(key, ())), self._score(key, now)

    def _make_room_for(self, key: str) -> bool:
        """The newest job of the busiest key leaves the queue (refused) if that key is
        busier than `key`: a full queue refuses the flood, not the newcomer."""
        now = time.monotonic()
        busiest = max(self._queues, key=lambda k: self._weight(k, now))
        if self._weight(busiest, now) <= self._weight(key, now):
            return False
        evicted = self._queues[busiest].pop()
        if not self._queues[busiest]:
            del self._queues[busiest]
        self._queued -= 1
        self.refused += 1
        evicted.future.set_exception(Busy())
        return True

    # -- choosing ----------------------------------------------------------------------
    def _score(self, key: str, now: float) -> float:
        found = self._served.get(key)
        return found[0] * 0.5 ** ((now - found[1]) / HALF_LIFE) if found else 0.0

    def _next(self) -> _Job:
        now = time.monotonic()
        key = min(self._queues, key=lambda k: (not self._queues[k][0].known, self._score(k, now),
                                               self._queues[k][0].seq))
        queue = self._queues[key]
        job = queue.popleft()
        if not queue:
            del self._queues[key]
        self._queued -= 1
        self._served[key] = (self._score(key, now) + 1.0, now)
        if len(self._served) > 10_000:  # forget the keys whose count has faded
            self._served = {k: v for k, v in self._served.items() if self._score(k, now) > 0.01}
        return job

    # -- the threads -------------------------------------------------------------------
    def _start_threads(self) -> None:
        """Started on first use in each process (a forked worker starts its own)."""
        if self._pid == os.getpid():
            return
        self._pid = os.getpid()
        self._queues, self._queued = {}, 0
        for n in range(self.workers):
            threading.Thread(target=self._work, name=f"espace-hash-{n}", daemon=True).start()

    def _work(self) -> None:
        _local.in_pool = True
        _lower_priority()
        pid = os.getpid()
        while True:
            with self._cond:
                while not self._queued:
                    self._cond.wait()
                if pid != self._pid:
                    return
                job = self._next()
            if not job.future.set_running_or_notify_cancel():
                continue  # its caller went away while it waited
            try:
                result = job.call()
            except BaseException as exc:
                job.future.set_exception(exc)
            else:
                job.future.set_result(result)
            finally:
                self.ran += 1

    def waiting(self) -> int:
        with self._cond:
            return self._queued
