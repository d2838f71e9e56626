"""Cutting STS sessions off: a deny, scoped to one session, on the role or the root user.

AWS cannot revoke one STS credential; a `Deny *` conditioned on the
session's `aws:userid` in an identity policy of the principal that granted
it does the same. Each revoked session is one statement in a
workbench-managed inline policy (`lease-workbench-revoked`) whose Sid
carries the epoch at which the session expires anyway, so statements are
pruned once they can deny nothing. When a statement no longer fits the
inline policy size IAM allows, the policy falls back to one deny on every
session issued before now (`aws:TokenIssueTime`, AWS's own "revoke active
sessions") and says so.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workbench.aws.clients import AwsClients
from workbench.aws.errors import AwsCallError, translate
from workbench.domain.formatting import iso_utc, policy_size

DENY_POLICY_NAME = "lease-workbench-revoked"
# IAM's limits on the inline policies of one role and of one user, all together.
ROLE_INLINE_LIMIT = 10_240
USER_INLINE_LIMIT = 2_048
# The longest a session of the fallback's kind can live: a role's sessions up to
# its MaxSessionDuration, a user's federation and session tokens up to 36 hours.
USER_SESSION_MAX = 36 * 3600
# Seconds before and after a session token's recorded issue time that its deny covers
# (the call's latency and the clocks' skew lie in between).
SESSION_TOKEN_WINDOW = (120, 30)
_SID = re.compile(r"^WbUntil(\d+)")
_WRITE_ATTEMPTS = 3
_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_guard = threading.Lock()


@dataclass(frozen=True)
class SessionDeny:
    """One session to cut off, until when it would have expired anyway.

    `name` is the assumed-role session name or the federated user's name;
    a session token has neither, only the time it was issued.
    """

    key: str  # unique per lease (the lease id)
    until: float
    name: str | None = None
    issue_time: float | None = None


@dataclass
class Denial:
    """What was written: where, which statements, and whether it had to widen."""

    target: str
    policy_name: str = DENY_POLICY_NAME
    sids: dict[str, str] = field(default_factory=dict)  # session key -> Sid
    conditions: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    pruned: int = 0
    widened: str | None = None  # the fallback's warning, when it was needed

    def record(self, key: str) -> dict[str, Any]:
        record: dict[str, Any] = {
            "target": self.target,
            "policy": self.policy_name,
            "sid": self.sids.get(key, ""),
            "condition": self.conditions.get(key, {}),
        }
        if self.widened:
            record["widened"] = self.widened
        return record


@dataclass(frozen=True)
class _Target:
    """A role or a user: how to read and write its inline policies."""

    kind: str
    name: str
    limit: int
    session_max: int
    get: Callable[[str], str | None]
    put: Callable[[str], None]
    others_size: Callable[[], int]


def _lock(kind: str, name: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault((kind, name), threading.Lock())


def role_name_of(role_arn: str) -> str:
    return role_arn.rsplit("/", 1)[-1]


def deny_role_sessions(
    clients: AwsClients, role_arn: str, sessions: list[SessionDeny], now: float
) -> Denial:
    """Deny each assumed-role session by its `aws:userid`, `ROLEID:session-name`."""
    name = role_name_of(role_arn)
    iam = clients.iam
    with translate("GetRole"):
        role = iam.get_role(RoleName=name)["Role"]

    def get(policy: str) -> str | None:
        return _get_policy(iam.get_role_policy, RoleName=name, PolicyName=policy)

    def put(document: str) -> None:
        with translate("PutRolePolicy"):
            iam.put_role_policy(RoleName=name, PolicyName=DENY_POLICY_NAME, PolicyDocument=document)

    def others() -> int:
        return _others_size(iam.list_role_policies, get, RoleName=name)

    session_max = int(role.get("MaxSessionDuration", 3600))
    target = _Target("role", name, ROLE_INLINE_LIMIT, session_max, get, put, others)
    conditions = {
        s.key: {"StringEquals": {"aws:userid": f"{role['RoleId']}:{s.name}"}} for s in sessions
    }
    return _deny(target, sessions, conditions, now)


def deny_root_sessions(clients: AwsClients, sessions: list[SessionDeny], now: float) -> Denial:
    """Deny federation tokens (`ACCOUNT:name`) and session tokens on the root IAM user.

    A session token's `aws:userid` is the user's own id, so it is denied by
    `aws:TokenIssueTime` instead, in a window around its issue time: the
    narrowest AWS offers, which also denies any other session token the
    root user got in that window (never its long-term key, which has no
    token issue time).
    """
    iam = clients.iam
    with translate("GetUser"):
        user = iam.get_user()["User"]
    user_name, account = user["UserName"], user["Arn"].split(":")[4]

    def get(policy: str) -> str | None:
        return _get_policy(iam.get_user_policy, UserName=user_name, PolicyName=policy)

    def put(document: str) -> None:
        with translate("PutUserPolicy"):
            iam.put_user_policy(
                UserName=user_name, PolicyName=DENY_POLICY_NAME, PolicyDocument=document
            )

    def others() -> int:
        return _others_size(iam.list_user_policies, get, UserName=user_name)

    def condition(session: SessionDeny) -> dict[str, dict[str, str]]:
        if session.name:
            return {"StringEquals": {"aws:userid": f"{account}:{session.name}"}}
        issued = session.issue_time or now
        before, after = SESSION_TOKEN_WINDOW
        return {
            "DateGreaterThanEquals": {"aws:TokenIssueTime": iso_utc(issued - before)},
            "DateLessThanEquals": {"aws:TokenIssueTime": iso_utc(issued + after)},
        }

    target = _Target("user", user_name, USER_INLINE_LIMIT, USER_SESSION_MAX, get, put, others)
    conditions = {s.key: condition(s) for s in sessions}
    return _deny(target, sessions, conditions, now)


def _deny(
    target: _Target,
    sessions: list[SessionDeny],
    conditions: dict[str, dict[str, dict[str, str]]],
    now: float,
) -> Denial:
    denial = Denial(target=f"{target.kind} {target.name}")
    with _lock(target.kind, target.name):
        budget = target.limit - target.others_size()
        for _attempt in range(_WRITE_ATTEMPTS):
            current = _statements(target.get(DENY_POLICY_NAME))
            fresh = [_statement(s, conditions[s.key], denial) for s in sessions]
            unexpired = [s for s in current if not _expired(s, now)]
            denial.pruned = len(current) - len(unexpired)
            # A session denied again (a re-run after a crash) keeps one statement.
            kept = [s for s in unexpired if s.get("Sid") not in _sids_of(fresh)]
            wanted = kept + fresh
            document = _document(wanted)
            if policy_size(document) > budget:
                document = _document([_fallback(target, kept, sessions, now, denial)])
            target.put(document)
            # Another process may have written in between: read back, and merge again
            # if what we wrote is not what IAM holds.
            if _sids(target.get(DENY_POLICY_NAME)) >= _sids(document):
                return denial
        raise AwsCallError(
            f"the deny policy {DENY_POLICY_NAME} on {denial.target} kept changing while "
            "it was written; revoke again",
            "ConcurrentModification",
        )


def _statement(
    session: SessionDeny, condition: dict[str, dict[str, str]], denial: Denial
) -> dict[str, Any]:
    sid = f"WbUntil{int(session.until) + 1}L{re.sub(r'[^A-Za-z0-9]', '', session.key)}"
    denial.sids[session.key] = sid
    denial.conditions[session.key] = condition
    return {"Sid": sid, "Effect": "Deny", "Action": "*", "Resource": "*", "Condition": condition}


def _fallback(
    target: _Target,
    kept: list[dict[str, Any]],
    sessions: list[SessionDeny],
    now: float,
    denial: Denial,
) -> dict[str, Any]:
    """One deny on every session issued before now: it covers every statement it replaces."""
    untils = [_until(s) for s in kept] + [s.until for s in sessions]
    until = int(max([now + target.session_max, *untils])) + 1
    before = iso_utc(now + 1)
    condition = {"DateLessThan": {"aws:TokenIssueTime": before}}
    denial.widened = (
        f"the deny policy on {target.kind} {target.name} is full: every session of the "
        f"{target.kind} issued before {before} is denied, not only the revoked ones"
    )
    sid = f"WbUntil{until}All"
    for session in sessions:
        denial.sids[session.key] = sid
        denial.conditions[session.key] = condition
    return {"Sid": sid, "Effect": "Deny", "Action": "*", "Resource": "*", "Condition": condition}


def _document(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))


def _statements(document: str | None) -> list[dict[str, Any]]:
    if not document:
        return []
    statements = json.loads(document).get("Statement", [])
    return [s for s in statements if isinstance(s, dict)]


def _sids(document: str | None) -> set[str]:
    return _sids_of(_statements(document))


def _sids_of(statements: list[dict[str, Any]]) -> set[str]:
    return {str(s.get("Sid", "")) for s in statements}


def _until(statement: dict[str, Any]) -> float:
    match = _SID.match(str(statement.get("Sid", "")))
    return float(match.group(1)) if match else float("inf")


def _expired(statement: dict[str, Any], now: float) -> bool:
    """Ours, and every session it denies has expired anyway (others' are kept)."""
    return _until(statement) < now


def _get_policy(call: Callable[..., dict[str, Any]], **arguments: str) -> str | None:
    try:
        with translate(call.__name__):
            document = call(**arguments)["PolicyDocument"]
    except AwsCallError as error:
        if error.code == "NoSuchEntity":
            return None
        raise
    # boto3 decodes the URL-encoded JSON into a dict; keep it text.
    return document if isinstance(document, str) else json.dumps(document)


def _others_size(
    listing: Callable[..., dict[str, Any]], get: Callable[[str], str | None], **owner: str
) -> int:
    """The size of the principal's other inline policies (IAM's limit is on all of them)."""
    with translate(listing.__name__):
        names = listing(**owner).get("PolicyNames", [])
    return sum(policy_size(get(name) or "") for name in names if name != DENY_POLICY_NAME)


__all__ = [
    "DENY_POLICY_NAME",
    "Denial",
    "SessionDeny",
    "deny_role_sessions",
    "deny_root_sessions",
    "role_name_of",
]
