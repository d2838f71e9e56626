"""`wb.audit`: read and check the trail, manage its devices; only the service writes entries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from workbench.audit import FILE_KIND, AuditLog, VerifyResult
from workbench.domain.models import AuditRecord


class AuditTrail:
    """The audit trail as the faces see it."""

    def __init__(self, log: AuditLog) -> None:
        self._log = log

    def hash(self, value: str) -> str:
        """`audit hash`: the HMAC the trail shows for a secret (`hmac-sha256:<hex>`)."""
        return self._log.hash_value(value)

    def verify(self, *, recorded_head: str | None = None) -> VerifyResult:
        """The chain to its authenticated head, then every file device against it."""
        return self._log.verify(recorded_head=recorded_head)

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
        return self._log.entries(
            newest=newest,
            after_seq=after_seq,
            path_prefix=path_prefix,
            operation=operation,
            errors_only=errors_only,
        )

    def count(self) -> int:
        return self._log.count()

    def devices(self) -> list[dict[str, Any]]:
        """Every device, the store's own table first: name, kind, path, created_time."""
        return self._log.devices()

    def enable_file_device(self, path: str, *, name: str = FILE_KIND) -> None:
        """Add a JSON-lines file device (created 0600); audited as `sys/audit/NAME`."""
        self._log.enable_file_device(path, name=name)

    def disable_device(self, name: str) -> None:
        """Remove a device; the store's own table cannot be removed."""
        self._log.disable_device(name)


def audit_line(record: AuditRecord) -> str:
    """One entry as the JSON-lines file device writes it (no newline)."""
    from workbench.audit import canonical, file_line

    return file_line(record.seq, canonical(record.entry), record.prev_hash, record.hash).rstrip(
        "\n"
    )
