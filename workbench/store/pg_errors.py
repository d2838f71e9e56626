"""psycopg's errors as the domain errors a user reads, naming the server without its password."""

from __future__ import annotations

import psycopg
import psycopg.errors
from psycopg_pool import PoolClosed, PoolTimeout

from workbench.domain.errors import (
    Conflict,
    InvalidInput,
    StoreCorrupted,
    StoreUnavailable,
    WorkbenchError,
)
from workbench.store.pg_sql import scrub

# How long a writer waits for the write lock (SQLite's busy timeout is the same).
LOCK_TIMEOUT_SECONDS = 30


def reason(error: BaseException, url: str) -> str:
    """The server's own words for `error`, on one line, with no password in them."""
    diag = getattr(error, "diag", None)
    text = (diag.message_primary if diag is not None else None) or str(error)
    return scrub(" ".join(text.split()), url)


def domain_error(error: BaseException, where: str, url: str) -> WorkbenchError:
    """A psycopg or pool error as the domain error a user reads (`where`: the redacted URL)."""
    why = reason(error, url)
    if isinstance(error, PoolTimeout):
        return StoreUnavailable(f"no connection to the team store {where} came free ({why})")
    if isinstance(error, PoolClosed):
        return StoreUnavailable(f"the team store {where} is closed")
    if isinstance(error, psycopg.errors.LockNotAvailable):
        return StoreUnavailable(
            f"the team store {where} stayed locked by another writer for "
            f"{LOCK_TIMEOUT_SECONDS} s; nothing was written, try again"
        )
    if isinstance(error, psycopg.errors.QueryCanceled):
        return StoreUnavailable(f"the team store {where} cancelled a request ({why})")
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return StoreUnavailable(f"lost the connection to the team store {where} ({why})")
    if isinstance(error, psycopg.errors.InsufficientPrivilege):
        return StoreUnavailable(f"the team store {where} refused access ({why})")
    if isinstance(error, psycopg.errors.UndefinedTable | psycopg.errors.UndefinedColumn):
        return StoreCorrupted(
            f"{where} is not a workbench store, or one written by another version ({why})"
        )
    if isinstance(error, psycopg.IntegrityError):
        return Conflict(f"the team store {where} refused a write ({why})")
    if isinstance(error, psycopg.DataError):
        return InvalidInput(f"the team store {where} refused a value ({why})")
    return StoreCorrupted(f"the team store {where} failed a request ({why})")
