"""Leases on both backends: what `lease list`, the revoker and an incident see."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.contract.conftest import Backend, make_lease
from workbench.domain.errors import StoreCorrupted
from workbench.domain.models import CredentialType, LeaseState


def test_a_lease_reads_back_with_its_secret_only_when_asked(backend: Backend) -> None:
    lease = make_lease(session_token=None, created={"inline_policy": "p"}, role_arn=None)
    backend.leases.insert(lease)
    public = backend.leases.get(lease.lease_id)
    full = backend.leases.get(lease.lease_id, secrets=True)
    assert public is not None and full is not None
    assert public.secret_key is None
    assert full.secret_key == "secret-aws/creds/web/a1"
    assert full.created == {"inline_policy": "p"}
    assert (full.credential_type, full.state, full.renewable) == (
        CredentialType.IAM_USER,
        LeaseState.ACTIVE,
        True,
    )
    assert full.issue_time == lease.issue_time and full.expire_time == lease.expire_time
    assert backend.leases.get("aws/creds/web/none") is None


def test_the_secret_is_stored_sealed(backend: Backend) -> None:
    backend.leases.insert(make_lease())
    (blob,) = backend.conn.query("SELECT secret_key FROM leases")[0]
    assert b"secret-aws" not in bytes(blob)


def test_an_update_without_secrets_keeps_them_and_one_with_secrets_erases(
    backend: Backend,
) -> None:
    lease = make_lease()
    backend.leases.insert(lease)
    public = backend.leases.get(lease.lease_id)
    assert public is not None
    public.error = "AWS said no"
    backend.leases.update(public)
    kept = backend.leases.get(lease.lease_id, secrets=True)
    assert kept is not None and kept.secret_key == lease.secret_key and kept.error == "AWS said no"
    kept.secret_key = None
    backend.leases.update(kept, secrets=True)
    erased = backend.leases.get(lease.lease_id, secrets=True)
    assert erased is not None and erased.secret_key is None


def test_list_filters_by_prefix_state_key_and_limit_in_issue_order(backend: Backend) -> None:
    now = time.time()
    backend.leases.insert(make_lease("aws/creds/web/b", issue_time=now + 2))
    backend.leases.insert(make_lease("aws/creds/web/a", issue_time=now + 1))
    backend.leases.insert(make_lease("aws/creds/webX/c", issue_time=now + 3))
    backend.leases.insert(
        make_lease("aws/creds/web_/d", issue_time=now + 4, state=LeaseState.REVOKED)
    )
    ids = [lease.lease_id for lease in backend.leases.list()]
    assert ids == ["aws/creds/web/a", "aws/creds/web/b", "aws/creds/webX/c"]
    # `_` and `%` in a prefix are themselves, not wildcards.
    assert [x.lease_id for x in backend.leases.list(prefix="aws/creds/web_")] == []
    assert [x.lease_id for x in backend.leases.list(prefix="aws/creds/web_", live_only=False)] == [
        "aws/creds/web_/d"
    ]
    assert [x.lease_id for x in backend.leases.list(prefix="aws/creds/web/")] == [
        "aws/creds/web/a",
        "aws/creds/web/b",
    ]
    revoked = backend.leases.list(states=frozenset({LeaseState.REVOKED}))
    assert [x.lease_id for x in revoked] == ["aws/creds/web_/d"]
    assert len(backend.leases.list(live_only=False)) == 4
    assert [x.lease_id for x in backend.leases.list(limit=1)] == ["aws/creds/web/a"]
    by_key = backend.leases.list(access_key_id="AKIABXXXXXXXXXXXXXXX")
    assert [x.lease_id for x in by_key] == ["aws/creds/web/b"]
    assert backend.leases.count_live("aws/creds/web") == 3
    assert backend.leases.count_live("aws/creds/web/") == 2


def test_due_and_next_due_time_follow_expiry_and_retry_times(backend: Backend) -> None:
    now = time.time()
    backend.leases.insert(make_lease("aws/creds/web/late", issue_time=now, ttl=600))
    backend.leases.insert(make_lease("aws/creds/web/soon", issue_time=now - 100, ttl=50))
    backend.leases.insert(
        make_lease(
            "aws/creds/web/retry",
            issue_time=now - 100,
            ttl=10,
            state=LeaseState.REVOKING,
            next_attempt_time=now + 30,
        )
    )
    backend.leases.insert(make_lease("aws/creds/web/ended", ttl=1, state=LeaseState.REVOKED))
    assert [x.lease_id for x in backend.leases.due(now)] == ["aws/creds/web/soon"]
    assert [x.lease_id for x in backend.leases.due(now + 60)] == [
        "aws/creds/web/soon",
        "aws/creds/web/retry",
    ]
    assert backend.leases.next_due_time() == pytest.approx(now - 50)


def test_a_claim_takes_an_expired_lease_once(backend: Backend) -> None:
    now = time.time()
    backend.leases.insert(make_lease(issue_time=now - 100, ttl=50))
    claimed = backend.leases.claim("aws/creds/web/a1", now=now, hold=60, owner="me")
    assert claimed is not None
    assert (claimed.state, claimed.owner) == (LeaseState.REVOKING, "me")
    assert claimed.next_attempt_time == pytest.approx(now + 60)
    # Held: nobody else takes it until the hold is over.
    assert backend.leases.claim("aws/creds/web/a1", now=now + 1, hold=60, owner="you") is None
    retaken = backend.leases.claim("aws/creds/web/a1", now=now + 61, hold=60, owner="you")
    assert retaken is not None and retaken.owner == "you"


def test_the_worker_claims_only_at_expiry_an_operator_any_time(backend: Backend) -> None:
    now = time.time()
    backend.leases.insert(make_lease(issue_time=now, ttl=600))
    lease_id = "aws/creds/web/a1"
    assert backend.leases.claim(lease_id, now=now, hold=60, owner="w", due_only=True) is None
    assert backend.leases.claim(lease_id, now=now, hold=60, owner="op") is not None


def test_a_pending_lease_is_claimed_only_from_its_dead_issuer(backend: Backend) -> None:
    now = time.time()
    backend.leases.insert(make_lease(state=LeaseState.PENDING, owner="host:1:dead"))
    lease_id = "aws/creds/web/a1"
    assert backend.leases.claim(lease_id, now=now, hold=60, owner="me") is None
    assert (
        backend.leases.claim(lease_id, now=now, hold=60, owner="me", orphaned_owner="host:2:x")
        is None
    )
    taken = backend.leases.claim(
        lease_id, now=now, hold=60, owner="me", orphaned_owner="host:1:dead"
    )
    assert taken is not None and taken.state is LeaseState.REVOKING


def test_two_connections_claiming_at_once_revoke_the_lease_once(backend: Backend) -> None:
    """Two processes' revokers race for the same lease: exactly one gets it."""
    now = time.time()
    for n in range(20):
        backend.leases.insert(make_lease(f"aws/creds/web/r{n}", issue_time=now - 100, ttl=50))
    others = [backend, backend.other()]
    wins: list[list[str]] = [[], []]
    start = threading.Barrier(2)

    def revoker(index: int) -> None:
        start.wait()
        for n in range(20):
            lease = others[index].leases.claim(
                f"aws/creds/web/r{n}", now=now, hold=600, owner=f"p{index}"
            )
            if lease is not None:
                wins[index].append(lease.lease_id)

    threads = [threading.Thread(target=revoker, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins[0] + wins[1]) == sorted(f"aws/creds/web/r{n}" for n in range(20))
    assert not set(wins[0]) & set(wins[1])


def test_an_orphan_is_rescheduled_only_for_the_owner_seen_dead(backend: Backend) -> None:
    now = time.time()
    backend.leases.insert(make_lease("aws/creds/web/a", state=LeaseState.PENDING, owner=None))
    backend.leases.insert(make_lease("aws/creds/web/b", state=LeaseState.REVOKING, owner="h:2"))
    assert backend.leases.reschedule_orphan("aws/creds/web/a", owner=None, now=now)
    assert not backend.leases.reschedule_orphan("aws/creds/web/b", owner="h:3", now=now)
    assert backend.leases.reschedule_orphan("aws/creds/web/b", owner="h:2", now=now)
    lease = backend.leases.get("aws/creds/web/a")
    assert lease is not None
    assert (lease.state, lease.next_attempt_time) == (LeaseState.REVOKING, now)
    assert lease.error == "recovered after a crash"


def test_renew_and_promote_apply_only_to_leases_in_service(backend: Backend) -> None:
    now = time.time()
    backend.leases.insert(make_lease("aws/creds/web/a", state=LeaseState.PROPAGATING))
    backend.leases.insert(make_lease("aws/creds/web/b", state=LeaseState.REVOKING))
    assert backend.leases.renew("aws/creds/web/a", expire_time=now + 7200, now=now)
    assert not backend.leases.renew("aws/creds/web/b", expire_time=now + 7200, now=now)
    assert backend.leases.promote("aws/creds/web/a", now=now)
    assert not backend.leases.promote("aws/creds/web/a", now=now)
    lease = backend.leases.get("aws/creds/web/a")
    assert lease is not None
    assert (lease.state, lease.expire_time) == (LeaseState.ACTIVE, now + 7200)


def test_a_key_made_inactive_is_noted_beside_what_revocation_recorded(backend: Backend) -> None:
    backend.leases.insert(make_lease("aws/creds/web/a", revocation={"path": "contain"}))
    backend.leases.insert(make_lease("aws/creds/web/b"))
    backend.leases.insert(make_lease("aws/creds/web/c", state=LeaseState.REVOKED))
    assert backend.leases.note_key_inactive("aws/creds/web/a", at=1234.5)
    assert backend.leases.note_key_inactive("aws/creds/web/b", at=99.0)
    assert not backend.leases.note_key_inactive("aws/creds/web/c", at=1.0)
    assert not backend.leases.note_key_inactive("aws/creds/web/none", at=1.0)
    a, b, c = (backend.leases.get(f"aws/creds/web/{x}") for x in "abc")
    assert a is not None and a.revocation == {"path": "contain", "key_inactive_time": 1234.5}
    assert b is not None and b.revocation == {"key_inactive_time": 99.0}
    assert c is not None and c.revocation is None


def test_a_damaged_record_of_how_access_was_cut_is_started_afresh(backend: Backend) -> None:
    backend.leases.insert(make_lease())
    backend.conn.execute("UPDATE leases SET revocation = 'not json {'")
    assert backend.leases.note_key_inactive("aws/creds/web/a1", at=5.0)
    lease = backend.leases.get("aws/creds/web/a1")
    assert lease is not None and lease.revocation == {"key_inactive_time": 5.0}


def test_a_row_this_version_cannot_read_is_set_aside_and_named(backend: Backend) -> None:
    """A damaged (or newer) row never stops the others: lists skip it, `unreadable` explains."""
    now = time.time()
    backend.leases.insert(make_lease("aws/creds/web/good", issue_time=now - 100, ttl=50))
    backend.leases.insert(make_lease("aws/creds/web/bad", issue_time=now - 100, ttl=50))
    backend.conn.execute(
        "UPDATE leases SET state = 'frozen', renewable = 7, max_expire_time = NULL "
        "WHERE lease_id = 'aws/creds/web/bad'"
    )
    assert [x.lease_id for x in backend.leases.list()] == ["aws/creds/web/good"]
    assert [x.lease_id for x in backend.leases.due(now)] == ["aws/creds/web/good"]
    assert backend.leases.count_live("aws/creds/") == 1
    (bad,) = backend.leases.unreadable(prefix="aws/creds/web/")
    assert bad.lease_id == "aws/creds/web/bad" and bad.stored_state == "frozen"
    assert "unknown state 'frozen'" in bad.error
    assert "renewable is not 0 or 1 (7)" in bad.error
    assert "max_expire_time is not a number (None)" in bad.error
    with pytest.raises(StoreCorrupted, match="'aws/creds/web/bad' is unreadable: unknown state"):
        backend.leases.get("aws/creds/web/bad")
    assert backend.leases.claim("aws/creds/web/bad", now=now, hold=60, owner="me") is None


def _plan(backend: Backend, sql: str, params: list[Any]) -> str:
    """The query plan the backend picks for `sql` (PostgreSQL: as if the table were large)."""
    if backend.name == "sqlite":
        return " ".join(
            str(row[3]) for row in backend.conn.query(f"EXPLAIN QUERY PLAN {sql}", params)
        )
    with backend.conn.transaction():
        backend.conn.execute("SET LOCAL enable_seqscan = off")
        return " ".join(str(row[0]) for row in backend.conn.query(f"EXPLAIN {sql}", params))


def test_unreadable_rows_are_found_through_their_index_as_they_come_and_go(
    backend: Backend,
) -> None:
    """Every `lease list` and TUI reload looks for them: an index of the unreadable rows
    alone, kept as rows are damaged and mended, not a read of every row."""
    now = time.time()
    for number in range(3):
        backend.leases.insert(make_lease(f"aws/creds/web/{number}", issue_time=now, ttl=50))
    assert backend.leases.unreadable() == []
    backend.conn.execute("UPDATE leases SET state = 'frozen' WHERE lease_id = 'aws/creds/web/1'")
    assert [bad.lease_id for bad in backend.leases.unreadable()] == ["aws/creds/web/1"]
    backend.conn.execute("UPDATE leases SET state = 'active' WHERE lease_id = 'aws/creds/web/1'")
    assert backend.leases.unreadable() == []
    for where in ({}, {"prefix": "aws/creds/"}):
        sql, params = backend.leases.unreadable_query(**where)
        assert "idx_leases_unreadable" in _plan(backend, sql, params)
