"""The readiness probe: a new key is `propagating` until STS accepts it."""

from __future__ import annotations

from workbench.domain.models import LeaseState
from workbench.service import Workbench


def test_probe_marks_the_key_active_once_sts_accepts_it(service: Workbench) -> None:
    service.write_root_config("aws", readiness_probe=True)
    service.write_role("aws", "webapp", {"credential_type": "iam_user"})
    lease = service.issue("aws", "webapp").lease
    assert lease.state is LeaseState.ACTIVE
    assert service.lookup(lease.lease_id).state is LeaseState.ACTIVE


def test_key_stays_propagating_while_sts_refuses_it(service: Workbench) -> None:
    # IAM works, STS is unreachable: the probe never succeeds.
    service.write_root_config("aws", readiness_probe=True, sts_endpoint="http://127.0.0.1:9")
    service.readiness_timeout = 1.0
    service.write_role("aws", "webapp", {"credential_type": "iam_user"})
    lease = service.issue("aws", "webapp").lease
    assert lease.state is LeaseState.PROPAGATING
    assert service.lookup(lease.lease_id).state is LeaseState.PROPAGATING
    assert [item.lease_id for item in service.list_leases()] == [lease.lease_id]


def test_probe_is_on_by_default_only_for_real_aws(service: Workbench) -> None:
    assert service.read_config("aws")["readiness_probe"] is False  # custom endpoints
    service.enable_engine("real")
    assert service.read_config("real")["readiness_probe"] is True
