"""One write transaction on a pinned PostgreSQL connection, its statements sent in batches.

Nothing is sent until an answer is needed: a query's rows, a write's row count,
the COMMIT. Then everything queued goes in one pipeline, one round trip: BEGIN,
the write lock and the data-key guard with the first statement, a write with
whatever follows it. A write transaction of one statement is one round trip;
an audit append (its link read, then its row and COMMIT) two.

Until the first answer comes back nothing of the transaction has reached the
server, so a connection the server dropped while idle in the pool is replaced
and the same statements sent again, once. An error surfaces with the answer
that carried it (for a write, at the latest with the COMMIT); the transaction
is then rolled back whole, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from workbench.domain.errors import WorkbenchError

Send = Callable[[psycopg.Connection[Any]], psycopg.Cursor[Any]]


class Pending:
    """A queued statement's cursor, there once its batch was sent and answered."""

    __slots__ = ("cursor",)

    def __init__(self) -> None:
        self.cursor: psycopg.Cursor[Any] | None = None

    def answered(self) -> psycopg.Cursor[Any]:
        assert self.cursor is not None, "read before its batch was sent"
        return self.cursor


class Outcome:
    """What a write did: `rowcount` rows (read, it sends what is queued); `lastrowid` is None
    (pass keys explicitly)."""

    __slots__ = ("_pending", "_settle")
    lastrowid = None

    def __init__(self, pending: Pending, settle: Callable[[], None]) -> None:
        self._pending, self._settle = pending, settle

    @property
    def rowcount(self) -> int:
        if self._pending.cursor is None:
            self._settle()
        return self._pending.answered().rowcount


def lost(conn: psycopg.Connection[Any]) -> bool:
    return bool(conn.closed or conn.broken)


class Batches:
    """The statements of one transaction, queued and sent a batch at a time."""

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        opening: list[Send],
        *,
        replace: Callable[[psycopg.Connection[Any]], psycopg.Connection[Any]],
        error: Callable[[BaseException], WorkbenchError],
    ) -> None:
        self.conn = conn
        self._queue: list[tuple[Send, Pending]] = [(send, Pending()) for send in opening]
        self._replace = replace  # gives back a dead connection, returns a fresh one
        self._error = error
        self.statements = 0  # the caller's, beyond the opening ones
        self.sent = False  # something reached (or may have reached) the server
        self._answered = False

    def send(self, send: Send, *, answer: bool) -> Pending:
        """Queue `send`; with `answer`, send everything queued now and read the answers."""
        pending = Pending()
        self._queue.append((send, pending))
        self.statements += 1
        if answer:
            self.settle()
        return pending

    def settle(self) -> None:
        """Send what is queued, in one pipeline, and read every answer; the first error
        raised as the domain error."""
        if not self._queue:
            return
        queue, self._queue = self._queue, []
        for attempt in (1, 2):
            self.sent = True
            try:
                with self.conn.pipeline():
                    for send, pending in queue:
                        pending.cursor = send(self.conn)
            except psycopg.Error as error:
                if attempt == 1 and not self._answered and lost(self.conn):
                    self.conn = self._replace(self.conn)
                    continue
                raise self._error(error) from error
            self._answered = True
            return

    def direct(self) -> psycopg.Connection[Any]:
        """The connection with everything queued sent (BEGIN first): for a script or a
        server-side cursor, which cannot go in a pipeline. It counts as a statement."""
        self.statements += 1
        self.settle()
        return self.conn

    def commit(self) -> None:
        """COMMIT with whatever is still queued; nothing at all if no statement ran."""
        if self.statements:
            self.send(lambda conn: conn.execute(b"COMMIT"), answer=True)


# What the data-key guard's failure says (its statement casts this text, with the
# store's key id, to an integer: a server-side error that rolls the transaction back).
GUARD_MARK = "lease-workbench: the store's data key was replaced"


@dataclass(frozen=True)
class Guard:
    """A statement sent with every write transaction's BEGIN that fails it on the server
    (`sql`, with `params()` at BEGIN), and the error to raise then (`refusal()`)."""

    sql: str
    params: Callable[[], tuple[Any, ...]]
    refusal: Callable[[], WorkbenchError]
