"""Appending one entry to the chain and to every device, in one transaction.

The append runs inside `store.transaction()` (BEGIN IMMEDIATE), so entries
written by several processes at once still form one chain. File devices are
written before the commit: if one fails, the table row is rolled back, every
device that already took the line is cut back, and the caller refuses the
operation.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from workbench.audit.devices import DeviceSet, FileDevice, describe_os_error
from workbench.audit.entries import chain_hash, file_line
from workbench.audit.redact import Hasher
from workbench.audit.verify import HEAD_META_KEY, head_meta_value
from workbench.domain.faults import AUDIT_DEVICE_WRITTEN, fault_point
from workbench.store import Repositories
from workbench.store.audit_rows import ChainLink


class DeviceFailure(Exception):
    """A file device could not take an entry; the transaction is rolled back."""

    def __init__(self, device: str, target: str, reason: str) -> None:
        super().__init__(f"audit device {device!r} failed ({reason})")
        self.device = device
        self.target = target
        self.reason = reason


class ChainWriter:
    """Links each new entry to the authenticated head and moves the head on."""

    def __init__(
        self,
        store: Repositories,
        hasher: Hasher,
        devices: DeviceSet,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._clock = clock
        self._hasher = hasher
        self._devices = devices

    def append(
        self,
        entry_text: str,
        *,
        entry_type: str,
        request_id: str,
        path: str,
        operation: str,
        is_error: bool,
        skip: frozenset[str] = frozenset(),
    ) -> int:
        """Write one entry everywhere; returns its seq. Raises DeviceFailure, sqlite3.Error."""
        error_flag = int(is_error)
        written: list[tuple[FileDevice, int, int]] = []
        try:
            with self._store.transaction():
                link = self._store.audit.link(HEAD_META_KEY)
                devices = [d for d in self._devices.current(link.devices) if d.name not in skip]
                seq, prev_hash = self._next_link(link)
                entry_hash = chain_hash(
                    seq, prev_hash, entry_type, request_id, path, operation, error_flag, entry_text
                )
                self._store.audit.append(
                    {
                        "seq": seq,
                        "time": self._clock(),
                        "request_id": request_id,
                        "type": entry_type,
                        "path": path,
                        "operation": operation,
                        "is_error": error_flag,
                        "entry": entry_text,
                        "prev_hash": prev_hash,
                        "hash": entry_hash,
                    },
                    HEAD_META_KEY,
                    head_meta_value(self._hasher, seq, entry_hash),
                )
                line = file_line(seq, entry_text, prev_hash, entry_hash)
                for device in devices:
                    try:
                        start = device.write(line, seq=seq, prev_hash=prev_hash)
                    except OSError as error:
                        raise DeviceFailure(
                            device.name, device.path, describe_os_error(error)
                        ) from None
                    written.append((device, start, len(line.encode("utf-8"))))
                fault_point(AUDIT_DEVICE_WRITTEN)
        except BaseException:
            # The row is rolled back, so no device may keep the line either.
            for device, start, length in written:
                device.undo(start, length)
            raise
        return seq

    def next_seq(self) -> int:
        """The seq the next entry will get (call inside a transaction to hold it)."""
        return self._next_link(self._store.audit.link(HEAD_META_KEY))[0]

    def _next_link(self, link: ChainLink) -> tuple[int, str]:
        """The next seq and the hash it follows.

        It follows the authenticated head, not merely the table's last row: an
        entry deleted from the end must stay visible as a gap, and a forged row
        appended at the end must stay outside the chain.
        """
        head = self._authenticated_head(link.head)
        if head is None:
            return link.table_seq + 1, link.table_hash
        head_seq, head_hash = head
        return max(link.table_seq, head_seq) + 1, head_hash

    def _authenticated_head(self, raw: str | None) -> tuple[int, str] | None:
        if raw is None:
            return None
        try:
            value = json.loads(raw)
            seq, entry_hash, mac = int(value["seq"]), str(value["hash"]), str(value["mac"])
        except (ValueError, KeyError, TypeError):
            return None
        if head_meta_value(self._hasher, seq, entry_hash) != raw or not mac:
            return None
        return seq, entry_hash
