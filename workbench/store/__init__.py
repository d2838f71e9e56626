"""The encrypted SQLite store behind a narrow repository interface."""

from workbench.store.crypto import KdfParams
from workbench.store.files import default_home
from workbench.store.repositories import (
    AuditRepository,
    EngineRepository,
    LeaseRepository,
    LockRepository,
    Repositories,
    RoleRepository,
)
from workbench.store.sqlite import Store

__all__ = [
    "AuditRepository",
    "EngineRepository",
    "KdfParams",
    "LeaseRepository",
    "LockRepository",
    "Repositories",
    "RoleRepository",
    "Store",
    "default_home",
]
