"""Vault's `sys/leases`: list, lookup, renew, revoke, revoke-prefix, force."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from workbench.domain.errors import InvalidInput, WorkbenchError
from workbench.domain.models import Lease, UnreadableLease
from workbench.service.base import ServicePart
from workbench.service.lifecycle import LeaseLifecycle

DEFAULT_CONCURRENCY = 8


@dataclass
class PrefixRevocation:
    """What `revoke --prefix` did, lease by lease."""

    prefix: str
    revoked: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    sts_still_valid: list[str] = field(default_factory=list)
    unreadable: list[UnreadableLease] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.unreadable


class LeaseOps(ServicePart):
    """Leases as Vault's lease manager handles them."""

    lifecycle: LeaseLifecycle
    concurrency: int = DEFAULT_CONCURRENCY

    def list_leases(
        self, prefix: str | None = None, *, include_history: bool = False
    ) -> list[Lease]:
        return self.ctx.store.leases.list(prefix=prefix, live_only=not include_history)

    def unreadable_leases(self, prefix: str | None = None) -> list[UnreadableLease]:
        """Lease rows this version cannot read: set aside, never revoked blindly."""
        return self.ctx.store.leases.unreadable(prefix=prefix)

    def lookup(self, lease_id: str) -> Lease:
        with self.audit.operation("update", "sys/leases/lookup", {"lease_id": lease_id}) as op:
            lease = self.lifecycle.get(lease_id)
            op.respond(data={"state": lease.state.value}, lease_id=lease_id)
        return lease

    def renew(self, lease_id: str, increment: str | int | None = None) -> tuple[Lease, list[str]]:
        """Extend an iam_user lease; counted from now, capped at its max TTL."""
        return self.lifecycle.renew(lease_id, increment)

    def confirm_ready(self, lease_id: str) -> bool:
        """Readiness probe: True once AWS accepts a propagating lease's key (now active)."""
        return self.lifecycle.confirm_ready(lease_id)

    def revoke(self, lease_id: str, *, force: bool = False) -> Lease:
        if force:
            return self.lifecycle.force(lease_id)
        return self.lifecycle.revoke(lease_id)

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
        with self.audit.operation("update", path, data) as op:
            leases = self.ctx.store.leases.list(prefix=prefix)
            result.unreadable = self.ctx.store.leases.unreadable(prefix=prefix)

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
                    if lease.credential_type.is_sts and lease.expire_time > self.ctx.clock():
                        result.sts_still_valid.append(lease.lease_id)
            op.respond(
                data={
                    "revoked": len(result.revoked),
                    "failed": len(result.failed),
                    "unreadable": [bad.lease_id for bad in result.unreadable],
                }
            )
        return result
