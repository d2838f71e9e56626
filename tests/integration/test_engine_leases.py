"""Revoke, revoke-prefix, renew and force: nothing left behind in IAM."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.helpers import role_with_everything, user_names
from workbench.aws.iam_user import describe_user
from workbench.domain.errors import NotFound, NotRenewable
from workbench.domain.models import LeaseState
from workbench.service import Workbench


def _setup_full_role(service: Workbench, iam: Any) -> None:
    service.roles.write("aws", "webapp", role_with_everything(iam))


def test_revoke_removes_everything_and_is_idempotent(service: Workbench, iam: Any) -> None:
    _setup_full_role(service, iam)
    lease = service.creds.issue("aws", "webapp").lease
    user = lease.iam_user_name or ""
    # Things an operator might have added by hand: real AWS refuses DeleteUser over them.
    iam.create_login_profile(UserName=user, Password="Xx-1234567890!")
    iam.create_access_key(UserName=user)
    iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=SSH_KEY)
    assert service.leases.revoke(lease.lease_id).state is LeaseState.REVOKED
    assert user not in user_names(iam)
    assert iam.get_group(GroupName="devs")["Users"] == []
    assert service.leases.revoke(lease.lease_id).state is LeaseState.REVOKED
    assert service.leases.list() == []
    assert service.leases.list(include_history=True)[0].state is LeaseState.REVOKED


def test_revoke_prefix_revokes_exactly_the_prefix(service: Workbench, iam: Any) -> None:
    _setup_full_role(service, iam)
    service.roles.write("aws", "other", {"credential_type": "iam_user"})
    web = [service.creds.issue("aws", "webapp").lease for _ in range(12)]
    other = service.creds.issue("aws", "other").lease
    result = service.leases.revoke_prefix("aws/creds/webapp/")
    assert result.ok and sorted(result.revoked) == sorted(lease.lease_id for lease in web)
    assert user_names(iam) == [other.iam_user_name]
    assert [lease.lease_id for lease in service.leases.list()] == [other.lease_id]
    again = service.leases.revoke_prefix("aws/creds/webapp/")
    assert again.revoked == [] and again.ok


def test_renew_counts_from_now_caps_and_rewrites_the_guard(service: Workbench, iam: Any) -> None:
    clock = [time.time()]
    service._ctx.clock = lambda: clock[0]
    service.engines.write_lease("aws", "10m", "30m")
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    lease = service.creds.issue("aws", "webapp").lease
    clock[0] += 300
    renewed, warnings = service.leases.renew(lease.lease_id, "15m")
    assert renewed.expire_time == pytest.approx(clock[0] + 900)
    assert warnings == []
    user = describe_user(
        service._ctx.clients(service.engines.get("aws")), lease.iam_user_name or ""
    )
    guard = user["inline_policies"]["workbench-policy"]["Statement"][-1]  # type: ignore[index]
    expected = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock[0] + 900))
    assert guard["Condition"]["DateGreaterThan"]["aws:CurrentTime"] == expected
    renewed, warnings = service.leases.renew(lease.lease_id, "1h")
    assert renewed.expire_time == pytest.approx(lease.issue_time + 1800)
    assert warnings and "capped" in warnings[0]
    clock[0] = lease.issue_time + 1801
    with pytest.raises(NotRenewable, match="max TTL"):
        service.leases.renew(lease.lease_id, "5m")


def test_sts_leases_are_not_renewable(service: Workbench) -> None:
    service.roles.write("aws", "tok", {"credential_type": "session_token"})
    lease = service.creds.issue("aws", "tok").lease
    with pytest.raises(NotRenewable, match="cannot be renewed"):
        service.leases.renew(lease.lease_id)


def test_force_revoke_drops_the_record_without_aws(service: Workbench, iam: Any) -> None:
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    lease = service.creds.issue("aws", "webapp").lease
    forced = service.leases.revoke(lease.lease_id, force=True)
    assert forced.state is LeaseState.REVOKED and "force" in (forced.error or "")
    assert lease.iam_user_name in user_names(iam)  # AWS untouched: reconcile finds it


def test_unknown_lease_is_named(service: Workbench) -> None:
    with pytest.raises(NotFound, match="lease 'aws/creds/x/y' not found"):
        service.leases.revoke("aws/creds/x/y")


SSH_KEY = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDdBXRXqLjC8MlM5wM8yYQFL5ZwkgHo6Eqe1xYDFw4M9BhkqHxU"
    "gBD4qYpLrL3l/BmQ0uQjKp8D5rl95e2GcSCYMtPbwKqpCszH1K1ttqF4g8Ymr6ZoWWZ3HOIxMVGUqCk1rTs1/Xo"
    "Qe1nT5HMAKZPn3vOt0T6E7yO0j9SPLjqzmwYnlTQbwZZ0Z7TB1lZCk1ecoUrNIc8rs5y3D6GJN8sd8qDTLdwH0p"
    "ioBJ8xw03LfYXhuwnbKypy4YVAfyKc6XYtbL4oHNqCftcLGu7MErdyRyh0cfgaXjIoEzd9fRxt55Z0yVa8SzGqq"
    "OFVdx1RR60ZPvWVF4nQ1BzkSZTdXyO5y0TQTq4Lb test@example"
)
