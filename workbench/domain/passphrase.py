"""What a new passphrase must be (the CLI's init/passwd and the TUI's create screen)."""

from __future__ import annotations

from workbench.domain.errors import InvalidInput

MIN_PASSPHRASE_LENGTH = 8


def check_new_passphrase(passphrase: str) -> None:
    """Refuse a passphrase too short to protect the store's data key."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise InvalidInput(
            f"the passphrase is too short ({len(passphrase)} characters); "
            f"use at least {MIN_PASSPHRASE_LENGTH}"
        )
