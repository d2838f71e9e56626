"""One contract, two backends: each test here runs on a SQLite file and on a PostgreSQL database.

`backend` opens a store connection of either kind with its migrations
applied, and builds the repositories over it exactly as the store does; the
same test must pass on both, so what a user sees cannot depend on where the
store lives. `backend.other()` is a second connection to the same store, as
a second process would hold.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from workbench.domain.models import CredentialType, Lease, LeaseState
from workbench.store.audit_rows import SqliteAudit
from workbench.store.cache_claims import SqliteCacheClaims
from workbench.store.crypto import Cipher, new_data_key
from workbench.store.engines import SqliteEngines
from workbench.store.leases import SqliteLeases
from workbench.store.roles import SqliteRoles
from workbench.store.static_roles import SqliteStaticRoles

BACKENDS = ["sqlite", "postgresql"]


@dataclass
class Backend:
    """A store connection of one kind, its repositories, and more connections to the same store."""

    name: str
    conn: Any
    cipher: Cipher
    _open: Any
    _others: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.engines = SqliteEngines(self.conn, self.cipher)
        self.roles = SqliteRoles(self.conn, self.cipher)
        self.leases = SqliteLeases(self.conn, self.cipher)
        self.static_roles = SqliteStaticRoles(self.conn, self.cipher)
        self.audit = SqliteAudit(self.conn)
        self.cache_claims = SqliteCacheClaims(self.conn)

    def other(self) -> Backend:
        """The same store through a second connection (another process's view)."""
        conn = self._open()
        self._others.append(conn)
        return Backend(self.name, conn, self.cipher, self._open, self._others)

    def close(self) -> None:
        for conn in self._others:
            conn.close()
        self.conn.close()


def _sqlite(path: Path) -> Any:
    from workbench.store.schema import MIGRATIONS
    from workbench.store.sqlite import Connection

    conn = Connection(path)
    conn.execute("PRAGMA journal_mode = WAL")
    with conn.transaction():
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        for number, migration in enumerate(MIGRATIONS):
            migration(conn.db)
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (str(number + 1),),
            )
    return conn


def _postgresql(url: str) -> Any:
    from workbench.store import pg_schema
    from workbench.store.pg import PgConnection

    conn = PgConnection(url)
    pg_schema.create_meta(conn, {"schema_version": "0"})
    pg_schema.migrate(conn, 0)
    return conn


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A migrated store of each kind, with its repositories."""
    if request.param == "sqlite":
        path = tmp_path / "workbench.db"
        conn = _sqlite(path)

        def reopen() -> Any:
            from workbench.store.sqlite import Connection

            return Connection(path)

    else:
        url = request.getfixturevalue("pg_url")
        conn = _postgresql(url)

        def reopen() -> Any:
            from workbench.store.pg import PgConnection

            return PgConnection(url)

    opened = Backend(request.param, conn, Cipher(new_data_key()), reopen)
    yield opened
    opened.close()


def make_lease(
    lease_id: str = "aws/creds/web/a1",
    *,
    state: LeaseState = LeaseState.ACTIVE,
    issue_time: float | None = None,
    ttl: float = 3600,
    **fields: Any,
) -> Lease:
    """An iam_user lease of role `web` on engine `aws` (fields override)."""
    issued = time.time() if issue_time is None else issue_time
    engine, _, role, *_ = [*lease_id.split("/"), "", "", ""]
    values: dict[str, Any] = {
        "lease_id": lease_id,
        "engine": engine,
        "role": role or "web",
        "credential_type": CredentialType.IAM_USER,
        "state": state,
        "issue_time": issued,
        "expire_time": issued + ttl,
        "max_expire_time": issued + 4 * ttl,
        "renewable": True,
        "iam_user_name": "vault-web-" + lease_id.rsplit("/", 1)[-1],
        "access_key_id": "AKIA" + lease_id.rsplit("/", 1)[-1].upper().ljust(16, "X"),
        "secret_key": "secret-" + lease_id,
        "updated_time": issued,
    }
    values.update(fields)
    return Lease(**values)
