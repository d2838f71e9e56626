"""Operators with their own passphrases (key slots), each a separate process, on each backend.

alice creates the store and adds bob; bob unlocks with his own passphrase,
sees and revokes what alice issued; the audit names both. After
`operator remove bob`, bob's passphrase opens nothing and every secret still
decrypts for alice.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FAST_KDF, PASSPHRASE, MotoServer, iam_client
from tests.e2e.conftest import WEBAPP
from tests.helpers import run_cli
from workbench.service import create_workbench, open_workbench
from workbench.store import KdfParams

BOB = "bob passphrase 42"


@pytest.fixture(params=["sqlite", "postgresql"])
def where(request: pytest.FixtureRequest, home: Path) -> dict[str, str]:
    """Environment naming the store: the SQLite file in home, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return {}
    url = request.getfixturevalue("pg_url")
    return {"WORKBENCH_STORE": url}


def _team(home: Path, aws: MotoServer, where: dict[str, str], tmp_path: Path) -> Any:
    """alice's store with engine aws on the embedded AWS, role webapp, and bob added."""
    from workbench.service import parse_location

    location = parse_location(where.get("WORKBENCH_STORE"), home)
    fast = KdfParams.fresh(**FAST_KDF)
    service = create_workbench(location, PASSPHRASE, operator="alice", kdf=fast)
    service.engines.point_at(
        "aws", aws.url, access_key="AKIAROOTEXAMPLE", secret_key="root-secret-value-123"
    )
    service.operators.add("bob", BOB, kdf=KdfParams.fresh(**FAST_KDF))
    service.close()
    role_file = tmp_path / "webapp.json"
    role_file.write_text(json.dumps(WEBAPP))
    written = alice(home, where, "role", "write", "webapp", "--file", str(role_file))
    assert written.returncode == 0, written.stderr
    return location


def alice(home: Path, where: dict[str, str], *args: str) -> Any:
    return run_cli(home, *args, WORKBENCH_OPERATOR="alice", **where)


def bob(home: Path, where: dict[str, str], *args: str, passphrase: str = BOB) -> Any:
    return run_cli(home, *args, WORKBENCH_OPERATOR="bob", WORKBENCH_PASSPHRASE=passphrase, **where)


def test_two_operators_share_one_store(
    home: Path, aws: MotoServer, where: dict[str, str], tmp_path: Path
) -> None:
    _team(home, aws, where, tmp_path)
    issued = alice(home, where, "creds", "webapp", "--format", "json")
    assert issued.returncode == 0, issued.stderr
    lease_id = json.loads(issued.stdout)["lease_id"]

    seen = bob(home, where, "lease", "list", "--format", "json")
    assert seen.returncode == 0, seen.stderr
    (lease,) = json.loads(seen.stdout)
    assert lease["id"] == lease_id and lease["issued_by"] == "alice"

    # Each passphrase opens its own slot only.
    wrong = bob(home, where, "lease", "list", passphrase=PASSPHRASE)
    assert wrong.returncode == 1 and "wrong passphrase for operator 'bob'" in wrong.stderr
    claimed = bob(home, where, "--as", "alice", "lease", "list")
    assert claimed.returncode == 1 and "another operator's name" in claimed.stderr

    revoked = bob(home, where, "lease", "revoke", lease_id)
    assert revoked.returncode == 0, revoked.stderr
    assert iam_client(aws).list_users()["Users"] == []

    tail = alice(home, where, "audit", "tail", "-n", "50", "--format", "json")
    assert tail.returncode == 0, tail.stderr
    entries = [json.loads(line) for line in tail.stdout.splitlines()]
    by_path = {(e["type"], e["request"]["path"], e["auth"]["display_name"]) for e in entries}
    assert ("response", "aws/creds/webapp", "alice") in by_path
    assert ("response", "sys/leases/revoke", "bob") in by_path


def test_removed_operator_opens_nothing_and_secrets_survive(
    home: Path, aws: MotoServer, where: dict[str, str], tmp_path: Path
) -> None:
    location = _team(home, aws, where, tmp_path)
    issued = alice(home, where, "creds", "webapp", "--ttl", "1h", "--format", "json")
    assert issued.returncode == 0, issued.stderr
    answer = json.loads(issued.stdout)

    removed = alice(home, where, "operator", "remove", "bob")
    assert removed.returncode == 0, removed.stderr
    refused = bob(home, where, "lease", "list")
    assert refused.returncode == 1 and "operator 'bob' has no key slot" in refused.stderr

    listed = alice(home, where, "operator", "list", "--format", "json")
    assert [o["name"] for o in json.loads(listed.stdout)] == ["alice"]

    # Every secret still opens for alice: the lease's key, the root key, the role policy.
    store = location.open(PASSPHRASE, operator="alice")
    try:
        lease = store.leases.get(answer["lease_id"], secrets=True)
        assert lease is not None and lease.secret_key == answer["data"]["secret_key"]
        engine = store.engines.get("aws")
        assert engine is not None and engine.root.secret_key == "root-secret-value-123"
        role = store.roles.get("aws", "webapp")
        assert role is not None and "s3:GetObject" in (role.policy_document or "")
    finally:
        store.close()
    service = open_workbench(location, PASSPHRASE, operator="alice")
    try:
        assert service.audit.verify().ok
    finally:
        service.close()


def test_remove_refuses_a_damaged_secret_and_changes_nothing(
    home: Path, aws: MotoServer, tmp_path: Path
) -> None:
    """One ciphertext that no longer opens: the removal is refused whole, bob keeps his slot."""
    _team(home, aws, {}, tmp_path)
    with sqlite3.connect(home / "workbench.db") as conn:
        conn.execute("UPDATE engines SET root_secret_key = ?", (b"\x01" + b"x" * 40,))
    conn.close()
    removed = alice(home, {}, "operator", "remove", "bob")
    assert removed.returncode == 1 and "engines record 'aws'" in removed.stderr
    assert bob(home, {}, "operator", "list").returncode == 0


def test_a_store_from_before_key_slots_opens_and_gets_a_slot(home: Path, aws: MotoServer) -> None:
    """A single-passphrase store (meta.wrapped_key) keeps opening; its opener gets a slot."""
    from workbench.store.crypto import wrap_key

    fast = KdfParams.fresh(**FAST_KDF)
    service = create_workbench(home, PASSPHRASE, operator="alice", kdf=fast)
    service.close()
    with sqlite3.connect(home / "workbench.db") as conn:
        # Rewrite it as an older version left it: one wrapped key in meta, no slots.
        row = conn.execute("SELECT * FROM key_slots").fetchone()
        from workbench.store.keyslots import KeySlot

        data_key, _ = KeySlot.from_row(tuple(row)).unlock(PASSPHRASE)
        conn.execute("DELETE FROM key_slots")
        conn.execute(
            "INSERT INTO meta VALUES ('kdf', ?), ('wrapped_key', ?)",
            (json.dumps(fast.to_dict()), wrap_key(data_key, fast.derive(PASSPHRASE))),
        )
    conn.close()
    listed = run_cli(home, "--operator", "carol", "operator", "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert [o["name"] for o in json.loads(listed.stdout)] == ["carol"]
    with sqlite3.connect(home / "workbench.db") as conn:
        keys = {key for (key,) in conn.execute("SELECT key FROM meta")}
    conn.close()
    assert "wrapped_key" not in keys  # the old single key is gone from the file


def test_another_operators_damaged_slot_locks_nobody_else_out(
    home: Path, aws: MotoServer, tmp_path: Path
) -> None:
    _team(home, aws, {}, tmp_path)
    with sqlite3.connect(home / "workbench.db") as conn:
        conn.execute("UPDATE key_slots SET kdf = '{not json' WHERE operator = 'bob'")
    conn.close()
    assert alice(home, {}, "lease", "list").returncode == 0
    refused = bob(home, {}, "lease", "list")
    assert refused.returncode == 1
    assert "key slot of operator 'bob' is damaged (key_slots.kdf" in refused.stderr


def _tamper(home: Path, where: dict[str, str], sql: str, params: tuple[Any, ...]) -> None:
    """Write the store's tables behind the workbench's back (a database administrator)."""
    url = where.get("WORKBENCH_STORE")
    if url is None:
        with sqlite3.connect(home / "workbench.db") as conn:
            conn.execute(sql, params)
        conn.close()
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.replace("?", "%s"), params)


def test_a_public_key_slipped_into_a_slot_gets_no_data_key(
    home: Path, aws: MotoServer, where: dict[str, str], tmp_path: Path
) -> None:
    """Whoever writes the database without the data key cannot have a new key sealed to them."""
    from workbench.store.keyslots import new_slot

    _team(home, aws, where, tmp_path)
    carol = run_cli(home, "operator", "add", "carol", "--new-passphrase-file", "/dev/stdin",
                    input="carol passphrase 7\n", WORKBENCH_OPERATOR="alice", **where)  # fmt: skip
    assert carol.returncode == 0, carol.stderr
    # The intruder's own key pair, made with a data key of their own.
    theirs = new_slot("bob", "intruder passphrase", b"\x00" * 32, now=0.0, created_by=None)
    _tamper(home, where, "UPDATE key_slots SET public_key = ? WHERE operator = 'bob'",
            (theirs.public_key,))  # fmt: skip
    removed = alice(home, where, "operator", "remove", "carol")
    assert removed.returncode == 1
    assert "key slot of operator 'bob' is damaged (key_slots.binding" in removed.stderr
    listed = alice(home, where, "operator", "list", "--format", "json")
    assert [o["name"] for o in json.loads(listed.stdout)] == ["alice", "bob", "carol"]
