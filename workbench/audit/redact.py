"""Replacing secret strings with `hmac-sha256:<hex>`, as Vault's audit devices do.

The HMAC key is the store's own (32 random bytes, kept encrypted), so the same
secret always hashes to the same value in one store: `workbench audit hash
SECRET` finds where a leaked key was issued, while the log itself never holds
the secret. Access key ids are left readable: an incident starts from them.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

HMAC_PREFIX = "hmac-sha256:"

# Keys whose string values are secrets wherever they appear (compared after
# lower-casing and dropping "_" and "-", so `SecretAccessKey`,
# `secret_access_key` and `AWS_SECRET_ACCESS_KEY` all match).
SECRET_KEYS = frozenset(
    {
        "secretkey",
        "secretaccesskey",
        "awssecretaccesskey",
        "sessiontoken",
        "awssessiontoken",
        "securitytoken",
        "awssecuritytoken",
        "passphrase",
        "newpassphrase",
        "oldpassphrase",
        "password",
        "mfacode",
        "tokencode",
        "token",
    }
)


def is_secret_key(key: str) -> bool:
    """Whether values under `key` are secrets to be HMAC'd."""
    return key.lower().replace("_", "").replace("-", "") in SECRET_KEYS


class Hasher:
    """HMAC-SHA256 with the store's key, in Vault's `hmac-sha256:<hex>` form."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the audit HMAC key is missing or too short")
        self._key = key

    def hash_value(self, value: str) -> str:
        digest = hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()
        return HMAC_PREFIX + digest

    def mac(self, message: str) -> str:
        """A bare hex HMAC, for authenticating the chain head."""
        return hmac.new(self._key, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def redact(self, data: Any) -> Any:
        """A deep copy of `data` with every secret string replaced by its HMAC."""
        return self._walk(data, secret=False)

    def _walk(self, value: Any, *, secret: bool) -> Any:
        if isinstance(value, dict):
            return {
                str(key): self._walk(item, secret=secret or is_secret_key(str(key)))
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [self._walk(item, secret=secret) for item in value]
        if secret and isinstance(value, str | bytes) and value:
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            if text.startswith(HMAC_PREFIX):
                return text  # already hashed (an entry re-redacted)
            return self.hash_value(text)
        if isinstance(value, bytes):
            return value.hex()
        return value
