"""The leases table's columns: which are secret, JSON or text, and which rows this
version can read (and, for one it cannot, what is wrong with it)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from workbench.domain.lifecycle import DUE, LIVE, sql_in
from workbench.domain.models import CredentialType, LeaseState, UnreadableLease
from workbench.store.dialect import POSTGRESQL, SQLITE

COLUMNS = (
    "lease_id",
    "engine",
    "role",
    "credential_type",
    "state",
    "issue_time",
    "expire_time",
    "max_expire_time",
    "renewable",
    "iam_user_name",
    "iam_user_path",
    "access_key_id",
    "secret_key",
    "session_token",
    "role_arn",
    "error",
    "attempts",
    "next_attempt_time",
    "owner",
    "updated_time",
    "session_name",
    "created",
    "revocation",
    "issued_by",
    "cache_key",
)
JSON_COLUMNS = ("created", "revocation")
SECRET_COLUMNS = ("secret_key", "session_token")
PUBLIC_SELECT = ", ".join("NULL" if column in SECRET_COLUMNS else column for column in COLUMNS)
INSERT = f"INSERT INTO leases ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
UPDATE = (
    "UPDATE leases SET "
    + ", ".join(f"{column} = ?" for column in COLUMNS[1:])
    + " WHERE lease_id = ?"
)
UPDATE_PUBLIC = (
    "UPDATE leases SET "
    + ", ".join(f"{column} = ?" for column in COLUMNS[1:] if column not in SECRET_COLUMNS)
    + " WHERE lease_id = ?"
)
PUBLIC_INDEXES = [i for i, column in enumerate(COLUMNS) if column not in SECRET_COLUMNS]
LIVE_SQL = f"state IN ({sql_in(LIVE)})"
DUE_SQL = f"state IN ({sql_in(DUE)})"


NUMBER = "('integer', 'real')"
TEXT_COLUMNS = (
    "iam_user_name",
    "iam_user_path",
    "access_key_id",
    "role_arn",
    "error",
    "owner",
    "session_name",
    "issued_by",
    "cache_key",
    *JSON_COLUMNS,
)
# A row this version can read: known enum values and numbers where numbers go.
# Rows failing it (damaged, or written by a newer version) are set aside, never
# decoded on the worker's path, so one bad row cannot stop revocation.
_KNOWN_VALUES = (
    f"credential_type IN ({', '.join(repr(t.value) for t in CredentialType)})"
    f" AND state IN ({sql_in(frozenset(LeaseState))})"
    " AND renewable IN (0, 1)"
)
# SQLite stores any value in any column: each column's type is checked too.
_SQLITE_READABLE = (
    "(typeof(lease_id) = 'text' AND typeof(engine) = 'text' AND typeof(role) = 'text'"
    f" AND {_KNOWN_VALUES}"
    f" AND typeof(issue_time) IN {NUMBER} AND typeof(expire_time) IN {NUMBER}"
    f" AND typeof(max_expire_time) IN {NUMBER}"
    f" AND (next_attempt_time IS NULL OR typeof(next_attempt_time) IN {NUMBER})"
    f" AND (updated_time IS NULL OR typeof(updated_time) IN {NUMBER})"
    " AND typeof(attempts) = 'integer'"
    " AND (secret_key IS NULL OR typeof(secret_key) = 'blob')"
    " AND (session_token IS NULL OR typeof(session_token) = 'blob')"
    + "".join(f" AND ({c} IS NULL OR typeof({c}) = 'text')" for c in TEXT_COLUMNS)
    + ")"
)
# PostgreSQL enforces the column types: what is left are the values, and the
# columns SQLite's typeof() also requires present.
_POSTGRESQL_READABLE = f"({_KNOWN_VALUES} AND max_expire_time IS NOT NULL AND attempts IS NOT NULL)"
READABLE_SQL = {SQLITE: _SQLITE_READABLE, POSTGRESQL: _POSTGRESQL_READABLE}
# The rows failing it, indexed: `leases.unreadable()` (whose WHERE holds this very
# term, so the planner takes the index) reads only those, not all 100,000. A
# version that changes READABLE_SQL creates this index again in a migration.
UNREADABLE_INDEX = {
    dialect: f"CREATE INDEX idx_leases_unreadable ON leases (lease_id) WHERE NOT {readable}"
    for dialect, readable in READABLE_SQL.items()
}


def unreadable_row(row: sqlite3.Row | tuple[Any, ...]) -> UnreadableLease:
    """What can be told of a row that failed READABLE_SQL (either dialect's), and why."""
    values = dict(zip(COLUMNS, row, strict=True))
    problems = []
    if values["credential_type"] not in {t.value for t in CredentialType}:
        problems.append(f"unknown credential_type {_shown(values['credential_type'])}")
    if values["state"] not in {s.value for s in LeaseState}:
        problems.append(f"unknown state {_shown(values['state'])}")
    for column in ("issue_time", "expire_time", "max_expire_time"):
        if not _is_number(values[column]):
            problems.append(f"{column} is not a number ({_shown(values[column])})")
    for column in ("next_attempt_time", "updated_time"):
        if values[column] is not None and not _is_number(values[column]):
            problems.append(f"{column} is not a number ({_shown(values[column])})")
    if not isinstance(values["attempts"], int):
        problems.append(f"attempts is not an integer ({_shown(values['attempts'])})")
    if values["renewable"] not in (0, 1):
        problems.append(f"renewable is not 0 or 1 ({_shown(values['renewable'])})")
    for column in ("lease_id", "engine", "role", *TEXT_COLUMNS):
        required = column in ("lease_id", "engine", "role")
        if (required or values[column] is not None) and not isinstance(values[column], str):
            problems.append(f"{column} is not text")
    for column in SECRET_COLUMNS:
        if values[column] is not None and not isinstance(values[column], bytes):
            problems.append(f"{column} is not a ciphertext")
    user = values["iam_user_name"]
    return UnreadableLease(
        lease_id=_text(values["lease_id"]),
        engine=_text(values["engine"]),
        role=_text(values["role"]),
        credential_type=_text(values["credential_type"]),
        stored_state=_text(values["state"]),
        iam_user_name=user if isinstance(user, str) else None,
        error="; ".join(problems) or "the row cannot be read",
    )


def json_text(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)


def json_value(text: str | None) -> dict[str, Any] | None:
    """A record column; one that is not a JSON object reads as absent (the full sweep)."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return "" if value is None else str(value)


def _shown(value: Any, limit: int = 40) -> str:
    text = repr(_text(value) if isinstance(value, bytes) else value)
    return text if len(text) <= limit else text[:limit] + "..."
