"""A lease's operations side by side: roll back, confirm, renew, revoke, force.

As Vault's secret types hold their Renew and Revoke, this holds every
operation that moves a lease; the moves themselves (which state may follow
which, what each records) are `workbench.domain.lifecycle`'s. Revocation
cuts access first (the key deactivated, an STS session denied: see
workbench.service.cutoff), then deletes what the lease made, and is
idempotent: a user already gone counts as done. A failure is recorded on the lease and retried
on the RetryPolicy's schedule; after the last attempt the lease is
`irrevocable`, kept in red until a later retry or `--force` ends it.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress

from workbench.aws import iam_revoke
from workbench.aws import iam_user as aws_iam
from workbench.aws.clients import AwsClients
from workbench.aws.errors import AwsCallError
from workbench.domain import lifecycle
from workbench.domain.durations import parse_duration
from workbench.domain.errors import (
    AuditFailure,
    AwsError,
    Conflict,
    InvalidInput,
    NotFound,
    NotRenewable,
    WorkbenchError,
)
from workbench.domain.faults import fault_point
from workbench.domain.formatting import in_words
from workbench.domain.lifecycle import LIVE, RetryPolicy
from workbench.domain.models import Lease, LeaseState
from workbench.service import cutoff
from workbench.service.context import ServiceContext
from workbench.service.guard import inline_policy

CLAIM_HOLD_SECONDS = 120.0
# Keys made Inactive at once when many expire together (the clients' pool holds 32).
KEY_CUT_CONCURRENCY = 32


class LeaseLifecycle:
    """Every operation that moves a lease, with the store, AWS and the audit trail."""

    def __init__(self, ctx: ServiceContext, retry: RetryPolicy | None = None) -> None:
        self.ctx = ctx
        self.retry = retry or RetryPolicy()

    def get(self, lease_id: str) -> Lease:
        lease = self.ctx.store.leases.get(lease_id)
        if lease is None:
            raise NotFound(f"lease {lease_id!r} not found", hint="list_all_leases")
        return lease

    # -- issuing: roll back, confirm ---------------------------------------------

    def roll_back(self, clients: AwsClients, lease: Lease, cause: BaseException) -> None:
        """Delete whatever part of a pending lease's user was made; record the outcome."""
        nothing_made = isinstance(cause, AwsCallError) and cause.definite and cause.first_step
        cleanup_error = None
        if not nothing_made:
            try:
                self._delete(clients, lease)
            except WorkbenchError as error:
                cleanup_error = str(error)
        lifecycle.rolled_back(lease, str(cause), self.ctx.clock(), cleanup_error=cleanup_error)
        self.ctx.store.leases.update(lease)

    def confirm_ready(self, lease_id: str) -> bool:
        """Readiness probe: True once AWS accepts a propagating lease's key (now active)."""
        lease = self.ctx.store.leases.get(lease_id, secrets=True)
        if lease is None or lease.state not in lifecycle.PROBED or not lease.access_key_id:
            return False
        engine = self.ctx.engine(lease.engine, enabled=False)
        probe = self.ctx.clients(engine).with_keys(
            lease.access_key_id, lease.secret_key or "", None
        )
        try:
            probe.caller_identity()
        except AwsError:
            return False
        return self.ctx.store.leases.promote(lease_id, now=self.ctx.clock())

    # -- renewing ----------------------------------------------------------------

    def renew(self, lease_id: str, increment: str | int | None = None) -> tuple[Lease, list[str]]:
        """Extend an iam_user lease; counted from now, capped at its max TTL (audited)."""
        data = {"lease_id": lease_id, "increment": increment}
        with self.ctx.audit.operation("update", "sys/leases/renew", data) as op:
            lease = self.get(lease_id)
            now = self.ctx.clock()
            lifecycle.renewal(lease, 1, now)  # renewable at all, before reading anything else
            engine = self.ctx.engine(lease.engine, enabled=False)
            seconds = (
                parse_duration(increment, field="increment")
                if increment not in (None, "")
                else engine.lease_config.lease
            )
            if seconds <= 0:
                raise InvalidInput("{field:increment} must be longer than 0s", field="increment")
            renewal = lifecycle.renewal(lease, seconds, now)
            warnings = []
            if renewal.capped:
                warnings.append(
                    "TTL capped at the lease's max TTL; it ends in "
                    f"{in_words(renewal.expire_time - now)}"
                )
            if engine.root.expiry_guard:
                role = self.ctx.store.roles.get(lease.engine, lease.role)
                policy = inline_policy(role.policy_document if role else None, renewal.expire_time)
                if policy:
                    aws_iam.put_inline_policy(
                        self.ctx.clients(engine), lease.iam_user_name or "", policy
                    )
            if not self.ctx.store.leases.renew(lease_id, expire_time=renewal.expire_time, now=now):
                raise NotRenewable(f"lease {lease_id} was revoked while renewing; issue a new one")
            lifecycle.renewed(lease, renewal, now)
            op.respond(data={"ttl": round(renewal.expire_time - now)}, lease_id=lease_id)
        return lease, warnings

    # -- revoking ----------------------------------------------------------------

    def revoke(
        self, lease_id: str, *, source: str = "operator", probe: bool | None = None
    ) -> Lease:
        """Revoke now (audited); raises the AWS error after scheduling a retry.

        `probe` forces the dead-key probe on or off (None: the engine's setting).
        """
        with self.ctx.audit.operation(
            "update", "sys/leases/revoke", {"lease_id": lease_id, "source": source}
        ) as op:
            lease = self.get(lease_id)
            if lease.state in LIVE:
                lease = self._claim(lease)
                if lease.state is LeaseState.REVOKING:
                    with self._released_if_cut_off(lease):
                        lease = self.finish(lease, probe=probe)
            op.respond(data={"state": lease.state.value}, lease_id=lease_id)
        return lease

    def force(self, lease_id: str) -> Lease:
        """Drop the lease's record without calling AWS (users deleted out of band)."""
        with self.ctx.audit.operation(
            "update", "sys/leases/revoke-force", {"lease_id": lease_id}
        ) as op:
            lease = self.get(lease_id)
            if lease.state in LIVE:
                self._save_end(lifecycle.forced(lease, self.ctx.clock()))
            op.respond(data={"state": lease.state.value}, lease_id=lease_id)
        return lease

    def withdraw(self, lease_id: str) -> Lease:
        """Revoke a credential just issued whose response the audit devices refused.

        Audited (source `withdraw`) if they take entries again: a team store's
        connection cut off mid-entry is replaced at the next transaction. Only if
        the revocation's own entry is refused too does it go on unaudited.
        """
        try:
            return self.revoke(lease_id, source="withdraw")
        except AuditFailure:
            pass  # the devices still fail: withdrawn all the same, below
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
        with (
            self._released_if_cut_off(claimed),
            self.ctx.audit.operation("update", "sys/leases/revoke", data) as op,
        ):
            lease = self.finish(claimed)
            op.respond(data={"state": lease.state.value}, lease_id=lease_id)
        return lease

    @contextmanager
    def _released_if_cut_off(self, claimed: Lease) -> Iterator[None]:
        """A claim whose revocation stopped before its outcome was written (its audit entry
        or a store write refused: a team store's connection cut off) is due again at once,
        not after its CLAIM_HOLD_SECONDS. An AWS failure has written its retry time and let
        the claim go already: then this changes nothing."""
        # As claimed (the revocation changes the Lease it is given).
        lease_id, owner, until = claimed.lease_id, claimed.owner, claimed.next_attempt_time
        try:
            yield
        except WorkbenchError:
            with suppress(WorkbenchError):  # the store still failing: the hold ends it later
                store = self.ctx.store
                with store.transaction():
                    current = store.leases.get(lease_id)
                    if (
                        current is not None
                        and current.state is LeaseState.REVOKING
                        and current.owner == owner
                        and current.next_attempt_time == until
                    ):
                        current.next_attempt_time = self.ctx.clock()
                        store.leases.update(current)
            raise

    def finish(self, lease: Lease, *, probe: bool | None = None) -> Lease:
        """Cut a claimed lease's access in AWS, clean up, probe, and record the outcome."""
        engine = self.ctx.engine(lease.engine, enabled=False)
        clients = self.ctx.clients(engine)
        try:
            if lease.credential_type.is_sts:
                lease.revocation = cutoff.deny_sessions(clients, [lease], self.ctx.clock())[
                    lease.lease_id
                ]
            else:
                self._revoke_user(clients, lease)
        except WorkbenchError as error:
            lifecycle.attempt_failed(lease, str(error), self.ctx.clock(), self.retry)
            self.ctx.store.leases.update(lease)
            raise
        if engine.root.dead_key_probe_enabled if probe is None else probe:
            self.probe(clients, lease)
        return self._save_end(lifecycle.deleted(lease, self.ctx.clock()))

    def _revoke_user(self, clients: AwsClients, lease: Lease) -> None:
        fault_point("revoke.aws")
        already = (lease.revocation or {}).get("key_inactive_time")
        outcome = iam_revoke.UserRevocation(
            key_inactive_time=float(already) if isinstance(already, int | float) else None
        )
        try:
            iam_revoke.revoke_user(
                clients,
                lease.iam_user_name or "",
                lease.access_key_id,
                lease.created,
                clock=self.ctx.clock,
                outcome=outcome,
            )
        finally:
            # Even when a later step failed, the record says whether the key is dead.
            lease.revocation = outcome.record()
        fault_point("revoke.deleted")

    def probe(self, clients: AwsClients, lease: Lease) -> None:
        """The dead-key probe: an iam_user key is called with until AWS refuses it."""
        if lease.credential_type.is_sts or not lease.access_key_id or lease.revocation is None:
            return
        stored = self.ctx.store.leases.get(lease.lease_id, secrets=True)
        if stored is None or not stored.secret_key:
            return
        since = float(lease.revocation.get("key_inactive_time") or self.ctx.clock())
        lease.revocation["probe"] = cutoff.probe_dead(
            clients, lease.access_key_id, stored.secret_key, clock=self.ctx.clock, since=since
        )

    def revoke_sessions(self, lease_ids: list[str], *, source: str) -> dict[str, Lease | str]:
        """Revoke STS leases together: one deny policy write per role or root user.

        Each lease's revocation is audited on its own; the value is the ended
        lease, or the error that kept it live (retried on the usual schedule).
        """
        outcome: dict[str, Lease | str] = {}
        claimed: dict[str, list[Lease]] = {}
        for lease_id in lease_ids:
            try:
                lease = self._claim(self.get(lease_id))
            except WorkbenchError as error:
                outcome[lease_id] = str(error)
                continue
            if lease.state is LeaseState.REVOKING:
                claimed.setdefault(lease.engine, []).append(lease)
            else:
                outcome[lease_id] = lease
        for engine_name, group in claimed.items():
            try:
                clients = self.ctx.clients(self.ctx.engine(engine_name, enabled=False))
                records = cutoff.deny_sessions(clients, group, self.ctx.clock())
            except WorkbenchError as error:
                for lease in group:
                    lifecycle.attempt_failed(lease, str(error), self.ctx.clock(), self.retry)
                    self.ctx.store.leases.update(lease)
                    outcome[lease.lease_id] = str(error)
                continue
            for lease in group:
                data = {"lease_id": lease.lease_id, "source": source}
                with self.ctx.audit.operation("update", "sys/leases/revoke", data) as op:
                    lease.revocation = records[lease.lease_id]
                    outcome[lease.lease_id] = self._save_end(
                        lifecycle.deleted(lease, self.ctx.clock())
                    )
                    op.respond(data={"state": lease.state.value}, lease_id=lease.lease_id)
        return outcome

    def deactivate_keys(
        self, leases: list[Lease], *, concurrency: int = KEY_CUT_CONCURRENCY
    ) -> dict[str, float | str]:
        """UpdateAccessKey Inactive for every iam_user key at once, before any cleanup.

        Each key made Inactive is recorded on its lease (its revocation then
        skips that call). The value is when it went inactive, or the error.
        """
        started = self.ctx.clock()

        def deactivate(lease: Lease) -> float | str:
            try:  # a damaged engine fails its own leases here, never the others
                clients = self.ctx.clients(self.ctx.engine(lease.engine, enabled=False))
                iam_revoke.deactivate_key(clients, lease.iam_user_name or "", lease.access_key_id)
            except WorkbenchError as error:
                return str(error)
            at = self.ctx.clock()
            self.ctx.store.leases.note_key_inactive(lease.lease_id, at=at)
            return at - started

        keyed = [
            lease for lease in leases if lease.access_key_id and not lease.credential_type.is_sts
        ]
        if not keyed:
            return {}
        workers = max(1, min(concurrency, len(keyed)))
        with ThreadPoolExecutor(workers, thread_name_prefix="deactivate") as pool:
            ids = [lease.lease_id for lease in keyed]
            return dict(zip(ids, pool.map(deactivate, keyed), strict=True))

    def _claim(self, lease: Lease) -> Lease:
        if lease.state is LeaseState.PENDING and not self.ctx.owner_is_dead(lease.owner):
            raise Conflict(
                f"lease {lease.lease_id} is still being issued by {lease.owner}; "
                "try again in a moment"
            )
        # A pending lease whose issuer died mid-way is ours to roll back; a revoking
        # one whose revoker died (a killed `incident contain`) is ours to finish now.
        orphaned = lease.state is LeaseState.PENDING or (
            lease.state is LeaseState.REVOKING and self.ctx.owner_is_dead(lease.owner)
        )
        claimed = self.ctx.store.leases.claim(
            lease.lease_id,
            now=self.ctx.clock(),
            hold=CLAIM_HOLD_SECONDS,
            owner=self.ctx.owner(),
            orphaned_owner=lease.owner if orphaned else None,
        )
        if claimed is None:
            current = self.get(lease.lease_id)
            if current.state not in LIVE:
                return current
            raise Conflict(
                f"lease {lease.lease_id} is being revoked by {current.owner}; "
                "it finishes or is handed over within two minutes"
            )
        return claimed

    @staticmethod
    def _delete(clients: AwsClients, lease: Lease) -> None:
        """A rollback's deletion: the half-made user and all it may hold."""
        aws_iam.delete_user(clients, lease.iam_user_name or "")

    def _save_end(self, lease: Lease) -> Lease:
        self.ctx.store.leases.update(lease, secrets=True)  # the secrets erased with it
        return lease
