"""The credential cache in-process against the embedded AWS: which requests reuse which lease,
how it is audited, and (on a real PostgreSQL) that store connections asking at once issue once."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSPHRASE, MotoServer, fast_kdf, make_service
from tests.helpers import user_names
from workbench.domain.errors import InvalidInput
from workbench.domain.models import LeaseState
from workbench.service import Workbench
from workbench.service.cred_cache import CLAIM_HOLD_SECONDS
from workbench.store import Store
from workbench.store.cache_claims import CacheClaim


class HeldClock:
    """The service's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> HeldClock:
    return HeldClock()


@pytest.fixture
def cached_service(store: Store, aws: MotoServer, clock: HeldClock) -> Workbench:
    service = make_service(store, aws, clock=clock, operator="alice")
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    return service


def test_reused_while_more_than_the_share_is_left_then_issued_afresh(
    cached_service: Workbench, clock: HeldClock, iam: Any
) -> None:
    first = cached_service.creds.issue_cached("aws", "webapp", ttl="15m")
    assert not first.cached and first.lease.cache_key is not None
    clock.now += 600  # 300 s of 900 left: a third
    again = cached_service.creds.issue_cached("aws", "webapp", ttl="15m")
    assert again.cached and again.lease.lease_id == first.lease.lease_id
    assert again.lease.secret_key == first.lease.secret_key
    assert again.credential_process() == first.credential_process()
    # Asked for half left, that lease no longer qualifies.
    half = cached_service.creds.issue_cached("aws", "webapp", ttl="15m", min_left=0.5)
    assert not half.cached and half.lease.lease_id != first.lease.lease_id
    clock.now += 100  # the first has 200 s of 900 left: less than a quarter
    assert cached_service.creds.issue_cached("aws", "webapp", ttl="15m").lease.lease_id == (
        half.lease.lease_id
    )
    assert len(user_names(iam)) == 2


def test_only_the_same_request_of_the_same_operator_reuses_a_lease_the_cache_issued(
    cached_service: Workbench, store: Store, aws: MotoServer, clock: HeldClock, iam: Any
) -> None:
    by_hand = cached_service.creds.issue("aws", "webapp", ttl="15m")
    cached = cached_service.creds.issue_cached("aws", "webapp", ttl="15m")
    assert not cached.cached and cached.lease.lease_id != by_hand.lease.lease_id
    other_ttl = cached_service.creds.issue_cached("aws", "webapp", ttl="20m")
    assert not other_ttl.cached
    # Another name on the audit trail (`--as`) is another requester.
    labelled = Workbench(store, clock=clock, operator="release-bot")
    assert not labelled.creds.issue_cached("aws", "webapp", ttl="15m").cached
    # A role rewritten since gets a credential with its new policy, not the old one.
    clock.now += 1
    cached_service.roles.write(
        "aws",
        "webapp",
        {"credential_type": "iam_user", "policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]},
    )
    assert not cached_service.creds.issue_cached("aws", "webapp", ttl="15m").cached
    assert cached_service.creds.issue_cached("aws", "webapp", ttl="15m").cached
    assert len(user_names(iam)) == 5


def test_revoked_or_revoking_leases_are_not_reused(cached_service: Workbench, iam: Any) -> None:
    first = cached_service.creds.issue_cached("aws", "webapp")
    cached_service.leases.revoke(first.lease.lease_id)
    second = cached_service.creds.issue_cached("aws", "webapp")
    assert not second.cached and second.lease.lease_id != first.lease.lease_id
    assert user_names(iam) == [second.lease.iam_user_name]


def test_each_cached_use_is_audited_with_its_secrets_hmacd(cached_service: Workbench) -> None:
    first = cached_service.creds.issue_cached("aws", "webapp", ttl="15m")
    for _ in range(2):
        cached_service.creds.issue_cached("aws", "webapp", ttl="15m")
    responses = [
        record.entry
        for record in cached_service.audit.entries(path_prefix="aws/creds/webapp")
        if record.entry["type"] == "response"
    ]
    assert [entry["response"]["secret"]["lease_id"] for entry in responses] == [
        first.lease.lease_id
    ] * 3
    assert [entry["response"]["data"]["cached"] for entry in responses] == [False, True, True]
    assert all(entry["request"]["operation"] == "read" for entry in responses)
    secret = first.lease.secret_key or ""
    hashed = cached_service.audit.hash_value(secret)
    assert [entry["response"]["data"]["secret_key"] for entry in responses] == [hashed] * 3
    assert secret not in json.dumps([r.entry for r in cached_service.audit.entries()])


def test_a_claim_left_by_a_dead_stalled_or_damaged_issuer_is_taken_over(
    cached_service: Workbench, store: Store, clock: HeldClock, iam: Any
) -> None:
    first = cached_service.creds.issue_cached("aws", "webapp").lease
    key = first.cache_key or ""
    alive = store.process_registry().owner()
    for claim in (
        CacheClaim(key, "another-host:4242", "dead", clock.now),
        CacheClaim(key, alive, "stalled", clock.now - CLAIM_HOLD_SECONDS - 1),
        CacheClaim(key, alive, "damaged", clock.now),
    ):
        cached_service.leases.revoke(first.lease_id)
        store.cache_claims.put(claim)
        if claim.token == "damaged":
            with contextlib.closing(sqlite3.connect(store.path)) as raw, raw:
                raw.execute("UPDATE cache_claims SET claimed_time = 'soon'")
        fresh = cached_service.creds.issue_cached("aws", "webapp").lease
        assert fresh.lease_id != first.lease_id, claim
        assert store.cache_claims.get(key) is None  # released after issuing
        first = fresh
    assert user_names(iam) == [first.iam_user_name]


def test_a_share_outside_0_to_1_is_refused_by_name(cached_service: Workbench, iam: Any) -> None:
    for share in (1.0, -0.1, 2):
        with pytest.raises(InvalidInput) as refused:
            cached_service.creds.issue_cached("aws", "webapp", min_left=share)
        assert refused.value.field == "cache_min_left"
    assert user_names(iam) == []


def test_a_propagating_cache_lease_is_probed_and_reused_once_aws_accepts_it(
    cached_service: Workbench, iam: Any
) -> None:
    cached_service.engines.write_root("aws", readiness_probe=True)
    first = cached_service.creds.issue_cached("aws", "webapp")
    assert first.lease.state is LeaseState.PROPAGATING
    again = cached_service.creds.issue_cached("aws", "webapp")
    assert again.cached and again.lease.lease_id == first.lease.lease_id
    assert again.lease.state is LeaseState.ACTIVE
    assert len(user_names(iam)) == 1


def test_sts_credentials_are_reused_the_same_way(cached_service: Workbench, iam: Any) -> None:
    arn = iam.create_role(
        RoleName="deployer",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:*"}],
            }
        ),
    )["Role"]["Arn"]
    cached_service.roles.write(
        "aws", "deploy", {"credential_type": "assumed_role", "role_arns": [arn]}
    )
    first = cached_service.creds.issue_cached("aws", "deploy", ttl="15m")
    again = cached_service.creds.issue_cached("aws", "deploy", ttl="15m")
    assert again.cached and again.lease.lease_id == first.lease.lease_id
    assert again.lease.session_token == first.lease.session_token
    entries = list(cached_service.audit.entries(path_prefix="aws/sts/deploy"))
    assert [
        e.entry["response"]["data"]["cached"] for e in entries if e.entry["type"] == "response"
    ] == [
        False,
        True,
    ]


@pytest.fixture
def pg_store_url(pg_url: str, aws: MotoServer, tmp_path: Path) -> Iterator[str]:
    from workbench.store.pg import PgStore

    store = PgStore.create(pg_url, PASSPHRASE, fast_kdf(), operator="alice", home=tmp_path)
    service = make_service(store, aws, operator="alice")
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    service.close()
    yield pg_url


def test_four_store_connections_asking_at_once_on_postgresql_issue_one_lease(
    pg_store_url: str, tmp_path: Path, iam: Any
) -> None:
    from workbench.store.pg import PgStore

    services = [
        Workbench(
            PgStore.open(pg_store_url, PASSPHRASE, operator="alice", home=tmp_path),
            operator="alice",
        )
        for _ in range(4)
    ]
    start = threading.Barrier(len(services))
    answers: list[str] = []

    def ask(service: Workbench) -> None:
        start.wait()
        answers.append(service.creds.issue_cached("aws", "webapp").lease.lease_id)

    threads = [threading.Thread(target=ask, args=(service,)) for service in services]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for service in services:
            service.close()
    assert len(answers) == 4 and len(set(answers)) == 1
    assert len(user_names(iam)) == 1
