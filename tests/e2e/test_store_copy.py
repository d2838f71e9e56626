"""Moving in: `workbench store copy` from a SQLite store into PostgreSQL loses nothing.

A store with a few hundred leases (live and ended, with secrets) and a few
thousand audit entries is copied by the CLI in its own process; then every
lease, secret, role and engine reads back equal from the target, `audit
verify` passes there, every operator opens it with their own passphrase, and
a second copy onto it is refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg

from tests.conftest import FAST_KDF, PASSPHRASE, MotoServer
from tests.contract.conftest import make_lease
from tests.helpers import run_cli
from workbench.audit import AuditLog
from workbench.domain.models import LeaseState
from workbench.service import create_workbench, parse_location
from workbench.store import KdfParams

BOB = "bob passphrase 42"
STATES = (LeaseState.ACTIVE, LeaseState.REVOKED, LeaseState.EXPIRED, LeaseState.IRREVOCABLE)


def _full_store(home: Path, aws: MotoServer) -> None:
    """A SQLite store: alice and bob, engine aws, two roles, 300 leases, ~3,000 audit entries."""
    fast = KdfParams.fresh(**FAST_KDF)
    service = create_workbench(home, PASSPHRASE, operator="alice", kdf=fast)
    service.engines.point_at(
        "aws", aws.url, access_key="AKIAROOTEXAMPLE", secret_key="root-secret-value-123"
    )
    service.roles.write("aws", "web", {"credential_type": "iam_user"})
    service.roles.write("aws", "ops", {"credential_type": "iam_user", "iam_groups": ["ops"]})
    service.operators.add("bob", BOB, kdf=KdfParams.fresh(**FAST_KDF))
    service.close()
    store = parse_location(None, home).open(PASSPHRASE, operator="alice")
    log = AuditLog(store, operator="alice")
    try:
        for n in range(300):
            lease = make_lease(
                f"aws/creds/web/{n:04d}",
                state=STATES[n % len(STATES)],
                session_token=f"token-{n}" if n % 3 == 0 else None,
                issued_by="alice" if n % 2 else "bob",
                created={"inline_policy": True, "groups": []},
            )
            store.leases.insert(lease)
            for _ in range(5):
                with log.operation("update", "sys/leases/lookup", {"lease_id": lease.lease_id}):
                    pass
    finally:
        log.close()
        store.close()


def _everything(location: Any, operator: str, passphrase: str) -> dict[str, Any]:
    """What a store holds, secrets included, as comparable values."""
    store = location.open(passphrase, operator=operator)
    try:
        leases = {
            lease.lease_id: store.leases.get(lease.lease_id, secrets=True)
            for lease in store.leases.list(live_only=False)
        }
        return {
            "leases": leases,
            "roles": store.roles.list(),
            "engines": store.engines.list(),
            "store_id": store.store_id,
            "hmac_key": store.hmac_key,
            "audit": list(store.audit.iterate()),
        }
    finally:
        store.close()


def test_a_sqlite_store_moves_into_postgresql_whole(
    home: Path, aws: MotoServer, pg_url: str
) -> None:
    _full_store(home, aws)
    before = _everything(parse_location(None, home), "alice", PASSPHRASE)
    assert len(before["leases"]) == 300 and len(before["audit"]) >= 3000

    copied = run_cli(
        home, "store", "copy", "--from", str(home), "--to", pg_url, WORKBENCH_OPERATOR="alice"
    )
    assert copied.returncode == 0, copied.stderr
    assert "300 lease(s)" in copied.stdout

    target = parse_location(pg_url, home)
    after = _everything(target, "alice", PASSPHRASE)
    assert after["leases"] == before["leases"]  # every field, the secrets too
    assert after["roles"] == before["roles"] and after["engines"] == before["engines"]
    assert after["store_id"] == before["store_id"]  # reconcile still knows its IAM users
    assert after["hmac_key"] == before["hmac_key"]  # old HMACs still match their secrets
    assert after["audit"][: len(before["audit"])] == before["audit"]
    copy_entries = after["audit"][len(before["audit"]) :]
    assert [row["path"] for row in copy_entries] == ["sys/store/copy", "sys/store/copy"]
    head = json.loads(copy_entries[0]["entry"])["request"]["data"]["source_head"]
    assert head == before["audit"][-1]["hash"]  # the new chain records the old head
    # The planner knows the copied rows at once (ANALYZE; -1: never analyzed), so the first
    # `lease list` already finds unreadable rows through their index, not a full read.
    with psycopg.connect(pg_url) as conn:
        analyzed = conn.execute("SELECT reltuples FROM pg_class WHERE relname = 'leases'")
        assert analyzed.fetchall() == [(300,)]

    def on_target(*args: str, **env: str) -> Any:
        return run_cli(home, *args, WORKBENCH_STORE=pg_url, **env)

    verified = on_target("audit", "verify", WORKBENCH_OPERATOR="alice")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    bob = on_target("lease", "list", WORKBENCH_OPERATOR="bob", WORKBENCH_PASSPHRASE=BOB)
    assert bob.returncode == 0, bob.stderr

    again = run_cli(
        home, "store", "copy", "--from", str(home), "--to", pg_url, WORKBENCH_OPERATOR="alice"
    )
    assert again.returncode == 1 and "holds a store already" in again.stderr
    assert _everything(target, "alice", PASSPHRASE)["leases"] == before["leases"]
