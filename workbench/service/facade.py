"""`Workbench`: engines, roles, credentials, leases and audit in one object."""

from __future__ import annotations

import time
from collections.abc import Callable

from workbench.audit import AuditLog
from workbench.domain.lifecycle import RetryPolicy
from workbench.domain.passphrase import check_new_passphrase
from workbench.service.context import ServiceContext
from workbench.service.engines import EngineOps
from workbench.service.issuance import CredentialOps
from workbench.service.leases import LeaseOps
from workbench.service.lifecycle import LeaseLifecycle
from workbench.service.reconcile import ReconcileOps
from workbench.service.role_ops import RoleOps
from workbench.store import Store


class Workbench(EngineOps, RoleOps, CredentialOps, LeaseOps, ReconcileOps):
    """One unlocked store and everything the UIs can do with it."""

    def __init__(
        self,
        store: Store,
        *,
        operator: str,
        clock: Callable[[], float] = time.time,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.store = store
        self.operator = operator
        self.ctx = ServiceContext(store, AuditLog(store, operator=operator), clock=clock)
        self.lifecycle = LeaseLifecycle(self.ctx, retry)

    def audit_hash(self, value: str) -> str:
        """`audit hash`: the HMAC the audit trail shows for a secret."""
        return self.audit.hash_value(value)

    def change_passphrase(self, new_passphrase: str) -> None:
        """Re-wrap the data key (audited; the passphrase itself appears only as an HMAC)."""
        check_new_passphrase(new_passphrase)
        with self.audit.operation("update", "sys/passwd", {"new_passphrase": new_passphrase}):
            self.store.change_passphrase(new_passphrase)

    def close(self) -> None:
        self.ctx.processes.close()
        self.audit.close()
        self.store.close()
