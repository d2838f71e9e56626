"""The lease lifecycle without AWS or a store: which moves are allowed and what each records."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.domain import lifecycle
from workbench.domain.errors import NotRenewable
from workbench.domain.lifecycle import (
    DUE,
    ENDED,
    IN_SERVICE,
    LIVE,
    TRANSITIONS,
    IllegalTransition,
    RetryPolicy,
)
from workbench.domain.models import CredentialType, Lease, LeaseState

NOW = 1_000_000.0


def lease(
    state: LeaseState = LeaseState.PENDING,
    kind: CredentialType = CredentialType.IAM_USER,
    **fields: object,
) -> Lease:
    values: dict[str, object] = {
        "lease_id": "aws/creds/web/abc",
        "engine": "aws",
        "role": "web",
        "credential_type": kind,
        "state": state,
        "issue_time": NOW,
        "expire_time": NOW + 3600,
        "max_expire_time": NOW + 7200,
        "renewable": not kind.is_sts,
        "owner": "host:1:tok",
        "updated_time": NOW,
    }
    values.update(fields)
    return Lease(**values)  # type: ignore[arg-type]


def test_every_state_is_live_or_ended_and_ended_is_final() -> None:
    assert set(LeaseState) == LIVE | ENDED
    assert not LIVE & ENDED
    assert set(TRANSITIONS) == set(LeaseState)
    for state in ENDED:
        assert TRANSITIONS[state] == frozenset()
    for state in LIVE:
        assert LeaseState.REVOKED in TRANSITIONS[state]  # --force ends any live lease
    assert IN_SERVICE < DUE < LIVE


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (LeaseState.ACTIVE, LeaseState.FAILED),
        (LeaseState.ACTIVE, LeaseState.PENDING),
        (LeaseState.REVOKED, LeaseState.ACTIVE),
        (LeaseState.EXPIRED, LeaseState.REVOKING),
        (LeaseState.FAILED, LeaseState.REVOKED),
        (LeaseState.IRREVOCABLE, LeaseState.ACTIVE),
    ],
)
def test_a_move_the_lifecycle_does_not_allow_is_refused(start: LeaseState, to: LeaseState) -> None:
    record = lease(start)
    with pytest.raises(IllegalTransition, match=f"{start.value} -> {to.value}"):
        lifecycle.move(record, to, NOW)
    assert record.state is start


@pytest.mark.parametrize(("probe", "state"), [(True, "propagating"), (False, "active")])
def test_issued_is_propagating_until_probed(probe: bool, state: str) -> None:
    record = lifecycle.issued(lease(), access_key_id="AKIA1", secret_key="s", probe=probe, now=NOW)
    assert (record.state, record.access_key_id, record.owner) == (state, "AKIA1", None)
    if probe:
        assert lifecycle.accepted(record, NOW + 1).state is LeaseState.ACTIVE


def test_a_rollback_fails_the_lease_or_leaves_the_deletion_due_now() -> None:
    clean = lifecycle.rolled_back(lease(), "Throttling", NOW, cleanup_error=None)
    assert clean.state is LeaseState.FAILED
    assert clean.error == "issuance failed: Throttling"
    stuck = lifecycle.rolled_back(lease(), "Throttling", NOW, cleanup_error="AccessDenied")
    assert stuck.state is LeaseState.REVOKING
    assert stuck.next_attempt_time == NOW
    assert "rollback pending: AccessDenied" in (stuck.error or "")


def test_a_renewal_counts_from_now_and_stops_at_the_max_ttl() -> None:
    record = lease(LeaseState.ACTIVE)
    assert lifecycle.renewal(record, 600, NOW + 100) == lifecycle.Renewal(NOW + 700, False)
    capped = lifecycle.renewal(record, 100_000, NOW + 100)
    assert capped == lifecycle.Renewal(record.max_expire_time, True)
    lifecycle.renewed(record, capped, NOW + 100)
    assert record.expire_time == record.max_expire_time


@pytest.mark.parametrize(
    ("record", "now", "why"),
    [
        (lease(LeaseState.REVOKING), NOW, "is revoking"),
        (lease(LeaseState.PENDING), NOW, "is pending"),
        (lease(LeaseState.ACTIVE, CredentialType.ASSUMED_ROLE), NOW, "STS credential"),
        (lease(LeaseState.ACTIVE), NOW + 7200, "max TTL"),
        (lease(LeaseState.ACTIVE, expire_time=NOW + 10), NOW + 10, "has expired"),
    ],
)
def test_what_cannot_be_renewed_says_why(record: Lease, now: float, why: str) -> None:
    with pytest.raises(NotRenewable, match=why):
        lifecycle.renewal(record, 60, now)


def test_failed_attempts_back_off_then_the_lease_is_irrevocable() -> None:
    retry = RetryPolicy(base_seconds=10.0, max_attempts=3, irrevocable_retry_seconds=3600.0)
    record = lifecycle.claimed(lease(LeaseState.ACTIVE), owner="me", hold_until=NOW + 120, now=NOW)
    for attempt in (1, 2):
        lifecycle.attempt_failed(record, "Throttling", NOW, retry)
        assert (record.state, record.attempts, record.owner) == ("revoking", attempt, None)
        backoff = (record.next_attempt_time or 0) - NOW  # computed, not measured
        assert 0.5 * 10 * 2**attempt <= backoff <= 1.5 * 10 * 2**attempt
    lifecycle.attempt_failed(record, "AccessDenied", NOW, retry)
    assert record.state is LeaseState.IRREVOCABLE
    assert record.next_attempt_time == NOW + 3600
    assert record.error == "AccessDenied"
    assert lifecycle.claimed(record, owner="me", hold_until=NOW, now=NOW).state == "revoking"


def test_deletion_ends_the_lease_and_erases_its_secrets() -> None:
    with_key = lease(LeaseState.REVOKING, access_key_id="AKIA1", secret_key="s")
    assert lifecycle.deleted(with_key, NOW).state is LeaseState.REVOKED
    assert (with_key.secret_key, with_key.error, with_key.next_attempt_time) == (None, None, None)
    rollback = lease(LeaseState.REVOKING, error="issuance failed: x")
    assert lifecycle.deleted(rollback, NOW).state is LeaseState.FAILED
    assert rollback.error == "issuance failed: x"


@pytest.mark.parametrize(("now", "state"), [(NOW, "revoked"), (NOW + 3600, "expired")])
def test_an_sts_lease_ends_revoked_before_its_expiry_and_expired_after(
    now: float, state: str
) -> None:
    record = lease(LeaseState.REVOKING, CredentialType.SESSION_TOKEN, session_token="t")
    assert lifecycle.deleted(record, now).state == state
    assert record.session_token is None


def test_forcing_keeps_the_earlier_error_in_its_note() -> None:
    record = lifecycle.forced(lease(LeaseState.IRREVOCABLE, error="AccessDenied"), NOW)
    assert record.state is LeaseState.REVOKED
    assert record.error == f"{lifecycle.FORCED_NOTE} (was: AccessDenied)"
    with pytest.raises(IllegalTransition):
        lifecycle.ended(lease(LeaseState.REVOKING), LeaseState.ACTIVE, None, NOW)


MOVES = {
    "issued": lambda r: lifecycle.issued(
        r, access_key_id="AK", secret_key="s", probe=True, now=NOW
    ),
    "accepted": lambda r: lifecycle.accepted(r, NOW),
    "claimed": lambda r: lifecycle.claimed(r, owner="me", hold_until=NOW, now=NOW),
    "failed": lambda r: lifecycle.attempt_failed(r, "x", NOW, RetryPolicy(max_attempts=2)),
    "deleted": lambda r: lifecycle.deleted(r, NOW),
    "forced": lambda r: lifecycle.forced(r, NOW),
    "rolled_back": lambda r: lifecycle.rolled_back(r, "x", NOW, cleanup_error=None),
}


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(sorted(MOVES)), max_size=12))
def test_any_sequence_of_moves_stays_inside_the_lifecycle(names: list[str]) -> None:
    record = lease()
    for name in names:
        before = dataclasses.replace(record)
        try:
            MOVES[name](record)
        except IllegalTransition:
            assert record == before  # a refused move changes nothing
            continue
        assert record.state in TRANSITIONS[before.state]
        if record.state in ENDED:
            assert record.secret_key is None and record.owner is None
