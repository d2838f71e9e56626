"""Failures half-way: the partial IAM user is removed and the lease is `failed`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FAST_KDF, PASSPHRASE, MotoServer, make_service
from tests.helpers import FaultInjector, user_names
from workbench.cli.common import cli_message
from workbench.domain.errors import AwsError, InvalidInput
from workbench.domain.models import LeaseState
from workbench.service import Workbench
from workbench.store import KdfParams, Store
from workbench.tui.display import error_text

ROLE = {
    "credential_type": "iam_user",
    "iam_groups": ["devs"],
    "policy_document": {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
        ],
    },
}


@pytest.mark.parametrize(
    "operation", ["AttachUserPolicy", "PutUserPolicy", "AddUserToGroup", "CreateAccessKey"]
)
def test_failure_half_way_rolls_back(service: Workbench, iam: Any, operation: str) -> None:
    arn = iam.create_policy(PolicyName="p", PolicyDocument=json.dumps(ROLE["policy_document"]))
    iam.create_group(GroupName="devs")
    service.roles.write("aws", "webapp", {**ROLE, "policy_arns": [arn["Policy"]["Arn"]]})
    faults = FaultInjector(service._ctx.clients(service.engines.get("aws")).iam)
    faults.fail(operation, "AccessDenied", times=None)
    with pytest.raises(AwsError, match=f"AWS refused {operation}.*AccessDenied"):
        service.creds.issue("aws", "webapp")
    faults.clear()
    assert iam.list_users()["Users"] == []
    assert iam.get_group(GroupName="devs")["Users"] == []
    (lease,) = service.leases.list(include_history=True)
    assert lease.state is LeaseState.FAILED
    assert operation in (lease.error or "")
    assert service.leases.list() == []


def test_transient_errors_are_retried_by_botocore(service: Workbench, iam: Any) -> None:
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    faults = FaultInjector(service._ctx.clients(service.engines.get("aws")).iam)
    faults.fail("CreateUser", "throttle", times=1)
    faults.fail("CreateAccessKey", "500", times=1)
    faults.fail("PutUserPolicy", "connection", times=1)
    lease = service.creds.issue("aws", "webapp").lease
    assert faults.injected == 3
    assert lease.state is LeaseState.ACTIVE
    assert user_names(iam) == [lease.iam_user_name]


def _root_service(aws: MotoServer, tmp_path: Path, access_key: str, secret_key: str) -> Workbench:
    """A service on the authorizing account, with the given root keys."""
    store = Store.create(tmp_path / "h", PASSPHRASE, KdfParams.fresh(**FAST_KDF))
    keys = {"access_key": access_key, "secret_key": secret_key}
    return make_service(store, aws, root={**keys, "max_retries": 0, "expiry_guard": False})


def test_aws_refusing_root_credentials_is_clear(
    authorized: tuple[MotoServer, str, str], tmp_path: Path
) -> None:
    aws, access_key, secret_key = authorized
    service = _root_service(aws, tmp_path, access_key, "wrong-secret")
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    with pytest.raises(AwsError) as refused:
        service.creds.issue("aws", "webapp")
    assert "check the engine's root credentials (`workbench config read`)" in cli_message(
        refused.value
    )
    assert "root credentials on the Engines pane (3)" in error_text(refused.value)
    (lease,) = service.leases.list(include_history=True)
    assert lease.state is LeaseState.FAILED
    users = aws.client("iam", access_key=access_key, secret_key=secret_key).list_users()["Users"]
    assert {u["UserName"] for u in users} == {"workbench-root", "legacy-app"}  # none issued
    service.close()


def test_rotate_root_replaces_the_key(
    authorized: tuple[MotoServer, str, str], tmp_path: Path
) -> None:
    aws, access_key, secret_key = authorized
    service = _root_service(aws, tmp_path, access_key, secret_key)
    new_key = service.engines.rotate_root("aws")
    assert new_key != access_key
    iam = aws.client("iam", access_key=access_key, secret_key=secret_key)
    with pytest.raises(Exception, match=r"InvalidClientTokenId|not valid"):
        iam.list_users()
    assert service.engines.test_connection("aws")["arn"].endswith("user/workbench-root")
    assert "secret" not in json.dumps(service.engines.read_config("aws")).replace(
        "secret_key_set", ""
    )
    service.close()


def test_rotate_root_needs_stored_keys(service: Workbench) -> None:
    service.engines.write_root("aws", profile="default")
    with pytest.raises(InvalidInput, match="no stored access key"):
        service.engines.rotate_root("aws")


def test_lost_create_user_answer_still_issues_one_user(service: Workbench, iam: Any) -> None:
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    faults = FaultInjector(service._ctx.clients(service.engines.get("aws")).iam)
    faults.lose_response("CreateUser")
    lease = service.creds.issue("aws", "webapp").lease
    assert faults.injected == 1
    assert lease.state is LeaseState.ACTIVE
    assert user_names(iam) == [lease.iam_user_name]


def test_lost_create_access_key_answer_leaves_one_key(service: Workbench, iam: Any) -> None:
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    faults = FaultInjector(service._ctx.clients(service.engines.get("aws")).iam)
    faults.lose_response("CreateAccessKey")
    lease = service.creds.issue("aws", "webapp").lease
    assert faults.injected == 1
    keys = iam.list_access_keys(UserName=lease.iam_user_name)["AccessKeyMetadata"]
    assert [key["AccessKeyId"] for key in keys] == [lease.access_key_id]


def test_an_existing_user_of_someone_else_is_never_deleted(
    service: Workbench, iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.engines.write_root("aws", username_template="fixed-{{random 8}}")
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    # The name the template will make is taken by someone else's user.
    monkeypatch.setattr("workbench.domain.naming.random_token", lambda length: "a" * length)
    iam.create_user(UserName="fixed-aaaaaaaa")
    iam.create_access_key(UserName="fixed-aaaaaaaa")
    with pytest.raises(AwsError, match="EntityAlreadyExists"):
        service.creds.issue("aws", "webapp")
    assert user_names(iam) == ["fixed-aaaaaaaa"]
    assert len(iam.list_access_keys(UserName="fixed-aaaaaaaa")["AccessKeyMetadata"]) == 1
