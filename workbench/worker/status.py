"""The revoker's health, in a small file beside its lock, for `workbench status`.

The leader rewrites `<home>/worker.status` (atomically, 0600) about once a
second: who it is, since when, its last pass, what was due, what it set aside
and its recent errors. Reading it needs no passphrase, so a service manager
can check the revoker without unlocking the store. It holds no secret.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.store.location import StoreLocation
from workbench.store.worker_lock import judge_health, lock_is_held, status_path

STALE_AFTER_SECONDS = 15.0
MAX_ERRORS = 10
MAX_UNREADABLE = 20
MAX_STATUS_BYTES = 1 << 20


@dataclass
class WorkerStatus:
    """What the leader last said about itself."""

    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=socket.gethostname)
    started: float = field(default_factory=time.time)
    last_pass: float | None = None
    passes: int = 0
    due: int = 0
    in_flight: int = 0
    revoked: int = 0
    unreadable: list[dict[str, str]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    stopped: str | None = None  # why the loop ended, if it did

    def add_error(self, message: str, now: float) -> None:
        self.errors.append({"time": now, "message": message})
        del self.errors[:-MAX_ERRORS]


def read_status_at(location: StoreLocation, *, now: float | None = None) -> dict[str, Any]:
    """The revoker's state wherever the store is (a file beside SQLite, a PostgreSQL row)."""
    if location.url is not None:
        from workbench.store.pg_status import read_pg_status

        return read_pg_status(location.url, now=now)
    return read_status(location.home, now=now)


def read_status(home: Path, *, now: float | None = None) -> dict[str, Any]:
    """The revoker's state as `workbench status` reports it (never raises on a bad file)."""
    now = time.time() if now is None else now
    running = lock_is_held(home)
    report: dict[str, Any] = {"running": running, "home": str(home)}
    try:
        with status_path(home).open("rb") as handle:
            raw = handle.read(MAX_STATUS_BYTES)
        last = json.loads(raw.decode("utf-8"))
        if not isinstance(last, dict):
            raise ValueError("not an object")
    except FileNotFoundError:
        last = None
    except (OSError, ValueError) as error:
        report["status_file_error"] = f"{status_path(home)} cannot be read ({error})"
        last = None
    if last is not None:
        report.update({key: last.get(key) for key in WorkerStatus.__dataclass_fields__})
    last_pass = report.get("last_pass")
    fresh = isinstance(last_pass, int | float) and now - last_pass <= STALE_AFTER_SECONDS
    return judge_health(report, running=running, fresh=fresh)
