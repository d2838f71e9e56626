"""The revoker's health in a shared PostgreSQL store, for `workbench status` (team mode).

The twin of `workbench.worker.status`'s file: the leader replaces one row of
`worker_status` about once a second (who it is, since when, its last pass,
what was due, what it set aside, its recent errors); reading it needs the
database's credentials only, no passphrase. It holds no secret. Whether a
revoker runs comes from the advisory lock (`pg_coord`), not from the row.

psycopg is imported at call time only: `workbench --help` never loads it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workbench.domain.errors import StoreUnavailable, WorkbenchError
from workbench.store.pg_coord import (
    WORKER_KEY,
    describe_store,
    error_text,
    is_granted,
    pg_connect,
    printable_name,
)
from workbench.store.pg_worker_lock import find_holder
from workbench.store.worker_lock import judge_health

if TYPE_CHECKING:
    from psycopg import Connection

STATUS_TABLE_DDL = """CREATE TABLE IF NOT EXISTS worker_status (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL,
    written_time DOUBLE PRECISION NOT NULL
)"""
STALE_AFTER_SECONDS = 15.0
MAX_STATUS_BYTES = 1 << 20
# The fields `workbench.worker.status.WorkerStatus` writes: present (None if missing).
STATUS_FIELDS = (
    "pid", "host", "started", "last_pass", "passes", "due", "in_flight", "revoked",
    "unreadable", "errors", "stopped",
)  # fmt: skip
_REPORT_KEYS = frozenset({"running", "home", "holder", "healthy", "problem", "last_pass_age"})

_UPSERT_STATUS = (
    "INSERT INTO worker_status (id, body, written_time)"
    " VALUES (1, %s, extract(epoch FROM clock_timestamp())::float8)"
    " ON CONFLICT (id) DO UPDATE SET body = excluded.body, written_time = excluded.written_time"
)
_READ_STATUS = (
    "SELECT body, written_time, extract(epoch FROM clock_timestamp())::float8"
    " FROM worker_status WHERE id = 1"
)


def pg_lock_is_held(url: str) -> bool:
    """Whether some process holds the store's worker lock (StoreUnavailable if unreachable)."""
    import psycopg  # deferred: only team mode pays for it

    with pg_connect(url) as conn:
        try:
            return is_granted(conn, WORKER_KEY)
        except psycopg.Error as error:
            raise StoreUnavailable(
                f"cannot read the worker lock of {describe_store(url)} ({error_text(error, url)})"
            ) from None


def write_pg_status(target: str | Connection[Any], status: Mapping[str, Any]) -> None:
    """Replace the status row whole (one statement: a reader never sees half of it).

    `target` is a URL (a connection for this write) or an open connection (the
    leader's every-second write should reuse one). The row's time is the
    server's clock; `written` in the body is the writer's, so a reader on
    another machine measures ages without trusting clocks to agree.
    """
    import psycopg  # deferred: only team mode pays for it

    if isinstance(target, str):
        with pg_connect(target) as conn:
            write_pg_status(conn, status)
        return
    body = json.dumps({**status, "written": time.time()}, sort_keys=True)
    try:
        with target.transaction():
            target.execute(_UPSERT_STATUS, (body,))
    except psycopg.errors.UndefinedTable:
        with target.transaction():
            target.execute(STATUS_TABLE_DDL)
            target.execute(_UPSERT_STATUS, (body,))


def read_pg_status(url: str, *, now: float | None = None) -> dict[str, Any]:
    """The revoker's state as `workbench status` reports it (never raises on a bad row).

    The shape of `workbench.worker.status.read_status`, with `home` the store's
    URL without its password, `holder` (host, pid, since, client) and
    `last_pass_age` (seconds, by the server's clock). `now` stands for the
    server's clock (tests).
    """
    import psycopg  # deferred: only team mode pays for it

    report: dict[str, Any] = {"running": False, "home": describe_store(url), "holder": None}
    try:
        with pg_connect(url) as conn:
            report["holder"] = holder = find_holder(conn)
            report["running"] = holder is not None
            row = _status_row(conn, report)
    except (psycopg.Error, WorkbenchError) as error:
        report["healthy"] = False
        report["problem"] = f"the store cannot be read: {error_text(error, url)}"
        return report
    if row is not None:
        last, written_time, server_now = row
        report.update(dict.fromkeys(STATUS_FIELDS))
        report.update({key: value for key, value in last.items() if key not in _REPORT_KEYS})
        age = (server_now if now is None else now) - written_time
        written, last_pass = last.get("written"), last.get("last_pass")
        if isinstance(last_pass, int | float):
            lag = written - last_pass if isinstance(written, int | float) else 0.0
            report["last_pass_age"] = age + lag
    pass_age = report.get("last_pass_age")
    fresh = isinstance(pass_age, int | float) and pass_age <= STALE_AFTER_SECONDS
    holder = report["holder"]
    if holder is not None and holder["pid"] is not None and row is not None:
        # A row left by the previous leader says nothing about the one holding the lock now.
        same_host = printable_name(str(report.get("host"))).startswith(holder["host"] or "")
        fresh = fresh and same_host and report.get("pid") == holder["pid"]
    running = report["running"]
    return judge_health(report, running=running, fresh=fresh)


def _status_row(
    conn: Connection[Any], report: dict[str, Any]
) -> tuple[dict[str, Any], float, float] | None:
    """The status body, its server write time and the server's now; None if none or bad."""
    import psycopg  # deferred: only team mode pays for it

    try:
        row = conn.execute(_READ_STATUS).fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    if row is None:
        return None
    body, written_time, server_now = row
    try:
        if len(body) > MAX_STATUS_BYTES:
            raise ValueError(f"larger than {MAX_STATUS_BYTES} bytes")
        last = json.loads(body)
        if not isinstance(last, dict):
            raise ValueError("not an object")
    except ValueError as error:
        report["status_file_error"] = f"the worker_status row cannot be read ({error})"
        return None
    return last, written_time, server_now
