"""`Workbench`: the one door to engines, roles, credentials, leases, IAM and the audit trail.

Its parts are composed, each given what it needs:

    wb.engines   enable, disable, configure (Vault's sys/mounts, config/root, config/lease)
    wb.roles     write (validated), import, read, list, delete (aws/roles/NAME)
    wb.creds     issue (aws/creds/ROLE, aws/sts/ROLE)
    wb.leases    list, lookup, renew, revoke, revoke by prefix; the revoker's view
    wb.iam       the users this store made, reconcile
    wb.audit     read, verify, hash; file devices
    wb.operators who can unlock the store (key slots): list, add, remove

The store, the audit writer and the AWS clients stay inside.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.audit import AuditLog
from workbench.domain.lifecycle import RetryPolicy
from workbench.domain.passphrase import check_new_passphrase
from workbench.service.audit_trail import AuditTrail
from workbench.service.context import ServiceContext
from workbench.service.engines import Engines
from workbench.service.leases import Leases
from workbench.service.lifecycle import LeaseLifecycle
from workbench.service.operators import Operators
from workbench.service.role_ops import Roles
from workbench.service.static_roles import StaticRoles
from workbench.store import Repositories
from workbench.store.repositories import WorkerLockLike

if TYPE_CHECKING:
    from workbench.service.incident import Incident
    from workbench.service.issuance import Credentials
    from workbench.service.reconcile import Iam


class Workbench:
    """One unlocked store and everything the faces can do with it."""

    def __init__(
        self,
        store: Repositories,
        *,
        operator: str,
        clock: Callable[[], float] = time.time,
        retry: RetryPolicy | None = None,
        audit_clock: Callable[[], float] | None = None,
    ) -> None:
        """`clock` times leases and, unless `audit_clock` is given, the audit entries."""
        self._store = store
        audit = AuditLog(store, operator=operator, clock=audit_clock or clock)
        self._ctx = ServiceContext(store, audit, clock=clock, operator=operator)
        self._lifecycle = LeaseLifecycle(self._ctx, retry)
        self.engines = Engines(self._ctx)
        self.leases = Leases(self._ctx, self._lifecycle)
        self.static_roles = StaticRoles(self._ctx)
        self.roles = Roles(self._ctx, self.leases, self.static_roles)
        self.audit = AuditTrail(self._ctx.audit)
        self.operators = Operators(self._ctx)

    # Made on first use: a command that lists leases does not load the policy grammar, the
    # issuance path or incident response (~20 ms of its start).

    @functools.cached_property
    def creds(self) -> Credentials:
        from workbench.service.issuance import Credentials

        return Credentials(self._ctx, self._lifecycle)

    @functools.cached_property
    def iam(self) -> Iam:
        from workbench.service.reconcile import Iam

        return Iam(self._ctx)

    @functools.cached_property
    def incident(self) -> Incident:
        from workbench.service.incident import Incident

        return Incident(self._ctx, self._lifecycle)

    @property
    def operator(self) -> str:
        """Who acts: the audit entries' display name."""
        return self._ctx.operator

    @property
    def home(self) -> Path:
        """This machine's folder of the store (the SQLite file, file locks, status file)."""
        return self._store.home

    @property
    def store_location(self) -> str:
        """Where the store is, fit to print: the file, or the URL without its password."""
        return self._store.describe()

    @property
    def team_mode(self) -> bool:
        """Whether the store is a shared PostgreSQL database."""
        return self._store.dialect == "postgresql"

    def clock(self) -> float:
        """Now, by the service's clock (tests hold it)."""
        return self._ctx.clock()

    def changes(self) -> int:
        """A number that moves whenever any process writes the store (cheap to poll)."""
        return self._store.change_token()

    def worker_lock(self) -> WorkerLockLike:
        """The store's one-revoker lock (a file lock, or a PostgreSQL advisory lock)."""
        return self._store.worker_lock()

    def write_worker_status(self, body: dict[str, Any]) -> None:
        """The revoker's health report, where `workbench status` reads it (no secret in it)."""
        self._store.write_worker_status(body)

    def sweep_processes(self) -> int:
        """Forget registry entries of processes that have died; how many went."""
        return self._ctx.processes.sweep()

    def change_passphrase(self, new_passphrase: str) -> None:
        """Re-wrap the data key (audited; the passphrase itself appears only as an HMAC)."""
        check_new_passphrase(new_passphrase)
        with self._ctx.audit.operation("update", "sys/passwd", {"new_passphrase": new_passphrase}):
            self._store.change_passphrase(new_passphrase)

    def close(self) -> None:
        self._ctx.processes.close()
        self._ctx.audit.close()
        self._store.close()
