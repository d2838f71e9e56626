"""Which processes of a team store are alive: one session advisory lock per process.

A process registers on first use (again after fork) and holds its lock on a
dedicated connection; a keeper thread takes the same lock again on a new session
if a DBA or a restart ends it. An owner is dead once its lock has been free for
DEAD_AFTER_SECONDS. The keys and connection settings are in `pg_coord`.

psycopg is imported at call time only: `workbench --help` never loads it.
"""

from __future__ import annotations

import logging
import os
import secrets
import select
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

from workbench.domain.errors import StoreUnavailable, WorkbenchError
from workbench.store.pg_coord import (
    DEAD_AFTER_SECONDS,
    HELD_REGISTRY_SQL,
    KEEPER_POLL_SECONDS,
    KEEPER_RETRY_SECONDS,
    LOOKS_KEPT_SECONDS,
    PROCESS_APP_PREFIX,
    RELOCK_SECONDS,
    app_name,
    close_quietly,
    describe_store,
    error_text,
    pg_connect,
    registry_key,
    token_of,
    usable,
)

if TYPE_CHECKING:
    from psycopg import Connection

log = logging.getLogger(__name__)


class PgProcessRegistry:
    """This process's entry in a store's registry: a session advisory lock held for life.

    One connection per process (made on first use, again after fork) holds the
    lock and answers `is_dead`. If that connection breaks while the process
    runs, a keeper thread connects again at once and takes the same lock (same
    token, same owner); only if another session holds it meanwhile does the
    next `owner()` register under a new token.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._conn: Connection[Any] | None = None
        self._owner = ""
        self._keeper: threading.Thread | None = None
        self._seen: list[tuple[float, frozenset[int]]] = []  # is_dead's recent looks

    def owner(self) -> str:
        """`host:pid:token` of this process, registering it if need be (once more on a new
        session if the server ends this one meanwhile); StoreUnavailable if it cannot."""
        import psycopg  # deferred: only team mode pays for it

        with self._lock:
            for attempt in (1, 2):
                try:
                    conn = self._session()
                    if not self._owner:
                        self._register(conn)
                    return self._owner
                except psycopg.Error as error:
                    if attempt == 2:
                        raise StoreUnavailable(
                            f"cannot register this process with the store "
                            f"{describe_store(self.url)} ({error_text(error, self.url)})"
                        ) from None
        raise AssertionError("unreachable")

    def _session(self) -> Connection[Any]:
        """This process's connection, made anew after a fork or a break (a break keeps
        this process's token: its lock is taken again on the new session)."""
        if self._pid == os.getpid() and usable(self._conn):
            assert self._conn is not None
            return self._conn
        if self._pid == os.getpid():
            close_quietly(self._conn)
            self._conn = None
        else:
            # After a fork the parent's connection is only dropped: psycopg does not end
            # a session from a process that did not open it, so the parent keeps its lock.
            self._conn, self._pid, self._owner = None, None, ""
        host = socket.gethostname()
        self._conn = pg_connect(
            self.url, application_name=app_name(PROCESS_APP_PREFIX, host, os.getpid())
        )
        self._pid = os.getpid()
        if self._owner:
            self._relock(self._conn)
        return self._conn

    def _relock(self, conn: Connection[Any]) -> None:
        """Take this process's lock again on a new session; its ending session may hold it
        a moment longer. Given up (a new token at the next `owner()`) if still held then."""
        token = self._owner.rsplit(":", 1)[1]
        deadline = time.monotonic() + RELOCK_SECONDS
        while True:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (registry_key(token),)).fetchone()
            if row and row[0]:
                return
            if time.monotonic() >= deadline:
                log.debug("the registry lock of %s stayed taken; registering anew", self._owner)
                self._owner = ""
                return
            time.sleep(KEEPER_RETRY_SECONDS)

    def _register(self, conn: Connection[Any]) -> None:
        for _attempt in range(8):
            token = secrets.token_hex(8)
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (registry_key(token),)).fetchone()
            if row and row[0]:
                self._owner = f"{socket.gethostname()}:{os.getpid()}:{token}"
                self._start_keeper()
                return
        raise StoreUnavailable("cannot register this process in the store's registry")

    # -- the keeper ------------------------------------------------------------------

    def _start_keeper(self) -> None:
        """A keeper for this registration (one before it, if any, ends on seeing it)."""
        self._keeper = threading.Thread(
            target=self._keep, name="lease-workbench registry", daemon=True
        )
        self._keeper.start()

    def _keep(self) -> None:
        """While this process is registered: wait on its session's socket (the server
        speaks on an idle session only to end it), and when it ends take the lock again."""
        import psycopg  # deferred: only team mode pays for it

        me = threading.current_thread()
        while True:
            # Read without the lock (it is taken only when the session speaks, so a fork
            # elsewhere in the process rarely finds it held).
            if self._keeper is not me or not self._owner or self._pid != os.getpid():
                return  # closed, or registered anew with a keeper of its own
            conn = self._conn
            try:
                if conn is not None and not conn.closed:
                    if not select.select([conn.fileno()], [], [], KEEPER_POLL_SECONDS)[0]:
                        continue
                else:
                    time.sleep(KEEPER_RETRY_SECONDS)  # the last reconnect failed
            except (OSError, ValueError, psycopg.Error):
                pass  # closed under us: _session() below decides
            with self._lock:
                if self._keeper is not me or not self._owner or self._pid != os.getpid():
                    return
                try:
                    self._session()  # nothing if it is fine; else connect and take the lock
                except (psycopg.Error, WorkbenchError) as error:
                    # Quiet: the store's own reads and writes say the server is gone.
                    log.debug(
                        "cannot keep this process registered: %s", error_text(error, self.url)
                    )
                    conn = None
            if conn is None:
                time.sleep(KEEPER_RETRY_SECONDS)

    # -- others ----------------------------------------------------------------------

    def is_dead(self, owner: str | None) -> bool:
        """True if `owner` no longer runs: its registry lock is free, and has been free
        for DEAD_AFTER_SECONDS (or it has none). A live owner whose session was cut takes
        its lock again within that time.

        Each call reads every registry lock held (one query) and keeps what it saw for
        a few seconds, so an owner found free that was already free in an earlier look
        (a worker's previous sweep, another owner's wait) is confirmed without waiting.
        """
        if not owner:
            return True
        token = token_of(owner)
        if token is None:
            # `host:pid`, from before the registry: never registered in a shared store.
            return True
        if owner == self._owner and self._pid == os.getpid():
            return False
        key = registry_key(token)
        while True:
            seen = self._look(owner)
            if seen is None or key in seen[-1][1]:
                return False
            free_since = seen[-1][0]
            for when, held in reversed(seen):
                if key in held:
                    break
                free_since = when
            wait = free_since + DEAD_AFTER_SECONDS - time.monotonic()
            if wait <= 0:
                return True
            time.sleep(wait)

    def _look(self, owner: str) -> list[tuple[float, frozenset[int]]] | None:
        """The registry locks held now, after those of the last few seconds' looks (oldest
        first, with when); None if the server cannot tell (taken as alive, as for an
        unreadable registry file)."""
        import psycopg  # deferred: only team mode pays for it

        with self._lock:
            try:
                rows = self._session().execute(HELD_REGISTRY_SQL).fetchall()
            except (psycopg.Error, WorkbenchError) as error:
                log.warning("cannot check owner %s: %s", owner, error_text(error, self.url))
                return None
            now = time.monotonic()
            self._seen = [look for look in self._seen if now - look[0] <= LOOKS_KEPT_SECONDS]
            self._seen.append((now, frozenset(int(row[0]) for row in rows)))
            return list(self._seen)

    def sweep(self) -> int:
        """Nothing to remove: the server drops a lock when its session ends."""
        return 0

    def close(self) -> None:
        """Leave the registry (closing the session frees its lock)."""
        with self._lock:
            if self._pid == os.getpid():
                close_quietly(self._conn)
            self._conn = self._pid = None
            self._owner = ""
            self._keeper = None


# -- the worker lock -----------------------------------------------------------------
