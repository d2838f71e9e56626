"""A lease's life in one place: the named state sets, the allowed moves, one pure function a move.

    pending --issued--> propagating --accepted--> active
       |                     |                       |
       | rolled back         +------ claimed --------+  (expired, operator, incident)
       v                                  v
     failed <-- deleted, no keys made -- revoking --deleted--> revoked / expired
                                          |    ^
                          attempt failed  |    | retried
                                          v    |
                                        irrevocable

Any live lease can be forced to `revoked` (the record is dropped without
calling AWS). The store builds its queries from these sets and the service
calls these functions, so a state's meaning is written once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from workbench.domain.durations import format_duration
from workbench.domain.errors import NotRenewable, WorkbenchError
from workbench.domain.models import CredentialType, Lease, LeaseState

PENDING = LeaseState.PENDING
PROPAGATING = LeaseState.PROPAGATING
ACTIVE = LeaseState.ACTIVE
REVOKING = LeaseState.REVOKING
IRREVOCABLE = LeaseState.IRREVOCABLE
REVOKED = LeaseState.REVOKED
EXPIRED = LeaseState.EXPIRED
FAILED = LeaseState.FAILED

# Handed out and counting down: renewable, and claimed for revocation at expiry.
IN_SERVICE = frozenset({PROPAGATING, ACTIVE})
RENEWABLE = IN_SERVICE
# On the worker's schedule, due at coalesce(next_attempt_time, expire_time).
DUE = IN_SERVICE | {REVOKING, IRREVOCABLE}
# May still hold working credentials in AWS.
LIVE = DUE | {PENDING}
ENDED = frozenset({REVOKED, EXPIRED, FAILED})
# Held by a process mid-way: taken over when that process has died.
RECOVERABLE = frozenset({PENDING, REVOKING})
# Waiting for AWS to accept a new key (the readiness probe).
PROBED = frozenset({PROPAGATING})

TRANSITIONS: dict[LeaseState, frozenset[LeaseState]] = {
    PENDING: frozenset({PROPAGATING, ACTIVE, FAILED, REVOKING, REVOKED}),
    PROPAGATING: frozenset({ACTIVE, REVOKING, REVOKED}),
    ACTIVE: frozenset({REVOKING, REVOKED}),
    REVOKING: frozenset({REVOKING, IRREVOCABLE, REVOKED, EXPIRED, FAILED}),
    IRREVOCABLE: frozenset({REVOKING, REVOKED}),
    REVOKED: frozenset(),
    EXPIRED: frozenset(),
    FAILED: frozenset(),
}

MAX_ATTEMPTS = 6
IRREVOCABLE_RETRY_SECONDS = 3600.0
FORCED_NOTE = "force-revoked without calling AWS"
RECOVERED_NOTE = "recovered after a crash"


class IllegalTransition(WorkbenchError):
    """A move the lifecycle does not allow (a bug, never an operator's mistake)."""


def sql_in(states: frozenset[LeaseState]) -> str:
    """The states as an SQL list: `'active', 'propagating'` (values are fixed and quote-free)."""
    return ", ".join(f"'{state.value}'" for state in sorted(states))


def move(lease: Lease, to: LeaseState, now: float) -> Lease:
    """Set the lease's state, if the lifecycle allows the move (each move calls this first,
    so a refused move changes nothing)."""
    if to not in TRANSITIONS[lease.state]:
        raise IllegalTransition(f"lease {lease.lease_id}: {lease.state.value} -> {to.value}")
    lease.state = to
    lease.updated_time = now
    return lease


@dataclass(frozen=True)
class RetryPolicy:
    """When to try a failed revocation again: Vault's 2^attempt x 10 s, +-50 %, 6 attempts."""

    base_seconds: float = 10.0
    max_attempts: int = MAX_ATTEMPTS
    irrevocable_retry_seconds: float = IRREVOCABLE_RETRY_SECONDS

    def delay(self, attempt: int) -> float:
        return float(self.base_seconds * 2**attempt * random.uniform(0.5, 1.5))


# -- issuing -------------------------------------------------------------------


def issued(lease: Lease, *, access_key_id: str, secret_key: str, probe: bool, now: float) -> Lease:
    """AWS made the user and its key: `propagating` until the probe sees it work, else active."""
    move(lease, PROPAGATING if probe else ACTIVE, now)
    lease.access_key_id = access_key_id
    lease.secret_key = secret_key
    lease.owner = None
    return lease


def accepted(lease: Lease, now: float) -> Lease:
    """AWS accepts a propagating lease's key."""
    return move(lease, ACTIVE, now)


def rolled_back(lease: Lease, cause: str, now: float, *, cleanup_error: str | None) -> Lease:
    """Issuance failed: `failed` once its part-made user is gone, else `revoking`, due now."""
    if lease.state is not PENDING:
        raise IllegalTransition(f"lease {lease.lease_id}: only a pending lease is rolled back")
    move(lease, FAILED if cleanup_error is None else REVOKING, now)
    lease.error = f"issuance failed: {cause}"
    lease.owner = None
    if cleanup_error is not None:
        # The user may still exist: the worker keeps deleting it, then marks it failed.
        lease.error += f"; rollback pending: {cleanup_error}"
        lease.next_attempt_time = now
    return lease


# -- renewing ------------------------------------------------------------------


@dataclass(frozen=True)
class Renewal:
    """A renewal the lifecycle allows: the new expiry, and whether the max TTL capped it."""

    expire_time: float
    capped: bool


def renewal(lease: Lease, seconds: int, now: float) -> Renewal:
    """Extend from now by `seconds`, capped at the max TTL; NotRenewable says why not."""
    lease_id = lease.lease_id
    if lease.state not in RENEWABLE:
        raise NotRenewable(f"lease {lease_id} is {lease.state.value}; issue a new one")
    if lease.credential_type is not CredentialType.IAM_USER or not lease.renewable:
        raise NotRenewable(
            f"lease {lease_id} is an STS credential ({lease.credential_type.value}); "
            "AWS fixes its expiry, so it cannot be renewed: issue a new one"
        )
    if now >= lease.max_expire_time:
        raise NotRenewable(
            f"lease {lease_id} has reached its max TTL "
            f"({format_duration(round(lease.max_expire_time - lease.issue_time))}); "
            "issue a new one"
        )
    if now >= lease.expire_time:
        raise NotRenewable(f"lease {lease_id} has expired; issue a new one")
    wanted = now + seconds
    return Renewal(min(wanted, lease.max_expire_time), wanted > lease.max_expire_time)


def renewed(lease: Lease, renewal_: Renewal, now: float) -> Lease:
    lease.expire_time = renewal_.expire_time
    lease.updated_time = now
    return lease


# -- revoking ------------------------------------------------------------------


def claimed(lease: Lease, *, owner: str, hold_until: float, now: float) -> Lease:
    """A process took the lease to revoke it (the store does this atomically in SQL)."""
    move(lease, REVOKING, now)
    lease.owner = owner
    lease.next_attempt_time = hold_until
    return lease


def attempt_failed(lease: Lease, error: str, now: float, retry: RetryPolicy) -> Lease:
    """AWS refused or failed: retry later; after the last attempt `irrevocable` (hourly)."""
    attempts = lease.attempts + 1
    last = attempts >= retry.max_attempts
    move(lease, IRREVOCABLE if last else REVOKING, now)
    lease.attempts = attempts
    lease.error = error
    lease.owner = None
    lease.next_attempt_time = now + (
        retry.irrevocable_retry_seconds if last else retry.delay(attempts)
    )
    return lease


def deleted(lease: Lease, now: float) -> Lease:
    """What AWS held for it is gone: `revoked`, or `failed` for a rollback (no key was made).

    STS credentials have nothing to delete: they end at AWS's expiry, so one
    past it is `expired`.
    """
    if lease.credential_type.is_sts:
        return ended(lease, EXPIRED if lease.expire_time <= now else REVOKED, None, now)
    if lease.access_key_id:
        return ended(lease, REVOKED, None, now)
    return ended(lease, FAILED, lease.error, now)


def forced(lease: Lease, now: float) -> Lease:
    """The record is dropped without calling AWS (the user was deleted out of band)."""
    note = f"{FORCED_NOTE} (was: {lease.error})" if lease.error else FORCED_NOTE
    return ended(lease, REVOKED, note, now)


def ended(lease: Lease, state: LeaseState, error: str | None, now: float) -> Lease:
    """The lease has ended: record how, and erase its now useless secrets."""
    if state not in ENDED:
        raise IllegalTransition(f"lease {lease.lease_id}: {state.value} is not an end")
    move(lease, state, now)
    lease.error = error
    lease.next_attempt_time = None
    lease.owner = None
    lease.secret_key = lease.session_token = None
    return lease
