"""Opening and creating a store: the one way both UIs get a `Workbench`."""

from __future__ import annotations

from pathlib import Path

from workbench.domain.passphrase import check_new_passphrase
from workbench.service.facade import Workbench
from workbench.store import KdfParams, Store
from workbench.store.files import db_path, store_exists

__all__ = ["create_workbench", "db_path", "open_workbench", "store_exists"]

DEFAULT_ENGINE = "aws"


def open_workbench(home: Path, passphrase: str, *, operator: str) -> Workbench:
    """Unlock the store in `home` (WrongPassphrase / StoreMissing otherwise)."""
    return Workbench(Store.open(home, passphrase), operator=operator)


def create_workbench(
    home: Path, passphrase: str, *, operator: str, kdf: KdfParams | None = None
) -> Workbench:
    """Create a store with engine `aws`, as `workbench init` does; refuses to overwrite."""
    check_new_passphrase(passphrase)
    service = Workbench(Store.create(home, passphrase, kdf), operator=operator)
    try:
        service.engines.enable(DEFAULT_ENGINE)
    except BaseException:
        service.close()
        raise
    return service
