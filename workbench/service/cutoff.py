"""Cutting a credential's access in AWS, and checking that AWS now refuses it.

An iam_user key is deactivated by the first call of its revocation
(workbench.aws.iam_revoke). An STS credential cannot be revoked in AWS, so
its session is denied in an identity policy of the principal that granted
it (workbench.aws.deny): the IAM role for assumed_role, the engine's root
user for federation and session tokens. Where the root credentials may not
write that policy, the lease still ends, with a warning that AWS accepts
the credential until its own expiry. The dead-key probe calls
GetCallerIdentity with a revoked iam_user key until AWS refuses it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from workbench.aws import deny as aws_deny
from workbench.aws.clients import AwsClients
from workbench.aws.errors import AwsCallError
from workbench.domain.durations import format_duration
from workbench.domain.errors import AwsError
from workbench.domain.models import CredentialType, Lease, describe_revocation

# AWS answers these when the root credentials may not write the deny policy.
PERMISSION_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "NotAuthorized"}
)
# What AWS answers a key it no longer accepts.
REFUSED_CODES = frozenset(
    {"InvalidClientTokenId", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"}
)
PROBE_SECONDS = 30.0


def deny_sessions(
    clients: AwsClients, leases: list[Lease], now: float
) -> dict[str, dict[str, Any]]:
    """Deny every still-valid STS session among `leases`; one policy write per principal.

    Returns each lease's revocation record: what was denied where, or why
    AWS still accepts it.
    """
    records: dict[str, dict[str, Any]] = {}
    by_target: dict[str, list[Lease]] = {}
    for lease in leases:
        if lease.expire_time <= now:
            records[lease.lease_id] = {"path": "expired in AWS"}
        elif lease.credential_type is CredentialType.ASSUMED_ROLE and not (
            lease.session_name and lease.role_arn
        ):
            records[lease.lease_id] = _still_valid(
                lease, "it was issued before session names were recorded"
            )
        elif lease.credential_type is CredentialType.FEDERATION_TOKEN and not lease.session_name:
            records[lease.lease_id] = _still_valid(
                lease, "it was issued before federated user names were recorded"
            )
        else:
            target = (
                f"role {lease.role_arn}"
                if lease.credential_type is CredentialType.ASSUMED_ROLE
                else "root user"
            )
            by_target.setdefault(target, []).append(lease)
    for target, group in by_target.items():
        sessions = [
            aws_deny.SessionDeny(
                key=lease.lease_id,
                until=lease.expire_time,
                name=lease.session_name,
                issue_time=lease.issue_time,
            )
            for lease in group
        ]
        try:
            if target.startswith("role "):
                denial = aws_deny.deny_role_sessions(clients, target[5:], sessions, now)
            else:
                denial = aws_deny.deny_root_sessions(clients, sessions, now)
        except AwsCallError as error:
            if error.code in PERMISSION_CODES:
                reason = (
                    f"the root credentials may not write the deny policy on the {target} "
                    f"({error.code}; grant iam:GetRole, iam:PutRolePolicy and iam:PutUserPolicy "
                    "as the README's root policy shows)"
                )
            elif error.code == "NoSuchEntity":
                reason = f"the {target} no longer exists in AWS"
            else:
                raise
            records.update({lease.lease_id: _still_valid(lease, reason) for lease in group})
            continue
        for lease in group:
            record: dict[str, Any] = {
                "path": "session denied",
                "deny": denial.record(lease.lease_id),
            }
            if denial.widened:
                record["warning"] = denial.widened
            records[lease.lease_id] = record
    return records


def _still_valid(lease: Lease, reason: str) -> dict[str, Any]:
    return {
        "path": "not cut",
        "warning": f"AWS accepts this credential until it expires ({reason})",
        "accepted_until": lease.expire_time,
    }


def probe_dead(
    clients: AwsClients,
    access_key_id: str,
    secret_key: str,
    *,
    clock: Callable[[], float],
    since: float,
    budget: float = PROBE_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Call GetCallerIdentity with a revoked key until AWS refuses it, or time runs out."""
    probe = clients.with_keys(access_key_id, secret_key, None)
    pause = 0.1
    attempts = 0
    while True:
        attempts += 1
        try:
            probe.caller_identity()
        except AwsCallError as error:
            if error.code in REFUSED_CODES:
                after = max(0.0, clock() - since)
                return {"refused": True, "after": round(after, 2), "code": error.code}
        except AwsError:
            pass  # the network, not an answer: try again
        if clock() - since >= budget:
            return {
                "refused": False,
                "attempts": attempts,
                "warning": f"AWS still accepted the key {format_duration(round(budget))} "
                "after its revocation",
            }
        sleep(pause)
        pause = min(pause * 2, 2.0)


describe = describe_revocation
