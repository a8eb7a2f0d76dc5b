"""The supervisor of `python -m espace serve`: Granian's process server with our own
respawn policy.

Granian 2.x (`respawn_failed_workers=True`) replaces a dead worker at once, but when a worker
dies within 5.5 s of its own replacement it logs « Worker crash loop detected, exiting » and
stops every worker, the healthy ones too: the portal refuses every connection until someone
restarts it. It has no back-off and no failure count (`respawn_interval` only paces reloads
and lifetime respawns). Here a dead worker is replaced after a delay that doubles with each
failure in a row of the same slot (`Backoff`: 0 s, 0.25 s, 0.5 s, 1 s… capped at 30 s), a
worker that lived long enough resets its slot's count, and the other workers go on serving.
The supervisor stops by itself only when no worker is left alive and every slot keeps failing
(a deployment that cannot start: the service manager's restart, with its own limits, is the
next step)."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from granian.server.mp import MPServer

log = logging.getLogger("espace.supervisor")

# First respawn at once (a single crash costs nothing), then 0.25 s, 0.5 s, 1 s … at most 30 s.
FIRST_DELAY = 0.25
MAX_DELAY = 30.0
# A worker alive this long has served: its slot's failure count starts again from zero.
STABLE_AFTER = 60.0
# The supervisor gives up only when no worker is alive and every slot failed this many times in a row.
GIVE_UP_STREAK = 8


@dataclass
class Backoff:
    """The respawn schedule of each worker slot (pure: times are passed in)."""

    first_delay: float = FIRST_DELAY
    max_delay: float = MAX_DELAY
    stable_after: float = STABLE_AFTER
    streaks: dict[int, int] = field(default_factory=dict)

    def failed(self, idx: int, lived: float) -> float:
        """Slot `idx`'s worker died after `lived` seconds: the delay before its replacement."""
        streak = 0 if lived >= self.stable_after else self.streaks.get(idx, 0)
        self.streaks[idx] = streak + 1
        if streak == 0:
            return 0.0
        return min(self.first_delay * 2 ** (streak - 1), self.max_delay)

    def hopeless(self, slots: int) -> bool:
        """Every slot failed GIVE_UP_STREAK times in a row."""
        return all(self.streaks.get(idx, 0) >= GIVE_UP_STREAK for idx in range(slots))


class SupervisedServer(MPServer):
    """Granian's multiprocess server whose main loop respawns failed workers with a back-off
    instead of exiting on a crash loop (`respawn_failed_workers` is not used)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.backoff = Backoff()
        self.pending: dict[int, float] = {}  # slot → monotonic time of its respawn

    def _serve_loop(self, spawn_target: Any, target_loader: Any) -> None:
        while True:
            timeout = max(0.0, min(self.pending.values()) - time.monotonic()) if self.pending else None
            self.main_loop_interrupt.wait(timeout)
            if self.interrupt_signal:
                break
            self.main_loop_interrupt.clear()
            now = time.monotonic()
            for idx in self._take_failed():
                worker = self.wrks[idx]
                delay = self.backoff.failed(idx, now - worker.birth)
                self.pending[idx] = now + delay
                log.warning("worker-%d died after %.1f s; replaced in %.1f s (failure %d in a row)",
                            idx + 1, now - worker.birth, delay, self.backoff.streaks[idx])
            if self.pending and not any(w.is_alive() for w in self.wrks) and self.backoff.hopeless(self.workers):
                log.error("every worker keeps dying at start: the supervisor stops")
                self.interrupt_children.append(-1)  # shutdown() exits with status 1
                break
            due = sorted(idx for idx, at in self.pending.items() if at <= now)
            for idx in due:
                del self.pending[idx]
            if due:
                self._respawn_workers(due, spawn_target, target_loader)
                self._metrics.incr_respawn_err(1)
            if self.reload_signal:
                self._reload(spawn_target, target_loader)

    def _take_failed(self) -> list[int]:
        """The slots whose worker ended unexpectedly since the last look (Granian's watcher
        threads append them to `interrupt_children`)."""
        failed = []
        while self.interrupt_children:
            idx = self.interrupt_children.pop(0)
            if idx not in failed and idx not in self.pending:
                failed.append(idx)
        return failed
