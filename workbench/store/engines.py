"""The engines table: each engine's config as JSON, its root secret key sealed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from workbench.domain.errors import StoreCorrupted
from workbench.domain.models import Engine, LeaseConfig, RootConfig
from workbench.domain.text import printable
from workbench.store.crypto import Cipher
from workbench.store.dialect import SqlConnection
from workbench.store.typed import load_dataclass


class SqliteEngines:
    """Engines; the root secret key is sealed, the rest is JSON."""

    def __init__(self, conn: SqlConnection, cipher: Cipher) -> None:
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
        root = load_dataclass(RootConfig, config["root"], f"{what} has a damaged config (root)")
        lease_config = load_dataclass(
            LeaseConfig, config["lease"], f"{what} has a damaged config (lease)"
        )
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
