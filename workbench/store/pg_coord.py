"""Coordination between processes on a shared PostgreSQL store (team mode).

The PostgreSQL twins of the file locks beside a SQLite store, with the same
public API: `PgProcessRegistry` (owners of leases mid-issue or mid-revoke)
and `PgWorkerLock` (one revoker per store), plus the revoker's status row.
Both rest on SESSION-level advisory locks, which the server drops when the
session ends, however it ends:

- a holder process killed (kill -9) or exiting: its socket closes, the server
  ends the session and frees its locks at once;
- a live process whose registry session ends under it (a DBA's
  pg_terminate_backend, a server restart): a keeper thread sees the session go
  and takes the same lock again on a new one, at once, so the owner it wrote on
  leases mid-issue or mid-revoke stays alive. So that nobody takes over such a
  lease in that moment, an owner is dead only if its lock is still free
  DEAD_AFTER_SECONDS after it was first seen free;
- a holder machine that vanishes from the network: the lock connection asks
  the server for TCP keepalives (`tcp_keepalives_idle` 5 s, `_interval` 2 s,
  `_count` 3) and `tcp_user_timeout` 10000 ms, so the server ends the session,
  freeing the lock, about 5 + 2 * 3 = 11 s after the last packet it received
  (10 s after data it sent went unacknowledged);
- the holder's own side: the same keepalives client-side (keepalives_idle=5,
  keepalives_interval=2, keepalives_count=3) and a client `tcp_user_timeout`
  of 5000 ms, so `still_held()` (a `SELECT 1`, run each pass) fails within
  about 5 s of the network going, before the server frees the lock (~11 s) and
  a standby takes over: the old leader has stopped by then (measured with the
  holder's link cut between two network namespaces: 5.4 s and 10.3 s). A DBA's
  `pg_terminate_backend` is noticed at the next `still_held()`.

Advisory locks are per database, so each store (one database) has its own.
Keys are bigints with a 16-bit namespace in the high bits (pg_locks shows them
as classid = high 32 bits, objid = low 32 bits, objsubid = 1): the registry's
namespace is REGISTRY_NAMESPACE with 48 random bits of the owner's token below
it (a live clash is retried with a new token; a dead owner's key taken by a
live one is a 2^-48 chance per check); the worker's key is WORKER_KEY. The
session locks need a direct connection (or a pooler in session mode).

psycopg is imported at call time only: `workbench --help` never loads it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import select
import socket
import threading
import time
import urllib.parse
from typing import TYPE_CHECKING, Any

from workbench.domain.errors import InvalidInput, StoreUnavailable, WorkbenchError

if TYPE_CHECKING:
    from psycopg import Connection

log = logging.getLogger(__name__)

REGISTRY_NAMESPACE = 0x5752  # "WR": keys 0x5752_xxxx_xxxx_xxxx, one per live process
WORKER_KEY = 0x5757_0000_0000_0001  # "WW": the revoker's lock
_KEY_BITS = 48
CONNECT_TIMEOUT_SECONDS = 10
KEEPALIVE = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}
CLIENT_USER_TIMEOUT_MS = 5000
SERVER_KEEPALIVE_SQL = (
    "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; "
    "SET tcp_keepalives_count = 3; SET tcp_user_timeout = 10000"
)
WORKER_APP_PREFIX = "lease-workbench worker "
PROCESS_APP_PREFIX = "lease-workbench process "
_APP_NAME_MAX = 63  # NAMEDATALEN - 1: the server truncates longer names
# A free registry lock means its owner died only if it is still free this long after it
# was first seen free: a live owner's keeper takes it again within milliseconds.
DEAD_AFTER_SECONDS = 1.0
# How long a lost session's lock may still be held by its ending backend (pg_terminate_backend
# returns before the backend has gone): the keeper retries taking it this long.
RELOCK_SECONDS = 3.0
KEEPER_RETRY_SECONDS = 0.1
LOOKS_KEPT_SECONDS = 10.0
KEEPER_POLL_SECONDS = 1.0
_TOKEN_CHARS = frozenset("0123456789abcdef")

_LOCK_MATCH = (
    "l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND l.classid = %s::bigint::oid AND l.objid = %s::bigint::oid"
)
# Every registry lock held in this database, as its bigint key.
_HELD_REGISTRY_SQL = (
    "SELECT (l.classid::bigint << 32) | l.objid::bigint FROM pg_locks l"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    f" AND l.classid::bigint >> 16 = {REGISTRY_NAMESPACE}"
)
_HOLDER_SQL = (
    "SELECT a.application_name, extract(epoch FROM a.backend_start)::float8,"
    " host(a.client_addr), a.client_port, l.pid"
    f" FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE {_LOCK_MATCH}"
)


# -- connections -----------------------------------------------------------------


def describe_store(url: str) -> str:
    """The store's URL as it may be shown: without its password."""
    return _scrub(url, url)


def _scrub(text: str, url: str) -> str:
    """`text` with every form of `url`'s password replaced by ***."""
    hidden: set[str] = set()
    with contextlib.suppress(ValueError):
        password = urllib.parse.urlsplit(url).password if "://" in url else None
        if password:
            hidden |= {password, urllib.parse.unquote(password)}
    for match in re.finditer(r"password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s&]+)", url):
        hidden |= {match.group(1), match.group(1).strip("'")}
    for value in sorted((value for value in hidden if value), key=len, reverse=True):
        text = text.replace(value, "***")
    text = re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)", r"\1***", text)


def pg_connect(
    url: str, *, application_name: str | None = None, lock: bool = False
) -> Connection[Any]:
    """An autocommit connection; a lock connection also gets the keepalives (module doc)."""
    import psycopg  # deferred: only team mode pays for it

    options: dict[str, Any] = {"autocommit": True}
    try:
        given = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError as error:
        raise InvalidInput(f"the store URL is not valid ({error_text(error, url)})") from None
    if "connect_timeout" not in given:
        options["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    if application_name:
        options["application_name"] = application_name
    if lock:
        options.update(KEEPALIVE, tcp_user_timeout=CLIENT_USER_TIMEOUT_MS)
    try:
        conn = psycopg.connect(url, **options)
        if lock:
            try:
                conn.execute(SERVER_KEEPALIVE_SQL)
            except psycopg.Error:
                conn.close()
                raise
    except psycopg.Error as error:
        raise StoreUnavailable(
            f"cannot reach the PostgreSQL store {describe_store(url)} ({error_text(error, url)})"
        ) from None
    return conn


def error_text(error: Exception, url: str) -> str:
    """An error's text on one line, without the URL's password."""
    text = re.sub(r"^connection is bad:\s*", "", str(error).strip())
    return " ".join(_scrub(text, url).split()) or type(error).__name__


def _usable(conn: Connection[Any] | None) -> bool:
    """Whether `conn`'s session goes on: free unless something arrived on the idle socket
    (a DBA's pg_terminate_backend, a server shutting down), then a `SELECT 1`."""
    import psycopg  # deferred: only team mode pays for it

    if conn is None or conn.closed or conn.broken:
        return False
    if not select.select([conn.fileno()], [], [], 0)[0]:
        return True
    try:
        conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def _close_quietly(conn: Connection[Any] | None) -> None:
    if conn is not None:
        with contextlib.suppress(Exception):
            conn.close()


def _app_name(prefix: str, host: str, pid: int) -> str:
    """`prefix host:pid` in the server's 63 ASCII characters (the host is cut, never the pid)."""
    room = _APP_NAME_MAX - len(prefix) - len(f":{pid}")
    return f"{prefix}{printable_name(host)[: max(room, 0)]}:{pid}"


def printable_name(text: str) -> str:
    """`text` as the server keeps an application_name: printable ASCII, others as ?."""
    return "".join(ch if " " <= ch <= "~" else "?" for ch in text)


def _key_parts(key: int) -> tuple[int, int]:
    """pg_locks' classid and objid of a bigint advisory key."""
    return (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF


def is_granted(conn: Connection[Any], key: int) -> bool:
    row = conn.execute(f"SELECT count(*) FROM pg_locks l WHERE {_LOCK_MATCH}", _key_parts(key))
    found = row.fetchone()
    return bool(found and found[0])


# -- the process registry -----------------------------------------------------------


def registry_key(token: str) -> int:
    """The advisory key of a registry token (its low 48 bits under the namespace)."""
    return (REGISTRY_NAMESPACE << _KEY_BITS) | (int(token, 16) & ((1 << _KEY_BITS) - 1))


def _token_of(owner: str) -> str | None:
    head, _, token = owner.rpartition(":")
    if len(token) == 16 and set(token) <= _TOKEN_CHARS and head.count(":") >= 1:
        return token
    return None


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
        if self._pid == os.getpid() and _usable(self._conn):
            assert self._conn is not None
            return self._conn
        if self._pid == os.getpid():
            _close_quietly(self._conn)
            self._conn = None
        else:
            # After a fork the parent's connection is only dropped: psycopg does not end
            # a session from a process that did not open it, so the parent keeps its lock.
            self._conn, self._pid, self._owner = None, None, ""
        host = socket.gethostname()
        self._conn = pg_connect(
            self.url, application_name=_app_name(PROCESS_APP_PREFIX, host, os.getpid())
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
        token = _token_of(owner)
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
                rows = self._session().execute(_HELD_REGISTRY_SQL).fetchall()
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
                _close_quietly(self._conn)
            self._conn = self._pid = None
            self._owner = ""
            self._keeper = None


# -- the worker lock -----------------------------------------------------------------


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
        if _usable(self._conn):
            return
        self._drop()
        name = _app_name(WORKER_APP_PREFIX, socket.gethostname(), os.getpid())
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
            if _usable(self._conn):
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
        _close_quietly(self._conn)
        self._conn = None
        self._held = False


def find_holder(conn: Connection[Any], key: int = WORKER_KEY) -> dict[str, Any] | None:
    """Who holds advisory lock `key` in this database, from pg_locks and pg_stat_activity."""
    row = conn.execute(_HOLDER_SQL, _key_parts(key)).fetchone()
    if row is None:
        return None
    app_name, since, address, port, backend_pid = row
    host: str | None = None
    pid: int | None = None
    if isinstance(app_name, str) and app_name.startswith(WORKER_APP_PREFIX):
        host, _, pid_text = app_name[len(WORKER_APP_PREFIX) :].rpartition(":")
        pid = int(pid_text) if pid_text.isascii() and pid_text.isdigit() else None
    client = f"{address}:{port}" if address else ("local socket" if port == -1 else None)
    return {"host": host, "pid": pid, "since": since, "client": client, "backend_pid": backend_pid}
