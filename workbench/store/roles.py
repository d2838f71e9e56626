"""The roles table: each role's fields as JSON, its policy document sealed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from workbench.domain.errors import StoreCorrupted
from workbench.domain.models import CredentialType, Role
from workbench.domain.text import printable
from workbench.store.crypto import Cipher
from workbench.store.dialect import SqlConnection
from workbench.store.typed import load_dataclass

_ROLE_SECRET = "policy_document"


class SqliteRoles:
    """Roles; the policy document is sealed, the other fields are JSON."""

    def __init__(self, conn: SqlConnection, cipher: Cipher) -> None:
        self._conn = conn
        self._cipher = cipher

    def _role(self, row: Sequence[Any]) -> Role:
        engine, name, credential_type, body_text, policy_blob, updated_time = row
        row_key = f"{engine}/{name}"
        what = f"role {printable(row_key)!r}"
        try:
            body = json.loads(body_text)
        except (ValueError, TypeError):
            raise StoreCorrupted(f"{what} has a damaged body: not JSON") from None
        try:
            kind = CredentialType(credential_type)
        except ValueError:
            raise StoreCorrupted(
                f"{what} has an unknown credential_type {printable(str(credential_type))!r}"
                " (written by a newer version?)"
            ) from None
        if not isinstance(updated_time, int | float):
            raise StoreCorrupted(f"{what} has a damaged record: updated_time is not a number")
        policy = self._cipher.decrypt("roles", row_key, _ROLE_SECRET, policy_blob)
        return load_dataclass(
            Role,
            body,
            f"{what} has a damaged body",
            engine=engine,
            name=name,
            credential_type=kind,
            policy_document=policy,
            updated_time=updated_time,
        )

    _SELECT = "SELECT engine, name, credential_type, body, policy_document, updated_time FROM roles"

    def get(self, engine: str, name: str) -> Role | None:
        rows = self._conn.query(self._SELECT + " WHERE engine = ? AND name = ?", (engine, name))
        return self._role(rows[0]) if rows else None

    def list(self, engine: str | None = None) -> list[Role]:
        if engine is None:
            rows = self._conn.query(self._SELECT + " ORDER BY engine, name")
        else:
            rows = self._conn.query(self._SELECT + " WHERE engine = ? ORDER BY name", (engine,))
        return [self._role(row) for row in rows]

    def put(self, role: Role) -> None:
        body = asdict(role)
        for key in ("engine", "name", "credential_type", _ROLE_SECRET, "updated_time"):
            body.pop(key)
        row_key = f"{role.engine}/{role.name}"
        blob = self._cipher.encrypt("roles", row_key, _ROLE_SECRET, role.policy_document)
        with self._conn.transaction():
            self._conn.execute(
                "INSERT INTO roles (engine, name, credential_type, body, policy_document, "
                "updated_time) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(engine, name) DO UPDATE SET "
                "credential_type = excluded.credential_type, body = excluded.body, "
                "policy_document = excluded.policy_document, updated_time = excluded.updated_time",
                (
                    role.engine,
                    role.name,
                    role.credential_type.value,
                    json.dumps(body),
                    blob,
                    role.updated_time,
                ),
            )

    def delete(self, engine: str, name: str) -> bool:
        with self._conn.transaction():
            cursor = self._conn.execute(
                "DELETE FROM roles WHERE engine = ? AND name = ?", (engine, name)
            )
        return cursor.rowcount > 0
