"""The static_roles table: an existing IAM user's one key, its secret sealed per row."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from workbench.domain.errors import StoreCorrupted
from workbench.domain.models import StaticRole
from workbench.domain.text import printable
from workbench.store.crypto import Cipher
from workbench.store.dialect import SAME_AS, SqlConnection

_COLUMNS = (
    "engine",
    "name",
    "username",
    "rotation_period",
    "access_key_id",
    "secret_key",
    "last_rotated",
    "step",
    "previous_key_id",
    "owner",
    "error",
    "updated_time",
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM static_roles"
# The whole record, inserted or replaced (an upsert: both backends run it).
_PUT = (
    f"INSERT INTO static_roles ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    "ON CONFLICT(engine, name) DO UPDATE SET "
    + ", ".join(f"{column} = excluded.{column}" for column in _COLUMNS[2:])
)
_STEPS = (None, "claimed", "creating", "deleting")


class SqliteStaticRoles:
    """Static roles; the current secret key is sealed, with the role as associated data."""

    def __init__(self, conn: SqlConnection, cipher: Cipher) -> None:
        self._conn = conn
        self._cipher = cipher
        self._same_as = SAME_AS[conn.dialect]

    def _role(self, row: Sequence[Any], *, secrets: bool) -> StaticRole:
        values = dict(zip(_COLUMNS, row, strict=True))
        key = f"{values['engine']}/{values['name']}"
        what = f"static role {printable(str(key))!r}"
        for column in ("engine", "name", "username"):
            if not isinstance(values[column], str):
                raise StoreCorrupted(f"{what} has a damaged record: {column} is not text")
        if not isinstance(values["rotation_period"], int) or values["rotation_period"] <= 0:
            raise StoreCorrupted(f"{what} has a damaged record: rotation_period")
        for column in ("last_rotated", "updated_time"):
            value = values[column]
            if value is not None and not isinstance(value, int | float):
                raise StoreCorrupted(f"{what} has a damaged record: {column} is not a number")
        if values["step"] not in _STEPS:
            raise StoreCorrupted(f"{what} has a damaged record: step {values['step']!r}")
        for column in ("access_key_id", "previous_key_id", "owner", "error"):
            if values[column] is not None and not isinstance(values[column], str):
                raise StoreCorrupted(f"{what} has a damaged record: {column} is not text")
        values["secret_key"] = (
            self._cipher.decrypt("static_roles", key, "secret_key", values["secret_key"])
            if secrets
            else None
        )
        return StaticRole(**values)

    def get(self, engine: str, name: str, *, secrets: bool = True) -> StaticRole | None:
        rows = self._conn.query(f"{_SELECT} WHERE engine = ? AND name = ?", (engine, name))
        return self._role(rows[0], secrets=secrets) if rows else None

    def list(
        self, engine: str | None = None, *, skip_damaged: bool = False
    ) -> builtins.list[StaticRole]:
        """Without their secrets; `skip_damaged` leaves out rows that cannot be read
        (the worker: one damaged role must not stop the others' rotations)."""
        if engine is None:
            rows = self._conn.query(f"{_SELECT} ORDER BY engine, name")
        else:
            rows = self._conn.query(f"{_SELECT} WHERE engine = ? ORDER BY name", (engine,))
        roles = []
        for row in rows:
            try:
                roles.append(self._role(row, secrets=False))
            except StoreCorrupted:
                if not skip_damaged:
                    raise
        return roles

    def put(self, role: StaticRole) -> None:
        """Insert or replace the whole record (the secret sealed)."""
        key = f"{role.engine}/{role.name}"
        values = [getattr(role, column) for column in _COLUMNS]
        values[_COLUMNS.index("secret_key")] = self._cipher.encrypt(
            "static_roles", key, "secret_key", role.secret_key
        )
        with self._conn.transaction():
            self._conn.execute(_PUT, values)

    def claim(
        self, engine: str, name: str, *, owner: str, now: float, orphaned: str | None = None
    ) -> bool:
        """Start a rotation: atomically, unless one is under way (one whose owner died aside)."""
        with self._conn.transaction():
            cursor = self._conn.execute(
                "UPDATE static_roles SET step = 'claimed', owner = ?, updated_time = ? "
                "WHERE engine = ? AND name = ? AND (step IS NULL OR "
                f"(owner {self._same_as} CAST(? AS TEXT) AND CAST(? AS TEXT) IS NOT NULL))",
                (owner, now, engine, name, orphaned, orphaned),
            )
        return cursor.rowcount > 0

    def delete(self, engine: str, name: str) -> bool:
        with self._conn.transaction():
            cursor = self._conn.execute(
                "DELETE FROM static_roles WHERE engine = ? AND name = ?", (engine, name)
            )
        return cursor.rowcount > 0
