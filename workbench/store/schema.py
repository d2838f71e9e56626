"""Numbered schema migrations; `meta.schema_version` records the last applied."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from workbench.store.dialect import SQLITE
from workbench.store.lease_columns import UNREADABLE_INDEX

if TYPE_CHECKING:
    import sqlite_utils


def _m1_initial(db: sqlite_utils.Database) -> None:
    db.table("engines").create(
        {
            "name": str,
            "enabled": int,
            "created_time": float,
            "config": str,
            "root_secret_key": bytes,
        },
        pk="name",
    )
    db.table("roles").create(
        {
            "engine": str,
            "name": str,
            "credential_type": str,
            "body": str,
            "policy_document": bytes,
            "updated_time": float,
        },
        pk=("engine", "name"),
    )
    db.table("leases").create(
        {
            "lease_id": str,
            "engine": str,
            "role": str,
            "credential_type": str,
            "state": str,
            "issue_time": float,
            "expire_time": float,
            "max_expire_time": float,
            "renewable": int,
            "iam_user_name": str,
            "iam_user_path": str,
            "access_key_id": str,
            "secret_key": bytes,
            "session_token": bytes,
            "role_arn": str,
            "error": str,
            "attempts": int,
            "next_attempt_time": float,
            "owner": str,
            "updated_time": float,
        },
        pk="lease_id",
        not_null={"engine", "role", "state", "issue_time", "expire_time"},
    )
    db.table("leases").create_index(["state", "expire_time"])
    db.table("leases").create_index(["engine", "role"])
    db.table("leases").create_index(["access_key_id"])
    db.execute(
        """CREATE TABLE audit (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            time REAL NOT NULL,
            request_id TEXT NOT NULL,
            type TEXT NOT NULL,
            path TEXT NOT NULL,
            operation TEXT NOT NULL,
            is_error INTEGER NOT NULL,
            entry TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )"""
    )
    db.table("audit").create_index(["path"])
    db.table("audit_devices").create(
        {"name": str, "kind": str, "options": str, "created_time": float}, pk="name"
    )


def _m2_incident(db: sqlite_utils.Database) -> None:
    """What containment needs: the STS session name, what issuing made, how access was cut."""
    for column in ("session_name", "created", "revocation"):
        db.execute(f"ALTER TABLE leases ADD COLUMN {column} TEXT")


def _m3_static_roles(db: sqlite_utils.Database) -> None:
    """Static roles: an existing user's one key, rotated on a schedule (secret sealed)."""
    db.table("static_roles").create(
        {
            "engine": str,
            "name": str,
            "username": str,
            "rotation_period": int,
            "access_key_id": str,
            "secret_key": bytes,
            "last_rotated": float,
            "step": str,
            "previous_key_id": str,
            "owner": str,
            "error": str,
            "updated_time": float,
        },
        pk=("engine", "name"),
        not_null={"username", "rotation_period", "updated_time"},
    )


def _m4_team(db: sqlite_utils.Database) -> None:
    """Team mode: a key slot per operator (see store.keyslots), who issued each lease."""
    db.execute(
        """CREATE TABLE key_slots (
            operator TEXT PRIMARY KEY,
            kdf TEXT NOT NULL,
            public_key TEXT NOT NULL,
            wrapped_private_key TEXT NOT NULL,
            wrapped_data_key TEXT NOT NULL,
            created_time REAL NOT NULL,
            created_by TEXT,
            binding TEXT
        )"""
    )
    db.execute("ALTER TABLE leases ADD COLUMN issued_by TEXT")


def _m5_credential_cache(db: sqlite_utils.Database) -> None:
    """The credential cache: the request a lease was issued for, and who is issuing one now.

    `leases.cache_key` marks a lease the cache issued (NULL: issued by hand, never
    reused); a `cache_claims` row says one process is issuing the cache's lease
    for that key, so others wait for it instead of issuing too.
    """
    db.execute("ALTER TABLE leases ADD COLUMN cache_key TEXT")
    db.table("leases").create_index(["cache_key"])
    db.execute(
        """CREATE TABLE cache_claims (
            cache_key TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            token TEXT NOT NULL,
            claimed_time REAL NOT NULL
        )"""
    )


def _m6_unreadable_index(db: sqlite_utils.Database) -> None:
    """A partial index of the lease rows this version cannot read: finding them (every
    `lease list`, every reload of the TUI's table) reads the few there are, not every row."""
    db.execute(UNREADABLE_INDEX[SQLITE])


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _m1_initial,
    _m2_incident,
    _m3_static_roles,
    _m4_team,
    _m5_credential_cache,
    _m6_unreadable_index,
]
SCHEMA_VERSION = len(MIGRATIONS)
