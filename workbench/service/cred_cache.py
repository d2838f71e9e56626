"""The credential cache of `credential_process` and `exec`: reuse a lease the cache issued.

The AWS CLI runs `credential_process` for every command, so without a cache
every `aws` call would make a new IAM user. A cached request is answered with
a live lease the cache issued earlier for the same request (engine, role, TTL,
role ARN, the role as last written, the operator and the name the audit gives
them) while more than `min_left` of its TTL is left; only then is a fresh one
issued, marked with the request (`Lease.cache_key`) so the next call finds it.

Nothing is stored twice: a cached answer is the lease's own sealed secret read
back. A lease issued by hand is never handed out again, nor one that is not
`active` (propagating, revoking, ended), nor one whose access was cut. Each
cached answer is audited as a `read` of the role's creds path, its secrets
HMAC'd and `cached: true` in the response, so the trail shows every use.

Concurrency: a process that finds nothing to reuse claims the request
(`cache_claims`) in the same write transaction, so of several asking at once
one issues and the others wait for its lease. A claim is taken over when its
holder has died or after CLAIM_HOLD_SECONDS (an issuance slower than that may
leave one extra lease). A fresh iam_user lease that AWS has not confirmed yet
(`propagating`, with the readiness probe on) is probed by the next caller and
reused once AWS accepts its key, rather than issuing another while it settles.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workbench.domain.errors import InvalidInput, WorkbenchError
from workbench.domain.lifecycle import ACTIVE, PROBED
from workbench.domain.models import Engine, Lease, Role
from workbench.service.base import ServicePart
from workbench.service.context import ServiceContext
from workbench.service.formats import IssuedCredential
from workbench.service.lifecycle import LeaseLifecycle
from workbench.service.ttl import TtlDecision, decide_ttl
from workbench.store.cache_claims import CacheClaim

log = logging.getLogger(__name__)

DEFAULT_MIN_LEFT = 0.25
# How long one issuance may hold its claim before a waiting caller takes it over.
CLAIM_HOLD_SECONDS = 60.0
# A propagating cache lease younger than this is waited for (and probed), not duplicated.
PROPAGATION_WAIT_SECONDS = 30.0
POLL_SECONDS = 0.1
PROBE_EVERY_SECONDS = 1.0


@dataclass(frozen=True)
class CacheTag:
    """What a cached request adds to an issuance: the key its lease carries, the share asked."""

    key: str
    min_left: float


@dataclass(frozen=True)
class _Step:
    """What one look at the store found: a lease to hand out, a claim taken, or neither."""

    lease: Lease | None = None
    token: str | None = None
    probe: str | None = None


IssueFresh = Callable[
    [Engine, Role, TtlDecision, str | None, str | None, CacheTag], IssuedCredential
]


def cache_key(
    *, engine: Engine, role: Role, operator: str, issued_by: str, ttl: int, role_arn: str | None
) -> str:
    """The request a cached lease answers, as canonical JSON (none of it secret)."""
    return json.dumps(
        {
            "engine": engine.name,
            "role": role.name,
            "role_updated": role.updated_time,
            "ttl": ttl,
            "role_arn": role_arn,
            "operator": operator,
            "issued_by": issued_by,
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def check_min_left(min_left: float) -> float:
    if not 0 <= min_left < 1:
        raise InvalidInput(
            f"{{field:cache_min_left}} {min_left} is not a share of a TTL: give a number from "
            "0 (reuse until it expires) up to, not including, 1 (e.g. 0.25: a quarter left)",
            field="cache_min_left",
        )
    return float(min_left)


class CredentialCache(ServicePart):
    """Answers `wb.creds.issue_cached`: a reused lease, or a fresh one issued through the cache."""

    def __init__(
        self, ctx: ServiceContext, lifecycle: LeaseLifecycle, issue_fresh: IssueFresh
    ) -> None:
        super().__init__(ctx)
        self._lifecycle = lifecycle
        self._issue_fresh = issue_fresh

    def issue(
        self,
        engine_name: str,
        role_name: str,
        *,
        ttl: str | int | None,
        role_arn: str | None,
        mfa_code: str | None,
        min_left: float,
    ) -> IssuedCredential:
        min_left = check_min_left(min_left)
        engine = self._ctx.engine(engine_name)
        role = self._ctx.role(engine_name, role_name)
        decision = decide_ttl(engine, role, ttl)
        tag = CacheTag(
            key=cache_key(
                engine=engine,
                role=role,
                operator=self._ctx.store.operator,
                issued_by=self._ctx.operator,
                ttl=decision.ttl,
                role_arn=role_arn,
            ),
            min_left=min_left,
        )
        probed_at = 0.0
        while True:
            step = self._look(tag)
            if step.lease is not None:
                return self._hand_out(engine, role, decision, step.lease, tag, role_arn, mfa_code)
            if step.token is not None:
                try:
                    return self._issue_fresh(engine, role, decision, role_arn, mfa_code, tag)
                finally:
                    self._release(tag.key, step.token)
            if step.probe is not None and time.monotonic() - probed_at >= PROBE_EVERY_SECONDS:
                probed_at = time.monotonic()
                if self._lifecycle.confirm_ready(step.probe):
                    continue
            time.sleep(POLL_SECONDS)

    def _release(self, key: str, token: str) -> None:
        """Drop this issuance's claim; one the store cannot drop now lapses on its own (its
        holder ends, or CLAIM_HOLD_SECONDS pass), so the issuance's own outcome stands."""
        try:
            self._ctx.store.cache_claims.release(key, token)
        except WorkbenchError as error:
            log.warning("the credential cache's claim stays until it lapses: %s", error)

    def _look(self, tag: CacheTag) -> _Step:
        """In one write transaction: a lease to reuse, else the claim to issue one (or a wait)."""
        store = self._ctx.store
        with store.transaction():
            now = self._ctx.clock()
            lease = store.leases.cached(
                tag.key, now=now, min_left=tag.min_left, states=frozenset({ACTIVE}), secrets=True
            )
            if lease is not None:
                return _Step(lease=lease)
            claim = store.cache_claims.get(tag.key)
            if (
                claim is not None
                and now - claim.claimed_time < CLAIM_HOLD_SECONDS
                and not self._ctx.owner_is_dead(claim.owner)
            ):
                return _Step()
            settling = store.leases.cached(tag.key, now=now, min_left=tag.min_left, states=PROBED)
            if settling is not None and now - settling.issue_time < PROPAGATION_WAIT_SECONDS:
                return _Step(probe=settling.lease_id)
            token = uuid.uuid4().hex
            store.cache_claims.put(
                CacheClaim(
                    cache_key=tag.key, owner=self._ctx.owner(), token=token, claimed_time=now
                )
            )
            return _Step(token=token)

    def _hand_out(
        self,
        engine: Engine,
        role: Role,
        decision: TtlDecision,
        lease: Lease,
        tag: CacheTag,
        role_arn: str | None,
        mfa_code: str | None,
    ) -> IssuedCredential:
        """The cached lease's credential, audited as a read of the role's creds path."""
        left = max(0, round(lease.expire_time - self._ctx.clock()))
        with self._audit.operation(
            "read", creds_path(engine, role), request_data(decision, role_arn, mfa_code, tag)
        ) as op:
            op.respond(
                data={
                    "access_key": lease.access_key_id,
                    "secret_key": lease.secret_key,
                    "session_token": lease.session_token,
                    "lease_duration": left,
                    "cached": True,
                },
                lease_id=lease.lease_id,
            )
        return IssuedCredential(
            lease=lease,
            request_id=op.request_id,
            region=engine.root.region,
            iam_endpoint=engine.root.iam_endpoint,
            sts_endpoint=engine.root.sts_endpoint,
            warnings=[decision.warning] if decision.warning else [],
            cached=True,
        )


def creds_path(engine: Engine, role: Role) -> str:
    """Vault's path for issuing from `role`: aws/creds/ROLE, or aws/sts/ROLE for STS types."""
    return f"{engine.name}/{'sts' if role.credential_type.is_sts else 'creds'}/{role.name}"


def request_data(
    decision: TtlDecision, role_arn: str | None, mfa_code: str | None, tag: CacheTag | None
) -> dict[str, Any]:
    """An issuance's audited request (the MFA code HMAC'd as every secret is)."""
    data: dict[str, Any] = {
        key: value
        for key, value in {"ttl": decision.ttl, "role_arn": role_arn, "mfa_code": mfa_code}.items()
        if value
    }
    if tag is not None:
        data["cache_min_left"] = tag.min_left
    return data
