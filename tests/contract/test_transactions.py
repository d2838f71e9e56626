"""Transactions on both backends: all or nothing, nested ones joining, other processes' view."""

from __future__ import annotations

import pytest

from tests.contract.conftest import Backend, make_lease
from tests.helpers import wait_for
from workbench.domain.models import Engine


class Boom(Exception):
    pass


def test_a_failed_transaction_leaves_nothing_behind(backend: Backend) -> None:
    with pytest.raises(Boom), backend.conn.transaction():
        backend.engines.put(Engine("aws"))
        backend.leases.insert(make_lease())
        with backend.conn.transaction():  # nested: part of the outer one
            backend.leases.insert(make_lease("aws/creds/web/b"))
        raise Boom
    assert backend.engines.list() == []
    assert backend.leases.list(live_only=False) == []


def test_a_transaction_lands_whole_for_another_process(backend: Backend) -> None:
    other = backend.other()
    with backend.conn.transaction():
        backend.engines.put(Engine("aws"))
        backend.leases.insert(make_lease())
        assert other.leases.get("aws/creds/web/a1") is None  # not before the commit
    assert [e.name for e in other.engines.list()] == ["aws"]
    lease = other.leases.get("aws/creds/web/a1", secrets=True)
    assert lease is not None and lease.secret_key == "secret-aws/creds/web/a1"


def test_meta_rows_are_written_over(backend: Backend) -> None:
    upsert = (
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
    )
    backend.conn.execute(upsert, ("audit_head", "one"))
    backend.conn.execute(upsert, ("audit_head", "two"))
    rows = backend.conn.query("SELECT value FROM meta WHERE key = ?", ("audit_head",))
    assert [tuple(row) for row in rows] == [("two",)]


def test_another_process_sees_each_commit_by_the_change_token(backend: Backend) -> None:
    """What a live pane polls: the token moves when someone else commits."""
    watcher = backend.other()
    token = watcher.conn.change_token()
    backend.engines.put(Engine("aws"))
    wait_for(lambda: watcher.conn.change_token() != token, "the change token to move")
    assert [e.name for e in watcher.engines.list()] == ["aws"]
    token = watcher.conn.change_token()
    backend.leases.insert(make_lease())
    wait_for(lambda: watcher.conn.change_token() != token, "the change token to move again")
    assert watcher.leases.count_live("aws/") == 1
