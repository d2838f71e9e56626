"""Small text files a user names (passphrase, role, policy): read bounded, refused in one line."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from workbench.domain.errors import InvalidInput
from workbench.domain.text import printable

KIB = 1024
PASSPHRASE_FILE_LIMIT = 4 * KIB
DOCUMENT_FILE_LIMIT = 1024 * KIB


def _size(limit: int) -> str:
    return f"{limit // KIB:,} KiB" if limit < 1024 * KIB else f"{limit // (1024 * KIB):,} MiB"


def read_text_file(path: str | Path, *, what: str, limit: int) -> str:
    """The UTF-8 text of `path`, at most `limit` bytes; any problem is an InvalidInput naming it.

    A FIFO is opened without waiting for a writer, so one nobody writes to
    reads as empty instead of hanging; a device is read only up to the limit.
    """
    shown = f"cannot read {what} {printable(str(path))}"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise InvalidInput(f"{shown}: no such file") from None
    except PermissionError:
        raise InvalidInput(f"{shown}: permission denied") from None
    except OSError as error:
        raise InvalidInput(f"{shown}: {error.strerror or error}") from None
    except ValueError:
        raise InvalidInput(f"{shown}: not a valid path") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InvalidInput(f"{shown}: it is a directory; give a file")
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            raise InvalidInput(f"{shown}: larger than {_size(limit)}, too big for a {what}")
        os.set_blocking(fd, True)
        data = _read_at_most(fd, limit + 1)
    except OSError as error:
        raise InvalidInput(f"{shown}: {error.strerror or error}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise InvalidInput(f"{shown}: larger than {_size(limit)}, too big for a {what}")
    if not data and stat.S_ISFIFO(info.st_mode):
        raise InvalidInput(f"{shown}: a FIFO nothing was written to; give a regular file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"{shown}: not UTF-8 text (byte {error.start + 1} is {data[error.start]:#04x})"
        ) from None


def _read_at_most(fd: int, count: int) -> bytes:
    chunks: list[bytes] = []
    left = count
    while left > 0:
        chunk = os.read(fd, min(left, 64 * KIB))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def check_passphrase_text(passphrase: str, source: str) -> str:
    """Refuse a passphrase that is not valid text (undecodable bytes from the environment)."""
    try:
        passphrase.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"the passphrase from {source} is not valid UTF-8 text") from None
    return passphrase
