"""AWS faults during revocation: retried to success, or `irrevocable` with its error."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.conftest import FAST_KDF, PASSPHRASE, MotoServer, make_service
from tests.helpers import (
    FaultInjector,
    run_cli,
    start_workbench,
    user_exists,
    wait_for,
)
from workbench.domain.lifecycle import RetryPolicy
from workbench.domain.models import LeaseState
from workbench.service import Workbench
from workbench.store import KdfParams, Store
from workbench.worker import LeaseWorker


def _service(store: Store, aws: MotoServer, **retry: float) -> Workbench:
    service: Workbench = make_service(store, aws, retry=RetryPolicy(**retry))
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    return service


def test_transient_faults_are_retried_to_success(store: Store, aws: MotoServer, iam: Any) -> None:
    service = _service(store, aws, base_seconds=0.05)
    lease = service.creds.issue("aws", "webapp", ttl="1s").lease
    faults = FaultInjector(service._ctx.clients(service.engines.get("aws")).iam)
    faults.fail("DeleteAccessKey", "throttle", times=1)
    faults.fail("DeleteUser", "500", times=1)
    faults.fail("UpdateAccessKey", "connection", times=1)
    worker = LeaseWorker(service)
    worker.start()
    try:
        wait_for(lambda: not user_exists(iam, lease.iam_user_name or ""))
        wait_for(lambda: service.leases.lookup(lease.lease_id).state is LeaseState.REVOKED)
    finally:
        worker.stop()
    assert faults.injected == 3


def test_permanent_failure_ends_irrevocable_then_force_clears(
    store: Store, aws: MotoServer, iam: Any, home: Path
) -> None:
    service = _service(
        store, aws, base_seconds=0.02, max_attempts=3, irrevocable_retry_seconds=3600
    )
    lease = service.creds.issue("aws", "webapp", ttl="1s").lease
    faults = FaultInjector(service._ctx.clients(service.engines.get("aws")).iam)
    faults.fail("DeleteUser", "AccessDenied", times=None)
    worker = LeaseWorker(service)
    worker.start()
    try:
        wait_for(lambda: service.leases.lookup(lease.lease_id).state is LeaseState.IRREVOCABLE)
    finally:
        worker.stop()
    stored = service.leases.lookup(lease.lease_id)
    assert stored.attempts == 3
    assert "AccessDenied" in (stored.error or "")
    listed = run_cli(home, "lease", "list")
    assert "irrevocable" in listed.stdout and "AccessDenied" in listed.stdout
    forced = run_cli(home, "lease", "revoke", lease.lease_id, "--force")
    assert forced.returncode == 0, forced.stderr
    assert service.leases.lookup(lease.lease_id).state is LeaseState.REVOKED
    assert user_exists(iam, lease.iam_user_name or "")  # --force does not call AWS


def test_a_later_successful_retry_clears_irrevocable(
    store: Store, aws: MotoServer, iam: Any
) -> None:
    service = _service(store, aws, base_seconds=0.02, max_attempts=2, irrevocable_retry_seconds=0.5)
    lease = service.creds.issue("aws", "webapp", ttl="1s").lease
    faults = FaultInjector(service._ctx.clients(service.engines.get("aws")).iam)
    faults.fail("DeleteUser", "AccessDenied", times=2)
    worker = LeaseWorker(service)
    worker.start()
    try:
        wait_for(lambda: service.leases.lookup(lease.lease_id).state is LeaseState.IRREVOCABLE)
        wait_for(lambda: service.leases.lookup(lease.lease_id).state is LeaseState.REVOKED)
    finally:
        worker.stop()
    assert service.leases.lookup(lease.lease_id).error is None
    assert not user_exists(iam, lease.iam_user_name or "")


def test_two_workers_revoke_each_lease_once_and_hand_over(
    home: Path, aws: MotoServer, iam: Any
) -> None:
    store = Store.create(home, PASSPHRASE, KdfParams.fresh(**FAST_KDF))
    service = _service(store, aws)
    leases = [service.creds.issue("aws", "webapp", ttl="2s").lease for _ in range(10)]
    other = Workbench(Store.open(home, PASSPHRASE), operator="second")
    first, second = LeaseWorker(service), LeaseWorker(other)
    first.start()
    second.start()
    try:
        wait_for(lambda: first.is_leader or second.is_leader)
        assert not (first.is_leader and second.is_leader)
        wait_for(lambda: iam.list_users()["Users"] == [], timeout=120)
        wait_for(lambda: not service.leases.list())
    finally:
        first.stop()
        second.stop()
        other.close()
    for lease in leases:
        responses = [
            record
            for record in service.audit.entries(path_prefix="sys/leases/revoke")
            if record.entry["type"] == "response"
            and record.entry["request"]["data"]["lease_id"] == lease.lease_id
        ]
        assert len(responses) == 1, lease.lease_id


def test_killing_the_lock_holder_hands_over(home: Path, aws: MotoServer, iam: Any) -> None:
    store = Store.create(home, PASSPHRASE, KdfParams.fresh(**FAST_KDF))
    service = _service(store, aws)
    holder = start_workbench(home, "worker")
    standby = LeaseWorker(service, standby_poll=0.2)
    try:
        assert holder.stdout is not None and "leader" in holder.stdout.readline()
        standby.start()
        time.sleep(0.5)
        assert not standby.is_leader
        holder.kill()
        holder.wait(timeout=60)
        wait_for(lambda: standby.is_leader, "the standby takes over", timeout=120)
        lease = service.creds.issue("aws", "webapp", ttl="1s").lease
        wait_for(lambda: not user_exists(iam, lease.iam_user_name or ""))
    finally:
        standby.stop()
        if holder.poll() is None:
            holder.kill()
            holder.wait()
