"""The SQLite store: one WAL-mode file, secrets sealed with AES-256-GCM."""

from __future__ import annotations

import functools
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.domain.errors import Conflict, StoreCorrupted, StoreMissing
from workbench.store import files
from workbench.store.base import (
    StoreBase,
    damaged,
    initial_meta,
    schema_version,
    slot_names,
    unlock,
)
from workbench.store.crypto import KdfParams, new_data_key, new_store_id
from workbench.store.keyslots import default_operator, new_slot
from workbench.store.registry import ProcessRegistry
from workbench.store.schema import MIGRATIONS, SCHEMA_VERSION
from workbench.store.worker_lock import WorkerLock, write_status_file

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_SECONDS = 30.0


def _lenient_text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


class Connection:
    """One SQLite connection shared by threads, with IMMEDIATE write transactions."""

    dialect = "sqlite"

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        # Run at the start of every outermost write transaction (the store's data-key check).
        self.on_begin: Callable[[], None] | None = None
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
        self.lock = threading.RLock()
        self._depth = 0

    @functools.cached_property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils on this connection, for the migrations (imported only when one runs:
        every command would pay ~30 ms for it)."""
        import sqlite_utils

        return sqlite_utils.Database(self.raw)

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
                if self.on_begin is not None:
                    self.on_begin()
                yield
            except BaseException:
                self._depth = 0
                self.raw.execute("ROLLBACK")
                raise
            self._depth = 0
            self.raw.execute("COMMIT")

    def iterate(
        self, sql: str, params: Any = (), *, batch: int = 2000
    ) -> Iterator[tuple[Any, ...]]:
        """Rows of a long query batch by batch, text read leniently (see `lenient_text`)."""
        with self.lenient_text():
            cursor = self.raw.execute(sql, params)
            while rows := cursor.fetchmany(batch):
                yield from rows

    def change_token(self) -> int:
        """Changes when any connection (any process) commits; cheap to poll."""
        return int(self.query("PRAGMA data_version")[0][0])

    def close(self) -> None:
        with self.lock:
            self.raw.close()


def _meta(conn: Connection) -> dict[str, str]:
    try:
        rows = conn.query("SELECT key, value FROM meta")
    except sqlite3.DatabaseError as error:
        raise StoreCorrupted(f"{conn.path} is not a workbench store ({error})") from None
    return {str(key): str(value) for key, value in rows}


def _probe_slots(conn: Connection) -> list[str]:
    """Operators with key slots, or [] in a store from before them (no key_slots table)."""
    try:
        return slot_names(conn)
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            return []
        raise StoreCorrupted(f"{conn.path}: the key slots cannot be read ({error})") from None


class Store(StoreBase):
    """An unlocked SQLite store: repositories, transactions and the store's keys."""

    def __init__(
        self,
        conn: Connection,
        data_key: bytes,
        meta: dict[str, str],
        *,
        operator: str,
        private_key: bytes | None,
    ) -> None:
        super().__init__(
            conn, data_key, meta, operator=operator, private_key=private_key, where=conn.path
        )
        self._sqlite = conn
        self.path = conn.path

    # -- opening -------------------------------------------------------------

    @staticmethod
    def db_path(home: Path) -> Path:
        return files.db_path(home)

    @staticmethod
    def exists(home: Path) -> bool:
        return files.store_exists(home)

    @classmethod
    def create(
        cls,
        home: Path,
        passphrase: str,
        kdf: KdfParams | None = None,
        *,
        operator: str | None = None,
    ) -> Store:
        """Create a new store with one operator's key slot; refuses to touch an existing one."""
        if not passphrase:
            raise Conflict("the passphrase is empty; choose one of at least 8 characters")
        operator = operator or default_operator()
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
            data_key = new_data_key()
            slot = new_slot(
                operator, passphrase, data_key, now=time.time(), created_by=None, kdf=kdf
            )
            meta = initial_meta(data_key)
            with conn.transaction():
                conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                conn.raw.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            store = cls(conn, data_key, meta, operator=operator, private_key=None)
            store._migrate(0)
            with conn.transaction():
                store._write_slot(slot)
            store._private_key = slot.open_private_key(passphrase)
            store._watch_key()
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        files.tighten(path)
        return store

    @classmethod
    def open(cls, home: Path, passphrase: str, *, operator: str | None = None) -> Store:
        """Unlock an existing store as `operator`; a wrong passphrase writes nothing."""
        operator = operator or default_operator()
        path = cls.db_path(home)
        if not path.exists():
            raise StoreMissing(f"no store at {path}", hint="create_store")
        files.check_private_home(home)
        probe = Connection(path, read_only=True)
        try:
            names = _probe_slots(probe)
            data_key, private_key = unlock(
                path, _meta(probe), probe, operator, passphrase, names=names
            )
        finally:
            probe.close()
        conn = Connection(path)
        try:
            meta = _meta(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            store = cls(conn, data_key, meta, operator=operator, private_key=private_key)
            store._migrate(schema_version(path, meta))
            if not store.store_id:
                store.store_id = new_store_id()
                store.set_meta("store_id", store.store_id)
            if private_key is None:
                store.adopt_legacy_key(passphrase, now=time.time(), kdf=None)
            store._watch_key()
        except BaseException:
            conn.close()
            raise
        files.tighten(path)
        return store

    def _watch_key(self) -> None:
        self._sqlite.on_begin = self.check_data_key

    def _migrate(self, current: int) -> None:
        if current > SCHEMA_VERSION:
            raise StoreCorrupted(
                f"{self.path} was written by a newer workbench (schema {current}); upgrade"
            )
        for number in range(current, SCHEMA_VERSION):
            try:
                with self._sqlite.transaction():
                    MIGRATIONS[number](self._sqlite.db)
                    self._set_meta("schema_version", str(number + 1))
            except sqlite3.DatabaseError as error:
                # Rolled back whole: a version the tables do not match changes nothing.
                raise damaged(
                    self.path,
                    "schema version (meta.schema_version)",
                    f"it says {current}, but migration {number + 1} failed: {error}",
                ) from None

    @property
    def home(self) -> Path:
        return self.path.parent

    def describe(self) -> str:
        return str(self.path)

    def process_registry(self) -> ProcessRegistry:
        """This machine's registry of processes that own leases (file locks in the folder)."""
        return ProcessRegistry(self.home)

    def worker_lock(self) -> WorkerLock:
        """The one-revoker lock: a file lock beside the database."""
        return WorkerLock(self.home)

    def write_worker_status(self, body: dict[str, Any]) -> None:
        """The revoker's health, in a file beside the lock."""
        write_status_file(self.home, body)

    def checkpoint(self) -> None:
        """Fold the WAL into the main file (used before scanning or copying it)."""
        self._sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)")
