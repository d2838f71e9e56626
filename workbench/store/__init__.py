"""The encrypted SQLite store behind a narrow repository interface.

The names below load on first use: `workbench.store.files` (where the store
is, whether it exists) must stay cheap for the TUI's first frame, while the
SQLite layer pulls in sqlite-utils (~80 ms).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.domain.lazy import lazy_getattr

if TYPE_CHECKING:
    from workbench.store.crypto import KdfParams
    from workbench.store.files import db_path, default_home, store_exists
    from workbench.store.repositories import (
        AuditRepository,
        EngineRepository,
        LeaseRepository,
        Repositories,
        RoleRepository,
    )
    from workbench.store.sqlite import Store

_WHERE = {
    "KdfParams": "workbench.store.crypto",
    "db_path": "workbench.store.files",
    "default_home": "workbench.store.files",
    "store_exists": "workbench.store.files",
    "AuditRepository": "workbench.store.repositories",
    "EngineRepository": "workbench.store.repositories",
    "LeaseRepository": "workbench.store.repositories",
    "Repositories": "workbench.store.repositories",
    "RoleRepository": "workbench.store.repositories",
    "Store": "workbench.store.sqlite",
}


__getattr__ = lazy_getattr(__name__, _WHERE)


__all__ = [
    "AuditRepository",
    "EngineRepository",
    "KdfParams",
    "LeaseRepository",
    "Repositories",
    "RoleRepository",
    "Store",
    "db_path",
    "default_home",
    "store_exists",
]
