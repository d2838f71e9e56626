"""Vault's `sys/leases`: list, lookup, renew, revoke, revoke-prefix, force."""

from __future__ import annotations

import builtins
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from workbench.domain.errors import InvalidInput, StoreCorrupted, WorkbenchError
from workbench.domain.lifecycle import PROBED, RECOVERABLE
from workbench.domain.models import Lease, UnreadableLease
from workbench.service.base import ServicePart
from workbench.service.context import ServiceContext
from workbench.service.lifecycle import LeaseLifecycle

DEFAULT_CONCURRENCY = 8


@dataclass
class PrefixRevocation:
    """What `revoke --prefix` did, lease by lease."""

    prefix: str
    revoked: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    sts_still_valid: list[str] = field(default_factory=list)  # AWS could not be told to deny
    unreadable: list[UnreadableLease] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.unreadable


class Leases(ServicePart):
    """`wb.leases`: leases as Vault's lease manager handles them, and the revoker's view."""

    def __init__(
        self,
        ctx: ServiceContext,
        lifecycle: LeaseLifecycle,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        super().__init__(ctx)
        self._lifecycle = lifecycle
        self.concurrency = concurrency

    def list(
        self, prefix: str | None = None, *, include_history: bool = False
    ) -> builtins.list[Lease]:
        return self._ctx.store.leases.list(prefix=prefix, live_only=not include_history)

    def unreadable(self, prefix: str | None = None) -> builtins.list[UnreadableLease]:
        """Lease rows this version cannot read: set aside, never revoked blindly."""
        return self._ctx.store.leases.unreadable(prefix=prefix)

    def lookup(self, lease_id: str) -> Lease:
        with self._audit.operation("update", "sys/leases/lookup", {"lease_id": lease_id}) as op:
            lease = self._lifecycle.get(lease_id)
            op.respond(data={"state": lease.state.value}, lease_id=lease_id)
        return lease

    def renew(
        self, lease_id: str, increment: str | int | None = None
    ) -> tuple[Lease, builtins.list[str]]:
        """Extend an iam_user lease; counted from now, capped at its max TTL."""
        return self._lifecycle.renew(lease_id, increment)

    def confirm_ready(self, lease_id: str) -> bool:
        """Readiness probe: True once AWS accepts a propagating lease's key (now active)."""
        return self._lifecycle.confirm_ready(lease_id)

    def revoke(self, lease_id: str, *, force: bool = False) -> Lease:
        if force:
            return self._lifecycle.force(lease_id)
        return self._lifecycle.revoke(lease_id)

    def revoke_prefix(self, prefix: str, *, force: bool = False) -> PrefixRevocation:
        """Revoke every live lease whose id starts with `prefix`, concurrently."""
        if not prefix or not prefix.strip():
            raise InvalidInput(
                "the prefix is empty; give an engine (aws/), a role (aws/creds/webapp/) "
                "or any lease id prefix"
            )
        result = PrefixRevocation(prefix=prefix)
        data = {"prefix": prefix, "force": force}
        path = f"sys/leases/revoke-{'force' if force else 'prefix'}/{prefix}"
        with self._audit.operation("update", path, data) as op:
            leases = self._ctx.store.leases.list(prefix=prefix)
            result.unreadable = self._ctx.store.leases.unreadable(prefix=prefix)

            def one(lease: Lease) -> tuple[Lease, str | None]:
                try:
                    return self.revoke(lease.lease_id, force=force), None
                except WorkbenchError as error:
                    return lease, str(error)

            workers = max(1, min(self.concurrency, len(leases)))
            with ThreadPoolExecutor(workers, thread_name_prefix="revoke") as pool:
                for lease, error in pool.map(one, leases):
                    if error:
                        result.failed[lease.lease_id] = error
                        continue
                    result.revoked.append(lease.lease_id)
                    if (lease.revocation or {}).get("path") == "not cut":
                        result.sts_still_valid.append(lease.lease_id)
            op.respond(
                data={
                    "revoked": len(result.revoked),
                    "failed": len(result.failed),
                    "unreadable": [bad.lease_id for bad in result.unreadable],
                }
            )
        return result

    # -- the revoker's view --------------------------------------------------------

    def due(self, now: float, limit: int) -> builtins.list[Lease]:
        """Live leases whose expiry or retry time has come, soonest first."""
        return self._ctx.store.leases.due(now, limit=limit)

    def cut_keys(self, leases: builtins.list[Lease]) -> dict[str, float | str]:
        """Make due iam_user keys Inactive at once, before each revocation's cleanup.

        Leases whose key is already recorded inactive are skipped; a due lease
        cannot be renewed any more, so this never stops a key that would live on.
        """
        fresh = [lease for lease in leases if not (lease.revocation or {}).get("key_inactive_time")]
        return self._lifecycle.deactivate_keys(fresh)

    def next_due_time(self) -> float | None:
        """When the next live lease expires or is due a retry."""
        return self._ctx.store.leases.next_due_time()

    def propagating(self, limit: int) -> builtins.list[Lease]:
        """Leases whose new key AWS has not been seen to accept yet."""
        return self._ctx.store.leases.list(states=PROBED, limit=limit)

    def current(self, lease_id: str) -> Lease | None:
        """The lease as stored now, without auditing; None if gone or unreadable."""
        try:
            return self._ctx.store.leases.get(lease_id)
        except StoreCorrupted:
            return None

    def recover_orphans(self) -> int:
        """Leases left pending or revoking by a process that died: due now (unless taken since)."""
        leases = self._ctx.store.leases
        now = self._ctx.clock()
        recovered = 0
        for lease in leases.list(states=RECOVERABLE):
            if self._ctx.owner_is_dead(lease.owner) and leases.reschedule_orphan(
                lease.lease_id, owner=lease.owner, now=now
            ):
                recovered += 1
        return recovered

    def revoke_due(self, lease_id: str) -> Lease | None:
        """The worker's revocation: only if still due and nobody holds it (None: nothing to do)."""
        return self._lifecycle.revoke_due(lease_id)
