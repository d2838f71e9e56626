"""Revocation cuts access first: the key dead in one call, STS sessions denied in AWS.

Against the embedded AWS over HTTP with its authorization on, so "refused"
means AWS (moto, made to evaluate the deny as IAM does) refused the call.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FAST_KDF, PASSPHRASE, MotoServer, make_service
from tests.helpers import FaultInjector, as_credential, wait_for
from workbench.aws import deny as aws_deny
from workbench.demo.server import DEMO_ACCOUNT
from workbench.domain.models import LeaseState
from workbench.service import Workbench
from workbench.store import KdfParams, Store
from workbench.worker import LeaseWorker

ROLE_ARN = f"arn:aws:iam::{DEMO_ACCOUNT}:role/deploy"
ALLOW_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
SAMPLE_IAM_USER = {
    "credential_type": "iam_user",
    "policy_document": json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}],
        }
    ),
}


@pytest.fixture
def root(authorized: tuple[MotoServer, str, str], tmp_path: Path) -> Any:
    """A workbench on the authorizing account, its root keys the admin's."""
    aws, access_key, secret_key = authorized
    store = Store.create(tmp_path / "h", PASSPHRASE, KdfParams.fresh(**FAST_KDF))
    keys = {"access_key": access_key, "secret_key": secret_key}
    service = make_service(
        store, aws, root={**keys, "max_retries": 0, "expiry_guard": False, "dead_key_probe": True}
    )
    admin = aws.client("iam", access_key=access_key, secret_key=secret_key)
    admin.put_role_policy(RoleName="deploy", PolicyName="work", PolicyDocument=ALLOW_ALL)
    yield aws, service, admin
    service.close()


def iam_calls(service: Workbench) -> list[str]:
    """The IAM operations the service's client sends from now on, in order."""
    calls: list[str] = []
    client = service._ctx.clients(service.engines.get("aws")).iam

    def record(model: Any, **_kwargs: Any) -> None:
        calls.append(model.name)

    client.meta.events.register("before-call.iam", record)
    return calls


def test_an_iam_user_key_is_dead_after_the_first_call_and_cleanup_is_minimal(root: Any) -> None:
    aws, service, _admin = root
    service.roles.write("aws", "web", SAMPLE_IAM_USER)
    lease = service.creds.issue("aws", "web").lease
    as_credential(aws, "iam", lease).list_users()  # the key works
    calls = iam_calls(service)
    revoked = service.leases.revoke(lease.lease_id)
    assert calls == ["UpdateAccessKey", "DeleteAccessKey", "DeleteUserPolicy", "DeleteUser"]
    assert revoked.state is LeaseState.REVOKED
    record = service.leases.lookup(lease.lease_id).revocation
    assert record["path"] == "minimal" and record["calls"] == calls
    assert record["probe"]["refused"] is True, record
    with pytest.raises(Exception, match="InvalidClientTokenId"):
        as_credential(aws, "iam", lease).list_users()


def test_an_inactive_key_is_refused_before_the_user_is_deleted(root: Any) -> None:
    aws, service, admin = root
    service.roles.write("aws", "web", SAMPLE_IAM_USER)
    lease = service.creds.issue("aws", "web").lease
    admin.update_access_key(
        UserName=lease.iam_user_name, AccessKeyId=lease.access_key_id, Status="Inactive"
    )
    with pytest.raises(Exception, match="InvalidClientTokenId"):
        as_credential(aws, "iam", lease).list_users()


def test_delete_conflict_falls_back_to_the_full_sweep(root: Any) -> None:
    _aws, service, admin = root
    service.roles.write("aws", "web", SAMPLE_IAM_USER)
    lease = service.creds.issue("aws", "web").lease
    # Something the lease did not make: a login profile an intruder added.
    admin.create_login_profile(UserName=lease.iam_user_name, Password="Intruder-Passw0rd!")
    faults = FaultInjector(service._ctx.clients(service.engines.get("aws")).iam)
    faults.fail("DeleteUser", "DeleteConflict", times=1)
    service.leases.revoke(lease.lease_id)
    record = service.leases.lookup(lease.lease_id).revocation
    assert record["path"] == "full sweep"
    assert record["reason"] == "DeleteUser answered DeleteConflict"
    assert "DeleteLoginProfile" not in record["calls"]  # the sweep is one step in the record
    users = [u["UserName"] for u in admin.list_users()["Users"]]
    assert lease.iam_user_name not in users


def test_a_lease_without_a_record_of_what_was_made_is_swept(root: Any) -> None:
    _aws, service, admin = root
    service.roles.write("aws", "web", SAMPLE_IAM_USER)
    lease = service.creds.issue("aws", "web").lease
    stored = service._ctx.store.leases.get(lease.lease_id)
    stored.created = None  # as a lease issued by an older version
    service._ctx.store.leases.update(stored)
    calls = iam_calls(service)
    service.leases.revoke(lease.lease_id)
    assert calls[0] == "UpdateAccessKey" and "ListAccessKeys" in calls
    assert service.leases.lookup(lease.lease_id).revocation["path"] == "full sweep"
    assert lease.iam_user_name not in [u["UserName"] for u in admin.list_users()["Users"]]


def test_a_revoked_assumed_role_session_is_denied_by_its_userid(root: Any) -> None:
    aws, service, admin = root
    service.roles.write(
        "aws", "deployer", {"credential_type": "assumed_role", "role_arns": [ROLE_ARN]}
    )
    first = service.creds.issue("aws", "deployer").lease
    second = service.creds.issue("aws", "deployer").lease
    user_id = as_credential(aws, "sts", first).get_caller_identity()["UserId"]
    as_credential(aws, "iam", first).list_users()  # the session works
    service.leases.revoke(first.lease_id)
    document = admin.get_role_policy(RoleName="deploy", PolicyName="lease-workbench-revoked")
    (statement,) = document["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Action"] == "*"
    assert statement["Condition"] == {"StringEquals": {"aws:userid": user_id}}
    assert user_id.endswith(":" + first.session_name)
    with pytest.raises(Exception, match="AccessDenied"):
        as_credential(aws, "iam", first).list_users()
    as_credential(aws, "iam", second).list_users()  # the other session is untouched
    record = service.leases.lookup(first.lease_id).revocation
    assert record["path"] == "session denied"
    assert record["deny"]["target"] == "role deploy"


def test_deny_statements_are_pruned_once_their_sessions_expired(root: Any) -> None:
    _aws, service, admin = root
    clients = service._ctx.clients(service.engines.get("aws"))
    now = 1_900_000_000.0
    early = aws_deny.SessionDeny(key="a/1", until=now + 60, name="one")
    later = aws_deny.SessionDeny(key="a/2", until=now + 7200, name="two")
    aws_deny.deny_role_sessions(clients, ROLE_ARN, [early], now)
    denial = aws_deny.deny_role_sessions(clients, ROLE_ARN, [later], now + 120)
    document = admin.get_role_policy(RoleName="deploy", PolicyName="lease-workbench-revoked")
    statements = document["PolicyDocument"]["Statement"]
    assert [s["Condition"]["StringEquals"]["aws:userid"].split(":")[1] for s in statements] == [
        "two"
    ]
    assert denial.pruned == 1


def test_a_full_deny_policy_widens_to_every_session_issued_before_now(root: Any) -> None:
    _aws, service, admin = root
    clients = service._ctx.clients(service.engines.get("aws"))
    now = 1_900_000_000.0
    sessions = [
        aws_deny.SessionDeny(key=f"lease/{n}", until=now + 3600, name=f"session-{n:04d}")
        for n in range(80)
    ]
    denial = aws_deny.deny_role_sessions(clients, ROLE_ARN, sessions, now)
    assert denial.widened and "every session of the role issued before" in denial.widened
    document = admin.get_role_policy(RoleName="deploy", PolicyName="lease-workbench-revoked")
    (statement,) = document["PolicyDocument"]["Statement"]
    assert list(statement["Condition"]) == ["DateLessThan"]
    assert "aws:TokenIssueTime" in statement["Condition"]["DateLessThan"]


def test_a_revoked_federation_token_is_denied_on_the_root_user_by_its_name(root: Any) -> None:
    _aws, service, admin = root
    service.roles.write(
        "aws", "partner", {"credential_type": "federation_token", "policy_document": ALLOW_ALL}
    )
    lease = service.creds.issue("aws", "partner").lease
    service.leases.revoke(lease.lease_id)
    document = admin.get_user_policy(
        UserName="workbench-root", PolicyName="lease-workbench-revoked"
    )
    (statement,) = document["PolicyDocument"]["Statement"]
    assert statement["Condition"] == {
        "StringEquals": {"aws:userid": f"{DEMO_ACCOUNT}:{lease.session_name}"}
    }
    admin.list_users()  # the root user's own key still works


def test_a_revoked_session_token_is_denied_by_issue_time_and_the_root_key_still_works(
    root: Any,
) -> None:
    _aws, service, admin = root
    service.roles.write("aws", "backup", {"credential_type": "session_token"})
    lease = service.creds.issue("aws", "backup").lease
    service.leases.revoke(lease.lease_id)
    document = admin.get_user_policy(
        UserName="workbench-root", PolicyName="lease-workbench-revoked"
    )
    (statement,) = document["PolicyDocument"]["Statement"]
    window = statement["Condition"]
    assert set(window) == {"DateGreaterThanEquals", "DateLessThanEquals"}
    assert all(list(v) == ["aws:TokenIssueTime"] for v in window.values())
    admin.list_users()


def test_missing_permissions_end_the_lease_with_a_warning(root: Any) -> None:
    _aws, service, _admin = root
    service.roles.write(
        "aws", "deployer", {"credential_type": "assumed_role", "role_arns": [ROLE_ARN]}
    )
    lease = service.creds.issue("aws", "deployer").lease
    faults = FaultInjector(service._ctx.clients(service.engines.get("aws")).iam)
    faults.fail("PutRolePolicy", "AccessDenied", times=None)
    revoked = service.leases.revoke(lease.lease_id)
    assert revoked.state is LeaseState.REVOKED
    record = service.leases.lookup(lease.lease_id).revocation
    assert record["path"] == "not cut"
    assert "AWS accepts this credential until it expires" in record["warning"]
    assert "iam:PutRolePolicy" in record["warning"]


def test_the_revoker_kills_every_due_key_before_any_cleanup(service: Workbench) -> None:
    service.roles.write("aws", "web", SAMPLE_IAM_USER)
    clock = [time.time()]
    service._ctx.clock = lambda: clock[0]
    leases = [service.creds.issue("aws", "web", ttl="1m").lease for _ in range(6)]
    calls = iam_calls(service)
    clock[0] += 61  # all six expire in the same second
    worker = LeaseWorker(service)
    worker.start()
    try:
        wait_for(
            lambda: not service.leases.list(),
            "every lease revoked",
        )
    finally:
        worker.stop()
    assert calls.count("UpdateAccessKey") == len(leases)  # once each: cleanup skips it
    last_cut = max(i for i, name in enumerate(calls) if name == "UpdateAccessKey")
    assert last_cut < calls.index("DeleteAccessKey")
    for lease in leases:
        record = service._ctx.store.leases.get(lease.lease_id).revocation
        assert record["calls"] == ["DeleteAccessKey", "DeleteUserPolicy", "DeleteUser"]
        assert record["key_inactive_time"]
