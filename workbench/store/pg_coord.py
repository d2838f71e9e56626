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
import re
import select
import urllib.parse
from typing import TYPE_CHECKING, Any

from workbench.domain.errors import InvalidInput, StoreUnavailable

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

LOCK_MATCH = (
    "l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND l.classid = %s::bigint::oid AND l.objid = %s::bigint::oid"
)
# Every registry lock held in this database, as its bigint key.
HELD_REGISTRY_SQL = (
    "SELECT (l.classid::bigint << 32) | l.objid::bigint FROM pg_locks l"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    f" AND l.classid::bigint >> 16 = {REGISTRY_NAMESPACE}"
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


def usable(conn: Connection[Any] | None) -> bool:
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


def close_quietly(conn: Connection[Any] | None) -> None:
    if conn is not None:
        with contextlib.suppress(Exception):
            conn.close()


def app_name(prefix: str, host: str, pid: int) -> str:
    """`prefix host:pid` in the server's 63 ASCII characters (the host is cut, never the pid)."""
    room = _APP_NAME_MAX - len(prefix) - len(f":{pid}")
    return f"{prefix}{printable_name(host)[: max(room, 0)]}:{pid}"


def printable_name(text: str) -> str:
    """`text` as the server keeps an application_name: printable ASCII, others as ?."""
    return "".join(ch if " " <= ch <= "~" else "?" for ch in text)


def key_parts(key: int) -> tuple[int, int]:
    """pg_locks' classid and objid of a bigint advisory key."""
    return (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF


def is_granted(conn: Connection[Any], key: int) -> bool:
    row = conn.execute(f"SELECT count(*) FROM pg_locks l WHERE {LOCK_MATCH}", key_parts(key))
    found = row.fetchone()
    return bool(found and found[0])


# -- the process registry -----------------------------------------------------------


def registry_key(token: str) -> int:
    """The advisory key of a registry token (its low 48 bits under the namespace)."""
    return (REGISTRY_NAMESPACE << _KEY_BITS) | (int(token, 16) & ((1 << _KEY_BITS) - 1))


def token_of(owner: str) -> str | None:
    head, _, token = owner.rpartition(":")
    if len(token) == 16 and set(token) <= _TOKEN_CHARS and head.count(":") >= 1:
        return token
    return None
