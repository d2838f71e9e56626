"""Vault-shaped audit entries, their canonical text and their chain hash.

An entry is stored as canonical JSON (sorted keys, no spaces), and its hash
is SHA-256 over a fixed encoding of its sequence number, the previous hash,
the columns `tail` filters on, and that text. Verifying therefore never
re-serialises anything, and a file device line (the entry plus `seq`,
`prev_hash` and `hash`) carries everything needed to re-check it.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from workbench.domain.formatting import rfc3339

# Vault's logical operations; "revoke" is not one (Vault writes `update`
# to sys/leases/revoke).
OPERATIONS = frozenset({"create", "read", "update", "delete", "list"})
REQUEST = "request"
RESPONSE = "response"
# Names the devices an entry was not written to because they had failed, so
# `audit verify` can tell a device's known gap from a line removed later.
SKIPPED_KEY = "skipped_devices"


def canonical(value: Any) -> str:
    """The one JSON text of `value`: sorted keys, no whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(
    seq: int,
    prev_hash: str,
    entry_type: str,
    request_id: str,
    path: str,
    operation: str,
    is_error: int,
    entry_text: str,
) -> str:
    """SHA-256 (hex) binding an entry to its place in the chain and its columns.

    Free text (the path, the entry) is length-prefixed or last, so no two
    different rows share an encoding.
    """
    header = (
        f"{seq}\n{prev_hash}\n{entry_type}\n{request_id}\n{operation}\n{is_error}\n"
        f"{len(path)}:{path}\n"
    )
    return hashlib.sha256((header + entry_text).encode("utf-8")).hexdigest()


def auth_block(operator: str) -> dict[str, Any]:
    """Vault's `auth` object for the local operator (a root token, in Vault terms)."""
    return {
        "display_name": operator,
        "policies": ["root"],
        "metadata": {"operator": operator, "pid": os.getpid()},
    }


def build_entry(
    *,
    entry_type: str,
    timestamp: float,
    auth: dict[str, Any],
    request_id: str,
    operation: str,
    path: str,
    request_data: dict[str, Any] | None,
    remote_address: str,
    error: str = "",
    lease_id: str | None = None,
    response_data: dict[str, Any] | None = None,
    skipped_devices: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """One entry in Vault's audit JSON shape (data already redacted)."""
    entry: dict[str, Any] = {
        "time": rfc3339(timestamp),
        "type": entry_type,
        "auth": auth,
        "request": {
            "id": request_id,
            "operation": operation,
            "path": path,
            "data": request_data,
            "remote_address": remote_address,
        },
        "error": error,
    }
    if entry_type == RESPONSE:
        response: dict[str, Any] = {"data": response_data}
        if lease_id:
            response["secret"] = {"lease_id": lease_id}
        entry["response"] = response
    if skipped_devices:
        entry[SKIPPED_KEY] = sorted(skipped_devices)
    return entry


def file_line(seq: int, entry_text: str, prev_hash: str, entry_hash: str) -> str:
    """A JSON-lines record: the entry with `seq`, `prev_hash` and `hash` added.

    Spliced as text (the entry is canonical JSON starting with "{"), so the
    line costs no second serialisation.
    """
    suffix = f'"hash":"{entry_hash}","prev_hash":"{prev_hash}","seq":{seq}'
    if entry_text == "{}":
        return "{" + suffix + "}\n"
    return "{" + entry_text[1:-1] + "," + suffix + "}\n"


def split_line(line: str) -> tuple[int, str, str, str]:
    """Undo `file_line`: (seq, entry text, prev_hash, hash) of a JSON-lines record."""
    record = json.loads(line)
    seq = int(record.pop("seq"))
    entry_hash = str(record.pop("hash"))
    prev_hash = str(record.pop("prev_hash"))
    return seq, canonical(record), prev_hash, entry_hash


def lease_of(entry: dict[str, Any]) -> str | None:
    """The lease an entry is about: its response's lease id, or the request's `lease_id`."""
    secret = (entry.get("response") or {}).get("secret") or {}
    data = (entry.get("request") or {}).get("data") or {}
    found = secret.get("lease_id") or data.get("lease_id")
    return str(found) if found else None
