"""Opening and creating a store: the one way both UIs get a `Workbench`."""

from __future__ import annotations

from pathlib import Path

from workbench.domain.errors import Conflict
from workbench.domain.passphrase import check_new_passphrase
from workbench.domain.text import printable
from workbench.service.facade import Workbench
from workbench.store import KdfParams
from workbench.store.files import db_path, store_exists
from workbench.store.location import StoreLocation, parse_location

__all__ = [
    "StoreLocation",
    "create_workbench",
    "db_path",
    "open_workbench",
    "parse_location",
    "store_exists",
]

DEFAULT_ENGINE = "aws"


def _location(where: Path | StoreLocation) -> StoreLocation:
    return where if isinstance(where, StoreLocation) else StoreLocation(where)


def open_workbench(
    where: Path | StoreLocation,
    passphrase: str,
    *,
    operator: str | None = None,
    label: str | None = None,
) -> Workbench:
    """Unlock the store as `operator` (its key slot); `label` names the audit's display name.

    The label is free text (`--as`), but it may not be another operator's name.
    WrongPassphrase / StoreMissing / NotFound (no slot for that operator) otherwise.
    """
    store = _location(where).open(passphrase, operator=operator)
    try:
        shown = _display_name(store.operator, label, store.operator_names())
    except BaseException:
        store.close()
        raise
    return Workbench(store, operator=shown)


def _display_name(operator: str, label: str | None, operators: list[str]) -> str:
    if not label or label == operator:
        return operator
    if label in operators:
        raise Conflict(
            f"{{field:label}} {printable(label)!r} is another operator's name; the audit names "
            f"who acted, so you act as {printable(operator)!r} (or unlock as that operator)",
            field="label",
        )
    return label


def create_workbench(
    where: Path | StoreLocation,
    passphrase: str,
    *,
    operator: str | None = None,
    label: str | None = None,
    kdf: KdfParams | None = None,
) -> Workbench:
    """Create a store with engine `aws` and `operator`'s key slot, as `workbench init` does."""
    check_new_passphrase(passphrase)
    store = _location(where).create(passphrase, operator=operator, kdf=kdf)
    service = Workbench(store, operator=label or store.operator)
    try:
        service.engines.enable(DEFAULT_ENGINE)
    except BaseException:
        service.close()
        raise
    return service
