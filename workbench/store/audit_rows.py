"""The audit and audit_devices tables: append-only rows linked by hash (see workbench.audit)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, NamedTuple

from workbench.domain.errors import StoreCorrupted
from workbench.domain.text import printable
from workbench.store.dialect import POSTGRESQL, SqlConnection

_AUDIT_COLUMNS = (
    "seq",
    "time",
    "request_id",
    "type",
    "path",
    "operation",
    "is_error",
    "entry",
    "prev_hash",
    "hash",
)


_DEVICE_COLUMNS = "name, kind, options, created_time"
_DEVICE_ORDER = "created_time, name"
_HEAD_SQL = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
_META_SQL = "SELECT value FROM meta WHERE key = ?"
_DEVICES_SQL = f"SELECT {_DEVICE_COLUMNS} FROM audit_devices ORDER BY {_DEVICE_ORDER}"
_SET_META_SQL = (
    "INSERT INTO meta (key, value) VALUES (?, ?) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)
# PostgreSQL: what an append reads, in one round trip (the devices as one JSON array).
_PG_LINK_SQL = (
    "SELECT (SELECT seq FROM audit ORDER BY seq DESC LIMIT 1), "
    "(SELECT hash FROM audit ORDER BY seq DESC LIMIT 1), "
    "(SELECT value FROM meta WHERE key = ?), "
    f"(SELECT coalesce(json_agg(json_build_array({_DEVICE_COLUMNS}) ORDER BY {_DEVICE_ORDER}), "
    "'[]')::text FROM audit_devices)"
)


class ChainLink(NamedTuple):
    """What an append reads under the write lock: the table's last row, the signed head
    (meta, raw) and, on PostgreSQL, the enabled devices (None: read them as usual, when the
    store says they may have changed: SQLite's check is free, a round trip is not)."""

    table_seq: int
    table_hash: str
    head: str | None
    devices: list[dict[str, Any]] | None


class SqliteAudit:
    """The audit table: append-only rows linked by hash (see workbench.audit)."""

    def __init__(self, conn: SqlConnection) -> None:
        self._conn = conn

    def head(self) -> tuple[int, str]:
        """The last entry's sequence number and hash ((0, "") when empty)."""
        rows = self._conn.query(_HEAD_SQL)
        return (int(rows[0][0]), str(rows[0][1])) if rows else (0, "")

    def link(self, head_key: str) -> ChainLink:
        """What the next append needs: the last row, meta `head_key` and, on PostgreSQL,
        the devices, all in one round trip (SQLite's queries cost none)."""
        if self._conn.dialect != POSTGRESQL:
            seq, entry_hash = self.head()
            meta = self._conn.query(_META_SQL, (head_key,))
            return ChainLink(seq, entry_hash, meta[0][0] if meta else None, None)
        seq, entry_hash, head, devices = self._conn.query(_PG_LINK_SQL, (head_key,))[0]
        rows = [_device(*row) for row in json.loads(devices)]
        return ChainLink(int(seq or 0), str(entry_hash or ""), head, rows)

    def append(self, row: dict[str, Any], head_key: str, head_value: str) -> None:
        """Insert a row (seq given) and set meta `head_key`, together (one statement on
        PostgreSQL)."""
        insert, values = _insert(row)
        with self._conn.transaction():
            if self._conn.dialect == POSTGRESQL:
                self._conn.execute(
                    f"WITH appended AS ({insert}) {_SET_META_SQL}", [*values, head_key, head_value]
                )
            else:
                self._conn.execute(insert, values)
                self._conn.execute(_SET_META_SQL, (head_key, head_value))

    def insert(self, row: dict[str, Any]) -> int:
        """Append a row; its seq (give it: PostgreSQL numbers nothing, SQLite would)."""
        sql, values = _insert(row)
        with self._conn.transaction():
            cursor = self._conn.execute(sql, values)
        return int(row["seq"]) if "seq" in row else int(cursor.lastrowid or 0)

    def iterate(
        self,
        *,
        after_seq: int = 0,
        newest: int | None = None,
        path_prefix: str | None = None,
        operation: str | None = None,
        errors_only: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Entries in order; `newest` keeps only the last N that match."""
        clauses: list[str] = ["seq > ?"]
        params: list[Any] = [after_seq]
        if path_prefix:
            clauses.append("substr(path, 1, ?) = ?")
            params.extend([len(path_prefix), path_prefix])
        if operation:
            clauses.append("operation = ?")
            params.append(operation)
        if errors_only:
            clauses.append("is_error != 0")
        where = " AND ".join(clauses)
        columns = ", ".join(_AUDIT_COLUMNS)
        if newest is not None:
            sql = (
                f"SELECT * FROM (SELECT {columns} FROM audit WHERE {where} "
                f"ORDER BY seq DESC LIMIT {int(newest)}) AS newest ORDER BY seq"
            )
        else:
            sql = f"SELECT {columns} FROM audit WHERE {where} ORDER BY seq"
        for row in self._conn.iterate(sql, params, batch=2000):
            yield dict(zip(_AUDIT_COLUMNS, row, strict=True))

    def chain(self, *, after_seq: int = 0) -> Iterator[tuple[Any, ...]]:
        """Rows as bare tuples in seq order, for walking the hash chain fast.

        Each tuple is (seq, request_id, type, path, operation, is_error,
        entry, prev_hash, hash).
        """
        # Text columns read as text whatever a damaged row holds (a blob, a number), so the
        # row fails its hash check by seq instead of breaking the hashing itself.
        sql = (
            "SELECT seq, CAST(request_id AS TEXT), CAST(type AS TEXT), CAST(path AS TEXT), "
            "CAST(operation AS TEXT), is_error, CAST(entry AS TEXT), CAST(prev_hash AS TEXT), "
            "CAST(hash AS TEXT) FROM audit WHERE seq > ? ORDER BY seq"
        )
        yield from self._conn.iterate(sql, (after_seq,), batch=5000)

    def seq_before(self, time: float) -> int:
        """The last entry's seq written before `time` (0 if none): where a later read starts."""
        rows = self._conn.query("SELECT coalesce(max(seq), 0) FROM audit WHERE time < ?", (time,))
        return int(rows[0][0])

    def count(self) -> int:
        return int(self._conn.query("SELECT count(*) FROM audit")[0][0])

    # -- devices (the audit_devices table) ---------------------------------------

    def devices(self) -> list[dict[str, Any]]:
        """Enabled audit devices (beyond the table itself), oldest first."""
        return [_device(*row) for row in self._conn.query(_DEVICES_SQL)]

    def add_device(
        self, name: str, kind: str, options: dict[str, Any], created_time: float
    ) -> bool:
        """Record a device; False when one of that name exists already."""
        with self._conn.transaction():
            cursor = self._conn.execute(
                "INSERT INTO audit_devices (name, kind, options, created_time) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(name) DO NOTHING",
                (name, kind, json.dumps(options, sort_keys=True), created_time),
            )
        return cursor.rowcount > 0

    def remove_device(self, name: str) -> bool:
        with self._conn.transaction():
            cursor = self._conn.execute("DELETE FROM audit_devices WHERE name = ?", (name,))
        return cursor.rowcount > 0


def _insert(row: dict[str, Any]) -> tuple[str, list[Any]]:
    """The INSERT for an audit row's columns, and its values."""
    columns = [column for column in _AUDIT_COLUMNS if column in row]
    places = ", ".join("?" * len(columns))
    return f"INSERT INTO audit ({', '.join(columns)}) VALUES ({places})", [
        row[column] for column in columns
    ]


# The options each device kind reads, and their JSON types.
_DEVICE_OPTIONS: dict[str, type] = {
    "file_path": str,
    "from_seq": int,
    "from_offset": int,
}


def _device(name: Any, kind: Any, options_text: Any, created_time: Any) -> dict[str, Any]:
    """An audit device row; a damaged one is StoreCorrupted naming the device and field.

    Every audited operation reads this list, so a row that does not fit is
    refused by name rather than failing deep inside the audit writer.
    """
    what = f"audit device {printable(str(name))!r}"
    fix = "restore the store from a backup"
    try:
        options = json.loads(options_text) if isinstance(options_text, str) else None
    except ValueError:
        options = None
    if not isinstance(options, dict):
        raise StoreCorrupted(f"{what} has a damaged record: options is not a JSON object; {fix}")
    for key, kind_of in _DEVICE_OPTIONS.items():
        value = options.get(key)
        if key in options and (isinstance(value, bool) or not isinstance(value, kind_of)):
            raise StoreCorrupted(
                f"{what} has a damaged record: option {key!r} has the wrong type; {fix}"
            )
    if not isinstance(name, str) or not isinstance(kind, str):
        raise StoreCorrupted(f"{what} has a damaged record: name or kind is not text; {fix}")
    if created_time is not None and not isinstance(created_time, int | float):
        raise StoreCorrupted(f"{what} has a damaged record: created_time is not a number; {fix}")
    return {"name": name, "kind": kind, "options": options, "created_time": created_time}
