"""Which process owns a lease mid-issue or mid-revoke, and whether it still runs.

Each process that writes a lease registers itself: a file
`<home>/processes/<token>` that it holds an exclusive flock on for its whole
life. The kernel drops the lock when the process dies, however it dies, so
liveness is one non-blocking flock: it does not depend on the host name
(renamed hosts), pid reuse or clocks. An owner is written as
`host:pid:token`; host and pid are for people reading `lease list`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import socket
import threading
from pathlib import Path

from workbench.store.files import flock_is_held

PROCESSES_DIR = "processes"
_TOKEN_CHARS = frozenset("0123456789abcdef")


class ProcessRegistry:
    """This process's entry in a store's registry, made on first use (again after fork)."""

    def __init__(self, home: Path) -> None:
        self.folder = home / PROCESSES_DIR
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._fd: int | None = None
        self._owner = ""

    def owner(self) -> str:
        """`host:pid:token` of this process, registering it if need be."""
        with self._lock:
            if self._pid != os.getpid():
                self._register()
            return self._owner

    def _register(self) -> None:
        token = secrets.token_hex(8)
        self.folder.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(self.folder / token, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._fd, self._pid = fd, os.getpid()
        self._owner = f"{socket.gethostname()}:{self._pid}:{token}"

    def is_dead(self, owner: str | None) -> bool:
        """True if `owner` no longer runs (its registry lock is free, or it has none)."""
        if not owner:
            return True
        head, _, token = owner.rpartition(":")
        if len(token) == 16 and set(token) <= _TOKEN_CHARS and head.count(":") >= 1:
            if owner == self._owner and self._pid == os.getpid():
                return False
            return self._token_is_free(token)
        return _legacy_owner_is_dead(owner)

    def _token_is_free(self, token: str) -> bool:
        # A file that cannot be opened: assume alive; the claim's expiry still frees it.
        return not flock_is_held(self.folder / token, if_unreadable=True)

    def sweep(self) -> int:
        """Remove the entries of processes that have died; how many went."""
        removed = 0
        try:
            entries = list(self.folder.iterdir())
        except FileNotFoundError:
            return 0
        for entry in entries:
            if entry.name != self._owner.rpartition(":")[2] and self._token_is_free(entry.name):
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
                    removed += 1
        return removed

    def close(self) -> None:
        """Leave the registry (the kernel does the same at exit)."""
        with self._lock:
            if self._fd is not None and self._pid == os.getpid():
                with contextlib.suppress(FileNotFoundError):
                    (self.folder / self._owner.rpartition(":")[2]).unlink()
                os.close(self._fd)
            self._fd = self._pid = None
            self._owner = ""


def _legacy_owner_is_dead(owner: str) -> bool:
    """An owner written before the registry (`host:pid`).

    The SQLite store lives on one machine, so a different host name can only
    be this machine before a rename: that process is gone.
    """
    host, _, pid_text = owner.rpartition(":")
    if host != socket.gethostname() or not (pid_text.isascii() and pid_text.isdigit()):
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
