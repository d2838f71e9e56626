"""The errors a user can cause, each with a message a person can act on.

An error carries structure as well as words: `field` names the input it
concerns (the service's parameter name: "ttl", "lease_max"), written in the
message as `{field:ttl}`, and `hint` is a code for what to do next (with its
`hint_args`). Each face phrases both its own way: the CLI as `--ttl` and a
command to run, the TUI as the field's label and the key to press. Nothing
here may carry a secret.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

_FIELD = re.compile(r"\{field:([a-z_]+)\}")


class WorkbenchError(Exception):
    """Base of every error the user can see; `phrased` gives its whole story."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        hint: str | None = None,
        hint_args: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.hint = hint
        self.hint_args = dict(hint_args or {})

    def phrased(
        self,
        field_name: Callable[[str], str] = str,
        hints: Mapping[str, str] | None = None,
    ) -> str:
        """The message in a face's words: its name for each field, its phrase for the hint."""
        text = _FIELD.sub(lambda match: field_name(match.group(1)), self.message)
        if self.hint and hints and self.hint in hints:
            text += "; " + hints[self.hint].format(**self.hint_args)
        return text

    def __str__(self) -> str:
        return self.phrased()


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


class StoreUnavailable(WorkbenchError):
    """The store's database server cannot be reached, or dropped the connection (team mode)."""


class AwsError(WorkbenchError):
    """AWS (or the endpoint standing in for it) refused or could not be reached."""


class AuditFailure(WorkbenchError):
    """An audit entry could not be written, so the operation was refused."""


class NotRenewable(WorkbenchError):
    """The lease cannot be renewed (STS credentials, or past its max TTL)."""
