"""`wb.audit`: read and check the trail, manage its devices; only the service writes entries."""

from __future__ import annotations

from workbench.audit import FILE_KIND, AuditLog, AuditReader
from workbench.domain.models import AuditRecord


class AuditTrail(AuditReader):
    """The audit trail as the faces see it: read, verify, hash; add and remove file devices.
    Only the service writes entries."""

    def __init__(self, log: AuditLog) -> None:
        super().__init__(log._store, log._hasher)  # the same trail's read side
        self._log = log

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
