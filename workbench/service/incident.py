"""`wb.incident`: what a credential did, which lease a leaked key is, and containment.

Containment runs in the order that stops access soonest: every iam_user key
made Inactive first (concurrently, one call each), then every live STS
session denied (one policy write per role or root user), then every lease
revoked and its cleanup done, with the dead-key probe on. Each step is
idempotent, so a containment killed half-way is finished by running it again.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from workbench.aws import cloudtrail
from workbench.domain.errors import InvalidInput, WorkbenchError
from workbench.domain.faults import fault_point
from workbench.domain.models import Lease, UnreadableLease
from workbench.domain.trail import TrailEvent, flag
from workbench.service.base import ServicePart
from workbench.service.context import ServiceContext
from workbench.service.cutoff import describe
from workbench.service.lifecycle import LeaseLifecycle

CONCURRENCY = 16
# How far before a lease's issue time its trail is looked up (clock skew).
TRAIL_MARGIN_SECONDS = 300
FAST_TRAIL_POLL, AWS_TRAIL_POLL = 1.0, 30.0  # seconds between a live view's reads


@dataclass
class Contained:
    """What containment did to one credential."""

    lease_id: str
    credential_type: str
    state: str
    done: str
    refused: bool | None  # AWS refuses it now (probed); None when it cannot be probed
    key_inactive_after: float | None = None  # seconds from the start
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Containment:
    """`incident contain PREFIX`: every credential under it, what was done to each."""

    prefix: str
    results: list[Contained] = field(default_factory=list)
    unreadable: list[UnreadableLease] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.unreadable and all(r.error is None for r in self.results)


class Incident(ServicePart):
    """`wb.incident`: trail, find, plan, contain (the report is `wb.incident.report`)."""

    def __init__(self, ctx: ServiceContext, lifecycle: LeaseLifecycle) -> None:
        super().__init__(ctx)
        self._lifecycle = lifecycle

    # -- what a credential did ---------------------------------------------------------

    def trail(
        self, lease_id: str, *, since: float | None = None, audited: bool = True
    ) -> list[TrailEvent]:
        """The lease's AWS calls, oldest first, flagged (audited as a read).

        A view that reads it again every few seconds (`--follow`, the TUI's
        detail) audits its first read only: `audited=False` for the rest.
        """
        if not audited:
            return self.trail_of(self._lifecycle.get(lease_id), since=since)
        with self._audit.operation("read", "sys/leases/trail", {"lease_id": lease_id}) as op:
            events = self.trail_of(self._lifecycle.get(lease_id), since=since)
            op.respond(data={"events": len(events)}, lease_id=lease_id)
        return events

    def trail_poll_seconds(self, lease_id: str) -> float:
        """How often a live view should read a lease's trail again.

        An AWS-compatible endpoint (the embedded AWS) records calls at once:
        every second. Real CloudTrail delivers about 15 minutes late and
        allows LookupEvents 2 calls a second per account: every 30 s.
        """
        engine = self._ctx.engine(self._lifecycle.get(lease_id).engine, enabled=False)
        return FAST_TRAIL_POLL if engine.root.iam_endpoint else AWS_TRAIL_POLL

    def trail_of(self, lease: Lease, *, since: float | None = None) -> list[TrailEvent]:
        """By its access key; also by its IAM user or role session name (other keys, too)."""
        clients = self._ctx.clients(self._ctx.engine(lease.engine, enabled=False))
        now = self._ctx.clock()
        start = max(lease.issue_time - TRAIL_MARGIN_SECONDS, now - cloudtrail.RETENTION_SECONDS)
        if since is not None:
            start = max(start, since)
        found: dict[str, TrailEvent] = {}
        lookups = []
        if lease.access_key_id:
            lookups.append(("AccessKeyId", lease.access_key_id))
        name = lease.iam_user_name if not lease.credential_type.is_sts else lease.session_name
        if name and lease.credential_type.value in ("iam_user", "assumed_role"):
            lookups.append(("Username", name))
        for region in cloudtrail.regions(clients):
            for attribute, value in lookups:
                for event in cloudtrail.lookup(
                    clients, attribute, value, start=start, region=region
                ):
                    found.setdefault(event.event_id, event)
        return flag(list(found.values()))

    # -- which lease a leaked key is -----------------------------------------------------

    def find(self, *, access_key: str | None = None, secret: str | None = None) -> list[Lease]:
        """Leases, live or ended, by access key id or by the secret key itself.

        The secret is matched by its audit HMAC (the entry that handed it out)
        and is never stored or logged; the audit entry records only that a
        search by secret was made.
        """
        if bool(access_key) == bool(secret):
            raise InvalidInput(
                "give one of {field:access_key} or {field:secret}", field="access_key"
            )
        data = {"access_key": access_key} if access_key else {"by": "secret"}
        with self._audit.operation("read", "sys/leases/find", data) as op:
            if access_key:
                matches = self._ctx.store.leases.list(
                    live_only=False, access_key_id=access_key.strip()
                )
            else:
                hashed = self._audit.hash_value((secret or "").strip())
                ids = [
                    record.entry.get("response", {}).get("secret", {}).get("lease_id")
                    for record in self._audit.entries()
                    if record.entry.get("type") == "response"
                    and (record.entry.get("response", {}).get("data") or {}).get("secret_key")
                    == hashed
                ]
                matches = [
                    lease
                    for lease_id in dict.fromkeys(i for i in ids if i)
                    if (lease := self._ctx.store.leases.get(lease_id)) is not None
                ]
            op.respond(data={"leases": [lease.lease_id for lease in matches]})
        return matches

    def report(self, prefix: str, *, since: float | None = None) -> dict[str, Any]:
        """The evidence for everything under `prefix` (see workbench.service.report)."""
        from workbench.service.report import build_report

        _check_prefix(prefix)
        return build_report(self._ctx, self, prefix, since=since)

    # -- containment ---------------------------------------------------------------------

    def plan(self, prefix: str) -> dict[str, int]:
        """How many live credentials of each type containment would act on."""
        _check_prefix(prefix)
        counts = Counter(
            lease.credential_type.value for lease in self._ctx.store.leases.list(prefix=prefix)
        )
        return dict(sorted(counts.items()))

    def contain(self, prefix: str) -> Containment:
        """Stop every live credential under `prefix`: keys first, sessions next, then cleanup."""
        _check_prefix(prefix)
        started = time.monotonic()
        result = Containment(prefix=prefix)
        with self._audit.operation(
            "update", f"sys/incident/contain/{prefix}", {"prefix": prefix}
        ) as op:
            leases = self._ctx.store.leases.list(prefix=prefix)
            result.unreadable = self._ctx.store.leases.unreadable(prefix=prefix)
            users = [lease for lease in leases if not lease.credential_type.is_sts]
            sessions = [lease for lease in leases if lease.credential_type.is_sts]
            inactive = self._lifecycle.deactivate_keys(users)
            fault_point("incident.keys-inactive")
            ended = self._lifecycle.revoke_sessions(
                [lease.lease_id for lease in sessions], source="incident"
            )
            fault_point("incident.sessions-denied")

            def revoke(lease: Lease) -> Lease | str:
                try:
                    return self._lifecycle.revoke(lease.lease_id, source="incident", probe=True)
                except WorkbenchError as error:
                    return str(error)

            with ThreadPoolExecutor(_workers(users), thread_name_prefix="contain") as pool:
                ended.update(
                    zip((lease.lease_id for lease in users), pool.map(revoke, users), strict=True)
                )
            for lease in leases:
                result.results.append(_contained(lease, ended[lease.lease_id], inactive))
            result.seconds = time.monotonic() - started
            op.respond(
                data={
                    "leases": len(result.results),
                    "errors": sum(1 for r in result.results if r.error),
                    "unreadable": [bad.lease_id for bad in result.unreadable],
                }
            )
        return result


def _contained(lease: Lease, ended: Lease | str, inactive: dict[str, float | str]) -> Contained:
    first = inactive.get(lease.lease_id)
    if isinstance(ended, str):
        done = f"key made inactive ({first:.2f} s)" if isinstance(first, float) else "not revoked"
        return Contained(
            lease.lease_id,
            lease.credential_type.value,
            lease.state.value,
            done,
            refused=None,
            key_inactive_after=first if isinstance(first, float) else None,
            error=ended,
        )
    record = ended.revocation or {}
    probe = record.get("probe") or {}
    refused: bool | None = probe.get("refused") if probe else None
    return Contained(
        ended.lease_id,
        ended.credential_type.value,
        ended.state.value,
        describe(record) or ended.state.value,
        refused=refused,
        key_inactive_after=first if isinstance(first, float) else None,
    )


def _workers(items: list[Any]) -> int:
    return max(1, min(CONCURRENCY, len(items)))


def _check_prefix(prefix: str) -> None:
    if not prefix or not prefix.strip():
        raise InvalidInput(
            "the prefix is empty; give an engine (aws/), a role (aws/creds/webapp/) "
            "or any lease id prefix"
        )
