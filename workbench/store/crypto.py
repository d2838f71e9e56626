"""Envelope encryption: a passphrase-derived key wraps a random data key.

The data key (AES-256-GCM) encrypts every secret and policy document with a
fresh 96-bit nonce; each ciphertext's associated data names its table, row
and column, so a value moved to another row fails to decrypt.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from workbench.domain.errors import StoreCorrupted, WrongPassphrase

_FORMAT = b"\x01"  # first byte of every ciphertext: the layout version
_NONCE_BYTES = 12
_WRAP_AAD = b"workbench/data-key/v1"


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters, stored beside the wrapped key so they can change.

    The default is RFC 9106's second recommended option (64 MiB, 3 passes,
    4 lanes): about 0.15 s per unlock on a laptop, on purpose.
    """

    salt: str
    memory_cost_kib: int = 65536
    iterations: int = 3
    lanes: int = 4
    algorithm: str = "argon2id"

    @classmethod
    def fresh(
        cls, *, memory_cost_kib: int = 65536, iterations: int = 3, lanes: int = 4
    ) -> KdfParams:
        """New parameters with a random 16-byte salt."""
        return cls(
            salt=base64.b64encode(os.urandom(16)).decode(),
            memory_cost_kib=memory_cost_kib,
            iterations=iterations,
            lanes=lanes,
        )

    def derive(self, passphrase: str) -> bytes:
        """The 256-bit key-encryption key for `passphrase`."""
        if self.algorithm != "argon2id":
            raise StoreCorrupted(f"store uses an unknown key derivation {self.algorithm!r}")
        kdf = Argon2id(
            salt=base64.b64decode(self.salt),
            length=32,
            iterations=self.iterations,
            lanes=self.lanes,
            memory_cost=self.memory_cost_kib,
        )
        return kdf.derive(passphrase.encode())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, value: Any) -> KdfParams:
        """Parameters read from a store, checked so damage cannot crash or exhaust us."""
        if not isinstance(value, dict) or set(value) - set(cls.__dataclass_fields__):
            raise ValueError("not an object of argon2id parameters")
        params = cls(**value)
        for name, low, high in _KDF_BOUNDS:
            number = getattr(params, name)
            if not isinstance(number, int) or isinstance(number, bool) or not low <= number <= high:
                raise ValueError(f"{name} must be a whole number from {low} to {high}")
        if params.memory_cost_kib < 8 * params.lanes:
            raise ValueError("memory_cost_kib must be at least 8 x lanes")
        if not isinstance(params.salt, str) or not isinstance(params.algorithm, str):
            raise ValueError("salt and algorithm must be text")
        try:
            salt = base64.b64decode(params.salt, validate=True)
        except ValueError:
            raise ValueError("the salt is not base64") from None
        if len(salt) < 8:
            raise ValueError("the salt is shorter than 8 bytes")
        return params


# Wide enough for any store we write (and stronger settings), narrow enough that
# damaged parameters cannot make an unlock allocate terabytes or run for hours.
_KDF_BOUNDS = (("memory_cost_kib", 8, 4 * 1024 * 1024), ("iterations", 1, 64), ("lanes", 1, 64))


def new_store_id() -> str:
    """A random id for a store, tagged on every IAM user it creates."""
    return secrets.token_hex(16)


def new_data_key() -> bytes:
    """A random AES-256 key."""
    return AESGCM.generate_key(bit_length=256)


def wrap_key(data_key: bytes, kek: bytes) -> str:
    """Encrypt the data key under the key-encryption key (base64 text)."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return base64.b64encode(nonce + AESGCM(kek).encrypt(nonce, data_key, _WRAP_AAD)).decode()


def unwrap_key(wrapped: str | bytes, kek: bytes, *, where: str = "the store") -> bytes:
    """Recover the data key, or raise WrongPassphrase (StoreCorrupted if it cannot be one)."""
    raw = base64.b64decode(wrapped) if isinstance(wrapped, str) else wrapped
    if len(raw) != _NONCE_BYTES + 32 + 16:
        raise StoreCorrupted(
            f"{where}: the store's wrapped key (meta.wrapped_key) is damaged (wrong length); "
            "restore the store from a backup"
        )
    try:
        return AESGCM(kek).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _WRAP_AAD)
    except InvalidTag:
        raise WrongPassphrase(
            "wrong passphrase: the store could not be unlocked (nothing was changed)"
        ) from None


class Cipher:
    """Encrypts and decrypts column values bound to their table, row and column."""

    def __init__(self, data_key: bytes) -> None:
        self._aead = AESGCM(data_key)

    def replace_key(self, data_key: bytes) -> None:
        """Seal and open with a new data key from now on (after an operator's removal)."""
        self._aead = AESGCM(data_key)

    @staticmethod
    def _aad(table: str, row: str, column: str) -> bytes:
        return f"{table}\x1f{row}\x1f{column}".encode()

    def encrypt(self, table: str, row: str, column: str, plaintext: str | None) -> bytes | None:
        """Ciphertext for one cell; None stays None."""
        if plaintext is None:
            return None
        nonce = secrets.token_bytes(_NONCE_BYTES)
        aad = self._aad(table, row, column)
        return _FORMAT + nonce + self._aead.encrypt(nonce, plaintext.encode(), aad)

    def decrypt(self, table: str, row: str, column: str, blob: bytes | None) -> str | None:
        """Plaintext of one cell, or StoreCorrupted naming the record."""
        if blob is None:
            return None
        where = f"{table} record {row!r}, field {column}"
        if not isinstance(blob, bytes) or len(blob) < 1 + _NONCE_BYTES + 16 or blob[:1] != _FORMAT:
            raise StoreCorrupted(f"{where} is damaged (not a ciphertext of this store)")
        nonce, body = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, self._aad(table, row, column)).decode()
        except InvalidTag:
            raise StoreCorrupted(
                f"{where} failed its integrity check: it was altered or copied from "
                "another record; restore it from a backup or delete the record"
            ) from None
