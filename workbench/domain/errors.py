"""The errors a user can cause, each with a message a person can act on.

The CLI prints `str(error)` on stderr and exits 1; the TUI shows it in a
notification. Nothing here may carry a secret.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base of every error the user can see; its message is the whole story."""


class InvalidInput(WorkbenchError):
    """Input that does not parse or breaks a rule (a TTL, a role file, a name)."""


class NotFound(WorkbenchError):
    """A named thing (engine, role, lease) does not exist."""


class Conflict(WorkbenchError):
    """The request clashes with what is stored (already exists, live leases)."""


class WrongPassphrase(WorkbenchError):
    """The passphrase does not unwrap the store's data key."""


class StoreMissing(WorkbenchError):
    """No store exists where one was expected."""


class StoreCorrupted(WorkbenchError):
    """A stored value failed its integrity check (tampered, moved or damaged)."""


class AwsError(WorkbenchError):
    """AWS (or the endpoint standing in for it) refused or could not be reached."""


class AuditFailure(WorkbenchError):
    """An audit entry could not be written, so the operation was refused."""


class NotRenewable(WorkbenchError):
    """The lease cannot be renewed (STS credentials, or past its max TTL)."""
