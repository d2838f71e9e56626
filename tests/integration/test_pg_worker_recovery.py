"""A worker on a team store: due revocations never wait for its recovery sweep (a real PostgreSQL).

Telling a dead owner from a live one whose session was cut takes up to
DEAD_AFTER_SECONDS on PostgreSQL (pg_coord), and a worker sweeps for orphans
every second. The PostgreSQL soak saw a new worker spend its first seconds
there while leases it had to revoke waited (revoked up to 7 s late).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.helpers import wait_for
from workbench.domain.models import LeaseState
from workbench.service import Workbench
from workbench.store.pg_registry import PgProcessRegistry
from workbench.worker.runner import LeaseWorker

SLOW_SWEEP_SECONDS = 30.0  # far longer than a revocation: one waiting for it would show


def test_a_due_lease_is_revoked_while_the_recovery_sweep_still_waits(
    pg_service: Workbench, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = pg_service
    store: Any = service._store
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    due = service.creds.issue("aws", "webapp", ttl="1s").lease
    # An orphan: mid-revoke, its owner's process gone (its registry lock free).
    orphan = store.leases.get(service.creds.issue("aws", "webapp", ttl="1h").lease.lease_id)
    gone = PgProcessRegistry(pg_url)
    orphan.state, orphan.owner = LeaseState.REVOKING, gone.owner()
    orphan.next_attempt_time = time.time() + 3600
    store.leases.update(orphan)
    gone.close()

    released = threading.Event()
    recover_orphans = service.leases.recover_orphans

    def slow_sweep() -> int:  # the sweep confirming dead owners, stretched out
        released.wait(SLOW_SWEEP_SECONDS)
        return recover_orphans()

    monkeypatch.setattr(service.leases, "recover_orphans", slow_sweep)
    time.sleep(1.1)  # `due` has expired
    worker = LeaseWorker(service)
    worker.start()
    try:
        started = time.monotonic()
        wait_for(
            lambda: store.leases.get(due.lease_id).state is LeaseState.REVOKED,
            "the due lease revoked",
            timeout=SLOW_SWEEP_SECONDS / 2,
        )
        assert time.monotonic() - started < SLOW_SWEEP_SECONDS / 2
        assert store.leases.get(orphan.lease_id).state is LeaseState.REVOKING  # still waiting

        released.set()  # the sweep ends: the orphan is due at once and revoked
        wait_for(
            lambda: store.leases.get(orphan.lease_id).state is LeaseState.REVOKED,
            "the orphan revoked once recovered",
        )
    finally:
        released.set()
        worker.stop()
