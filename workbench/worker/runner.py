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
from dataclasses import asdict, dataclass

from workbench.domain.errors import StoreCorrupted, WorkbenchError
from workbench.domain.models import Lease, LeaseState
from workbench.service import Workbench
from workbench.worker.status import WorkerStatus

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 8
POLL_SECONDS = 0.5
STANDBY_POLL_SECONDS = 1.0
RECOVERY_SWEEP_SECONDS = 1.0
STATUS_SECONDS = 1.0
MAX_UNREADABLE_SHOWN = 20
STATIC_SECONDS = 1.0  # how often static roles are checked for a due rotation
PROBE_SECONDS = 1.0
PROBE_SLOW_SECONDS = 10.0
PROBE_FAST_FOR_SECONDS = 60.0
REGISTRY_SWEEP_SECONDS = 60.0
UNREADABLE_SCAN_SECONDS = 5.0
ERROR_BACKOFF_SECONDS = (0.5, 1.0, 2.0, 5.0)


@dataclass(frozen=True)
class WorkerEvent:
    """What the worker just did, for the TUI's notifications and the CLI's log."""

    kind: str  # revoked, expired, failed, irrevocable, active, leader, standby, recovered,
    # unreadable (a row set aside), error (a pass failed; the loop goes on), stopped
    lease_id: str | None
    message: str


class _LeadershipLost(Exception):
    """The revoker lock is no longer ours (its database connection was lost)."""


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
        self._home = service.home
        self._lock = service.worker_lock()
        self.status = WorkerStatus()
        self.failure: str | None = None  # why run() ended early, if it did
        self._set_aside: set[str] = set()
        self._probe_at: dict[str, float] = {}
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

    @property
    def alive(self) -> bool:
        """Whether the worker's thread is still running."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Run in a daemon thread (the TUI's way); a lock it cannot open raises here."""
        self._lock.open()
        self._thread = threading.Thread(target=self.run, name="lease-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after in-flight revocations finish (SIGTERM's path)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """Stand by until the lock is ours, recover, then revoke on schedule.

        Nothing ends it but stop(): a failing pass is recorded and retried.
        Should it end anyway, `failure` says why and a `stopped` event is sent.
        """
        try:
            self._run()
        except BaseException as error:
            self.failure = f"{type(error).__name__}: {error}"
            log.exception("the lease worker stopped")
            self.status.stopped = self.failure
            self._write_status()
            self._emit("stopped", None, f"the revoker stopped: {self.failure}")

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._stand_by()
                if self._stop.is_set():
                    return
                self._emit("leader", None, "this process revokes expired leases")
                try:
                    with ThreadPoolExecutor(self.concurrency, thread_name_prefix="revoker") as pool:
                        self._pool = pool
                        self._loop()  # its first pass recovers what crashed processes left
                except _LeadershipLost:
                    # The shared store's lock went with our connection: another worker may
                    # lead already, so stop acting and queue for the lock again.
                    self._emit("standby", None, "lost the revoker lock (connection lost)")
                finally:
                    self._pool = None
        finally:
            self._lock.release()

    def _stand_by(self) -> None:
        """Wait until this process holds the revoker lock (or is told to stop)."""
        announced = False
        while not self._stop.is_set():
            if self._lock.try_acquire():
                return
            if not announced:
                holder = self._lock.holder_pid()
                self._emit("standby", None, f"another worker (pid {holder}) is revoking")
                announced = True
            self._stop.wait(self.standby_poll)

    # -- work ------------------------------------------------------------------

    def recover(self) -> int:
        """Roll back crashed issuances, resume crashed revocations (at start, then each second)."""
        # Due now (the loop claims them like any expired lease), unless taken since.
        recovered = self.service.leases.recover_orphans()
        if recovered:
            self._emit("recovered", None, f"{recovered} lease(s) left by a crashed process")
        return recovered

    def _loop(self) -> None:
        """Passes until stopped; a pass that raises is recorded, then retried after a pause."""
        timers = {
            "sweep": 0.0,
            "status": 0.0,
            "unreadable": 0.0,
            "probe": 0.0,
            "registry": 0.0,
            "static": 0.0,
        }
        failures = 0
        while not self._stop.is_set():
            if not self._lock.still_held():
                raise _LeadershipLost
            try:
                wait = self._pass(timers)
                failures = 0
            except Exception as error:
                log.exception("a worker pass failed")
                message = f"a pass failed ({type(error).__name__}: {error}); retrying"
                self.status.add_error(message, self.service.clock())
                self._emit("error", None, message)
                wait = ERROR_BACKOFF_SECONDS[min(failures, len(ERROR_BACKOFF_SECONDS) - 1)]
                failures += 1
                self._write_status()
            self._wake.wait(max(wait, 0.02))
            self._wake.clear()

    def _pass(self, timers: dict[str, float]) -> float:
        """Recover, revoke what is due, report; the seconds until the next pass."""
        leases = self.service.leases
        tick = time.monotonic()
        if tick >= timers["unreadable"]:
            self._note_unreadable()
            timers["unreadable"] = tick + UNREADABLE_SCAN_SECONDS
        if tick >= timers["probe"]:
            self._probe_propagating(tick)
            timers["probe"] = tick + PROBE_SECONDS
        if tick >= timers["registry"]:
            self.service.sweep_processes()
            timers["registry"] = tick + REGISTRY_SWEEP_SECONDS
        now = self.service.clock()
        due = leases.due(now, limit=self.concurrency * 8)
        with self._guard:
            fresh = [lease for lease in due if lease.lease_id not in self._in_flight]
        if len(fresh) > 1:
            # Many at once: every key dead first (one call each, in parallel), then
            # the cleanups queue behind it without holding access open. A failure
            # here only loses the head start: each revocation cuts its key itself.
            try:
                leases.cut_keys(fresh)
            except Exception:
                log.exception("making the due keys inactive failed")
        for lease in due:
            self._submit(lease)
        if tick >= timers["sweep"]:
            # A CLI killed mid-issue or mid-revoke while this worker runs. After the due
            # revocations are under way: telling a dead owner from a live one whose team
            # store session was cut may take a second (pg_coord), and what it recovers is
            # due at once, for the next pass.
            self.recover()
            timers["sweep"] = tick + RECOVERY_SWEEP_SECONDS
        if tick >= timers["static"]:
            timers["static"] = tick + STATIC_SECONDS
            try:  # after the revocations: a static role's trouble never delays them
                self._rotate_static(self.service.clock())
            except Exception as error:
                log.exception("checking static roles failed")
                self.status.add_error(f"static roles: {error}", self.service.clock())
        self.status.last_pass = now
        self.status.passes += 1
        self.status.due = len(due)
        if tick >= timers["status"]:
            with self._guard:
                self.status.in_flight = len(self._in_flight)
            self._write_status()
            timers["status"] = tick + STATUS_SECONDS
        next_due = leases.next_due_time()
        return self.poll if next_due is None else min(self.poll, max(0.0, next_due - now))

    def _rotate_static(self, now: float) -> None:
        """Static roles due a rotation (or left half-rotated by a dead process)."""
        for role in self.service.static_roles.due(now):
            key = f"static:{role.engine}/{role.name}"
            with self._guard:
                if key in self._in_flight or self._pool is None:
                    continue
                future = self._pool.submit(self._rotate_one, role.engine, role.name)
                self._in_flight[key] = future
            future.add_done_callback(functools.partial(self._done, key))

    def _rotate_one(self, engine: str, name: str) -> None:
        try:
            rotated = self.service.static_roles.run_due(engine, name)
        except WorkbenchError as error:
            self._emit("failed", None, f"rotating static role {name!r} failed: {error}")
            return
        except Exception as error:  # never let one role stop the worker
            log.exception("rotating static role %s failed", name)
            self._emit("failed", None, f"rotating static role {name!r}: {error}")
            return
        if rotated is not None:
            self._emit("rotated", None, f"static role {name!r} rotated: {rotated.access_key_id}")

    def _probe_propagating(self, tick: float) -> None:
        """Readiness: probe each propagating key (each second at first, then less often)."""
        now = self.service.clock()
        waiting = self.service.leases.propagating(limit=self.concurrency * 4)
        self._probe_at = {
            k: v for k, v in self._probe_at.items() if k in {w.lease_id for w in waiting}
        }
        for lease in waiting:
            if self._probe_at.get(lease.lease_id, 0.0) > tick:
                continue
            young = now - lease.issue_time < PROBE_FAST_FOR_SECONDS
            self._probe_at[lease.lease_id] = tick + (PROBE_SECONDS if young else PROBE_SLOW_SECONDS)
            self._submit(lease, self._probe)

    def _probe(self, lease: Lease) -> None:
        try:
            ready = self.service.leases.confirm_ready(lease.lease_id)
        except StoreCorrupted as error:  # its secret fails its check: say so, once
            if lease.lease_id not in self._set_aside:
                self._set_aside.add(lease.lease_id)
                self._emit("unreadable", lease.lease_id, f"lease {lease.lease_id}: {error}")
            return
        except WorkbenchError:
            return
        if ready:
            self._emit("active", lease.lease_id, f"{lease.lease_id} active: AWS accepts its key")

    def _note_unreadable(self) -> None:
        """Rows this version cannot read are set aside and reported, once each."""
        rows = self.service.leases.unreadable()
        self.status.unreadable = [
            {"lease_id": row.lease_id, "iam_user": row.iam_user_name or "", "error": row.error}
            for row in rows[:MAX_UNREADABLE_SHOWN]
        ]
        for row in rows:
            if row.lease_id not in self._set_aside:
                self._set_aside.add(row.lease_id)
                self._emit(
                    "unreadable",
                    row.lease_id,
                    f"lease {row.lease_id} cannot be read and is set aside: {row.error}",
                )

    def _write_status(self) -> None:
        try:
            self.service.write_worker_status(asdict(self.status))
        except (OSError, WorkbenchError) as error:
            log.warning("cannot write the worker status: %s", error)

    def _submit(self, lease: Lease, task: Callable[[Lease], None] | None = None) -> None:
        with self._guard:
            if lease.lease_id in self._in_flight or self._pool is None:
                return
            future = self._pool.submit(task or self._revoke, lease)
            self._in_flight[lease.lease_id] = future
        future.add_done_callback(functools.partial(self._done, lease.lease_id))

    def _done(self, lease_id: str, _future: Future[None]) -> None:
        with self._guard:
            self._in_flight.pop(lease_id, None)
        self._wake.set()

    def _revoke(self, lease: Lease) -> None:
        try:
            ended = self.service.leases.revoke_due(lease.lease_id)
        except WorkbenchError as error:
            current = self.service.leases.current(lease.lease_id)
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
        self.status.revoked += 1
        self._emit(ended.state.value, lease.lease_id, f"{lease.lease_id} {ended.state.value}")

    def _emit(self, kind: str, lease_id: str | None, message: str) -> None:
        try:
            self.on_event(WorkerEvent(kind, lease_id, message))
        except Exception:
            log.exception("worker event handler failed")
