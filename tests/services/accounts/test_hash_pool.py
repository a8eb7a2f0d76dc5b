"""The hashing pool (services/accounts/hash_pool.py): fair between addresses, bounded,
refusing at once when full; and argon2 refused on an event loop's thread (hashing.py)."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

from espace.services.accounts import hash_pool, hashing


class Gate:
    """A job that holds its worker until the test opens the gate."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.started = threading.Event()

    def __call__(self) -> str:
        self.started.set()
        assert self.open.wait(10)
        return "gate"


def _order_job(order: list[str], name: str):
    def job() -> str:
        order.append(name)
        return name
    return job


def test_a_newcomer_runs_before_the_backlog_of_a_flood():
    pool = hash_pool.FairPool(workers=1, max_queued=100, per_key=10)
    gate = Gate()
    held = pool.submit("flood-0", gate)
    assert gate.started.wait(5)
    order: list[str] = []
    futures = [pool.submit(f"flood-{n % 4}", _order_job(order, f"flood-{n % 4}")) for n in range(16)]
    victim = pool.submit("victim", _order_job(order, "victim"))
    gate.open.set()
    assert victim.result(10) == "victim" and held.result(10) == "gate"
    for f in futures:
        f.result(10)
    # flood-0 has just run (the gate): the victim ties with the three other addresses'
    # first jobs only, never behind the 16 queued before it.
    assert order.index("victim") <= 3, order


def test_a_known_browser_runs_first():
    """A login from a browser with a valid device cookie of its identifier goes before
    the first checks of fresh addresses, which a fresh address would tie with."""
    pool = hash_pool.FairPool(workers=1, max_queued=100, per_key=10)
    gate = Gate()
    pool.submit("busy", gate)
    assert gate.started.wait(5)
    order: list[str] = []
    fresh = [pool.submit(f"fresh-{n}", _order_job(order, f"fresh-{n}")) for n in range(10)]
    known = pool.submit("appareil:x", _order_job(order, "known"), known=True)
    gate.open.set()
    assert known.result(10) == "known"
    for f in fresh:
        f.result(10)
    assert order[0] == "known", order


def test_the_queue_is_bounded_and_refuses_at_once():
    pool = hash_pool.FairPool(workers=1, max_queued=3, per_key=2)
    gate = Gate()
    pool.submit("a", gate)
    assert gate.started.wait(5)
    pool.submit("a", lambda: 1)
    pool.submit("a", lambda: 2)
    started = time.monotonic()
    with pytest.raises(hash_pool.Busy) as refused:  # per address: 2 waiting at most
        pool.submit("a", lambda: 3)
    assert time.monotonic() - started < 0.05
    assert str(refused.value) == "Le service est très sollicité en ce moment. Réessayez dans quelques secondes."
    pool.submit("b", lambda: 4)  # the queue is now full (3)
    # A newcomer takes the place of the newest job of the busiest address…
    newcomer = pool.submit("c", lambda: "c")
    # …and an address as busy as the busiest is refused.
    with pytest.raises(hash_pool.Busy):
        pool.submit("a", lambda: 5)
    gate.open.set()
    assert newcomer.result(10) == "c"
    assert pool.refused == 3  # a's third, a's job evicted for c, a's again


def test_an_evicted_job_gets_the_french_refusal():
    pool = hash_pool.FairPool(workers=1, max_queued=2, per_key=5)
    gate = Gate()
    pool.submit("x", gate)
    assert gate.started.wait(5)
    first, second = pool.submit("flood", lambda: 1), pool.submit("flood", lambda: 2)
    pool.submit("calm", lambda: 3)
    gate.open.set()
    assert first.result(10) == 1
    with pytest.raises(hash_pool.Busy):
        second.result(10)


def test_argon2_on_the_event_loop_raises_and_in_the_pool_runs():
    async def on_the_loop():
        hashing.verify_password("x", hashing.hash_password.__doc__ or "")

    with pytest.raises(hashing.OnEventLoop):
        asyncio.run(on_the_loop())

    async def through_the_pool():
        return await hashing.run_for("10.1.1.1", hashing.verify_password, "x", None)

    assert asyncio.run(through_the_pool()) is False
    # Outside any event loop (the command line, the demo's loader) argon2 runs where it is.
    assert hashing.needs_rehash(hashing.hash_password("Un-Mot-De-Passe-2024")) is False


def test_strict_mode_refuses_argon2_in_any_other_thread(monkeypatch):
    monkeypatch.setattr(hashing, "STRICT", [True])
    errors: list[BaseException] = []

    def elsewhere():
        try:
            hashing.burn_time_like_verify()
        except hashing.OnEventLoop as exc:
            errors.append(exc)

    t = threading.Thread(target=elsewhere)
    t.start()
    t.join()
    assert errors and "outside the hashing pool" in str(errors[0])
