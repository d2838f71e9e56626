"""What the repositories need of a connection, and the few SQL words that differ by backend.

The repositories are written once, in SQL both SQLite and PostgreSQL run, with
SQLite's placeholders (`?`, `:name`; the PostgreSQL connection translates
them). Where the two truly differ, the repository picks the fragment by its
connection's `dialect`, from a table keyed by dialect, so the logic around it
stays in one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
DIALECTS = (SQLITE, POSTGRESQL)

# "a = b, a NULL equal to a NULL" (`owner IS ?`): SQLite's IS; PostgreSQL's IS
# NOT DISTINCT FROM (SQLite learnt that spelling only in 3.39).
SAME_AS = {SQLITE: "IS", POSTGRESQL: "IS NOT DISTINCT FROM"}


class Executed(Protocol):
    """What a write statement reports: rows changed (and SQLite's new rowid)."""

    @property
    def rowcount(self) -> int: ...
    @property
    def lastrowid(self) -> int | None: ...


class SqlConnection(Protocol):
    """A store connection: sqlite.Connection or pg.PgConnection."""

    @property
    def dialect(self) -> str: ...
    def execute(self, sql: str, params: Any = ()) -> Executed: ...
    def query(self, sql: str, params: Any = ()) -> list[Any]: ...
    def iterate(
        self, sql: str, params: Any = (), *, batch: int = 2000
    ) -> Iterator[tuple[Any, ...]]: ...
    def transaction(self) -> AbstractContextManager[None]: ...
    def lenient_text(self) -> AbstractContextManager[None]: ...
