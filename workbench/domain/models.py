"""The things the workbench keeps: engines, roles, leases and audit entries.

Names follow Vault's AWS secrets engine so trainees learn the real thing.
Times are UTC seconds since the epoch (floats), which sort, subtract and
store without time-zone surprises.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from typing import Any


class CredentialType(enum.StrEnum):
    """The four ways Vault's AWS engine hands out credentials."""

    IAM_USER = "iam_user"
    ASSUMED_ROLE = "assumed_role"
    FEDERATION_TOKEN = "federation_token"
    SESSION_TOKEN = "session_token"

    @property
    def is_sts(self) -> bool:
        """STS credentials end at AWS's expiry; there is nothing to delete."""
        return self is not CredentialType.IAM_USER


class LeaseState(enum.StrEnum):
    """Where a lease is in its life; workbench.domain.lifecycle holds the moves between them."""

    PENDING = "pending"
    PROPAGATING = "propagating"
    ACTIVE = "active"
    REVOKING = "revoking"
    REVOKED = "revoked"
    EXPIRED = "expired"
    IRREVOCABLE = "irrevocable"
    FAILED = "failed"


DEFAULT_USERNAME_TEMPLATE = "wb-{{display_name}}-{{role_name}}-{{unix_time}}-{{random 8}}"


@dataclass
class RootConfig:
    """How an engine reaches AWS: Vault's `aws/config/root`."""

    access_key: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    profile: str | None = None
    region: str = "us-east-1"
    iam_endpoint: str | None = None
    sts_endpoint: str | None = None
    max_retries: int = 3
    username_template: str = DEFAULT_USERNAME_TEMPLATE
    expiry_guard: bool = True
    readiness_probe: bool | None = None  # None: on for real AWS, off for custom endpoints
    dead_key_probe: bool | None = None  # None: on for real AWS, off for custom endpoints

    @property
    def real_aws(self) -> bool:
        return self.iam_endpoint is None and self.sts_endpoint is None

    @property
    def probe_enabled(self) -> bool:
        """Whether to wait for new IAM keys to work before calling them active."""
        return self.real_aws if self.readiness_probe is None else self.readiness_probe

    @property
    def dead_key_probe_enabled(self) -> bool:
        """Whether to call AWS with a revoked key until AWS refuses it."""
        return self.real_aws if self.dead_key_probe is None else self.dead_key_probe

    def public_view(self) -> dict[str, Any]:
        """The config as `config read` shows it: never the secret key."""
        return {
            "access_key": self.access_key or "",
            "secret_key_set": bool(self.secret_key),
            "profile": self.profile or "",
            "region": self.region,
            "iam_endpoint": self.iam_endpoint or "",
            "sts_endpoint": self.sts_endpoint or "",
            "max_retries": self.max_retries,
            "username_template": self.username_template,
            "expiry_guard": self.expiry_guard,
            "readiness_probe": self.probe_enabled,
            "dead_key_probe": self.dead_key_probe_enabled,
        }


@dataclass
class LeaseConfig:
    """Vault's `aws/config/lease`: the default and maximum TTL of iam_user leases."""

    lease: int = 3600
    lease_max: int = 12 * 3600


@dataclass
class Engine:
    """One mount of the AWS secrets engine, i.e. one AWS account."""

    name: str
    root: RootConfig = field(default_factory=RootConfig)
    lease_config: LeaseConfig = field(default_factory=LeaseConfig)
    enabled: bool = True
    created_time: float = field(default_factory=time.time)


@dataclass
class Role:
    """A credential template: the JSON body Vault's `aws/roles/NAME` takes."""

    engine: str
    name: str
    credential_type: CredentialType
    policy_document: str | None = None
    policy_arns: list[str] = field(default_factory=list)
    iam_groups: list[str] = field(default_factory=list)
    iam_tags: dict[str, str] = field(default_factory=dict)
    user_path: str = "/"
    permissions_boundary_arn: str | None = None
    role_arns: list[str] = field(default_factory=list)
    default_sts_ttl: int | None = None
    max_sts_ttl: int | None = None
    session_tags: dict[str, str] = field(default_factory=dict)
    external_id: str | None = None
    mfa_serial_number: str | None = None
    updated_time: float = field(default_factory=time.time)

    def body(self) -> dict[str, Any]:
        """The role as Vault's `read aws/roles/NAME` shows it."""
        body: dict[str, Any] = {"credential_type": self.credential_type.value}
        if self.policy_document:
            body["policy_document"] = self.policy_document
        for name in (
            "policy_arns",
            "iam_groups",
            "iam_tags",
            "role_arns",
            "session_tags",
        ):
            value = getattr(self, name)
            if value:
                body[name] = value
        if self.credential_type is CredentialType.IAM_USER:
            body["user_path"] = self.user_path
        for name in (
            "permissions_boundary_arn",
            "default_sts_ttl",
            "max_sts_ttl",
            "external_id",
            "mfa_serial_number",
        ):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        return body


@dataclass
class Lease:
    """One issued credential and everything needed to end it."""

    lease_id: str
    engine: str
    role: str
    credential_type: CredentialType
    state: LeaseState
    issue_time: float
    expire_time: float
    max_expire_time: float
    renewable: bool
    iam_user_name: str | None = None
    iam_user_path: str | None = None
    access_key_id: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    role_arn: str | None = None
    error: str | None = None
    attempts: int = 0
    next_attempt_time: float | None = None
    owner: str | None = None  # "host:pid" of the process issuing or revoking it
    updated_time: float = field(default_factory=time.time)
    # The STS session or federated user name (what `aws:userid` names after the colon).
    session_name: str | None = None
    # What issuing made in AWS (iam_user: inline_policy, policy_arns, groups), so
    # revocation deletes exactly that; None (older leases) means the full sweep.
    created: dict[str, Any] | None = None
    # How revocation cut access: path, calls, key_inactive_time, deny, probe, warning.
    revocation: dict[str, Any] | None = None
    # The operator who issued it (the audit's display name; team mode shows it per lease).
    issued_by: str | None = None
    # The request the credential cache issued it for (service.cred_cache); None: issued
    # for one use, never handed out again.
    cache_key: str | None = None

    @property
    def how_revoked(self) -> str:
        """One line on how revocation cut access ("" if it has not been revoked)."""
        return describe_revocation(self.revocation)

    @property
    def lease_duration(self) -> int:
        """The TTL granted at issue or last renewal, as Vault reports it."""
        return max(0, round(self.expire_time - self.issue_time))


@dataclass
class StaticRole:
    """An existing IAM user whose one access key the workbench rotates: Vault's static role.

    `step` is a rotation in progress: "claimed" (nothing done in AWS yet),
    "creating" (a new key may exist in AWS that is not recorded yet) or
    "deleting" (the new key is stored, the previous one, `previous_key_id`,
    not yet deleted). A rotation whose
    process died is finished or rolled back from there.
    """

    engine: str
    name: str
    username: str
    rotation_period: int
    access_key_id: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    last_rotated: float | None = None
    step: str | None = None
    previous_key_id: str | None = None
    owner: str | None = None
    error: str | None = None
    updated_time: float = field(default_factory=time.time)

    @property
    def next_rotation(self) -> float:
        """When the worker rotates it next (now, if it was never rotated)."""
        if self.last_rotated is None:
            return self.updated_time
        return self.last_rotated + self.rotation_period

    def body(self) -> dict[str, Any]:
        """The role as Vault's `read aws/static-roles/NAME` shows it."""
        return {
            "name": self.name,
            "username": self.username,
            "rotation_period": self.rotation_period,
        }


@dataclass(frozen=True)
class UnreadableLease:
    """A lease row this version cannot read (damaged, or written by a newer version).

    It is set aside, never revoked blindly, and shown as `unreadable` with
    what was wrong, so an operator can see it and decide.
    """

    lease_id: str
    engine: str
    role: str
    credential_type: str
    stored_state: str
    iam_user_name: str | None
    error: str

    state = "unreadable"


@dataclass
class AuditRecord:
    """One stored audit entry: Vault's JSON plus its place in the hash chain."""

    seq: int
    time: float
    entry: dict[str, Any]
    prev_hash: str
    hash: str


def describe_revocation(record: dict[str, Any] | None) -> str:
    """One line on how a revocation cut access, for the lease list and the TUI."""
    if not record:
        return ""
    probe = record.get("probe") or {}
    if probe.get("refused"):
        return f"refused by AWS after {probe['after']:.1f} s"
    if probe.get("warning"):
        return str(probe["warning"])
    if record.get("warning"):
        return str(record["warning"])
    path = str(record.get("path", ""))
    if path == "session denied":
        return f"session denied on {record['deny']['target']}"
    if record.get("key_inactive_time"):
        return f"key deactivated, user deleted ({path})"
    return path
