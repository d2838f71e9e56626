"""Audit devices beyond the store's own table: JSON-lines files for a SIEM.

The device list lives in the store (`audit_devices`), so every process that
opens the store writes to the same devices; it is re-read whenever another
connection has committed (`Store.change_token`, i.e. PRAGMA data_version).
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.store import Repositories

STORE_DEVICE = "store"  # the audit table itself: always on, never disabled
FILE_KIND = "file"
_LINE_END = re.compile(rb'"prev_hash":"([0-9a-f]{64})","seq":(\d+)\}\n\Z')
_LONGEST_LINE = 16 << 20


def describe_os_error(error: OSError) -> str:
    """A short reason for a failed write, without anything but the OS's words."""
    return error.strerror or type(error).__name__


@dataclass(frozen=True)
class FileDevice:
    """Appends one JSON line per entry to a 0600 file: the whole line or nothing.

    The file is opened per entry rather than held open: a SIEM shipper that
    rotates the file, or an operator who removes write access, is noticed on
    the very next entry (Vault needs a SIGHUP for the first). A write that
    fails or falls short (disk full, file size limit) is cut back to the size
    the file had before it, so no half line is ever left behind.
    """

    name: str
    path: str
    fsync: bool = True
    from_offset: int = 0  # the file's size when the device was enabled: never cut below it

    def write(self, line: str, *, seq: int = 0, prev_hash: str = "") -> int:
        """Append `line` in one write, then fsync; returns its offset (-1: not a regular file).

        With `seq` and `prev_hash` (the entry's own), a last line for that same
        seq after that same entry is one whose commit never happened (the
        process died between the file and the store): it is replaced.
        """
        data = line.encode("utf-8")
        fd = open_private(self.path, readable=True)
        try:
            start = os.lseek(fd, 0, os.SEEK_END) if stat.S_ISREG(os.fstat(fd).st_mode) else -1
            if start > 0 and seq:
                start = self._drop_uncommitted(fd, start, seq, prev_hash)
            try:
                written = os.write(fd, data)
                if written != len(data):
                    raise OSError(
                        errno.ENOSPC, f"short write: {written} of {len(data)} bytes (disk full?)"
                    )
                if self.fsync:
                    os.fsync(fd)
            except OSError as error:
                if start >= 0 and not _cut_back(fd, start):
                    raise OSError(
                        error.errno,
                        f"{describe_os_error(error)}; the partial line could not be removed",
                    ) from None
                raise
            except BaseException:
                if start >= 0:
                    _cut_back(fd, start)
                raise
        finally:
            os.close(fd)
        return start

    def _drop_uncommitted(self, fd: int, end: int, seq: int, prev_hash: str) -> int:
        """Cut off a last line written for `seq` whose entry was never committed."""
        tail = os.pread(fd, min(end, 256), end - min(end, 256))
        match = _LINE_END.search(tail)
        if match is None or int(match[2]) != seq or match[1].decode() != prev_hash:
            return end
        line_start = _line_start(fd, end)
        if line_start is None or line_start < self.from_offset:
            return end
        os.ftruncate(fd, line_start)
        return line_start

    def undo(self, start: int, length: int) -> None:
        """Remove a line this device wrote at `start` whose entry was then rolled back."""
        if start < 0:
            return
        try:
            fd = os.open(self.path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return
        try:
            if os.fstat(fd).st_size == start + length:
                _cut_back(fd, start)
        finally:
            os.close(fd)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "kind": FILE_KIND, "path": self.path}


def _line_start(fd: int, end: int) -> int | None:
    """Where the last line (ending at `end`) starts; None if it is implausibly long."""
    position = end - 1  # the last line's own newline
    while position > 0 and end - position <= _LONGEST_LINE:
        size = min(position, 1 << 16)
        chunk = os.pread(fd, size, position - size)
        found = chunk.rfind(b"\n")
        if found >= 0:
            return position - size + found + 1
        position -= size
    return 0 if position <= 0 else None


def _cut_back(fd: int, size: int) -> bool:
    """Truncate the file back to `size` (and make that durable); False if it could not."""
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:
        return False
    return True


def ends_mid_line(path: str) -> bool:
    """True when a non-empty file does not end with a newline (a half-written line)."""
    try:
        with open(path, "rb") as handle:
            if handle.seek(0, os.SEEK_END) == 0:
                return False
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) != b"\n"
    except OSError:
        return False


def open_private(path: str, *, readable: bool = False) -> int:
    """Open `path` for appending, creating it 0600 whatever the umask."""
    access = os.O_RDWR if readable else os.O_WRONLY
    flags = access | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
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

    def __init__(self, store: Repositories, *, fsync: bool = True) -> None:
        self._store = store
        self._fsync = fsync
        self._token: int | None = None
        self._rows: list[dict[str, Any]] | None = None
        self._devices: list[FileDevice] = []

    def invalidate(self) -> None:
        """Forget the cache (after this process changed the list itself)."""
        self._token, self._rows = None, None

    def current(self, rows: list[dict[str, Any]] | None = None) -> list[FileDevice]:
        """The devices to write: from `rows` when the caller has just read them (an append,
        under the write lock), else re-read when the store changed under us."""
        if rows is None:
            token = self._store.change_token()
            if token == self._token:
                return self._devices
            rows, self._token = self._store.audit.devices(), token
        if rows != self._rows:
            self._devices, self._rows = self._load(rows), rows
        return self._devices

    def _load(self, rows: list[dict[str, Any]]) -> list[FileDevice]:
        makers: dict[str, Callable[[dict[str, Any]], FileDevice]] = {
            FILE_KIND: lambda row: FileDevice(
                name=str(row["name"]),
                path=str(row["options"].get("file_path", "")),
                fsync=self._fsync,
                from_offset=int(row["options"].get("from_offset", 0)),
            ),
        }
        # An unknown kind (written by a newer workbench) still gets a device
        # that fails, so the operation is refused rather than silently unaudited.
        return [makers.get(str(row["kind"]), _unknown_kind)(row) for row in rows]


def _unknown_kind(row: dict[str, Any]) -> FileDevice:
    return FileDevice(name=str(row["name"]), path="")
