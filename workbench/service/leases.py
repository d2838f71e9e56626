"""Vault's `sys/leases`: list, lookup, renew, revoke, revoke-prefix, force."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from workbench.aws import iam_user as aws_iam
from workbench.domain.durations import format_duration, parse_duration
from workbench.domain.errors import InvalidInput, NotRenewable, WorkbenchError
from workbench.domain.models import CredentialType, Lease, LeaseState, UnreadableLease
from workbench.service.base import ServicePart
from workbench.service.guard import inline_policy
from workbench.service.revocation import Revoker

DEFAULT_CONCURRENCY = 8
RENEWABLE_STATES = frozenset({LeaseState.ACTIVE, LeaseState.PROPAGATING})


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

    revoker: Revoker
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
            lease = self.revoker.get(lease_id)
            op.respond(data={"state": lease.state.value}, lease_id=lease_id)
        return lease

    def renew(self, lease_id: str, increment: str | int | None = None) -> tuple[Lease, list[str]]:
        """Extend an iam_user lease; counted from now, capped at its max TTL."""
        data = {"lease_id": lease_id, "increment": increment}
        with self.audit.operation("update", "sys/leases/renew", data) as op:
            lease = self.revoker.get(lease_id)
            if lease.state not in RENEWABLE_STATES:
                raise NotRenewable(f"lease {lease_id} is {lease.state.value}; issue a new one")
            if lease.credential_type is not CredentialType.IAM_USER or not lease.renewable:
                raise NotRenewable(
                    f"lease {lease_id} is an STS credential ({lease.credential_type.value}); "
                    "AWS fixes its expiry, so it cannot be renewed: issue a new one"
                )
            engine = self.ctx.engine(lease.engine, enabled=False)
            now = self.ctx.clock()
            if now >= lease.max_expire_time:
                raise NotRenewable(
                    f"lease {lease_id} has reached its max TTL "
                    f"({format_duration(round(lease.max_expire_time - lease.issue_time))}); "
                    "issue a new one"
                )
            if now >= lease.expire_time:
                raise NotRenewable(f"lease {lease_id} has expired; issue a new one")
            seconds = (
                parse_duration(increment, what="--increment")
                if increment not in (None, "")
                else engine.lease_config.lease
            )
            if seconds <= 0:
                raise InvalidInput("--increment must be longer than 0s")
            warnings = []
            new_expire = now + seconds
            if new_expire > lease.max_expire_time:
                new_expire = lease.max_expire_time
                warnings.append(
                    "TTL capped at the lease's max TTL; it ends in "
                    f"{format_duration(round(new_expire - now))}"
                )
            role = self.ctx.store.roles.get(lease.engine, lease.role)
            if engine.root.expiry_guard:
                policy = inline_policy(role.policy_document if role else None, new_expire)
                if policy:
                    aws_iam.put_inline_policy(
                        self.ctx.clients(engine), lease.iam_user_name or "", policy
                    )
            if not self.ctx.store.leases.renew(lease_id, expire_time=new_expire, now=now):
                raise NotRenewable(f"lease {lease_id} was revoked while renewing; issue a new one")
            lease.expire_time = new_expire
            lease.updated_time = now
            op.respond(data={"ttl": round(new_expire - now)}, lease_id=lease_id)
        return lease, warnings

    def revoke(self, lease_id: str, *, force: bool = False) -> Lease:
        if force:
            return self.revoker.force(lease_id)
        return self.revoker.revoke(lease_id)

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
