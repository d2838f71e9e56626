"""Numbered schema migrations for a PostgreSQL store, mirroring SQLite's (`schema.py`).

Migration N here makes the same tables, columns, keys and indexes as
migration N there, in PostgreSQL's types (REAL: double precision, BLOB:
bytea, INTEGER: bigint, TEXT: text), and `meta.schema_version` records the
last one applied, as in a SQLite file. Text sorts and compares byte by byte
(`COLLATE "C"`), as SQLite's does, so lists come out in the same order.

Beyond SQLite's: every table gets a statement-level trigger that notifies the
`lease_workbench` channel when it is written, the change feed of live panes
(pg_feed). Nothing here imports psycopg; the migrations run on a PgConnection.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from workbench.store.dialect import POSTGRESQL
from workbench.store.lease_columns import UNREADABLE_INDEX

CHANNEL = "lease_workbench"
TEXT = 'text COLLATE "C"'
KEY = f"{TEXT} NOT NULL"


class Scripted(Protocol):
    """What a migration needs of the connection: DDL run as written, in its transaction."""

    def script(self, sql: str) -> None: ...


class Migratable(Scripted, Protocol):
    def execute(self, sql: str, params: Any = ()) -> Any: ...
    def transaction(self) -> AbstractContextManager[None]: ...


META = f"CREATE TABLE meta (key {TEXT} PRIMARY KEY, value {TEXT} NOT NULL)"

# One function for every table's trigger; the payload names the table.
_NOTIFY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION lease_workbench_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
    RETURN NULL;
END
$$"""


def notify_on(table: str) -> str:
    """The trigger that announces every committed write to `table` on the change feed."""
    return (
        f"CREATE TRIGGER {table}_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION lease_workbench_notify()"
    )


def _m1_initial(conn: Scripted) -> None:
    conn.script(
        f"""CREATE TABLE engines (
            name {TEXT} PRIMARY KEY,
            enabled bigint,
            created_time double precision,
            config {TEXT},
            root_secret_key bytea
        )"""
    )
    conn.script(
        f"""CREATE TABLE roles (
            engine {KEY},
            name {KEY},
            credential_type {TEXT},
            body {TEXT},
            policy_document bytea,
            updated_time double precision,
            PRIMARY KEY (engine, name)
        )"""
    )
    conn.script(
        f"""CREATE TABLE leases (
            lease_id {TEXT} PRIMARY KEY,
            engine {KEY},
            role {KEY},
            credential_type {TEXT},
            state {KEY},
            issue_time double precision NOT NULL,
            expire_time double precision NOT NULL,
            max_expire_time double precision,
            renewable bigint,
            iam_user_name {TEXT},
            iam_user_path {TEXT},
            access_key_id {TEXT},
            secret_key bytea,
            session_token bytea,
            role_arn {TEXT},
            error {TEXT},
            attempts bigint,
            next_attempt_time double precision,
            owner {TEXT},
            updated_time double precision
        )"""
    )
    conn.script("CREATE INDEX idx_leases_state_expire_time ON leases (state, expire_time)")
    conn.script("CREATE INDEX idx_leases_engine_role ON leases (engine, role)")
    conn.script("CREATE INDEX idx_leases_access_key_id ON leases (access_key_id)")
    conn.script(
        f"""CREATE TABLE audit (
            seq bigint PRIMARY KEY,
            time double precision NOT NULL,
            request_id {KEY},
            type {KEY},
            path {KEY},
            operation {KEY},
            is_error bigint NOT NULL,
            entry {KEY},
            prev_hash {KEY},
            hash {KEY}
        )"""
    )
    conn.script("CREATE INDEX idx_audit_path ON audit (path)")
    conn.script(
        f"""CREATE TABLE audit_devices (
            name {TEXT} PRIMARY KEY,
            kind {TEXT},
            options {TEXT},
            created_time double precision
        )"""
    )
    conn.script(_NOTIFY_FUNCTION)
    for table in ("meta", "engines", "roles", "leases", "audit", "audit_devices"):
        conn.script(notify_on(table))


def _m2_incident(conn: Scripted) -> None:
    """What containment needs: the STS session name, what issuing made, how access was cut."""
    for column in ("session_name", "created", "revocation"):
        conn.script(f"ALTER TABLE leases ADD COLUMN {column} {TEXT}")


def _m3_static_roles(conn: Scripted) -> None:
    """Static roles: an existing user's one key, rotated on a schedule (secret sealed)."""
    conn.script(
        f"""CREATE TABLE static_roles (
            engine {KEY},
            name {KEY},
            username {KEY},
            rotation_period bigint NOT NULL,
            access_key_id {TEXT},
            secret_key bytea,
            last_rotated double precision,
            step {TEXT},
            previous_key_id {TEXT},
            owner {TEXT},
            error {TEXT},
            updated_time double precision NOT NULL,
            PRIMARY KEY (engine, name)
        )"""
    )
    conn.script(notify_on("static_roles"))


def _m4_team(conn: Scripted) -> None:
    """Team mode: a key slot per operator (see store.keyslots), who issued each lease."""
    conn.script(
        f"""CREATE TABLE key_slots (
            operator {TEXT} PRIMARY KEY,
            kdf {KEY},
            public_key {KEY},
            wrapped_private_key {KEY},
            wrapped_data_key {KEY},
            created_time double precision NOT NULL,
            created_by {TEXT},
            binding {TEXT}
        )"""
    )
    conn.script(notify_on("key_slots"))
    conn.script(f"ALTER TABLE leases ADD COLUMN issued_by {TEXT}")


def _m5_credential_cache(conn: Scripted) -> None:
    """The credential cache: the request a lease was issued for, and who is issuing one now."""
    conn.script(f"ALTER TABLE leases ADD COLUMN cache_key {TEXT}")
    conn.script("CREATE INDEX idx_leases_cache_key ON leases (cache_key)")
    conn.script(
        f"""CREATE TABLE cache_claims (
            cache_key {TEXT} PRIMARY KEY,
            owner {KEY},
            token {KEY},
            claimed_time double precision NOT NULL
        )"""
    )
    conn.script(notify_on("cache_claims"))


def _m6_unreadable_index(conn: Scripted) -> None:
    """A partial index of the lease rows this version cannot read (as SQLite's)."""
    conn.script(UNREADABLE_INDEX[POSTGRESQL])


MIGRATIONS: list[Callable[[Scripted], None]] = [
    _m1_initial,
    _m2_incident,
    _m3_static_roles,
    _m4_team,
    _m5_credential_cache,
    _m6_unreadable_index,
]
SCHEMA_VERSION = len(MIGRATIONS)


def create_meta(conn: Migratable, meta: dict[str, str]) -> None:
    """A new store's meta table with its first rows (schema_version "0"), in one transaction."""
    with conn.transaction():
        conn.script(META)
        for key, value in meta.items():
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))


def migrate(conn: Migratable, current: int) -> None:
    """Apply the migrations after `current`, each with its schema_version, in one transaction each.

    A migration that fails is rolled back whole (PostgreSQL's DDL is
    transactional) and its error raised as the connection reports it.
    """
    for number in range(current, SCHEMA_VERSION):
        with conn.transaction():
            MIGRATIONS[number](conn)
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                ("schema_version", str(number + 1)),
            )
