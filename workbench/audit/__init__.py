"""The audit device: Vault-shaped entries, HMAC'd secrets, a hash chain, files.

Imports only `workbench.store` and `workbench.domain`.
"""

from workbench.audit.devices import FILE_KIND, STORE_DEVICE
from workbench.audit.entries import (
    OPERATIONS,
    SKIPPED_KEY,
    canonical,
    chain_hash,
    file_line,
    lease_of,
    split_line,
)
from workbench.audit.filecheck import DeviceCheck
from workbench.audit.log import AuditLog, AuditOperation, AuditReader
from workbench.audit.redact import HMAC_PREFIX, SECRET_KEYS, is_secret_key
from workbench.audit.verify import HEAD_META_KEY, RecordedHead, VerifyResult

__all__ = [
    "FILE_KIND",
    "HEAD_META_KEY",
    "HMAC_PREFIX",
    "OPERATIONS",
    "SECRET_KEYS",
    "SKIPPED_KEY",
    "STORE_DEVICE",
    "AuditLog",
    "AuditOperation",
    "AuditReader",
    "DeviceCheck",
    "RecordedHead",
    "VerifyResult",
    "canonical",
    "chain_hash",
    "file_line",
    "is_secret_key",
    "lease_of",
    "split_line",
]
