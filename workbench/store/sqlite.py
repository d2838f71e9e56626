"""The SQLite store: one WAL-mode file, secrets sealed with AES-256-GCM."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from workbench.domain.errors import Conflict, StoreCorrupted, StoreMissing
from workbench.store import files
from workbench.store.audit_rows import SqliteAudit
from workbench.store.crypto import (
    Cipher,
    KdfParams,
    new_data_key,
    new_store_id,
    unwrap_key,
    wrap_key,
)
from workbench.store.engines import SqliteEngines
from workbench.store.leases import SqliteLeases
from workbench.store.roles import SqliteRoles
from workbench.store.schema import MIGRATIONS, SCHEMA_VERSION
from workbench.store.static_roles import SqliteStaticRoles

BUSY_TIMEOUT_SECONDS = 30.0


def _lenient_text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


class Connection:
    """One SQLite connection shared by threads, with IMMEDIATE write transactions."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        # Read-only opens cannot checkpoint a WAL left by a killed writer, so a
        # failed unlock leaves every byte of the store as it was.
        target = f"{path.absolute().as_uri()}?mode=ro" if read_only else str(path)
        self.raw = sqlite3.connect(
            target,
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,
            check_same_thread=False,
            uri=read_only,
        )
        self.raw.execute("PRAGMA busy_timeout = 30000")
        self.db = sqlite_utils.Database(self.raw)
        self.lock = threading.RLock()
        self._depth = 0

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        with self.lock:
            return self.raw.execute(sql, params)

    def query(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        with self.lock:
            try:
                return list(self.raw.execute(sql, params).fetchall())
            except sqlite3.OperationalError as error:
                if "decode" not in str(error):
                    raise
            # A damaged row holds text that is not UTF-8: read it with U+FFFD in
            # place of the bad bytes (the row then fails its own checks, by name)
            # rather than losing every other row of the answer.
            with self.lenient_text():
                return list(self.raw.execute(sql, params).fetchall())

    @contextmanager
    def lenient_text(self) -> Iterator[None]:
        """Rows fetched meanwhile read text that is not UTF-8 with U+FFFD for the bad bytes.

        For cursors walked batch by batch (the audit trail), where `query`'s
        retry cannot apply: a damaged entry then fails its hash check, by seq.
        """
        with self.lock:
            previous = self.raw.text_factory
            self.raw.text_factory = _lenient_text
            try:
                yield
            finally:
                self.raw.text_factory = previous

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction; nested calls join the outer one."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.raw.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                self.raw.execute("ROLLBACK")
                raise
            self._depth = 0
            self.raw.execute("COMMIT")

    def close(self) -> None:
        with self.lock:
            self.raw.close()


def _meta(conn: Connection) -> dict[str, str]:
    try:
        rows = conn.query("SELECT key, value FROM meta")
    except sqlite3.DatabaseError as error:
        raise StoreCorrupted(f"{conn.path} is not a workbench store ({error})") from None
    return {str(key): str(value) for key, value in rows}


def _damaged(path: Path, what: str, detail: str) -> StoreCorrupted:
    return StoreCorrupted(
        f"{path}: the store's {what} is damaged ({detail}); restore the store from a backup"
    )


def _unlock(path: Path, meta: dict[str, str], passphrase: str) -> bytes:
    """The data key, from the wrapped key in `meta`; every damaged field named."""
    if "wrapped_key" not in meta:
        raise StoreCorrupted(f"{path} is not a workbench store (no wrapped key)")
    try:
        kdf = KdfParams.from_dict(json.loads(meta.get("kdf", "")))
    except (ValueError, TypeError) as error:
        raise _damaged(path, "key derivation parameters (meta.kdf)", str(error)) from None
    try:
        wrapped = base64.b64decode(meta["wrapped_key"], validate=True)
    except (binascii.Error, ValueError):
        raise _damaged(path, "wrapped key (meta.wrapped_key)", "not base64") from None
    return unwrap_key(wrapped, kdf.derive(passphrase), where=str(path))


def _schema_version(path: Path, meta: dict[str, str]) -> int:
    # Every store records it from creation on: missing, it is damage, not "apply
    # every migration again" over tables that exist.
    text = meta.get("schema_version")
    if text is None:
        raise _damaged(path, "schema version (meta.schema_version)", "missing")
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        raise _damaged(path, "schema version (meta.schema_version)", f"{text[:20]!r}")
    return int(text)


class Store:
    """An unlocked store: repositories, transactions and the store's keys."""

    def __init__(self, conn: Connection, data_key: bytes, meta: dict[str, str]) -> None:
        self._conn = conn
        self._data_key = data_key
        cipher = Cipher(data_key)
        self.path = conn.path
        self.engines = SqliteEngines(conn, cipher)
        self.roles = SqliteRoles(conn, cipher)
        self.leases = SqliteLeases(conn, cipher)
        self.static_roles = SqliteStaticRoles(conn, cipher)
        self.audit = SqliteAudit(conn)
        try:
            hmac_blob = base64.b64decode(meta.get("hmac_key", ""), validate=True)
            hmac_hex = cipher.decrypt("meta", "hmac_key", "value", hmac_blob) or ""
            self.hmac_key = bytes.fromhex(hmac_hex)
        except (binascii.Error, ValueError):
            raise _damaged(conn.path, "audit HMAC key (meta.hmac_key)", "not base64") from None
        if len(self.hmac_key) < 16:
            raise _damaged(conn.path, "audit HMAC key (meta.hmac_key)", "too short")
        self.store_id = meta.get("store_id", "")

    # -- opening -------------------------------------------------------------

    @staticmethod
    def db_path(home: Path) -> Path:
        return files.db_path(home)

    @staticmethod
    def exists(home: Path) -> bool:
        return files.store_exists(home)

    @classmethod
    def create(cls, home: Path, passphrase: str, kdf: KdfParams | None = None) -> Store:
        """Create a new store; refuses to touch an existing one."""
        if not passphrase:
            raise Conflict("the passphrase is empty; choose one of at least 8 characters")
        files.make_private_dir(home)
        path = cls.db_path(home)
        try:
            files.create_private_file(path)
        except FileExistsError:
            raise Conflict(
                f"a store already exists at {path}; use it, or move it away to start afresh"
            ) from None
        try:
            conn = Connection(path)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            kdf = kdf or KdfParams.fresh()
            data_key = new_data_key()
            hmac_blob = Cipher(data_key).encrypt("meta", "hmac_key", "value", secrets.token_hex(32))
            assert hmac_blob is not None
            meta = {
                "kdf": json.dumps(kdf.to_dict()),
                "wrapped_key": wrap_key(data_key, kdf.derive(passphrase)),
                "hmac_key": base64.b64encode(hmac_blob).decode(),
                "store_id": new_store_id(),
                "schema_version": "0",
            }
            with conn.transaction():
                conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                conn.raw.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            store = cls(conn, data_key, meta)
            store._migrate(0)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        files.tighten(path)
        return store

    @classmethod
    def open(cls, home: Path, passphrase: str) -> Store:
        """Unlock an existing store; a wrong passphrase writes nothing."""
        path = cls.db_path(home)
        if not path.exists():
            raise StoreMissing(f"no store at {path}", hint="create_store")
        files.check_private_home(home)
        probe = Connection(path, read_only=True)
        try:
            data_key = _unlock(path, _meta(probe), passphrase)
        finally:
            probe.close()
        conn = Connection(path)
        try:
            meta = _meta(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            store = cls(conn, data_key, meta)
            store._migrate(_schema_version(path, meta))
            if not store.store_id:
                store.store_id = new_store_id()
                store.set_meta("store_id", store.store_id)
        except BaseException:
            conn.close()
            raise
        files.tighten(path)
        return store

    def _migrate(self, current: int) -> None:
        if current > SCHEMA_VERSION:
            raise StoreCorrupted(
                f"{self.path} was written by a newer workbench (schema {current}); upgrade"
            )
        for number in range(current, SCHEMA_VERSION):
            try:
                with self._conn.transaction():
                    MIGRATIONS[number](self._conn.db)
                    self._set_meta("schema_version", str(number + 1))
            except sqlite3.DatabaseError as error:
                # Rolled back whole: a version the tables do not match changes nothing.
                raise _damaged(
                    self.path,
                    "schema version (meta.schema_version)",
                    f"it says {current}, but migration {number + 1} failed: {error}",
                ) from None

    def _set_meta(self, key: str, value: str) -> None:
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- keys ----------------------------------------------------------------

    def change_passphrase(self, new_passphrase: str, kdf: KdfParams | None = None) -> None:
        """Re-wrap the data key under a new passphrase (data is not re-encrypted)."""
        if not new_passphrase:
            raise Conflict("the new passphrase is empty; choose one of at least 8 characters")
        kdf = kdf or KdfParams.fresh()
        wrapped = wrap_key(self._data_key, kdf.derive(new_passphrase))
        with self._conn.transaction():
            self._set_meta("kdf", json.dumps(kdf.to_dict()))
            self._set_meta("wrapped_key", wrapped)

    # -- plumbing ------------------------------------------------------------

    def transaction(self) -> Any:
        """Group repository writes so they land together or not at all."""
        return self._conn.transaction()

    def change_token(self) -> int:
        """Changes when any connection (any process) commits; cheap to poll."""
        row = self._conn.query("PRAGMA data_version")
        return int(row[0][0])

    def get_meta(self, key: str) -> str | None:
        rows = self._conn.query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._conn.transaction():
            self._set_meta(key, value)

    def checkpoint(self) -> None:
        """Fold the WAL into the main file (used before scanning or copying it)."""
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self._conn.close()
