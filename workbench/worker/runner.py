"""The expiry scheduler: revoke each lease on time, retry failures, recover crashes.

It sleeps until the next expiry or retry (never longer than `poll` seconds,
so leases written by other processes are noticed within about a second) and
revokes with bounded concurrency, so a burst of expiries neither queues for
long nor trips IAM throttling.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from workbench.domain.errors import WorkbenchError
from workbench.domain.models import Lease, LeaseState
from workbench.service import Workbench
from workbench.service.context import owner_is_dead
from workbench.worker.lock import WorkerLock

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 8
POLL_SECONDS = 0.5
STANDBY_POLL_SECONDS = 1.0
RECOVERY_SWEEP_SECONDS = 1.0


@dataclass(frozen=True)
class WorkerEvent:
    """What the worker just did, for the TUI's notifications and the CLI's log."""

    kind: str  # revoked, expired, failed, irrevocable, leader, standby, recovered
    lease_id: str | None
    message: str


class LeaseWorker:
    """Revokes leases at expiry for one store; only the lock holder acts."""

    def __init__(
        self,
        service: Workbench,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_event: Callable[[WorkerEvent], None] | None = None,
        poll: float = POLL_SECONDS,
        standby_poll: float = STANDBY_POLL_SECONDS,
    ) -> None:
        self.service = service
        self.concurrency = max(1, concurrency)
        self.on_event = on_event or (lambda event: None)
        self.poll = poll
        self.standby_poll = standby_poll
        self._lock = WorkerLock(service.store.path.parent)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._in_flight: dict[str, Future[None]] = {}
        self._guard = threading.Lock()

    # -- lifecycle -------------------------------------------------------------

    @property
    def is_leader(self) -> bool:
        return self._lock.held

    def start(self) -> None:
        """Run in a daemon thread (the TUI's way)."""
        self._thread = threading.Thread(target=self.run, name="lease-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after in-flight revocations finish (SIGTERM's path)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Look at the store now (e.g. after this process wrote a lease)."""
        self._wake.set()

    def run(self) -> None:
        """Stand by until the lock is ours, recover, then revoke on schedule."""
        announced_standby = False
        try:
            while not self._stop.is_set():
                if self._lock.try_acquire():
                    break
                if not announced_standby:
                    holder = self._lock.holder_pid()
                    self._emit("standby", None, f"another worker (pid {holder}) is revoking")
                    announced_standby = True
                self._stop.wait(self.standby_poll)
            if self._stop.is_set():
                return
            self._emit("leader", None, "this process revokes expired leases")
            with ThreadPoolExecutor(self.concurrency, thread_name_prefix="revoker") as pool:
                self._pool = pool
                self.recover()
                self._loop()
        finally:
            self._pool = None
            self._lock.release()

    # -- work ------------------------------------------------------------------

    def recover(self) -> int:
        """Roll back crashed issuances, resume crashed revocations (at start, then each second)."""
        store = self.service.store
        now = self.service.ctx.clock()
        recovered = 0
        for lease in store.leases.list(states=frozenset({LeaseState.PENDING, LeaseState.REVOKING})):
            # Due now (the loop claims it like any expired lease), unless taken since.
            if owner_is_dead(lease.owner) and store.leases.reschedule_orphan(
                lease.lease_id, owner=lease.owner, now=now
            ):
                recovered += 1
        if recovered:
            self._emit("recovered", None, f"{recovered} lease(s) left by a crashed process")
        return recovered

    def _loop(self) -> None:
        store = self.service.store
        next_sweep = 0.0
        while not self._stop.is_set():
            if time.monotonic() >= next_sweep:
                # A CLI killed mid-issue or mid-revoke while this worker runs.
                self.recover()
                next_sweep = time.monotonic() + RECOVERY_SWEEP_SECONDS
            now = self.service.ctx.clock()
            for lease in store.leases.due(now, limit=self.concurrency * 8):
                self._submit(lease)
            next_due = store.leases.next_due_time()
            wait = self.poll if next_due is None else min(self.poll, max(0.0, next_due - now))
            self._wake.wait(max(wait, 0.02))
            self._wake.clear()

    def _busy(self) -> bool:
        with self._guard:
            return bool(self._in_flight)

    def _submit(self, lease: Lease) -> None:
        with self._guard:
            if lease.lease_id in self._in_flight or self._pool is None:
                return
            future = self._pool.submit(self._revoke, lease)
            self._in_flight[lease.lease_id] = future
        future.add_done_callback(functools.partial(self._done, lease.lease_id))

    def _done(self, lease_id: str, _future: Future[None]) -> None:
        with self._guard:
            self._in_flight.pop(lease_id, None)
        self._wake.set()

    def _revoke(self, lease: Lease) -> None:
        try:
            ended = self.service.revoker.revoke_due(lease.lease_id)
        except WorkbenchError as error:
            current = self.service.store.leases.get(lease.lease_id)
            kind = (
                "irrevocable"
                if current is not None and current.state is LeaseState.IRREVOCABLE
                else "failed"
            )
            self._emit(kind, lease.lease_id, str(error))
            return
        except Exception as error:  # never let one lease stop the worker
            log.exception("revoking %s failed", lease.lease_id)
            self._emit("failed", lease.lease_id, f"{type(error).__name__}: {error}")
            return
        if ended is None:
            return  # renewed, ended or held elsewhere since it was seen due
        self._emit(ended.state.value, lease.lease_id, f"{lease.lease_id} {ended.state.value}")

    def _emit(self, kind: str, lease_id: str | None, message: str) -> None:
        try:
            self.on_event(WorkerEvent(kind, lease_id, message))
        except Exception:
            log.exception("worker event handler failed")
