"""A team store's connection cut off under an issuance's response entry (a real PostgreSQL).

The response is refused, so the new credential is withdrawn; the store takes
entries again on a fresh connection, so the withdrawal is on the audit trail
like any revocation. (Found by the soak's kill_connections on PostgreSQL: a
lease ended with no revoke entry at all.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSPHRASE, MotoServer, fast_kdf, make_service
from tests.helpers import user_names
from workbench.domain.errors import AuditFailure
from workbench.domain.models import LeaseState
from workbench.service import Workbench


@pytest.fixture
def pg_service(pg_url: str, aws: MotoServer, tmp_path: Path) -> Iterator[Workbench]:
    from workbench.store.pg import PgStore

    store = PgStore.create(pg_url, PASSPHRASE, fast_kdf(), operator="alice", home=tmp_path)
    service = make_service(store, aws)
    yield service
    service.close()


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
    insert = store.audit.insert

    def cut_off_insert(row: dict[str, Any]) -> Any:
        # The issuance's response entry, inside its transaction: its connection goes.
        if armed and row["type"] == "response":
            armed.clear()
            _terminate(pg_url, store._pg._pinned().info.backend_pid)
        return insert(row)

    monkeypatch.setattr(store.audit, "insert", cut_off_insert)
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
