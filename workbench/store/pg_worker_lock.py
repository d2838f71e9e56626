"""One revoker per team store: a session advisory lock on a dedicated connection.

See `workbench.store.pg_coord` for the keepalive figures: a killed holder frees the
lock at once; a holder cut off from the network stops acting after about 5 s, and
the server frees its lock after about 10-11 s.

psycopg is imported at call time only: `workbench --help` never loads it.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import TYPE_CHECKING, Any

from workbench.domain.errors import WorkbenchError
from workbench.store.pg_coord import (
    LOCK_MATCH,
    WORKER_APP_PREFIX,
    WORKER_KEY,
    app_name,
    close_quietly,
    error_text,
    key_parts,
    pg_connect,
    usable,
)

if TYPE_CHECKING:
    from psycopg import Connection

log = logging.getLogger(__name__)

_HOLDER_SQL = (
    "SELECT a.application_name, extract(epoch FROM a.backend_start)::float8,"
    " host(a.client_addr), a.client_port, l.pid"
    f" FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE {LOCK_MATCH}"
)


class PgWorkerLock:
    """One revoker per store: a session advisory lock on WORKER_KEY, on its own connection."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: Connection[Any] | None = None
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    def open(self) -> None:
        """Connect; StoreUnavailable (no password shown) if the server cannot be reached."""
        if usable(self._conn):
            return
        self._drop()
        name = app_name(WORKER_APP_PREFIX, socket.gethostname(), os.getpid())
        self._conn = pg_connect(self.url, application_name=name, lock=True)

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True if this process holds it now.

        A server that cannot be reached is a False (a standby keeps polling).
        """
        if self._held:
            return True
        import psycopg  # deferred: only team mode pays for it

        try:
            self.open()
            assert self._conn is not None
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (WORKER_KEY,)).fetchone()
        except (psycopg.Error, WorkbenchError) as error:
            log.warning("cannot try the worker lock: %s", error_text(error, self.url))
            self._drop()
            return False
        self._held = bool(row and row[0])
        return self._held

    def still_held(self) -> bool:
        """Whether the lock is still ours: a `SELECT 1` on its connection (each pass).

        A broken connection means the server has freed the lock (or soon will):
        this process is no longer the holder and must stop acting as one.
        """
        if not self._held:
            return False
        import psycopg  # deferred: only team mode pays for it

        if self._conn is None:
            self._drop()
            return False
        try:
            self._conn.execute("SELECT 1")
        except psycopg.Error as error:
            log.warning("the worker lock was lost: %s", error_text(error, self.url))
            self._drop()
            return False
        return True

    def holder(self) -> dict[str, Any] | None:
        """The holder (host, pid as it registered, since, client, backend_pid), or None.

        since and client are None unless the reader may see the holder's session."""
        import psycopg  # deferred: only team mode pays for it

        try:
            if usable(self._conn):
                assert self._conn is not None
                return find_holder(self._conn)
            with pg_connect(self.url) as conn:
                return find_holder(conn)
        except (psycopg.Error, WorkbenchError) as error:
            log.warning("cannot find the worker lock's holder: %s", error_text(error, self.url))
            return None

    def holder_pid(self) -> int | None:
        """The pid the current holder registered, if any."""
        found = self.holder()
        return None if found is None else found["pid"]

    def release(self) -> None:
        self._drop()

    def _drop(self) -> None:
        """Close the lock connection (the server frees the lock with the session)."""
        close_quietly(self._conn)
        self._conn = None
        self._held = False


def find_holder(conn: Connection[Any], key: int = WORKER_KEY) -> dict[str, Any] | None:
    """Who holds advisory lock `key` in this database, from pg_locks and pg_stat_activity."""
    row = conn.execute(_HOLDER_SQL, key_parts(key)).fetchone()
    if row is None:
        return None
    application, since, address, port, backend_pid = row
    host: str | None = None
    pid: int | None = None
    if isinstance(application, str) and application.startswith(WORKER_APP_PREFIX):
        host, _, pid_text = application[len(WORKER_APP_PREFIX) :].rpartition(":")
        pid = int(pid_text) if pid_text.isascii() and pid_text.isdigit() else None
    client = f"{address}:{port}" if address else ("local socket" if port == -1 else None)
    return {"host": host, "pid": pid, "since": since, "client": client, "backend_pid": backend_pid}
