"""Dataclasses, enums, durations and errors; imports nothing of ours."""

from workbench.domain.durations import format_duration, parse_duration
from workbench.domain.errors import (
    AuditFailure,
    AwsError,
    Conflict,
    InvalidInput,
    NotFound,
    NotRenewable,
    StoreCorrupted,
    StoreMissing,
    WorkbenchError,
    WrongPassphrase,
)
from workbench.domain.models import (
    DEFAULT_USERNAME_TEMPLATE,
    AuditRecord,
    CredentialType,
    Engine,
    Lease,
    LeaseConfig,
    LeaseState,
    Role,
    RootConfig,
)

__all__ = [
    "DEFAULT_USERNAME_TEMPLATE",
    "AuditFailure",
    "AuditRecord",
    "AwsError",
    "Conflict",
    "CredentialType",
    "Engine",
    "InvalidInput",
    "Lease",
    "LeaseConfig",
    "LeaseState",
    "NotFound",
    "NotRenewable",
    "Role",
    "RootConfig",
    "StoreCorrupted",
    "StoreMissing",
    "WorkbenchError",
    "WrongPassphrase",
    "format_duration",
    "parse_duration",
]
