"""`AuditLog`: request/response entries around every operation, fail-closed.

Usage, in the service layer (never inside an open store transaction, so the
request entry is committed before anything acts):

    with audit.operation("update", "aws/creds/webapp", {"ttl": "15m"}) as op:
        lease = issue(...)
        op.respond(data={"access_key": ..., "secret_key": ...}, lease_id=lease.lease_id)

The request entry is written to every device before the body runs; if any
device cannot take it, `AuditFailure` is raised and the body never runs.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.audit.devices import (
    FILE_KIND,
    STORE_DEVICE,
    DeviceSet,
    check_file_path,
    describe_os_error,
    ends_mid_line,
    open_private,
)
from workbench.audit.entries import (
    OPERATIONS,
    REQUEST,
    RESPONSE,
    auth_block,
    build_entry,
    canonical,
    lease_of,
)
from workbench.audit.redact import Hasher
from workbench.audit.verify import VerifyResult, verify_chain
from workbench.audit.writer import ChainWriter, DeviceFailure
from workbench.domain.errors import (
    AuditFailure,
    Conflict,
    InvalidInput,
    NotFound,
    StoreCorrupted,
    StoreUnavailable,
)
from workbench.domain.models import AuditRecord
from workbench.domain.text import printable
from workbench.store import Repositories

_DEVICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_HEAD_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass
class AuditOperation:
    """The operation in progress: the body fills in what the response entry shows."""

    request_id: str
    operation: str
    path: str
    lease_id: str | None = None
    response_data: dict[str, Any] | None = None
    error: str = ""

    def respond(self, data: dict[str, Any] | None = None, *, lease_id: str | None = None) -> None:
        """Set the response data (secrets are HMAC'd when written) and lease id."""
        if data is not None:
            self.response_data = data
        if lease_id is not None:
            self.lease_id = lease_id

    def fail(self, message: str) -> None:
        """Record an error in the response without raising (a partial failure)."""
        self.error = message


class AuditReader:
    """Reading and checking one store's trail: everything but writing entries."""

    def __init__(self, store: Repositories, hasher: Hasher) -> None:
        self._store = store
        self._hasher = hasher

    def hash_value(self, value: str) -> str:
        """`hmac-sha256:<hex>` of `value`, exactly as it appears in entries."""
        return self._hasher.hash_value(value)

    def verify(self, *, recorded_head: str | None = None) -> VerifyResult:
        """Walk the hash chain to the authenticated head, then check every file device.

        `recorded_head`, a head hash an earlier verify printed, must be in the
        chain; the result says how many entries came after it.
        """
        if recorded_head is not None and not _HEAD_HASH.fullmatch(recorded_head):
            raise InvalidInput(
                f"{printable(recorded_head[:80])!r} is not a head hash: give the 64 hex digits "
                "an earlier verify printed after 'head hash:'"
            )
        return verify_chain(self._store, self._hasher, recorded_head=recorded_head)

    def entries(
        self,
        *,
        newest: int | None = None,
        after_seq: int = 0,
        path_prefix: str | None = None,
        operation: str | None = None,
        errors_only: bool = False,
    ) -> Iterator[AuditRecord]:
        """Stored entries in order, filtered as `audit tail` asks."""
        rows = self._store.audit.iterate(
            after_seq=after_seq,
            newest=newest,
            path_prefix=path_prefix,
            operation=operation,
            errors_only=errors_only,
        )
        try:
            for row in rows:
                yield _record(row)
        finally:
            # Closed here, in this thread, even when a damaged row raises: the rows hold the
            # store's connection lock until closed, and a traceback kept alive (a TUI worker's
            # error) would otherwise keep it held, every other thread waiting on it for good.
            close = getattr(rows, "close", None)
            if close is not None:
                close()

    def lease_entries(
        self, lease_id: str, *, after_seq: int = 0, since: float | None = None
    ) -> list[AuditRecord]:
        """Entries about one lease (issued, looked up, renewed, revoked), in order.

        `since` (its issue time) skips the older part of the trail in one query;
        `after_seq` reads only what came after entries already shown.
        """
        if since is not None:
            after_seq = max(after_seq, self._store.audit.seq_before(since))
        return [
            record for record in self.entries(after_seq=after_seq)
            if lease_of(record.entry) == lease_id
        ]  # fmt: skip

    def count(self) -> int:
        return self._store.audit.count()

    def devices(self) -> list[dict[str, Any]]:
        """Every device, the store's own table first: name, kind, path, created_time."""
        listed: list[dict[str, Any]] = [
            {"name": STORE_DEVICE, "kind": "table", "path": self._store.describe()},
        ]
        for row in self._store.audit.devices():
            listed.append(
                {
                    "name": row["name"],
                    "kind": row["kind"],
                    "path": str(row["options"].get("file_path", "")),
                    "created_time": row["created_time"],
                }
            )
        return listed


class AuditLog(AuditReader):
    """The audit trail of one store, written as `operator`."""

    def __init__(
        self,
        store: Repositories,
        *,
        operator: str,
        remote_address: str = "local",
        fsync: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(store, Hasher(store.hmac_key))
        self._clock = clock
        self.operator = operator
        self.remote_address = remote_address
        self._auth = auth_block(operator)
        self._devices = DeviceSet(store, fsync=fsync)
        self._writer = ChainWriter(store, self._hasher, self._devices, clock=clock)

    # -- operations ----------------------------------------------------------------

    @contextmanager
    def operation(
        self, operation: str, path: str, data: dict[str, Any] | None = None
    ) -> Iterator[AuditOperation]:
        """Audit one operation: request entry first (or refuse), response after."""
        if operation not in OPERATIONS:
            raise ValueError(f"{operation!r} is not one of Vault's operations")
        op = AuditOperation(request_id=str(uuid.uuid4()), operation=operation, path=path)
        request_data = self._hasher.redact(data) if data is not None else None
        try:
            self._append(REQUEST, op, request_data)
        except _WriteFailed as failed:
            message = f"{failed.describe('request')}; the operation was refused"
            self._record_failure(op, request_data, message, failed.skip)
            raise AuditFailure(message) from None
        try:
            yield op
        except BaseException as error:
            op.error = str(error) or type(error).__name__
            try:
                self._append(RESPONSE, op, request_data)
            except _WriteFailed as failed:
                self._record_failure(op, request_data, op.error, failed.skip, request=False)
            raise
        try:
            self._append(RESPONSE, op, request_data)
        except _WriteFailed as failed:
            message = (
                f"{failed.describe('response')}; the operation completed but its result is withheld"
            )
            self._record_failure(op, request_data, message, failed.skip, request=False)
            raise AuditFailure(message) from None

    def _entry_text(
        self, entry_type: str, op: AuditOperation, request_data: Any, skip: frozenset[str]
    ) -> str:
        response_data = None
        if entry_type == RESPONSE and op.response_data is not None:
            response_data = self._hasher.redact(op.response_data)
        entry = build_entry(
            entry_type=entry_type,
            timestamp=self._clock(),
            auth=self._auth,
            request_id=op.request_id,
            operation=op.operation,
            path=op.path,
            request_data=request_data,
            remote_address=self.remote_address,
            error=op.error,
            lease_id=op.lease_id if entry_type == RESPONSE else None,
            response_data=response_data,
            skipped_devices=skip,
        )
        return canonical(entry)

    def _append(
        self,
        entry_type: str,
        op: AuditOperation,
        request_data: Any,
        skip: frozenset[str] = frozenset(),
    ) -> None:
        text = self._entry_text(entry_type, op, request_data, skip)
        try:
            self._writer.append(
                text,
                entry_type=entry_type,
                request_id=op.request_id,
                path=op.path,
                operation=op.operation,
                is_error=bool(op.error),
                skip=skip,
            )
        except DeviceFailure as failure:
            raise _WriteFailed(failure.device, failure.target, failure.reason, skip) from None
        except (sqlite3.Error, StoreUnavailable) as error:
            # The store's own table could not take it (a locked or lost database).
            raise _WriteFailed(STORE_DEVICE, "", str(error), skip) from None

    def _record_failure(
        self,
        op: AuditOperation,
        request_data: Any,
        message: str,
        skip: frozenset[str],
        *,
        request: bool = True,
    ) -> None:
        """Report a device failure on every device that still works (best effort)."""
        op.error = message
        kinds = (REQUEST, RESPONSE) if request else (RESPONSE,)
        for entry_type in kinds:
            for _ in range(len(self._devices.current()) + 2):
                try:
                    self._append(entry_type, op, request_data, skip)
                    break
                except _WriteFailed as failed:
                    if failed.device == STORE_DEVICE:
                        return  # the table itself is failing: nothing more can be recorded
                    skip = failed.skip | {failed.device}

    # -- devices -------------------------------------------------------------------

    def enable_file_device(self, path: str, *, name: str = FILE_KIND) -> None:
        """Add a JSON-lines file device (created 0600); audited as `sys/audit/NAME`."""
        data = {"type": FILE_KIND, "options": {"file_path": path}}
        with self.operation("update", f"sys/audit/{name}", data) as op:
            _check_device_name(name)
            try:
                resolved = check_file_path(path)
                os.close(open_private(resolved))
            except OSError as error:
                raise InvalidInput(
                    f"cannot write audit entries to {path} ({describe_os_error(error)})"
                ) from None
            if ends_mid_line(resolved):
                raise InvalidInput(
                    f"cannot write audit entries to {path} (it ends with a half-written "
                    "line; complete or remove that line first)"
                )
            with self._store.transaction():  # no entry can slip between these two reads
                options = {
                    "file_path": resolved,
                    "from_seq": self._writer.next_seq() - 1,
                    "from_offset": Path(resolved).stat().st_size,
                }
                added = self._store.audit.add_device(
                    name, FILE_KIND, options, created_time=self._clock()
                )
            if not added:
                raise Conflict(
                    f"audit device {name!r} is already enabled; disable it first "
                    "or choose another {field:name}",
                    field="name",
                )
            self._devices.invalidate()
            op.respond(data={"name": name, "file_path": resolved})

    def disable_device(self, name: str) -> None:
        """Remove a device; the store's own table cannot be removed."""
        with self.operation("delete", f"sys/audit/{name}"):
            if name == STORE_DEVICE:
                raise InvalidInput(
                    "the store's own audit table cannot be disabled: it holds the chain "
                    "that verify checks"
                )
            if not self._store.audit.remove_device(name):
                raise NotFound(f"no audit device named {name!r}", hint="list_audit_devices")
            self._devices.invalidate()

    def close(self) -> None:
        """Nothing is held open between entries; kept for the service's symmetry."""
        self._devices.invalidate()


def _check_device_name(name: str) -> None:
    if name == STORE_DEVICE or not _DEVICE_NAME.fullmatch(name):
        raise InvalidInput(
            f"{name!r} cannot name an audit device: use letters, digits, '.', '_' or '-' "
            f"(and not {STORE_DEVICE!r})"
        )


def _record(row: dict[str, Any]) -> AuditRecord:
    """A stored entry; a damaged row is StoreCorrupted naming its seq, not a ValueError."""
    problem = f"audit entry seq {row['seq']} is damaged"
    if not isinstance(row["time"], int | float):
        raise StoreCorrupted(f"{problem} (its time is not a number)", hint="verify_audit")
    try:
        entry = json.loads(row["entry"]) if isinstance(row["entry"], str) else None
    except ValueError:
        entry = None
    if not isinstance(entry, dict):
        raise StoreCorrupted(f"{problem} (its entry is not a JSON object)", hint="verify_audit")
    return AuditRecord(
        seq=int(row["seq"]),
        time=float(row["time"]),
        entry=entry,
        prev_hash=str(row["prev_hash"]),
        hash=str(row["hash"]),
    )


class _WriteFailed(Exception):
    """A device refused an entry (internal: becomes AuditFailure)."""

    def __init__(self, device: str, target: str, reason: str, skip: frozenset[str]) -> None:
        super().__init__(device)
        self.device = device
        self.target = target
        self.reason = reason
        self.skip = skip

    def describe(self, what: str) -> str:
        where = f" to {self.target}" if self.target else ""
        return (
            f"audit device {self.device!r} could not write the {what} entry{where} ({self.reason})"
        )
