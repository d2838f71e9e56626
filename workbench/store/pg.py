"""The team store: the same repositories and key slots as the SQLite file, in a PostgreSQL database.

`PgStore.create(url, ...)` makes the schema and the first operator's key slot
in one transaction (two `init`s at once: one wins, the other is told a store
exists); `PgStore.open(url, ...)` unlocks it as an operator and applies any
newer migration. The server holds ciphertext only: the data key is sealed per
operator in `key_slots`. What belongs to one machine (audit file devices,
the policy cache) stays in the home folder; the revoker's lock and the
process registry are advisory locks on the server (pg_coord).

This module (and psycopg) loads only when a PostgreSQL store is opened.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg

from workbench.domain.errors import Conflict, StoreCorrupted, StoreMissing, StoreUnavailable
from workbench.store import files, pg_schema
from workbench.store.base import (
    DATA_KEY_ID,
    StoreBase,
    damaged,
    initial_meta,
    schema_version,
    unlock,
)
from workbench.store.crypto import KdfParams, new_data_key, new_store_id
from workbench.store.keyslots import default_operator, new_slot
from workbench.store.pg_conn import CONNECT_TIMEOUT_SECONDS, PgConnection, connection_kwargs
from workbench.store.pg_pipeline import GUARD_MARK, Guard
from workbench.store.pg_sql import redact_url, scrub

if TYPE_CHECKING:
    from workbench.store.pg_registry import PgProcessRegistry
    from workbench.store.pg_worker_lock import PgWorkerLock

__all__ = ["PgConnection", "PgStore", "pg_store_exists"]

_HAS_META = "SELECT to_regclass('meta') IS NOT NULL"
_DATA_KEY_QUERY = f"SELECT value FROM meta WHERE key = '{DATA_KEY_ID}'"
# Fails (a text that is no integer) unless the store's data key is the one this process
# holds; the subquery keeps the planner from folding the CAST before it is needed.
_DATA_KEY_GUARD = (
    f"SELECT CASE WHEN ({_DATA_KEY_QUERY}) IS NOT DISTINCT FROM %s THEN 0 "
    f"ELSE CAST(%s || coalesce(({_DATA_KEY_QUERY}), 'none') AS integer) END"
)


def pg_store_exists(url: str) -> bool:
    """Whether the database at `url` holds a workbench store (its meta table)."""
    try:
        with psycopg.connect(url, autocommit=True, **connection_kwargs()) as conn:
            row = conn.execute(_HAS_META).fetchone()
    except psycopg.Error as error:
        reason = scrub(" ".join(str(error).split()), url)
        raise StoreUnavailable(
            f"cannot connect to the team store {redact_url(url)} ({reason}); "
            "check that the server runs and that the store's URL is right"
        ) from None
    return bool(row and row[0])


def _meta(conn: PgConnection) -> dict[str, str]:
    if not conn.query(_HAS_META)[0][0]:
        raise StoreMissing(f"no workbench store in {conn.where}", hint="create_store")
    return {str(key): str(value) for key, value in conn.query("SELECT key, value FROM meta")}


class PgStore(StoreBase):
    """An unlocked team store in a PostgreSQL database."""

    def __init__(
        self,
        conn: PgConnection,
        data_key: bytes,
        meta: dict[str, str],
        *,
        operator: str,
        private_key: bytes | None,
        url: str,
        home: Path | None = None,
    ) -> None:
        super().__init__(
            conn, data_key, meta, operator=operator, private_key=private_key, where=conn.where
        )
        self._pg = conn
        self._url = url
        self._home = home

    # -- opening -------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        url: str,
        passphrase: str,
        kdf: KdfParams | None = None,
        *,
        operator: str | None = None,
        home: Path | None = None,
        connect_timeout: int = CONNECT_TIMEOUT_SECONDS,
    ) -> PgStore:
        """Create the store with one operator's key slot; refuses a database holding one."""
        if not passphrase:
            raise Conflict("the passphrase is empty; choose one of at least 8 characters")
        operator = operator or default_operator()
        data_key = new_data_key()
        slot = new_slot(operator, passphrase, data_key, now=time.time(), created_by=None, kdf=kdf)
        meta = initial_meta(data_key)
        conn = PgConnection(url, connect_timeout=connect_timeout)
        try:
            # One transaction, under the write lock: a failure leaves the database
            # empty, and of two `init`s at once the second finds the first's store.
            with conn.transaction():
                if conn.query(_HAS_META)[0][0]:
                    raise Conflict(
                        f"a store already exists in {conn.where}; use it, or give another database"
                    )
                pg_schema.create_meta(conn, meta)
                pg_schema.migrate(conn, 0)
                store = cls(
                    conn, data_key, meta, operator=operator, private_key=None, url=url, home=home
                )
                store._write_slot(slot)
            store._private_key = slot.open_private_key(passphrase)
            store._watch_key()
        except BaseException:
            conn.close()
            raise
        return store

    @classmethod
    def open(
        cls,
        url: str,
        passphrase: str,
        *,
        operator: str | None = None,
        home: Path | None = None,
        connect_timeout: int = CONNECT_TIMEOUT_SECONDS,
    ) -> PgStore:
        """Unlock the store as `operator`; a wrong passphrase writes nothing."""
        operator = operator or default_operator()
        conn = PgConnection(url, connect_timeout=connect_timeout)
        try:
            meta = _meta(conn)
            data_key, private_key = unlock(conn.where, meta, conn, operator, passphrase)
            store = cls(
                conn,
                data_key,
                meta,
                operator=operator,
                private_key=private_key,
                url=url,
                home=home,
            )
            store._migrate(schema_version(conn.where, meta))
            if not store.store_id:
                store.store_id = new_store_id()
                store.set_meta("store_id", store.store_id)
            if private_key is None:
                store.adopt_legacy_key(passphrase, now=time.time(), kdf=None)
            store._watch_key()
        except BaseException:
            conn.close()
            raise
        return store

    def _watch_key(self) -> None:
        # The data key's id is checked on the server with BEGIN and the write lock, in
        # their round trip: a write sent in the same batch, its COMMIT too, rolls back.
        self._pg.guard = Guard(
            _DATA_KEY_GUARD, lambda: (self._key_id, f"{GUARD_MARK}: "), self.data_key_replaced
        )

    def _migrate(self, current: int) -> None:
        if current > pg_schema.SCHEMA_VERSION:
            raise StoreCorrupted(
                f"{self._pg.where} was written by a newer workbench (schema {current}); upgrade"
            )
        try:
            pg_schema.migrate(self._pg, current)
        except (StoreCorrupted, Conflict) as error:
            # Rolled back whole: a version the tables do not match changes nothing.
            raise damaged(
                self._pg.where,
                "schema version (meta.schema_version)",
                f"it says {current}, but a migration failed: {error}",
            ) from None

    # -- this machine's side ----------------------------------------------------------

    @property
    def home(self) -> Path:
        """This machine's folder for the store (audit file devices, the policy cache)."""
        if self._home is None:
            self._home = files.default_home()
        return self._home

    @property
    def url(self) -> str:
        """The URL as given (it may hold a password: never print it; see `describe`)."""
        return self._url

    def describe(self) -> str:
        """The URL without its password."""
        return self._pg.where

    def process_registry(self) -> PgProcessRegistry:
        """Which processes own leases: session advisory locks on the server, one per process."""
        from workbench.store.pg_registry import PgProcessRegistry

        return PgProcessRegistry(self._url)

    def worker_lock(self) -> PgWorkerLock:
        """The one-revoker lock: a session advisory lock on the server."""
        from workbench.store.pg_worker_lock import PgWorkerLock

        return PgWorkerLock(self._url)

    def write_worker_status(self, body: dict[str, Any]) -> None:
        """The revoker's health, in the server's worker_status row (read by `workbench status`)."""
        from workbench.store.pg_status import write_pg_status

        with self._pg.lend() as conn:
            write_pg_status(conn, body)

    def wait_for_change(self, since: int, timeout: float) -> int:
        """The change token once it differs from `since`, or after `timeout` seconds."""
        return self._pg.wait_for_change(since, timeout)
