"""Audit devices beyond the store's own table: JSON-lines files for a SIEM.

The device list lives in the store (`audit_devices`), so every process that
opens the store writes to the same devices; it is re-read whenever another
connection has committed (`Store.change_token`, i.e. PRAGMA data_version).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.store import Store

STORE_DEVICE = "store"  # the audit table itself: always on, never disabled
FILE_KIND = "file"


def describe_os_error(error: OSError) -> str:
    """A short reason for a failed write, without anything but the OS's words."""
    return error.strerror or type(error).__name__


@dataclass(frozen=True)
class FileDevice:
    """Appends one JSON line per entry to a 0600 file, flushed (and fsynced) each time.

    The file is opened per entry rather than held open: a SIEM shipper that
    rotates the file, or an operator who removes write access, is noticed on
    the very next entry (Vault needs a SIGHUP for the first).
    """

    name: str
    path: str
    fsync: bool = True

    def write(self, line: str) -> None:
        data = line.encode("utf-8")
        fd = open_private(self.path)
        try:
            written = os.write(fd, data)
            if written != len(data):
                raise OSError(28, "short write (disk full?)")
            if self.fsync:
                os.fsync(fd)
        finally:
            os.close(fd)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "kind": FILE_KIND, "path": self.path}


def open_private(path: str) -> int:
    """Open `path` for appending, creating it 0600 whatever the umask."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o600)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISREG(mode) and mode & 0o077:
            os.fchmod(fd, 0o600)
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_file_path(path: str) -> str:
    """The absolute path a file device will write, or the reason it cannot be one."""
    resolved = Path(path).expanduser().absolute()
    if resolved.is_dir():
        raise IsADirectoryError(21, "is a directory")
    if not resolved.parent.is_dir():
        raise FileNotFoundError(2, "its folder does not exist")
    return str(resolved)


class DeviceSet:
    """The enabled file devices, cached until another connection commits."""

    def __init__(self, store: Store, *, fsync: bool = True) -> None:
        self._store = store
        self._fsync = fsync
        self._token: int | None = None
        self._devices: list[FileDevice] = []

    def invalidate(self) -> None:
        """Forget the cache (after this process changed the list itself)."""
        self._token = None

    def current(self) -> list[FileDevice]:
        """The devices to write, re-read when the store changed under us."""
        token = self._store.change_token()
        if token != self._token:
            self._devices = self._load(self._store.audit.devices())
            self._token = token
        return self._devices

    def _load(self, rows: list[dict[str, Any]]) -> list[FileDevice]:
        makers: dict[str, Callable[[dict[str, Any]], FileDevice]] = {
            FILE_KIND: lambda row: FileDevice(
                name=str(row["name"]),
                path=str(row["options"].get("file_path", "")),
                fsync=self._fsync,
            ),
        }
        # An unknown kind (written by a newer workbench) still gets a device
        # that fails, so the operation is refused rather than silently unaudited.
        return [makers.get(str(row["kind"]), _unknown_kind)(row) for row in rows]


def _unknown_kind(row: dict[str, Any]) -> FileDevice:
    return FileDevice(name=str(row["name"]), path="")
