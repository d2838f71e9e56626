"""One revoker per store: an OS file lock beside the database.

The kernel releases the lock the moment its holder dies, so a standby worker
takes over within its next poll, with no heartbeat writes in the store.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

from workbench.domain.errors import Conflict
from workbench.store.files import flock_is_held

LOCK_NAME = "worker.lock"
STATUS_NAME = "worker.status"


class WorkerLock:
    """A non-blocking exclusive lock on `<home>/worker.lock`."""

    def __init__(self, home: Path) -> None:
        self.path = home / LOCK_NAME
        self._fd: int | None = None
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    def open(self) -> None:
        """Open the lock file; a clear error if this user cannot (e.g. another user's)."""
        if self._fd is not None:
            return
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise Conflict(
                f"cannot open the worker lock {self.path} ({error.strerror}); it was probably "
                "left by a run as another user: run the worker as the store's owner, or "
                "remove the file if no worker is running"
            ) from None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True if this process holds it now."""
        if self._held:
            return True
        self.open()
        assert self._fd is not None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)
        self._held = True
        return True

    def still_held(self) -> bool:
        """Whether this process still leads (a file lock is lost only by releasing it)."""
        return self._held

    def holder_pid(self) -> int | None:
        """The pid written by the current holder, if any."""
        try:
            text = self.path.read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            return None
        return int(text) if text.isascii() and text.isdigit() else None

    def release(self) -> None:
        if self._fd is not None:
            if self._held:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
            self._held = False


def lock_is_held(home: Path) -> bool:
    """Whether some process holds `home`'s worker lock."""
    return flock_is_held(home / LOCK_NAME, if_unreadable=False)


def status_path(home: Path) -> Path:
    """The leader's health report beside the lock (JSON, no secret)."""
    return home / STATUS_NAME


def write_status_file(home: Path, body: dict[str, Any]) -> None:
    """Replace the status file whole (a reader never sees half of it), 0600."""
    path = status_path(home)
    temp = path.with_name(f".{STATUS_NAME}.{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps(body, sort_keys=True).encode())
    finally:
        os.close(fd)
    temp.replace(path)


def judge_health(report: dict[str, Any], *, running: bool, fresh: bool) -> dict[str, Any]:
    """Add `healthy` and, when it is not, the `problem` to a status report (either backend)."""
    report["healthy"] = bool(running and fresh and not report.get("stopped"))
    if running and not fresh:
        report["problem"] = "the revoker holds the lock but has not made a pass recently"
    elif not running:
        report["problem"] = "no revoker is running for this store"
    elif report.get("stopped"):
        report["problem"] = f"the revoker's loop stopped: {report['stopped']}"
    return report
