"""Deterministic data for the snapshot tests: fixed clock, ids, request ids and HMAC key."""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from workbench.domain.errors import NotFound
from workbench.domain.models import CredentialType, Lease, LeaseState
from workbench.service.reconcile import IamUserView, ReconcileReport

NOW = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC
ENDPOINT = "http://127.0.0.1:5000"
POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]
    }
  ]
}"""
# (suffix, role, type, state, issued before NOW, expires after NOW)
LEASES = (
    ("Q2mX8kTzL0aB7cD1eF3gH5jK", "webapp", "iam_user", "active", 900, 2700),
    ("R7nY2pWq4sUv6xZ8bC0dE2fG", "webapp", "iam_user", "active", 600, 240),
    ("S1tA3vBn5mC7xD9zE1wF3qG5", "analytics", "iam_user", "propagating", 5, 3595),
    ("T4uC6wDy8aE0cF2eG4iH6kJ8", "analytics", "iam_user", "revoking", 3540, 30),
    ("U9vE1xFz3bG5dH7fI9jK1lM3", "deploy", "assumed_role", "active", 300, 600),
    ("V2wG4yH6aI8cJ0eK2gL4iM6k", "backup", "iam_user", "irrevocable", 7200, -60),
    ("W5xI7zJ9bK1dL3fM5hN7jO9l", "ci", "federation_token", "active", 120, 3480),
    ("X8yK0aL2cM4eN6gO8iP0kQ2m", "webapp", "iam_user", "pending", 1, 3599),
)


def audit_clock() -> Callable[[], float]:
    """Audit times an hour before NOW, one second apart."""
    ticks = itertools.count()
    return lambda: NOW - 3600 + next(ticks)


def deterministic_audit(monkeypatch: pytest.MonkeyPatch, store: Any) -> None:
    """Audit entries with fixed request ids, pid and HMAC key (their times: audit_clock)."""
    ids = itertools.count(1)
    monkeypatch.setattr(
        "workbench.audit.log.uuid", SimpleNamespace(uuid4=lambda: uuid.UUID(int=next(ids)))
    )
    monkeypatch.setattr("workbench.audit.entries.os", SimpleNamespace(getpid=lambda: 4242))
    store.hmac_key = bytes(32)


def build_service(store: Any) -> Any:
    """Engine, roles and leases as a trainer's screen would show them mid-session."""
    from workbench.service import Workbench

    service = Workbench(store, operator="trainer", clock=lambda: NOW, audit_clock=audit_clock())
    service.engines.enable("aws")
    service.engines.write_root(
        "aws",
        access_key="AKIAIOSFODNN7EXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        iam_endpoint=ENDPOINT,
        sts_endpoint=ENDPOINT,
        max_retries=3,
    )
    service.engines.write_lease("aws", "1h", "12h")
    service.roles.write(
        "aws",
        "webapp",
        {"credential_type": "iam_user", "policy_document": POLICY, "iam_tags": {"team": "web"}},
    )
    service.roles.write(
        "aws",
        "analytics",
        {"credential_type": "iam_user", "policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]},
    )
    service.roles.write("aws", "backup", {"credential_type": "iam_user", "policy_document": POLICY})
    service.roles.write(
        "aws",
        "deploy",
        {"credential_type": "assumed_role", "role_arns": ["arn:aws:iam::123456789012:role/deploy"]},
    )
    service.roles.write(
        "aws", "ci", {"credential_type": "federation_token", "policy_document": POLICY}
    )
    for index, (suffix, role, kind, state, age, left) in enumerate(LEASES):
        store.leases.insert(
            Lease(
                lease_id=f"aws/creds/{role}/{suffix}",
                engine="aws",
                role=role,
                credential_type=CredentialType(kind),
                state=LeaseState(state),
                issue_time=NOW - age,
                expire_time=NOW + left,
                max_expire_time=NOW + 12 * 3600,
                renewable=kind == "iam_user",
                iam_user_name=f"wb-trainer-{role}-{int(NOW - age)}-{suffix[:8]}"
                if kind == "iam_user"
                else None,
                access_key_id=f"AKIA{suffix[:16].upper()}"
                if kind == "iam_user"
                else f"ASIA{suffix[:16].upper()}",
                updated_time=NOW - age + index,
            )
        )
    for minute in range(6):
        suffix = f"Y{minute}zHISTORYLEASE000000000"[:24]
        store.leases.insert(
            Lease(
                lease_id=f"aws/creds/webapp/{suffix}",
                engine="aws",
                role="webapp",
                credential_type=CredentialType.IAM_USER,
                state=LeaseState.REVOKED,
                issue_time=NOW - 1500 + minute * 200,
                expire_time=NOW - 900 + minute * 120,
                max_expire_time=NOW,
                renewable=True,
                updated_time=NOW - 900 + minute * 120,
            )
        )
    with contextlib.suppress(NotFound):  # an error entry for the audit pane
        service.leases.renew("aws/creds/webapp/no-such-lease")
    return service


def iam_report() -> ReconcileReport:
    users = [
        IamUserView(
            f"wb-trainer-{role}-{int(NOW - age)}-{suffix[:8]}",
            "/",
            NOW - age,
            f"aws/creds/{role}/{suffix}",
            state,
        )
        for suffix, role, kind, state, age, _left in LEASES
        if kind == "iam_user"
    ]
    users.append(IamUserView("wb-trainer-webapp-1799990000-leftover", "/", NOW - 10_000))
    # The account also holds the engine's own admin user, which the store did not make.
    return ReconcileReport(engine="aws", users=users, account_users=len(users) + 1)
