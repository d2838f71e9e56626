"""Team mode's connection: the repositories' SQL on a pool of PostgreSQL connections.

`PgConnection` offers what `sqlite.Connection` offers the repositories
(execute, query, iterate, transaction), so the same repository classes run on
both. Reads borrow any pooled connection (autocommit) and are retried once on
a fresh one if the server dropped it. A write transaction pins one connection
to its thread; its statements go in batches (`pg_pipeline`), the first taking
the store's write lock, an advisory lock, before anything else of it runs, so
writers queue as SQLite's BEGIN IMMEDIATE makes them: the audit chain's head
and every claim are read and written under it. Nested transactions join the
outer one.

Every psycopg error that leaves here is a domain error naming the server by
its URL without the password. This module (and psycopg) loads only when a
PostgreSQL store is opened.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import psycopg.errors
from psycopg.types.numeric import Int8Dumper
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from workbench.domain.errors import StoreUnavailable, WorkbenchError
from workbench.store.pg_errors import LOCK_TIMEOUT_SECONDS, domain_error, reason
from workbench.store.pg_feed import ChangeFeed
from workbench.store.pg_pipeline import GUARD_MARK, Batches, Guard, Outcome, Send, lost
from workbench.store.pg_schema import CHANNEL
from workbench.store.pg_sql import redact_url, to_psycopg

# psycopg's and its pool's own warnings (a connection dropped, a reconnect, a pipeline
# ended by a lost connection) go to the application's logging if it has some, never as
# bare lines on a command's stderr.
logging.getLogger("psycopg").addHandler(logging.NullHandler())

# The store's write lock: every write transaction holds it (pg_advisory_xact_lock),
# so two processes' writes never interleave. The bytes spell "LWstore!".
STORE_WRITE_LOCK = int.from_bytes(b"LWstore!", "big")
_BEGIN = b"BEGIN"
_LOCK = f"SELECT pg_advisory_xact_lock({STORE_WRITE_LOCK})".encode()
CONNECT_TIMEOUT_SECONDS = 10
POOL_MAX = 8
IDLE = psycopg.pq.TransactionStatus.IDLE


def connection_kwargs(connect_timeout: int = CONNECT_TIMEOUT_SECONDS) -> dict[str, Any]:
    """libpq options for every connection: a bounded connect, TCP keepalives, a name in
    pg_stat_activity saying which machine and process holds it."""
    return {
        "connect_timeout": connect_timeout,
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "application_name": f"lease-workbench {socket.gethostname()}:{os.getpid()}"[:63],
    }


def _cursor_rows(
    conn: psycopg.Connection[Any], name: str, sql: str, params: Any, batch: int
) -> Iterator[tuple[Any, ...]]:
    with conn.cursor(name=name) as cursor:
        cursor.execute(sql, params or ())
        while rows := cursor.fetchmany(batch):
            yield from rows


def _configure(conn: psycopg.Connection[Any]) -> None:
    """Each new pooled connection: booleans stored as 0/1 (as SQLite stores them), and a
    bounded wait for the write lock."""
    conn.adapters.register_dumper(bool, Int8Dumper)
    conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_SECONDS}s'")


class PgConnection:
    """A pool of connections to one PostgreSQL store, shaped like `sqlite.Connection`."""

    dialect = "postgresql"

    def __init__(
        self, url: str, *, max_size: int = POOL_MAX, connect_timeout: int = CONNECT_TIMEOUT_SECONDS
    ) -> None:
        self._url = url
        self.where = redact_url(url)
        # Sent with every write transaction's BEGIN and write lock: a statement that fails
        # the transaction on the server when the store's data key is no longer this
        # process's (so even a COMMIT sent in the same batch rolls back), its parameters
        # then, and the error to raise for it.
        self.guard: Guard | None = None
        self._kwargs = connection_kwargs(connect_timeout)
        self._local = threading.local()
        self._cursor_names = itertools.count(1)
        self._fresh_tokens = itertools.count(1)
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            kwargs={**self._kwargs, "autocommit": True},
            configure=_configure,
            open=False,
            name="lease-workbench",
            timeout=connect_timeout + LOCK_TIMEOUT_SECONDS,
            reconnect_timeout=connect_timeout * 6,
        )
        try:
            self._pool.open(wait=True, timeout=connect_timeout + 1)
        except PoolTimeout:
            self._pool.close(timeout=0)
            raise self._unreachable() from None
        self._feed = ChangeFeed(self._listen_connection, CHANNEL)

    # -- errors ------------------------------------------------------------------

    def _unreachable(self) -> StoreUnavailable:
        """Why no connection can be made, asked of libpq once more for its own words."""
        try:
            psycopg.connect(self._url, **self._kwargs).close()
        except psycopg.Error as error:
            return StoreUnavailable(
                f"cannot connect to the team store {self.where} ({reason(error, self._url)}); "
                "check that the server runs and that the store's URL is right"
            )
        return StoreUnavailable(f"cannot connect to the team store {self.where} (timed out)")

    def error(self, error: BaseException) -> WorkbenchError:
        """A psycopg or pool error as the domain error a user reads."""
        guard = self.guard
        if (
            guard is not None
            and isinstance(error, psycopg.errors.InvalidTextRepresentation)
            and GUARD_MARK in str(error)
        ):
            return guard.refusal()
        return domain_error(error, self.where, self._url)

    # -- connections --------------------------------------------------------------

    def _batches(self) -> Batches | None:
        """This thread's open write transaction, if any."""
        return getattr(self._local, "batches", None)

    def _pinned(self) -> psycopg.Connection[Any] | None:
        batches = self._batches()
        return batches.conn if batches is not None else None

    def _borrow(self) -> psycopg.Connection[Any]:
        try:
            return self._pool.getconn()
        except (PoolTimeout, PoolClosed) as error:
            raise self.error(error) from error

    def _give_back(self, conn: psycopg.Connection[Any]) -> None:
        try:
            self._pool.putconn(conn)
        except PoolClosed:
            conn.close()

    def _borrowed(self, work: Callable[[psycopg.Connection[Any]], Any]) -> Any:
        """`work` on a pooled connection; once more on a fresh one if the server dropped it."""
        for attempt in (1, 2):
            conn = self._borrow()
            try:
                return work(conn)
            except psycopg.Error as error:
                if attempt == 1 and lost(conn):
                    self._pool.check()  # drop the other dead ones too (a server restart)
                    continue
                raise self.error(error) from error
            finally:
                self._give_back(conn)
        raise AssertionError("unreachable")

    # -- statements ----------------------------------------------------------------

    def execute(self, sql: str, params: Any = ()) -> Outcome:
        """One statement; outside a transaction it is one (under the write lock). Inside one
        it is queued: sent with the next statement that needs an answer, or the COMMIT."""
        batches = self._batches()
        if batches is None:
            with self.transaction():
                return self.execute(sql, params)
        text = to_psycopg(sql)
        pending = batches.send(lambda conn: conn.execute(text, params or ()), answer=False)
        return Outcome(pending, batches.settle)

    def script(self, sql: str) -> None:
        """DDL as written (no placeholders), inside the current transaction (migrations)."""
        batches = self._batches()
        if batches is None:
            with self.transaction():
                self.script(sql)
            return
        conn = batches.direct()  # several statements in one string: not in a pipeline
        try:
            conn.execute(sql.encode())  # bytes: run as written, `%` and `$$` included
        except psycopg.Error as error:
            raise self.error(error) from error

    def query(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        """Rows in binary form: 10,000 leases load in half the time their text takes."""
        text = to_psycopg(sql)

        def send(conn: psycopg.Connection[Any]) -> psycopg.Cursor[Any]:
            return conn.cursor(binary=True).execute(text, params or ())

        batches = self._batches()
        if batches is not None:
            return batches.send(send, answer=True).answered().fetchall()
        rows: list[tuple[Any, ...]] = self._borrowed(lambda conn: send(conn).fetchall())
        return rows

    def iterate(
        self, sql: str, params: Any = (), *, batch: int = 2000
    ) -> Iterator[tuple[Any, ...]]:
        """Rows of a long query batch by batch, through a server-side cursor."""
        text = to_psycopg(sql)
        name = f"wb_rows_{next(self._cursor_names)}"
        batches = self._batches()
        if batches is not None:
            conn = batches.direct()  # a server-side cursor: not in a pipeline
            try:
                yield from _cursor_rows(conn, name, text, params, batch)
            except psycopg.Error as error:
                raise self.error(error) from error
            return
        for attempt in (1, 2):
            conn = self._borrow()
            started = False
            try:
                with conn.transaction():
                    for row in _cursor_rows(conn, name, text, params, batch):
                        started = True
                        yield row
                return
            except psycopg.Error as error:
                if attempt == 1 and not started and lost(conn):
                    self._pool.check()
                    continue
                raise self.error(error) from error
            finally:
                self._give_back(conn)

    @contextmanager
    def lenient_text(self) -> Iterator[None]:
        """Nothing to do: the server keeps text valid UTF-8 (SQLite's may not be)."""
        yield

    # -- transactions ----------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction under the store's write lock; nested calls join the outer one.

        Its statements go in batches (`pg_pipeline.Batches`): BEGIN, the lock and the
        data-key guard with the first one that needs an answer; one that runs no
        statement sends nothing.
        """
        local = self._local
        if getattr(local, "depth", 0):
            local.depth += 1
            try:
                yield
            finally:
                local.depth -= 1
            return
        batches = Batches(self._borrow(), self._opening(), replace=self._replace, error=self.error)
        local.batches, local.depth = batches, 1
        try:
            yield
            batches.commit()
        except BaseException:
            conn = batches.conn
            if batches.sent and not lost(conn) and conn.info.transaction_status != IDLE:
                try:
                    conn.execute(b"ROLLBACK")
                except psycopg.Error:
                    conn.close()  # the pool discards it
            raise
        finally:
            local.batches, local.depth = None, 0
            self._give_back(batches.conn)

    def _opening(self) -> list[Send]:
        """What a write transaction sends first: BEGIN, the write lock, the data-key guard."""
        opening: list[Send] = [lambda conn: conn.execute(_BEGIN), lambda conn: conn.execute(_LOCK)]
        guard = self.guard
        if guard is not None:
            params = guard.params()
            opening.append(lambda conn: conn.execute(guard.sql, params))
        return opening

    def _replace(self, dead: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
        """A fresh connection for one the server dropped before the transaction's first
        answer (nothing of it had run)."""
        self._give_back(dead)
        self._pool.check()  # drop the other dead ones too (a server restart)
        return self._borrow()

    @contextmanager
    def lend(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled psycopg connection for SQL of the caller's own (autocommit, no write lock:
        the revoker's status row); its errors come out as domain errors."""
        conn = self._borrow()
        try:
            yield conn
        except psycopg.Error as error:
            raise self.error(error) from error
        finally:
            self._give_back(conn)

    # -- the change feed ------------------------------------------------------------

    def _listen_connection(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self._url, autocommit=True, **self._kwargs)

    def change_token(self) -> int:
        """Moves when any process commits a write to the store (LISTEN/NOTIFY, no polling).

        The first call starts listening; the token also moves when the listening
        connection comes back after a loss, as anything may have changed meanwhile.
        Inside a write transaction it is new at every call (negative, never seen
        before): a notification arrives a moment after its commit, and a writer
        under the write lock must act on everything committed (the audit writer's
        device list), so it reads again rather than trust the feed.
        """
        if self._pinned() is not None:
            return -next(self._fresh_tokens)
        return self._feed.token()

    def wait_for_change(self, since: int, timeout: float) -> int:
        """The change token once it differs from `since`, or after `timeout` seconds."""
        return self._feed.wait(since, timeout)

    def close(self) -> None:
        self._feed.close()
        self._pool.close()
