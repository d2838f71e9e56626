"""What every store backend shares once a connection is open: repositories over one
connection, the data key unlocked through an operator's key slot, and the
operators' slots themselves (add, remove with re-encryption, change passphrase).

A backend (SQLite file, PostgreSQL database) opens the connection and runs
its own migrations; everything here is the same SQL on both.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from workbench.domain.errors import Conflict, InvalidInput, NotFound, StoreCorrupted
from workbench.domain.text import printable
from workbench.store.audit_rows import SqliteAudit
from workbench.store.cache_claims import SqliteCacheClaims
from workbench.store.crypto import Cipher, KdfParams, new_data_key, new_store_id, unwrap_key
from workbench.store.dialect import POSTGRESQL
from workbench.store.engines import SqliteEngines
from workbench.store.keyslots import KeySlot, check_operator_name, new_slot
from workbench.store.leases import SqliteLeases
from workbench.store.roles import SqliteRoles
from workbench.store.static_roles import SqliteStaticRoles

SLOT_COLUMNS = (
    "operator, kdf, public_key, wrapped_private_key, wrapped_data_key, created_time, created_by, "
    "binding"
)
DATA_KEY_ID = "data_key_id"

# Every sealed cell: table, the columns naming its row (joined by "/" into the
# associated data's row), and the sealed columns. Re-encryption walks this list.
SEALED: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("engines", ("name",), ("root_secret_key",)),
    ("roles", ("engine", "name"), ("policy_document",)),
    ("leases", ("lease_id",), ("secret_key", "session_token")),
    ("static_roles", ("engine", "name"), ("secret_key",)),
)


class StoreConnection(Protocol):
    """What the store needs of a backend's connection."""

    dialect: str

    def execute(self, sql: str, params: Any = ()) -> Any: ...
    def query(self, sql: str, params: Any = ()) -> list[Any]: ...
    def transaction(self) -> Any: ...
    def close(self) -> None: ...


def damaged(where: object, what: str, detail: str) -> StoreCorrupted:
    return StoreCorrupted(
        f"{where}: the store's {what} is damaged ({detail}); restore the store from a backup"
    )


def slot_names(conn: StoreConnection) -> list[str]:
    """The operators with a key slot (names only: cheap, and damage elsewhere cannot stop it)."""
    return [str(row[0]) for row in conn.query("SELECT operator FROM key_slots ORDER BY operator")]


def read_slot(conn: StoreConnection, operator: str) -> KeySlot | None:
    """One operator's slot (StoreCorrupted naming the field if it is damaged), or None."""
    rows = conn.query(f"SELECT {SLOT_COLUMNS} FROM key_slots WHERE operator = ?", (operator,))
    return KeySlot.from_row(tuple(rows[0])) if rows else None


def read_slots(conn: StoreConnection) -> list[KeySlot]:
    """Every readable slot; a damaged one is left out (it opens nothing; others still work)."""
    slots = []
    for row in conn.query(f"SELECT {SLOT_COLUMNS} FROM key_slots ORDER BY operator"):
        try:
            slots.append(KeySlot.from_row(tuple(row)))
        except StoreCorrupted:
            continue
    return slots


def unlock(
    where: object,
    meta: dict[str, str],
    conn: StoreConnection,
    operator: str,
    passphrase: str,
    *,
    names: list[str] | None = None,
) -> tuple[bytes, bytes | None]:
    """(data key, private key) for `operator`; private key None for a store without slots.

    A store from before key slots has one passphrase-wrapped key in meta; it
    opens with that passphrase whoever asks, and gets its first slot then.
    Only the operator's own slot is read: another's damaged slot locks nobody out.
    """
    names = slot_names(conn) if names is None else names
    if not names:
        return _legacy_unlock(where, meta, passphrase), None
    slot = read_slot(conn, operator)
    if slot is not None:
        return slot.unlock(passphrase)
    shown = ", ".join(repr(printable(name)) for name in names)
    raise NotFound(
        f"operator {printable(operator)!r} has no key slot in this store (operators: {shown})",
        hint="unlock_as_operator",
        hint_args={"operator": printable(operator)},
    )


def _legacy_unlock(where: object, meta: dict[str, str], passphrase: str) -> bytes:
    if "wrapped_key" not in meta:
        raise StoreCorrupted(f"{where} is not a workbench store (no key slot, no wrapped key)")
    import json

    try:
        kdf = KdfParams.from_dict(json.loads(meta.get("kdf", "")))
    except (ValueError, TypeError) as error:
        raise damaged(where, "key derivation parameters (meta.kdf)", str(error)) from None
    try:
        wrapped = base64.b64decode(meta["wrapped_key"], validate=True)
    except (binascii.Error, ValueError):
        raise damaged(where, "wrapped key (meta.wrapped_key)", "not base64") from None
    return unwrap_key(wrapped, kdf.derive(passphrase), where=str(where))


class StoreBase:
    """An unlocked store: repositories, transactions, the store's keys and operators."""

    def __init__(
        self,
        conn: StoreConnection,
        data_key: bytes,
        meta: dict[str, str],
        *,
        operator: str,
        private_key: bytes | None,
        where: object,
    ) -> None:
        self._conn = conn
        self._data_key = data_key
        self._private_key = private_key
        self.operator = operator
        self._where = where
        self._cipher = cipher = Cipher(data_key)
        self.engines = SqliteEngines(conn, cipher)  # type: ignore[arg-type]
        self.roles = SqliteRoles(conn, cipher)  # type: ignore[arg-type]
        self.leases = SqliteLeases(conn, cipher)  # type: ignore[arg-type]
        self.static_roles = SqliteStaticRoles(conn, cipher)  # type: ignore[arg-type]
        self.audit = SqliteAudit(conn)  # type: ignore[arg-type]
        self.cache_claims = SqliteCacheClaims(conn)  # type: ignore[arg-type]
        try:
            hmac_blob = base64.b64decode(meta.get("hmac_key", ""), validate=True)
            hmac_hex = cipher.decrypt("meta", "hmac_key", "value", hmac_blob) or ""
            self.hmac_key = bytes.fromhex(hmac_hex)
        except (binascii.Error, ValueError):
            raise damaged(where, "audit HMAC key (meta.hmac_key)", "not base64") from None
        if len(self.hmac_key) < 16:
            raise damaged(where, "audit HMAC key (meta.hmac_key)", "too short")
        self.store_id = meta.get("store_id", "")
        self._key_id = meta.get(DATA_KEY_ID)

    # -- meta -----------------------------------------------------------------

    def _set_meta(self, key: str, value: str) -> None:
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def get_meta(self, key: str) -> str | None:
        rows = self._conn.query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self._set_meta(key, value)

    # -- transactions ----------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group repository writes so they land together or not at all."""
        with self._conn.transaction():
            yield

    def check_data_key(self) -> None:
        """Refuse to write under a data key another process has replaced (operator remove).

        Called at the start of every write transaction (the connection's
        `on_begin`): ciphertext sealed under the old key would open for nobody.
        """
        rows = self._conn.query("SELECT value FROM meta WHERE key = ?", (DATA_KEY_ID,))
        current = rows[0][0] if rows else None
        if current != self._key_id:
            raise self.data_key_replaced()

    def data_key_replaced(self) -> Conflict:
        """The refusal of a write under a data key another process has replaced."""
        return Conflict(
            "the store's data key was replaced (an operator was removed) after this "
            "workbench unlocked it; nothing was written",
            hint="unlock_again",
        )

    def change_token(self) -> int:
        """Moves when any process commits a write (cheap to poll)."""
        return int(self._conn.change_token())  # type: ignore[attr-defined]

    # -- operators ---------------------------------------------------------------

    def operators(self) -> list[KeySlot]:
        """Every readable operator's key slot (names, when and by whom added; nothing secret)."""
        return read_slots(self._conn)

    def operator_names(self) -> list[str]:
        """Every operator's name, a damaged slot's too."""
        return slot_names(self._conn)

    def _write_slot(self, slot: KeySlot) -> None:
        self._conn.execute(
            f"INSERT INTO key_slots ({SLOT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(operator) DO UPDATE SET kdf = excluded.kdf, "
            "public_key = excluded.public_key, "
            "wrapped_private_key = excluded.wrapped_private_key, "
            "wrapped_data_key = excluded.wrapped_data_key, binding = excluded.binding",
            slot.row(),
        )

    def adopt_legacy_key(self, passphrase: str, *, now: float, kdf: KdfParams | None) -> None:
        """A store from before key slots: its one passphrase becomes the opener's slot."""
        slot = new_slot(
            self.operator, passphrase, self._data_key, now=now, created_by=None, kdf=kdf
        )
        with self.transaction():
            if slot_names(self._conn):
                return  # another process converted it meanwhile; its slots stand
            self._write_slot(slot)
            self._conn.execute("DELETE FROM meta WHERE key IN ('wrapped_key', 'kdf')")
        self._private_key = slot.open_private_key(passphrase)

    def add_operator(
        self, name: str, passphrase: str, *, now: float, kdf: KdfParams | None = None
    ) -> KeySlot:
        """A slot for a new operator (their own passphrase); Conflict if the name is taken."""
        check_operator_name(name)
        slot = new_slot(
            name, passphrase, self._data_key, now=now, created_by=self.operator, kdf=kdf
        )
        with self.transaction():
            if name in slot_names(self._conn):
                raise Conflict(
                    f"operator {printable(name)!r} exists already", hint="list_operators"
                )
            self._write_slot(slot)
        return slot

    def remove_operator(self, name: str) -> int:
        """Remove a slot and re-encrypt every secret under a new data key; cells re-sealed.

        One transaction: on any failure (a damaged cell, a lost connection)
        nothing changes. The remaining operators' slots get the new key sealed
        to their public keys, so their passphrases are not needed.
        """
        if name == self.operator:
            raise InvalidInput(
                f"you cannot remove yourself ({printable(name)!r}); another operator can"
            )
        new_key = new_data_key()
        new_cipher = Cipher(new_key)
        key_id = secrets.token_hex(16)
        with self.transaction():
            names = slot_names(self._conn)
            if name not in names:
                shown = ", ".join(repr(printable(n)) for n in names)
                raise NotFound(f"operator {printable(name)!r} not found (operators: {shown})")
            slots = read_slots(self._conn)
            self.check_slot_bindings(slots)
            resealed = self._reseal_all(new_cipher)
            for slot in slots:
                if slot.operator != name:
                    self._write_slot(slot.with_data_key(new_key))
            self._conn.execute("DELETE FROM key_slots WHERE operator = ?", (name,))
            self._set_meta(DATA_KEY_ID, key_id)
        self._data_key, self._key_id = new_key, key_id
        self._cipher.replace_key(new_key)
        return resealed

    def _reseal_all(self, new_cipher: Cipher) -> int:
        """Every sealed cell and the audit HMAC key, re-sealed under `new_cipher`."""
        count = 0
        for table, key_columns, sealed in SEALED:
            columns = ", ".join((*key_columns, *sealed))
            for row in self._conn.query(f"SELECT {columns} FROM {table}"):
                keys, blobs = row[: len(key_columns)], row[len(key_columns) :]
                row_id = "/".join(str(k) for k in keys)
                values = []
                for column, blob in zip(sealed, blobs, strict=True):
                    plain = self._cipher.decrypt(table, row_id, column, _as_bytes(blob))
                    values.append(new_cipher.encrypt(table, row_id, column, plain))
                    count += blob is not None
                assignments = ", ".join(f"{column} = ?" for column in sealed)
                where = " AND ".join(f"{column} = ?" for column in key_columns)
                self._conn.execute(
                    f"UPDATE {table} SET {assignments} WHERE {where}", (*values, *keys)
                )
        blob = new_cipher.encrypt("meta", "hmac_key", "value", self.hmac_key.hex())
        assert blob is not None
        self._set_meta("hmac_key", base64.b64encode(blob).decode())
        return count

    def check_slot_bindings(self, slots: list[KeySlot]) -> None:
        """Refuse slots whose public key the data key's holders did not put there."""
        for slot in slots:
            slot.check_binding(self._data_key)

    def take_identity(
        self, *, store_id: str, hmac_key: bytes, slots: list[KeySlot], meta: dict[str, str]
    ) -> None:
        """Become a copy of another store: its id, audit HMAC key, operators and `meta` rows.

        The slots are re-sealed to this store's data key (public keys only: no
        passphrase needed); the slot that created this store is dropped. The
        caller runs it inside the copy's transaction.
        """
        blob = self._cipher.encrypt("meta", "hmac_key", "value", hmac_key.hex())
        assert blob is not None
        with self.transaction():
            self._set_meta("store_id", store_id)
            self._set_meta("hmac_key", base64.b64encode(blob).decode())
            for key, value in meta.items():
                self._set_meta(key, value)
            self._conn.execute("DELETE FROM key_slots WHERE operator = ?", (self.operator,))
            for slot in slots:
                self._write_slot(slot.with_data_key(self._data_key))
        self.store_id, self.hmac_key = store_id, hmac_key

    def change_passphrase(self, new_passphrase: str, kdf: KdfParams | None = None) -> None:
        """Re-seal this operator's private key under a new passphrase (data unchanged)."""
        if not new_passphrase:
            raise Conflict("the new passphrase is empty; choose one of at least 8 characters")
        if self._private_key is None:
            raise Conflict("this store has no key slot to change; unlock it again first")
        kdf = kdf or KdfParams.fresh()
        with self.transaction():
            mine = read_slot(self._conn, self.operator)
            if mine is None:
                raise NotFound(f"operator {printable(self.operator)!r} was removed meanwhile")
            self._write_slot(mine.with_passphrase(self._private_key, new_passphrase, kdf))

    # -- plumbing ----------------------------------------------------------------

    @property
    def dialect(self) -> str:
        return self._conn.dialect

    def refresh_statistics(self) -> None:
        """After a bulk load: PostgreSQL's planner statistics now (autovacuum would take a
        minute), so the first queries already take the indexes (the unreadable rows')."""
        if self._conn.dialect == POSTGRESQL:
            self._conn.execute("ANALYZE")

    def close(self) -> None:
        self._conn.close()


def _as_bytes(blob: Any) -> bytes | None:
    """A sealed cell as bytes (PostgreSQL hands bytea back as memoryview)."""
    if blob is None or isinstance(blob, bytes):
        return blob
    if isinstance(blob, memoryview | bytearray):
        return bytes(blob)
    return blob  # type: ignore[no-any-return]  # damaged: Cipher.decrypt names the record


def schema_version(where: object, meta: dict[str, str]) -> int:
    """The schema version a store records; damage named (never "apply every migration")."""
    text = meta.get("schema_version")
    if text is None:
        raise damaged(where, "schema version (meta.schema_version)", "missing")
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        raise damaged(where, "schema version (meta.schema_version)", f"{text[:20]!r}")
    return int(text)


def initial_meta(data_key: bytes) -> dict[str, str]:
    """A new store's meta rows: its sealed audit HMAC key, ids and schema version 0."""
    hmac_blob = Cipher(data_key).encrypt("meta", "hmac_key", "value", secrets.token_hex(32))
    assert hmac_blob is not None
    return {
        "hmac_key": base64.b64encode(hmac_blob).decode(),
        "store_id": new_store_id(),
        DATA_KEY_ID: secrets.token_hex(16),
        "schema_version": "0",
    }
