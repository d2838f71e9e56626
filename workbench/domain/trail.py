"""What a credential did: CloudTrail events as rows, and what a responder hunts for.

CloudTrail's LookupEvents gives management events (90 days, about 15
minutes behind); data events such as S3 object reads are not in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Calls that leave a way back in: new principals, keys, passwords, devices.
PERSISTENCE = frozenset(
    {
        "CreateUser",
        "CreateAccessKey",
        "CreateLoginProfile",
        "UpdateLoginProfile",
        "CreateServiceSpecificCredential",
        "UploadSSHPublicKey",
        "UploadSigningCertificate",
        "CreateVirtualMFADevice",
        "EnableMFADevice",
        "CreateRole",
        "CreateInstanceProfile",
    }
)
# Calls that widen what a principal may do, or become another one.
ESCALATION = frozenset(
    {
        "AttachUserPolicy",
        "PutUserPolicy",
        "AttachRolePolicy",
        "PutRolePolicy",
        "AttachGroupPolicy",
        "PutGroupPolicy",
        "AddUserToGroup",
        "CreatePolicyVersion",
        "SetDefaultPolicyVersion",
        "UpdateAssumeRolePolicy",
        "DeleteUserPermissionsBoundary",
        "DeleteRolePermissionsBoundary",
        "PassRole",
        "AssumeRole",
        "GetFederationToken",
        "GetSessionToken",
    }
)
DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "Client.UnauthorizedOperation",
    }
)
# This many refused calls within the window is a burst: someone probing what the key may do.
BURST_COUNT = 5
BURST_SECONDS = 60.0

TRAIL_SCOPE = (
    "CloudTrail management events of the last 90 days, about 15 minutes behind; data "
    "events (S3 object reads and writes, Lambda invocations...) are not in it"
)


@dataclass
class TrailEvent:
    """One AWS call made with a credential, as CloudTrail recorded it."""

    event_id: str
    time: float
    service: str
    action: str
    error_code: str | None
    source_ip: str
    user_agent: str
    access_key_id: str
    flags: list[str] = field(default_factory=list)

    @property
    def result(self) -> str:
        return self.error_code or "ok"

    def as_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "time": self.time,
            "service": self.service,
            "action": self.action,
            "result": self.result,
            "source_ip": self.source_ip,
            "user_agent": self.user_agent,
            "access_key_id": self.access_key_id,
            "flags": list(self.flags),
        }


def flag(events: list[TrailEvent]) -> list[TrailEvent]:
    """Mark persistence and escalation calls and bursts of refusals; oldest first."""
    ordered = sorted(events, key=lambda e: (e.time, e.event_id))
    denied = [e for e in ordered if e.error_code in DENIED_CODES]
    for event in ordered:
        event.flags = []
        if event.action in PERSISTENCE:
            event.flags.append("persistence")
        if event.action in ESCALATION:
            event.flags.append("escalation")
    for index, event in enumerate(denied):
        window = [e for e in denied[index:] if e.time - event.time <= BURST_SECONDS]
        if len(window) >= BURST_COUNT:
            for burst in window:
                if "denied burst" not in burst.flags:
                    burst.flags.append("denied burst")
    return ordered


def summary(events: list[TrailEvent]) -> dict[str, Any]:
    """Counts a report gives per credential."""
    return {
        "calls": len(events),
        "errors": sum(1 for e in events if e.error_code),
        "flagged": [e.as_dict() for e in events if e.flags],
        "first": events[0].time if events else None,
        "last": events[-1].time if events else None,
    }
