"""The expiry guard: a Deny-all after the lease's expiry, inside the user's own policy.

A credential stops working on time even if the workbench is not running.
"""

from __future__ import annotations

import json
from typing import Any

from workbench.domain.formatting import iso_utc

GUARD_SID = "WorkbenchExpiryGuard"


def guard_statement(expire_time: float) -> dict[str, Any]:
    return {
        "Sid": GUARD_SID,
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"DateGreaterThan": {"aws:CurrentTime": iso_utc(expire_time)}},
    }


def guard_size() -> int:
    """Characters (no whitespace) the guard adds to a policy, comma included."""
    text = json.dumps(guard_statement(0), separators=(",", ":"))
    return len(text) + 1


def inline_policy(policy_document: str | None, expire_time: float | None) -> str | None:
    """The role's policy with the guard appended (or the guard alone); compact JSON."""
    if expire_time is None:
        return compact(policy_document) if policy_document else None
    if policy_document:
        document = json.loads(policy_document)
        statements = document.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        statements = [
            s for s in statements if not (isinstance(s, dict) and s.get("Sid") == GUARD_SID)
        ]
        document["Statement"] = [*statements, guard_statement(expire_time)]
    else:
        document = {"Version": "2012-10-17", "Statement": [guard_statement(expire_time)]}
    return json.dumps(document, separators=(",", ":"))


def compact(policy_document: str) -> str:
    return json.dumps(json.loads(policy_document), separators=(",", ":"))
