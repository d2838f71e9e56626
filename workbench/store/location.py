"""Where a store is: a SQLite file in a folder (the default), or a PostgreSQL database.

`--store` / `WORKBENCH_STORE` takes a `postgresql://` URL (team mode) or a
path; nothing means the SQLite file in the home folder. The home folder stays
in use with PostgreSQL too, for what belongs to one machine (audit file
devices, the policy cache). This module is cheap to import: the backends load
when a store is opened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.domain.errors import InvalidInput
from workbench.domain.text import printable
from workbench.store import files

if TYPE_CHECKING:
    from workbench.store.crypto import KdfParams
    from workbench.store.repositories import Repositories

STORE_ENV = "WORKBENCH_STORE"
_SCHEMES = ("postgresql://", "postgres://")
_PASSWORD = re.compile(r"(://[^/@:]*):[^/@]*@")


def redact_url(url: str) -> str:
    """A URL fit to print: its password (user:PASSWORD@) and password= parameter removed."""
    url = _PASSWORD.sub(r"\1:***@", url)
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", url)


@dataclass(frozen=True)
class StoreLocation:
    """A store's place: `home` always, `url` for PostgreSQL."""

    home: Path
    url: str | None = None

    @property
    def is_postgres(self) -> bool:
        return self.url is not None

    def describe(self) -> str:
        """The file path, or the URL without its password."""
        return redact_url(self.url) if self.url else str(files.db_path(self.home))

    def exists(self) -> bool:
        """Whether a store is there (for PostgreSQL: its schema is in the database)."""
        if self.url is None:
            return files.store_exists(self.home)
        from workbench.store.pg import pg_store_exists

        return pg_store_exists(self.url)

    def open(self, passphrase: str, *, operator: str | None = None) -> Repositories:
        """Unlock the store as `operator` (default: $WORKBENCH_OPERATOR, else the OS user)."""
        if self.url is None:
            from workbench.store.sqlite import Store

            return Store.open(self.home, passphrase, operator=operator)
        from workbench.store.pg import PgStore

        return PgStore.open(self.url, passphrase, operator=operator, home=self.home)

    def create(
        self, passphrase: str, *, operator: str | None = None, kdf: KdfParams | None = None
    ) -> Repositories:
        """Create the store with `operator`'s key slot; refuses an existing one."""
        if self.url is None:
            from workbench.store.sqlite import Store

            return Store.create(self.home, passphrase, kdf, operator=operator)
        from workbench.store.pg import PgStore

        return PgStore.create(self.url, passphrase, kdf, operator=operator, home=self.home)


def parse_location(store: str | None, home: Path) -> StoreLocation:
    """`--store` as given (URL, path or nothing) with the home folder."""
    if not store:
        return StoreLocation(home)
    if store.startswith(_SCHEMES):
        return StoreLocation(home, store)
    if "://" in store:
        raise InvalidInput(
            f"store {printable(redact_url(store))!r} is neither a path nor a postgresql:// URL; "
            "give the folder of a SQLite store, or postgresql://USER@HOST/DBNAME"
        )
    path = Path(store).expanduser()
    if path.name == files.DB_NAME:
        path = path.parent
    return StoreLocation(path)
