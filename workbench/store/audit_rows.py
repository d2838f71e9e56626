"""The audit and audit_devices tables: append-only rows linked by hash (see workbench.audit)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from workbench.domain.errors import StoreCorrupted
from workbench.domain.text import printable
from workbench.store.dialect import SqlConnection

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


class SqliteAudit:
    """The audit table: append-only rows linked by hash (see workbench.audit)."""

    def __init__(self, conn: SqlConnection) -> None:
        self._conn = conn

    def head(self) -> tuple[int, str]:
        """The last entry's sequence number and hash ((0, "") when empty)."""
        rows = self._conn.query("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        return (int(rows[0][0]), str(rows[0][1])) if rows else (0, "")

    def insert(self, row: dict[str, Any]) -> int:
        """Append a row; its seq (give it: PostgreSQL numbers nothing, SQLite would)."""
        columns = [column for column in _AUDIT_COLUMNS if column in row]
        sql = f"INSERT INTO audit ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        with self._conn.transaction():
            cursor = self._conn.execute(sql, [row[column] for column in columns])
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
        rows = self._conn.query(
            "SELECT name, kind, options, created_time FROM audit_devices "
            "ORDER BY created_time, name"
        )
        return [_device(*row) for row in rows]

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
