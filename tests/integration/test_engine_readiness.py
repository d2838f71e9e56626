"""The readiness probe: a new key is `propagating` until STS accepts it; nobody waits."""

from __future__ import annotations

import time

from workbench.domain.models import LeaseState
from workbench.service import Workbench
from workbench.worker import LeaseWorker


def _wait_for_state(service: Workbench, lease_id: str, state: LeaseState) -> LeaseState:
    deadline = time.monotonic() + 60
    current = service.leases.lookup(lease_id).state
    while current is not state and time.monotonic() < deadline:
        time.sleep(0.1)
        current = service.leases.lookup(lease_id).state
    return current


def test_issue_returns_at_once_and_the_worker_makes_the_key_active(service: Workbench) -> None:
    service.engines.write_root("aws", readiness_probe=True)
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    issued = service.creds.issue("aws", "webapp")
    assert issued.lease.state is LeaseState.PROPAGATING
    assert any("propagating" in warning for warning in issued.warnings)
    worker = LeaseWorker(service)
    worker.start()
    try:
        assert (
            _wait_for_state(service, issued.lease.lease_id, LeaseState.ACTIVE) is LeaseState.ACTIVE
        )
    finally:
        worker.stop()


def test_key_stays_propagating_while_sts_refuses_it(service: Workbench) -> None:
    # IAM works, STS is unreachable: the probe never succeeds, and issuing does not wait for it.
    service.engines.write_root("aws", readiness_probe=True, sts_endpoint="http://127.0.0.1:9")
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    lease = service.creds.issue("aws", "webapp").lease
    assert lease.state is LeaseState.PROPAGATING
    assert service.leases.confirm_ready(lease.lease_id) is False
    assert service.leases.lookup(lease.lease_id).state is LeaseState.PROPAGATING
    assert [item.lease_id for item in service.leases.list()] == [lease.lease_id]


def test_a_propagating_lease_is_revoked_on_time_like_any_other(service: Workbench, iam) -> None:  # type: ignore[no-untyped-def]
    service.engines.write_root("aws", readiness_probe=True, sts_endpoint="http://127.0.0.1:9")
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    lease = service.creds.issue("aws", "webapp", ttl="2s").lease
    worker = LeaseWorker(service)
    worker.start()
    try:
        assert _wait_for_state(service, lease.lease_id, LeaseState.REVOKED) is LeaseState.REVOKED
    finally:
        worker.stop()
    assert iam.list_users()["Users"] == []


def test_probe_is_on_by_default_only_for_real_aws(service: Workbench) -> None:
    assert service.engines.read_config("aws")["readiness_probe"] is False  # custom endpoints
    service.engines.enable("real")
    assert service.engines.read_config("real")["readiness_probe"] is True
