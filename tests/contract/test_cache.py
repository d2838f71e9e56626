"""The credential cache's store on both backends: which lease a cached request may reuse, and
the claim that lets one of several processes issue while the others wait."""

from __future__ import annotations

import threading
import time

from tests.contract.conftest import Backend, make_lease
from workbench.domain.models import LeaseState
from workbench.store.cache_claims import CacheClaim

KEY = '{"engine":"aws","role":"web","ttl":3600}'


def test_the_cache_key_is_stored_with_the_lease_and_kept_by_updates(backend: Backend) -> None:
    backend.leases.insert(make_lease("aws/creds/web/c", cache_key=KEY))
    backend.leases.insert(make_lease("aws/creds/web/h"))
    cached = backend.leases.get("aws/creds/web/c")
    assert cached is not None and cached.cache_key == KEY
    cached.error = "noted"
    backend.leases.update(cached)
    kept = backend.leases.get("aws/creds/web/c", secrets=True)
    assert kept is not None and kept.cache_key == KEY and kept.secret_key is not None
    by_hand = backend.leases.get("aws/creds/web/h")
    assert by_hand is not None and by_hand.cache_key is None


def test_only_a_live_active_lease_of_the_key_with_enough_time_left_is_found(
    backend: Backend,
) -> None:
    now = time.time()
    backend.leases.insert(make_lease("aws/creds/web/hand", issue_time=now - 10))
    backend.leases.insert(
        make_lease("aws/creds/web/other", issue_time=now - 10, cache_key=KEY + "x")
    )
    for state in (LeaseState.PROPAGATING, LeaseState.REVOKING, LeaseState.REVOKED):
        backend.leases.insert(
            make_lease(
                f"aws/creds/web/{state.value}", issue_time=now - 10, state=state, cache_key=KEY
            )
        )
    backend.leases.insert(
        make_lease(
            "aws/creds/web/cut",
            issue_time=now - 10,
            cache_key=KEY,
            revocation={"key_inactive_time": now},
        )
    )
    # 3600 s TTL with 890 s left: less than a quarter, more than a fifth.
    backend.leases.insert(make_lease("aws/creds/web/old", issue_time=now - 2710, cache_key=KEY))
    assert backend.leases.cached(KEY, now=now, min_left=0.25) is None
    assert backend.leases.cached(KEY, now=now, min_left=0.2) is not None

    backend.leases.insert(make_lease("aws/creds/web/new", issue_time=now - 60, cache_key=KEY))
    found = backend.leases.cached(KEY, now=now, min_left=0.25, secrets=True)
    assert found is not None and found.lease_id == "aws/creds/web/new"
    assert found.secret_key == "secret-aws/creds/web/new"
    public = backend.leases.cached(KEY, now=now, min_left=0.25)
    assert public is not None and public.secret_key is None
    settling = backend.leases.cached(
        KEY, now=now, min_left=0.25, states=frozenset({LeaseState.PROPAGATING})
    )
    assert settling is not None and settling.lease_id == "aws/creds/web/propagating"
    # Past its expiry nothing is found, whatever the share asked.
    assert backend.leases.cached(KEY, now=now + 3600, min_left=0) is None


def test_a_claim_is_taken_replaced_and_released_only_by_its_own_token(backend: Backend) -> None:
    assert backend.cache_claims.get(KEY) is None
    backend.cache_claims.put(CacheClaim(KEY, owner="h:1", token="t1", claimed_time=1.0))
    assert backend.other().cache_claims.get(KEY) == CacheClaim(KEY, "h:1", "t1", 1.0)
    backend.cache_claims.put(CacheClaim(KEY, owner="h:2", token="t2", claimed_time=2.0))
    assert not backend.cache_claims.release(KEY, "t1")  # taken over: the old holder's is gone
    assert backend.cache_claims.get(KEY) == CacheClaim(KEY, "h:2", "t2", 2.0)
    assert backend.cache_claims.release(KEY, "t2")
    assert backend.cache_claims.get(KEY) is None


def test_of_processes_claiming_at_once_in_write_transactions_one_wins(backend: Backend) -> None:
    """What the cache relies on: look-then-claim under the write transaction is atomic."""
    views = [backend, *(backend.other() for _ in range(3))]
    start = threading.Barrier(len(views))
    won: list[str] = []

    def claimer(index: int) -> None:
        view = views[index]
        start.wait()
        for round_ in range(10):
            key = f"{KEY}/{round_}"
            with view.conn.transaction():
                if view.cache_claims.get(key) is None:
                    view.cache_claims.put(CacheClaim(key, f"p{index}", f"t{index}", time.time()))
                    won.append(key)

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(len(views))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == sorted(f"{KEY}/{n}" for n in range(10))
