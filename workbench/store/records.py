"""Engine, role, audit and lock rows: small tables written rarely."""

from __future__ import annotations

import json
import types
from collections.abc import Iterator, Sequence
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any, TypeVar, Union, get_args, get_origin, get_type_hints

from workbench.domain.errors import StoreCorrupted
from workbench.domain.models import CredentialType, Engine, LeaseConfig, Role, RootConfig
from workbench.domain.text import printable
from workbench.store.crypto import Cipher

if TYPE_CHECKING:
    from workbench.store.sqlite import Connection

T = TypeVar("T")


def _json_matches(value: Any, annotation: Any) -> bool:
    """Whether a JSON value read back from the store fits a dataclass field's annotation."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return any(_json_matches(value, arm) for arm in get_args(annotation))
    if annotation is type(None):
        return value is None
    if origin is list:
        (item,) = get_args(annotation)
        return isinstance(value, list) and all(_json_matches(v, item) for v in value)
    if origin is dict:
        key, item = get_args(annotation)
        return isinstance(value, dict) and all(
            _json_matches(k, key) and _json_matches(v, item) for k, v in value.items()
        )
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, annotation)


def _load(cls: type[T], data: Any, what: str, **extra: Any) -> T:
    """A dataclass from a stored JSON object, every key known and every value of its type.

    A row written by a newer version or damaged on disk names the field that
    does not fit, as StoreCorrupted, instead of a TypeError from the constructor.
    """
    if not isinstance(data, dict):
        raise StoreCorrupted(f"{what}: a JSON object was expected")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    for key, value in data.items():
        if key not in known or key in extra:
            raise StoreCorrupted(f"{what}: unknown field {printable(str(key))!r}")
        if not _json_matches(value, hints[key]):
            raise StoreCorrupted(f"{what}: field {key!r} has the wrong type")
    return cls(**data, **extra)


class SqliteEngines:
    """Engines; the root secret key is sealed, the rest is JSON."""

    def __init__(self, conn: Connection, cipher: Cipher) -> None:
        self._conn = conn
        self._cipher = cipher

    def _engine(self, row: Sequence[Any]) -> Engine:
        name, enabled, created_time, config_text, secret_blob = row
        what = f"engine {printable(str(name))!r}"
        try:
            config = json.loads(config_text)
        except (ValueError, TypeError):
            raise StoreCorrupted(f"{what} has a damaged config: not JSON") from None
        if not isinstance(config, dict) or not {"root", "lease"} <= config.keys():
            raise StoreCorrupted(f"{what} has a damaged config: no root or lease section")
        if not isinstance(created_time, int | float) or enabled not in (0, 1):
            raise StoreCorrupted(f"{what} has a damaged record: enabled or created_time is wrong")
        root = _load(RootConfig, config["root"], f"{what} has a damaged config (root)")
        lease_config = _load(LeaseConfig, config["lease"], f"{what} has a damaged config (lease)")
        root.secret_key = self._cipher.decrypt("engines", name, "root_secret_key", secret_blob)
        return Engine(
            name=name,
            root=root,
            lease_config=lease_config,
            enabled=bool(enabled),
            created_time=created_time,
        )

    def get(self, name: str) -> Engine | None:
        rows = self._conn.query(
            "SELECT name, enabled, created_time, config, root_secret_key "
            "FROM engines WHERE name = ?",
            (name,),
        )
        return self._engine(rows[0]) if rows else None

    def list(self) -> list[Engine]:
        rows = self._conn.query(
            "SELECT name, enabled, created_time, config, root_secret_key FROM engines ORDER BY name"
        )
        return [self._engine(row) for row in rows]

    def put(self, engine: Engine) -> None:
        root = asdict(engine.root)
        secret = root.pop("secret_key")
        config = json.dumps({"root": root, "lease": asdict(engine.lease_config)})
        blob = self._cipher.encrypt("engines", engine.name, "root_secret_key", secret)
        with self._conn.transaction():
            self._conn.execute(
                "INSERT INTO engines (name, enabled, created_time, config, root_secret_key) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                "enabled = excluded.enabled, config = excluded.config, "
                "root_secret_key = excluded.root_secret_key",
                (engine.name, int(engine.enabled), engine.created_time, config, blob),
            )


_ROLE_SECRET = "policy_document"


class SqliteRoles:
    """Roles; the policy document is sealed, the other fields are JSON."""

    def __init__(self, conn: Connection, cipher: Cipher) -> None:
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
        return _load(
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

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def head(self) -> tuple[int, str]:
        """The last entry's sequence number and hash ((0, "") when empty)."""
        rows = self._conn.query("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        return (int(rows[0][0]), str(rows[0][1])) if rows else (0, "")

    def insert(self, row: dict[str, Any]) -> int:
        columns = [column for column in _AUDIT_COLUMNS if column in row]
        sql = f"INSERT INTO audit ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        with self._conn.transaction():
            cursor = self._conn.execute(sql, [row[column] for column in columns])
        return int(cursor.lastrowid or 0)

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
                f"ORDER BY seq DESC LIMIT {int(newest)}) ORDER BY seq"
            )
        else:
            sql = f"SELECT {columns} FROM audit WHERE {where} ORDER BY seq"
        with self._conn.lenient_text():
            cursor = self._conn.raw.execute(sql, params)
            while batch := cursor.fetchmany(2000):
                for row in batch:
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
        with self._conn.lenient_text():
            cursor = self._conn.raw.execute(sql, (after_seq,))
            while batch := cursor.fetchmany(5000):
                yield from batch

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
