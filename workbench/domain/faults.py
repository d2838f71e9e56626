"""Test-only fault points: die or fail at a named step of a sequence.

`WORKBENCH_FAULT=kill:iam.CreateUser` SIGKILLs the process just before that
step; `fail:iam.CreateUser` raises there. Crash-safety tests use it to stop a
real process at every step; without the variable each call is one dict lookup.
"""

from __future__ import annotations

import os
import signal

FAULT_ENV = "WORKBENCH_FAULT"

# Every fault point, in the order the sequences reach them.
ISSUE_FAULT_POINTS = (
    "lease.pending",
    "iam.CreateUser",
    "iam.AttachUserPolicy",
    "iam.PutUserPolicy",
    "iam.AddUserToGroup",
    "iam.CreateAccessKey",
    "iam.created",
    "lease.keys",
)
REVOKE_FAULT_POINTS = (
    "revoke.aws",
    "iam.revoke.DeleteAccessKey",
    "iam.revoke.DeleteUserPolicy",
    "iam.revoke.DeleteUser",
    "revoke.deleted",
)
# A static role's rotation, in order.
ROTATE_FAULT_POINTS = (
    "static.claimed",
    "static.CreateAccessKey",
    "static.created",
    "static.stored",
    "static.deleted",
)
# `incident contain`: after every key is inactive, after every session is denied.
CONTAIN_FAULT_POINTS = ("incident.keys-inactive", "incident.sessions-denied")
# After an audit entry reached the file devices, before the store commits it.
AUDIT_DEVICE_WRITTEN = "audit.device-written"


class InjectedFault(RuntimeError):
    """Raised at a `fail:` fault point."""


def fault_point(name: str) -> None:
    """Die or raise here if the environment asks for it."""
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    for item in spec.split(","):
        action, _, point = item.partition(":")
        if point != name:
            continue
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if action == "fail":
            raise InjectedFault(f"injected failure at {name}")
