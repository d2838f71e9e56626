"""Key slots: the data key wrapped once per operator, so nobody shares a passphrase.

Each operator has an X25519 key pair. The private key is sealed (AES-256-GCM)
under a key derived from the operator's passphrase (Argon2id, parameters in
the slot); the store's data key is sealed to the public key (an ephemeral
X25519 exchange, HKDF-SHA256, AES-256-GCM). So:

- unlocking needs one's own passphrase only;
- adding an operator needs the data key (an unlocked operator) and the new
  operator's passphrase;
- removing one re-encrypts every secret under a new data key and seals that
  key to every remaining operator's public key, without their passphrases:
  the removed operator's copy of the old key opens nothing written later.

Each sealed value's associated data names the operator, so a slot's pieces
cannot be swapped between operators unnoticed. Each slot also carries a
binding: an HMAC of its operator and public key under a key derived from the
data key. Someone who can write the database but holds no data key (a
database administrator) cannot make one, so a public key of theirs slipped
into a slot is refused before a new data key is ever sealed to it.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from workbench.domain.errors import InvalidInput, StoreCorrupted, WrongPassphrase
from workbench.domain.text import printable
from workbench.store.crypto import KdfParams

OPERATOR_ENV = "WORKBENCH_OPERATOR"
MAX_OPERATOR_LENGTH = 64
_NONCE = 12
_PRIVATE_AAD = "workbench/slot-private/v1"
_BINDING_INFO = b"workbench/slot-binding/v1"
_DATA_AAD = "workbench/slot-data-key/v1"
_RAW = serialization.Encoding.Raw
_RAW_PUBLIC = serialization.PublicFormat.Raw
_RAW_PRIVATE = serialization.PrivateFormat.Raw


def default_operator() -> str:
    """`$WORKBENCH_OPERATOR`, else the OS user (the slot a plain command unlocks)."""
    name = os.environ.get(OPERATOR_ENV, "")
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def check_operator_name(name: str) -> str:
    """An operator name: 1-64 printable characters with no spaces, or InvalidInput saying so."""
    if not name or len(name) > MAX_OPERATOR_LENGTH or not name.isprintable() or " " in name:
        raise InvalidInput(
            f"operator name {printable(name[:80])!r} is not valid: use 1 to "
            f"{MAX_OPERATOR_LENGTH} printable characters without spaces (e.g. alice)"
        )
    return name


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _damaged(operator: str, column: str, detail: str) -> StoreCorrupted:
    return StoreCorrupted(
        f"the key slot of operator {printable(operator)!r} is damaged (key_slots.{column}: "
        f"{detail}); another operator can remove it and add it again, or restore the store "
        "from a backup"
    )


def _unb64(text: str, operator: str, column: str, length: int) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise _damaged(operator, column, "not base64") from None
    if len(raw) != length:
        raise _damaged(operator, column, "wrong length")
    return raw


def _aad(label: str, operator: str) -> bytes:
    return f"{label}\x1f{operator}".encode()


@dataclass(frozen=True)
class KeySlot:
    """One operator's row: how to get from a passphrase to the store's data key."""

    operator: str
    kdf: KdfParams
    public_key: str  # base64 raw X25519
    wrapped_private_key: str  # base64 nonce + AES-GCM(private key) under the passphrase key
    wrapped_data_key: str  # base64 ephemeral public + nonce + AES-GCM(data key)
    created_time: float
    created_by: str | None = None
    binding: str | None = None  # base64 HMAC(operator, public key) under the data key

    def row(self) -> tuple[str, str, str, str, str, float, str | None, str | None]:
        """Values in the key_slots table's column order."""
        return (
            self.operator,
            json.dumps(self.kdf.to_dict()),
            self.public_key,
            self.wrapped_private_key,
            self.wrapped_data_key,
            self.created_time,
            self.created_by,
            self.binding,
        )

    @classmethod
    def from_row(cls, row: tuple[object, ...]) -> KeySlot:
        """A slot read back from the store; damage named, never a TypeError."""
        operator, kdf_text, public, private, data, created_time, created_by, binding = row
        name = str(operator)
        texts = {"operator": operator, "kdf": kdf_text, "public_key": public}
        texts |= {"wrapped_private_key": private, "wrapped_data_key": data}
        for column, value in texts.items():
            if not isinstance(value, str):
                raise _damaged(name, column, "not text")
        assert isinstance(operator, str) and isinstance(kdf_text, str)
        assert isinstance(public, str) and isinstance(private, str) and isinstance(data, str)
        try:
            kdf = KdfParams.from_dict(json.loads(kdf_text))
        except (ValueError, TypeError) as error:
            raise _damaged(name, "kdf", str(error)) from None
        if not isinstance(created_time, int | float):
            raise _damaged(name, "created_time", "not a number")
        return cls(
            operator=operator,
            kdf=kdf,
            public_key=public,
            wrapped_private_key=private,
            wrapped_data_key=data,
            created_time=float(created_time),
            created_by=created_by if isinstance(created_by, str) else None,
            binding=binding if isinstance(binding, str) else None,
        )

    def unlock(self, passphrase: str) -> tuple[bytes, bytes]:
        """(data key, private key) for the right passphrase; WrongPassphrase otherwise."""
        private = self.open_private_key(passphrase)
        return self.data_key(private), private

    def open_private_key(self, passphrase: str) -> bytes:
        raw = _unb64(self.wrapped_private_key, self.operator, "wrapped_private_key", _NONCE + 48)
        kek = self.kdf.derive(passphrase)
        try:
            return AESGCM(kek).decrypt(
                raw[:_NONCE], raw[_NONCE:], _aad(_PRIVATE_AAD, self.operator)
            )
        except InvalidTag:
            raise WrongPassphrase(
                f"wrong passphrase for operator {printable(self.operator)!r}: the store "
                "could not be unlocked (nothing was changed)"
            ) from None

    def data_key(self, private: bytes) -> bytes:
        """The data key sealed to this slot, opened with its private key."""
        raw = _unb64(self.wrapped_data_key, self.operator, "wrapped_data_key", 32 + _NONCE + 48)
        ephemeral, nonce, body = raw[:32], raw[32 : 32 + _NONCE], raw[32 + _NONCE :]
        try:
            shared = X25519PrivateKey.from_private_bytes(private).exchange(
                X25519PublicKey.from_public_bytes(ephemeral)
            )
        except ValueError:  # an all-zero exchange: the ephemeral key was altered
            raise _damaged(self.operator, "wrapped_data_key", "not a key") from None
        key = _hkdf(shared, ephemeral, self.operator)
        try:
            return AESGCM(key).decrypt(nonce, body, _aad(_DATA_AAD, self.operator))
        except InvalidTag:
            raise _damaged(self.operator, "wrapped_data_key", "it does not open") from None

    def check_binding(self, data_key: bytes) -> None:
        """Refuse a slot whose public key was not put there by a holder of the data key."""
        expected = slot_binding(data_key, self.operator, self.public_key)
        if self.binding is None or not hmac.compare_digest(self.binding, expected):
            raise _damaged(
                self.operator,
                "binding",
                "its public key is not bound to this store's data key, so it was changed "
                "outside the workbench; no key is sealed to it",
            )

    def with_data_key(self, data_key: bytes) -> KeySlot:
        """The same slot with a new data key sealed to its public key (no passphrase needed)."""
        public = _unb64(self.public_key, self.operator, "public_key", 32)
        return KeySlot(
            operator=self.operator,
            kdf=self.kdf,
            public_key=self.public_key,
            wrapped_private_key=self.wrapped_private_key,
            wrapped_data_key=seal_to(public, self.operator, data_key),
            created_time=self.created_time,
            created_by=self.created_by,
            binding=slot_binding(data_key, self.operator, self.public_key),
        )

    def with_passphrase(self, private: bytes, passphrase: str, kdf: KdfParams) -> KeySlot:
        """The same key pair, its private key sealed under a new passphrase."""
        return KeySlot(
            operator=self.operator,
            kdf=kdf,
            public_key=self.public_key,
            wrapped_private_key=_seal_private(private, passphrase, kdf, self.operator),
            wrapped_data_key=self.wrapped_data_key,
            created_time=self.created_time,
            created_by=self.created_by,
            binding=self.binding,
        )


def slot_binding(data_key: bytes, operator: str, public_key: str) -> str:
    """HMAC-SHA256 of the operator and public key under a key derived from the data key."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_BINDING_INFO).derive(data_key)
    digest = hmac.new(key, f"{operator}\x1f{public_key}".encode(), hashlib.sha256).digest()
    return _b64(digest)


def _hkdf(shared: bytes, ephemeral: bytes, operator: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral, info=_aad(_DATA_AAD, operator)
    ).derive(shared)


def seal_to(public: bytes, operator: str, data_key: bytes) -> str:
    """The data key sealed to an operator's public key (ephemeral X25519 + HKDF + AES-GCM)."""
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(_RAW, _RAW_PUBLIC)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public))
    nonce = secrets.token_bytes(_NONCE)
    body = AESGCM(_hkdf(shared, ephemeral_public, operator)).encrypt(
        nonce, data_key, _aad(_DATA_AAD, operator)
    )
    return _b64(ephemeral_public + nonce + body)


def _seal_private(private: bytes, passphrase: str, kdf: KdfParams, operator: str) -> str:
    nonce = secrets.token_bytes(_NONCE)
    body = AESGCM(kdf.derive(passphrase)).encrypt(nonce, private, _aad(_PRIVATE_AAD, operator))
    return _b64(nonce + body)


def new_slot(
    operator: str,
    passphrase: str,
    data_key: bytes,
    *,
    now: float,
    created_by: str | None,
    kdf: KdfParams | None = None,
) -> KeySlot:
    """A new operator's slot: a fresh key pair, sealed under `passphrase`."""
    check_operator_name(operator)
    kdf = kdf or KdfParams.fresh()
    private_key = X25519PrivateKey.generate()
    private = private_key.private_bytes(_RAW, _RAW_PRIVATE, serialization.NoEncryption())
    public = private_key.public_key().public_bytes(_RAW, _RAW_PUBLIC)
    return KeySlot(
        operator=operator,
        kdf=kdf,
        public_key=_b64(public),
        wrapped_private_key=_seal_private(private, passphrase, kdf, operator),
        wrapped_data_key=seal_to(public, operator, data_key),
        created_time=now,
        created_by=created_by,
        binding=slot_binding(data_key, operator, _b64(public)),
    )
