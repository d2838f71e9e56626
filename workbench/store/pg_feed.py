"""The team store's change feed: a counter moved by PostgreSQL's NOTIFY, without polling.

Triggers on the store's tables (see pg_schema) call `pg_notify` on every
write; the notification reaches listeners when the writer commits. One
daemon thread keeps a dedicated connection that LISTENs and sleeps in
`select()` until the server speaks: each notification moves the counter.
When that connection is lost the thread reconnects (backing off), and moves
the counter once more on coming back, since anything may have changed while
nobody listened. Live panes compare the counter with the one they last saw.
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import pq

_FIRST_RETRY_SECONDS = 0.5
_LAST_RETRY_SECONDS = 15.0


class ChangeFeed:
    """A counter of the writes committed to one store, by any process."""

    def __init__(self, connect: Callable[[], psycopg.Connection[Any]], channel: str) -> None:
        if not channel.isidentifier():
            raise ValueError(f"channel {channel!r} is not a plain identifier")
        self._connect = connect
        self._channel = channel
        self._count = 0
        self._changed = threading.Condition()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closing = False
        self._wake_r = self._wake_w = -1

    def token(self) -> int:
        """The counter; the first call starts listening before it returns."""
        self._start()
        with self._changed:
            return self._count

    def wait(self, since: int, timeout: float) -> int:
        """The counter once it differs from `since`, or when `timeout` seconds have passed."""
        self._start()
        with self._changed:
            self._changed.wait_for(lambda: self._count != since or self._closing, timeout)
            return self._count

    def close(self) -> None:
        """Stop listening (at once: the thread is woken, not waited out)."""
        with self._start_lock:
            self._closing = True
            thread = self._thread
            if thread is not None:
                os.write(self._wake_w, b"x")
        with self._changed:
            self._changed.notify_all()
        if thread is not None:
            thread.join(timeout=5)
            os.close(self._wake_r)
            os.close(self._wake_w)

    # -- the listening thread ---------------------------------------------------------

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is not None or self._closing:
                return
            try:
                # Listening before the first token is handed out: a write committed
                # after it always moves the counter.
                conn: psycopg.Connection[Any] | None = self._listen()
            except psycopg.Error:
                conn = None  # the thread keeps trying; reads report the server's state
            self._wake_r, self._wake_w = os.pipe()
            self._thread = threading.Thread(
                target=self._run, args=(conn,), name="lease-workbench changes", daemon=True
            )
            self._thread.start()

    def _listen(self) -> psycopg.Connection[Any]:
        conn = self._connect()
        try:
            conn.execute(f"LISTEN {self._channel}".encode())
        except BaseException:
            conn.close()
            raise
        return conn

    def _bump(self, count: int = 1) -> None:
        with self._changed:
            self._count += count
            self._changed.notify_all()

    def _sleep(self, seconds: float) -> None:
        """Wait, unless `close` wakes the thread first."""
        select.select([self._wake_r], [], [], seconds)

    def _run(self, conn: psycopg.Connection[Any] | None) -> None:
        delay = _FIRST_RETRY_SECONDS
        while not self._closing:
            if conn is None:
                try:
                    conn = self._listen()
                except psycopg.Error:
                    self._sleep(delay)
                    delay = min(delay * 2, _LAST_RETRY_SECONDS)
                    continue
                delay = _FIRST_RETRY_SECONDS
                self._bump()  # writes may have been missed while nobody listened
            try:
                self._receive(conn)
            except (psycopg.Error, OSError, ValueError):
                conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def _receive(self, conn: psycopg.Connection[Any]) -> None:
        """Sleep until the server speaks (or `close`), then count its notifications."""
        select.select([conn.fileno(), self._wake_r], [], [])
        if self._closing:
            return
        pgconn = conn.pgconn
        pgconn.consume_input()  # raises once the server has closed the connection
        count = 0
        while pgconn.notifies() is not None:
            count += 1
        if pgconn.status == pq.ConnStatus.BAD:
            raise psycopg.OperationalError("the listening connection was lost")
        if count:
            self._bump(count)
