"""A team store's connection cut off under a write (a real PostgreSQL; the soak's kill_connections
found each of these).

- under an issuance's response entry: the response is refused, so the new
  credential is withdrawn; the store takes entries again on a fresh connection,
  so the withdrawal is on the audit trail like any revocation (it was ended with
  no revoke entry at all);
- under a revocation, after its claim (the worker's request entry, an operator's
  final write): the revocation is refused, and the lease is due again at once
  rather than held by its claim for two minutes (it was revoked 6 s late).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.helpers import user_names
from workbench.domain.errors import AuditFailure, StoreUnavailable
from workbench.domain.models import LeaseState
from workbench.service import Workbench


def _terminate(url: str, pid: int) -> None:
    """End session `pid` as a DBA would, and wait until the server has ended it."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 10
        while conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            assert time.monotonic() < deadline, f"session {pid} did not end"
            time.sleep(0.02)


def test_a_credential_withdrawn_for_a_cut_off_response_entry_is_audited(
    pg_service: Workbench, pg_url: str, iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = pg_service
    store: Any = service._store
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    armed: list[bool] = []
    append = store.audit.append

    def cut_off_append(row: dict[str, Any], *head: str) -> Any:
        # The issuance's response entry, inside its transaction: its connection goes.
        if armed and row["type"] == "response":
            armed.clear()
            _terminate(pg_url, store._pg._pinned().info.backend_pid)
        return append(row, *head)

    monkeypatch.setattr(store.audit, "append", cut_off_append)
    client = service._ctx.clients(service.engines.get("aws")).iam
    client.meta.events.register(
        "after-call.iam.CreateAccessKey", lambda **_kwargs: armed.append(True)
    )

    with pytest.raises(AuditFailure, match="withdrawn") as raised:
        service.creds.issue("aws", "webapp")
    assert "\n" not in str(raised.value)
    assert "lost the connection to the team store" in str(raised.value)
    assert user_names(iam) == []  # the IAM user and its key are gone
    (lease,) = service.leases.list(include_history=True)
    assert lease.state is LeaseState.REVOKED

    entries = [record.entry for record in service.audit.entries()]
    issued = [e for e in entries if e["request"]["path"] == "aws/creds/webapp"]
    assert [e["type"] for e in issued] == ["request", "response"]
    assert "could not write the response entry" in issued[1]["error"]
    revoked = [
        e
        for e in entries
        if e["request"]["path"] == "sys/leases/revoke"
        and e["request"]["data"]["lease_id"] == lease.lease_id
    ]
    assert [e["type"] for e in revoked] == ["request", "response"]
    assert revoked[0]["request"]["data"]["source"] == "withdraw"
    assert revoked[1]["error"] == ""
    assert revoked[1]["response"]["data"]["state"] == "revoked"
    assert service.audit.verify().ok


def _cut_off_once(
    monkeypatch: pytest.MonkeyPatch, store: Any, url: str, repository: str, hit: Any
) -> None:
    """Cut off the write transaction of the first `store.REPOSITORY.append/update` call `hit`
    accepts (its connection ended by the server, mid-transaction)."""
    target = getattr(store, repository)
    name = "append" if repository == "audit" else "update"
    original = getattr(target, name)
    armed = [True]

    def cut_off(row: Any, *args: Any, **kwargs: Any) -> Any:
        if not (armed and hit(row)):
            return original(row, *args, **kwargs)
        armed.clear()
        with store.transaction():  # the write's own transaction (joined if one is open)
            store.get_meta("schema_version")  # begun: the cut comes mid-transaction
            _terminate(url, store._pg._pinned().info.backend_pid)
            return original(row, *args, **kwargs)

    monkeypatch.setattr(target, name, cut_off)


def test_a_worker_revocation_whose_request_entry_is_cut_off_is_due_again_at_once(
    pg_service: Workbench, pg_url: str, iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = pg_service
    now = [time.time()]
    service._ctx.clock = lambda: now[0]
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    lease = service.creds.issue("aws", "webapp", ttl="1m").lease
    now[0] += 61  # due
    _cut_off_once(
        monkeypatch,
        service._store,
        pg_url,
        "audit",
        lambda row: row["type"] == "request" and row["path"] == "sys/leases/revoke",
    )

    with pytest.raises(AuditFailure, match="lost the connection") as raised:
        service.leases.revoke_due(lease.lease_id)
    assert "\n" not in str(raised.value)
    held = service.leases.lookup(lease.lease_id)
    assert held.state is LeaseState.REVOKING  # claimed, nothing done in AWS...
    assert held.next_attempt_time is not None and held.next_attempt_time <= now[0]  # ...due now

    ended = service.leases.revoke_due(lease.lease_id)  # the worker's next pass
    assert ended is not None and ended.state is LeaseState.REVOKED
    assert user_names(iam) == []
    assert service.audit.verify().ok


def test_an_operator_revocation_whose_last_write_is_cut_off_is_due_again_at_once(
    pg_service: Workbench, pg_url: str, iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = pg_service
    now = [time.time()]
    service._ctx.clock = lambda: now[0]
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    lease = service.creds.issue("aws", "webapp", ttl="1h").lease
    _cut_off_once(
        monkeypatch,
        service._store,
        pg_url,
        "leases",
        lambda row: row.state is LeaseState.REVOKED,
    )

    with pytest.raises(StoreUnavailable, match="lost the connection") as raised:
        service.leases.revoke(lease.lease_id)
    assert "\n" not in str(raised.value)
    held = service.leases.lookup(lease.lease_id)
    assert held.state is LeaseState.REVOKING  # the revoked state was refused whole
    assert held.next_attempt_time is not None and held.next_attempt_time <= now[0]

    ended = service.leases.revoke_due(lease.lease_id)  # a worker takes it at once
    assert ended is not None and ended.state is LeaseState.REVOKED
    assert user_names(iam) == []
