"""Races between renew, revoke and the worker (each found by the soak)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.helpers import WEBAPP, FaultInjector, user_names
from workbench.domain.errors import NotRenewable
from workbench.domain.models import LeaseState
from workbench.service import Workbench

ROLE = WEBAPP


def test_renew_during_a_revocation_is_refused_and_revocation_completes(
    service: Workbench, iam: Any
) -> None:
    service.roles.write("aws", "webapp", ROLE)
    lease = service.creds.issue("aws", "webapp").lease
    refused: list[str] = []

    def renew_meanwhile(**_kwargs: Any) -> None:
        if not refused:
            try:
                service.leases.renew(lease.lease_id, "30m")
            except NotRenewable as error:
                refused.append(str(error))

    iam_client = service._ctx.clients(service.engines.get("aws")).iam
    iam_client.meta.events.register_first("before-send.iam.DeleteUser", renew_meanwhile)
    assert service.leases.revoke(lease.lease_id).state is LeaseState.REVOKED
    assert refused and "revoking" in refused[0]
    assert user_names(iam) == []


def test_a_policy_written_while_revoking_is_stripped_again(service: Workbench, iam: Any) -> None:
    service.roles.write("aws", "webapp", ROLE)
    lease = service.creds.issue("aws", "webapp").lease
    written: list[bool] = []

    def late_policy_write(**_kwargs: Any) -> None:
        if not written:  # what a renew that passed its checks a moment earlier would do
            iam.put_user_policy(
                UserName=lease.iam_user_name,
                PolicyName="workbench-policy",
                PolicyDocument=json.dumps(ROLE["policy_document"]),
            )
            written.append(True)

    iam_client = service._ctx.clients(service.engines.get("aws")).iam
    iam_client.meta.events.register_first("before-send.iam.DeleteUser", late_policy_write)
    assert service.leases.revoke(lease.lease_id).state is LeaseState.REVOKED
    assert written and user_names(iam) == []


def test_the_worker_never_revokes_a_lease_renewed_after_it_was_seen_due(
    service: Workbench, iam: Any
) -> None:
    service.roles.write("aws", "webapp", ROLE)
    clock = [time.time()]
    service._ctx.clock = lambda: clock[0]
    lease = service.creds.issue("aws", "webapp", ttl="10m").lease
    seen_due = service._store.leases.due(clock[0] + 601)  # the worker's view a moment later
    assert [item.lease_id for item in seen_due] == [lease.lease_id]
    service.leases.renew(lease.lease_id, "1h")  # lands before the worker claims it
    clock[0] += 601
    assert service.leases.revoke_due(lease.lease_id) is None
    assert service.leases.lookup(lease.lease_id).state is LeaseState.ACTIVE
    assert user_names(iam) == [lease.iam_user_name]
    clock[0] += 3600
    revoked = service.leases.revoke_due(lease.lease_id)
    assert revoked is not None and revoked.state is LeaseState.REVOKED


def test_an_expired_lease_cannot_be_renewed(service: Workbench) -> None:
    service.roles.write("aws", "webapp", ROLE)
    clock = [time.time()]
    service._ctx.clock = lambda: clock[0]
    lease = service.creds.issue("aws", "webapp", ttl="1m").lease
    clock[0] += 61
    with pytest.raises(NotRenewable, match="has expired"):
        service.leases.renew(lease.lease_id, "1h")


def test_a_throttled_probe_call_does_not_fail_the_revocation(service: Workbench, iam: Any) -> None:
    service.roles.write("aws", "webapp", ROLE)
    lease = service.creds.issue("aws", "webapp").lease
    clients = service._ctx.clients(service.engines.get("aws"))
    faults = FaultInjector(clients.client("iam-once"))
    faults.fail("ListServiceSpecificCredentials", "throttle", times=2)
    # The full sweep (where that call is made) runs when DeleteUser finds something left.
    FaultInjector(clients.iam).fail("DeleteUser", "DeleteConflict", times=1)
    assert service.leases.revoke(lease.lease_id).state is LeaseState.REVOKED
    assert faults.injected == 2  # the unretried probe and one retry: both absorbed
    assert user_names(iam) == []
