"""Ending leases: one revocation routine for the operator, the worker and recovery.

Revocation is idempotent: a user already gone counts as done. A failure is
recorded on the lease and retried on Vault's schedule (2^attempt x 10 s,
+-50 %, 6 attempts); after the last attempt the lease is `irrevocable`, kept
in red until a later retry or `--force` ends it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from workbench.aws import iam_user as aws_iam
from workbench.domain.errors import Conflict, NotFound, WorkbenchError
from workbench.domain.faults import fault_point
from workbench.domain.models import CredentialType, Lease, LeaseState
from workbench.service.context import ServiceContext

MAX_ATTEMPTS = 6
IRREVOCABLE_RETRY_SECONDS = 3600.0
CLAIM_HOLD_SECONDS = 120.0


@dataclass(frozen=True)
class RetryPolicy:
    """When to try a failed revocation again."""

    base_seconds: float = 10.0
    max_attempts: int = MAX_ATTEMPTS
    irrevocable_retry_seconds: float = IRREVOCABLE_RETRY_SECONDS

    def delay(self, attempt: int) -> float:
        return float(self.base_seconds * 2**attempt * random.uniform(0.5, 1.5))


class Revoker:
    """Claims a lease, removes what AWS holds for it, and records the outcome."""

    def __init__(self, ctx: ServiceContext, retry: RetryPolicy | None = None) -> None:
        self.ctx = ctx
        self.retry = retry or RetryPolicy()

    def revoke(self, lease_id: str, *, source: str = "operator") -> Lease:
        """Revoke now (audited); raises the AWS error after scheduling a retry."""
        path = "sys/leases/revoke"
        with self.ctx.audit.operation(
            "update", path, {"lease_id": lease_id, "source": source}
        ) as op:
            lease = self.get(lease_id)
            if lease.state.is_live:
                lease = self._claim(lease)
                if lease.state is LeaseState.REVOKING:
                    lease = self.finish(lease)
            op.respond(data={"state": lease.state.value}, lease_id=lease_id)
        return lease

    def force(self, lease_id: str) -> Lease:
        """Drop the lease's record without calling AWS (users deleted out of band)."""
        with self.ctx.audit.operation(
            "update", "sys/leases/revoke-force", {"lease_id": lease_id}
        ) as op:
            lease = self.get(lease_id)
            if lease.state.is_live:
                note = "force-revoked without calling AWS"
                self._record(
                    lease,
                    LeaseState.REVOKED,
                    f"{note} (was: {lease.error})" if lease.error else note,
                )
            op.respond(data={"state": lease.state.value}, lease_id=lease_id)
        return lease

    def get(self, lease_id: str) -> Lease:
        lease = self.ctx.store.leases.get(lease_id)
        if lease is None:
            raise NotFound(
                f"lease {lease_id!r} not found; `workbench lease list --all` shows every lease"
            )
        return lease

    def _claim(self, lease: Lease) -> Lease:
        if lease.state is LeaseState.PENDING and not self.ctx.owner_is_dead(lease.owner):
            raise Conflict(
                f"lease {lease.lease_id} is still being issued by {lease.owner}; "
                "try again in a moment"
            )
        claimed = self.ctx.store.leases.claim(
            lease.lease_id,
            now=self.ctx.clock(),
            hold=CLAIM_HOLD_SECONDS,
            owner=self.ctx.owner(),
            # A pending lease whose issuer died mid-way is ours to roll back.
            orphaned_owner=lease.owner if lease.state is LeaseState.PENDING else None,
        )
        if claimed is None:
            current = self.get(lease.lease_id)
            if not current.state.is_live:
                return current
            raise Conflict(
                f"lease {lease.lease_id} is being revoked by {current.owner}; "
                "it finishes or is handed over within two minutes"
            )
        return claimed

    def withdraw(self, lease_id: str) -> Lease:
        """Revoke a credential just issued, without auditing (the audit devices failed)."""
        lease = self._claim(self.get(lease_id))
        if lease.state is LeaseState.REVOKING:
            lease = self.finish(lease)
        return lease

    def revoke_due(self, lease_id: str) -> Lease | None:
        """The worker's revocation: only if the lease is (still) due and nobody holds it.

        None when there is nothing to do: renewed since it was seen, already
        ended, or held by another process.
        """
        claimed = self.ctx.store.leases.claim(
            lease_id,
            now=self.ctx.clock(),
            hold=CLAIM_HOLD_SECONDS,
            owner=self.ctx.owner(),
            due_only=True,
        )
        if claimed is None:
            return None
        data = {"lease_id": lease_id, "source": "worker"}
        with self.ctx.audit.operation("update", "sys/leases/revoke", data) as op:
            lease = self.finish(claimed)
            op.respond(data={"state": lease.state.value}, lease_id=lease_id)
        return lease

    def finish(self, lease: Lease) -> Lease:
        """Remove the lease's credentials from AWS and record the outcome."""
        now = self.ctx.clock()
        if lease.credential_type is not CredentialType.IAM_USER:
            # Nothing exists in AWS to delete: STS credentials end at AWS's expiry.
            final = LeaseState.EXPIRED if lease.expire_time <= now else LeaseState.REVOKED
            return self._record(lease, final, None)
        engine = self.ctx.engine(lease.engine, enabled=False)
        try:
            fault_point("revoke.aws")
            aws_iam.delete_user(self.ctx.clients(engine), lease.iam_user_name or "")
            fault_point("revoke.deleted")
        except WorkbenchError as error:
            self._record_failure(lease, error)
            raise
        # A lease whose issuance never produced keys was a rollback: it failed.
        final = LeaseState.REVOKED if lease.access_key_id else LeaseState.FAILED
        return self._record(lease, final, lease.error if final is LeaseState.FAILED else None)

    def _record(self, lease: Lease, state: LeaseState, error: str | None) -> Lease:
        """The lease has ended: record how, and erase its now useless secrets."""
        lease.state = state
        lease.error = error
        lease.next_attempt_time = None
        lease.owner = None
        lease.secret_key = lease.session_token = None
        lease.updated_time = self.ctx.clock()
        self.ctx.store.leases.update(lease, secrets=True)
        return lease

    def _record_failure(self, lease: Lease, error: WorkbenchError) -> None:
        lease.attempts += 1
        lease.error = str(error)
        now = self.ctx.clock()
        if lease.attempts >= self.retry.max_attempts:
            lease.state = LeaseState.IRREVOCABLE
            lease.next_attempt_time = now + self.retry.irrevocable_retry_seconds
        else:
            lease.state = LeaseState.REVOKING
            lease.next_attempt_time = now + self.retry.delay(lease.attempts)
        lease.owner = None
        lease.updated_time = now
        self.ctx.store.leases.update(lease)
