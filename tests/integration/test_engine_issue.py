"""Each credential type issues, and IAM holds exactly what the role says."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.conftest import MotoServer
from workbench.aws.iam_user import describe_user
from workbench.domain.errors import InvalidInput, NotFound
from workbench.domain.models import LeaseState
from workbench.service import Workbench

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}
    ],
}


def _managed_policy(iam: Any, name: str) -> str:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}],
    }
    return str(
        iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    )


def _user(service: Workbench, name: str) -> dict[str, Any] | None:
    return describe_user(service._ctx.clients(service.engines.get("aws")), name)


def test_iam_user_matches_the_role_exactly(service: Workbench, iam: Any) -> None:
    arn = _managed_policy(iam, "read-ec2")
    iam.create_group(GroupName="devs")
    iam.create_group(GroupName="ops")
    service.roles.write(
        "aws",
        "webapp",
        {
            "credential_type": "iam_user",
            "policy_document": POLICY,
            "policy_arns": [arn],
            "iam_groups": ["devs", "ops"],
            "iam_tags": ["team=web", "cost-center=42"],
            "user_path": "/workbench/web/",
        },
    )
    issued = service.creds.issue("aws", "webapp", ttl="20m")
    lease = issued.lease
    assert lease.state is LeaseState.ACTIVE
    assert lease.lease_id.startswith("aws/creds/webapp/")
    user = _user(service, lease.iam_user_name or "")
    assert user is not None
    assert user["path"] == "/workbench/web/"
    assert user["tags"] == {
        "team": "web",
        "cost-center": "42",
        "lease-workbench:store": service._store.store_id,
        "lease-workbench:lease": lease.lease_id,
    }
    assert user["groups"] == ["devs", "ops"]
    assert user["attached_policies"] == [arn]
    assert user["access_keys"] == [lease.access_key_id]
    inline = user["inline_policies"]["workbench-policy"]
    assert inline["Statement"][0] == POLICY["Statement"][0]
    guard = inline["Statement"][-1]
    assert guard["Sid"] == "WorkbenchExpiryGuard" and guard["Effect"] == "Deny"
    expected = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(lease.expire_time))
    assert guard["Condition"] == {"DateGreaterThan": {"aws:CurrentTime": expected}}
    assert 20 * 60 - 5 <= lease.expire_time - lease.issue_time <= 20 * 60


def test_username_is_valid_and_unique_for_long_names(service: Workbench) -> None:
    service.engines.write_root(
        "aws", username_template="wb-{{display_name}}-{{role_name}}-{{unix_time}}-{{random 12}}"
    )
    role = "r" * 60
    service.roles.write("aws", role, {"credential_type": "iam_user"})
    names = {service.creds.issue("aws", role).lease.iam_user_name for _ in range(3)}
    assert len(names) == 3
    for name in names:
        assert name is not None and len(name) <= 64
        assert _user(service, name) is not None


@pytest.mark.parametrize("credential_type", ["assumed_role", "federation_token", "session_token"])
def test_sts_types_issue_with_aws_expiry(
    service: Workbench, iam: Any, credential_type: str
) -> None:
    body: dict[str, Any] = {"credential_type": credential_type, "default_sts_ttl": "20m"}
    if credential_type == "assumed_role":
        role = iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=json.dumps(POLICY))
        body |= {
            "role_arns": [role["Role"]["Arn"]],
            "policy_document": POLICY,
            "session_tags": {"team": "web"},
        }
    if credential_type == "federation_token":
        body |= {"policy_document": POLICY}
    service.roles.write("aws", "sts", body)
    issued = service.creds.issue("aws", "sts")
    lease = issued.lease
    assert lease.state is LeaseState.ACTIVE and not lease.renewable
    assert lease.access_key_id and lease.secret_key and lease.session_token
    assert 20 * 60 - 5 <= lease.expire_time - time.time() <= 20 * 60 + 1
    assert lease.iam_user_name is None
    if credential_type == "assumed_role":
        assert lease.role_arn == body["role_arns"][0]
        assert lease.access_key_id.startswith("ASIA")


def test_assumed_role_with_several_arns_needs_a_choice(service: Workbench) -> None:
    arns = ["arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/b"]
    service.roles.write("aws", "multi", {"credential_type": "assumed_role", "role_arns": arns})
    with pytest.raises(InvalidInput, match="choose one with role_arn") as caught:
        service.creds.issue("aws", "multi")
    assert caught.value.field == "role_arn"  # the CLI says --role-arn, the TUI "Role ARN"
    with pytest.raises(InvalidInput, match="is not one of the role_arns of role 'multi'"):
        service.creds.issue("aws", "multi", role_arn="arn:aws:iam::123456789012:role/c")
    assert service.leases.list() == []


def test_ttl_is_capped_with_a_warning(service: Workbench) -> None:
    service.engines.write_lease("aws", "10m", "30m")
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    issued = service.creds.issue("aws", "webapp", ttl="2h")
    assert issued.warnings and "capped to 30m" in issued.warnings[0]
    assert 30 * 60 - 5 <= issued.lease.lease_duration <= 30 * 60
    default = service.creds.issue("aws", "webapp")
    assert 10 * 60 - 5 <= default.lease.lease_duration <= 10 * 60 and not default.warnings


def test_sts_ttl_below_aws_minimum_is_refused(service: Workbench) -> None:
    service.roles.write("aws", "tok", {"credential_type": "session_token"})
    with pytest.raises(InvalidInput, match="15m minimum"):
        service.creds.issue("aws", "tok", ttl="5m")


def test_unknown_role_and_engine_are_named(service: Workbench) -> None:
    with pytest.raises(NotFound, match="role 'nope' not found in engine 'aws'"):
        service.creds.issue("aws", "nope")
    with pytest.raises(NotFound, match="engine 'prod' not found"):
        service.creds.issue("prod", "webapp")


def test_mfa_role_requires_a_code(service: Workbench) -> None:
    service.roles.write(
        "aws",
        "mfa",
        {
            "credential_type": "session_token",
            "mfa_serial_number": "arn:aws:iam::123456789012:mfa/alice",
        },
    )
    with pytest.raises(InvalidInput, match="requires MFA") as caught:
        service.creds.issue("aws", "mfa")
    assert caught.value.field == "mfa_code"
    issued = service.creds.issue("aws", "mfa", mfa_code="123456")
    assert issued.lease.session_token


def test_several_engines_are_separate_accounts(service: Workbench, aws: MotoServer) -> None:
    service.engines.enable("prod")
    service.engines.point_at(
        "prod", aws.url, access_key="AKIAPROD", secret_key="prod-secret", region="eu-west-1"
    )
    service.roles.write("prod", "webapp", {"credential_type": "iam_user"})
    issued = service.creds.issue("prod", "webapp")
    assert issued.lease.lease_id.startswith("prod/creds/webapp/")
    assert issued.region == "eu-west-1"
    with pytest.raises(NotFound):
        service.creds.issue("aws", "webapp")
