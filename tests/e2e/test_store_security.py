"""The store keeps secrets sealed, refuses wrong passphrases and tampering."""

from __future__ import annotations

import getpass
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FAST_KDF, PASSPHRASE, MotoServer
from tests.helpers import run_cli, setup_cli_store
from workbench.domain.errors import StoreCorrupted, WrongPassphrase
from workbench.domain.models import CredentialType, Engine, Lease, LeaseState, RootConfig
from workbench.store import KdfParams, Store


def _files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def test_wrong_passphrase_is_one_line_and_changes_nothing(home: Path, aws: MotoServer) -> None:
    setup_cli_store(home, aws)
    db = home / "workbench.db"
    before = db.read_bytes()
    result = run_cli(home, "lease", "list", WORKBENCH_PASSPHRASE="not the passphrase")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: wrong passphrase for operator {getpass.getuser()!r}: the store could not be "
        "unlocked "
        "(nothing was changed)"
    ]
    assert "Traceback" not in result.stderr
    assert db.read_bytes() == before


def test_no_secret_reaches_disk_in_plaintext(service, aws: MotoServer, home: Path) -> None:  # type: ignore[no-untyped-def]
    policy_marker = "arn:aws:s3:::policy-marker-bucket-93731"
    service.roles.write(
        "aws",
        "webapp",
        {
            "credential_type": "iam_user",
            "policy_document": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{policy_marker}/*"}
                ],
            },
        },
    )
    issued = service.creds.issue("aws", "webapp", ttl="15m")
    secrets = [
        "root-secret-value-123",
        issued.lease.secret_key,
        policy_marker,
    ]
    service.roles.write("aws", "sts", {"credential_type": "session_token"})
    token = service.creds.issue("aws", "sts", ttl="15m").lease.session_token
    secrets.append(token)
    aws.client("iam").create_user(UserName="legacy")
    body = {"username": "legacy", "rotation_period": "720h"}
    service.static_roles.write("aws", "legacy", body, take_over=True)
    secrets.append(service.static_roles.creds("aws", "legacy").lease.secret_key)
    service.static_roles.rotate("aws", "legacy")  # the old and the new static key
    secrets.append(service.static_roles.creds("aws", "legacy").lease.secret_key)
    # Scan while open (WAL and SHM present), then after close.
    for phase in ("open", "closed"):
        if phase == "closed":
            service.close()
        files = _files_under(home)
        assert any(p.name == "workbench.db" for p in files)
        if phase == "open":
            assert any(p.name.endswith("-wal") for p in files)
        for path in files:
            content = path.read_bytes()
            for secret in secrets:
                assert secret and secret.encode() not in content, f"{secret!r} found in {path.name}"


def test_moved_or_flipped_ciphertext_is_detected_and_named(store: Store) -> None:
    store.engines.put(Engine("alpha", RootConfig(access_key="AKIAA", secret_key="alpha-secret")))
    store.engines.put(Engine("beta", RootConfig(access_key="AKIAB", secret_key="beta-secret")))
    conn = sqlite3.connect(store.path)
    blob = conn.execute("SELECT root_secret_key FROM engines WHERE name='alpha'").fetchone()[0]
    conn.execute("UPDATE engines SET root_secret_key=? WHERE name='beta'", (blob,))
    conn.commit()
    with pytest.raises(StoreCorrupted, match="engines record 'beta', field root_secret_key"):
        store.engines.get("beta")
    assert store.engines.get("alpha").root.secret_key == "alpha-secret"  # type: ignore[union-attr]

    now = time.time()
    lease = Lease(
        "aws/creds/r/x1",
        "aws",
        "r",
        CredentialType.IAM_USER,
        LeaseState.ACTIVE,
        now,
        now + 60,
        now + 120,
        True,
        access_key_id="AKIAX",
        secret_key="lease-secret",
    )
    store.leases.insert(lease)
    flipped = bytearray(conn.execute("SELECT secret_key FROM leases").fetchone()[0])
    flipped[-1] ^= 0x01
    conn.execute("UPDATE leases SET secret_key=?", (bytes(flipped),))
    conn.commit()
    conn.close()
    with pytest.raises(StoreCorrupted, match="leases record 'aws/creds/r/x1', field secret_key"):
        store.leases.get("aws/creds/r/x1", secrets=True)
    # What does not need the secret still reads.
    assert store.leases.get("aws/creds/r/x1").access_key_id == "AKIAX"  # type: ignore[union-attr]


def test_tampered_record_is_a_clear_cli_error(home: Path, aws: MotoServer) -> None:
    setup_cli_store(home, aws)
    conn = sqlite3.connect(home / "workbench.db")
    conn.execute("UPDATE engines SET root_secret_key = x'01020304'")
    conn.commit()
    conn.close()
    result = run_cli(home, "config", "read")
    assert result.returncode == 1
    assert "engines record 'aws'" in result.stderr
    assert "Traceback" not in result.stderr


def test_passwd_rewraps_the_key(home: Path, aws: MotoServer) -> None:
    setup_cli_store(home, aws)
    new = "a brand new passphrase"
    changed = run_cli(home, "passwd", WORKBENCH_NEW_PASSPHRASE=new)
    assert changed.returncode == 0, changed.stderr
    old = run_cli(home, "config", "read")
    assert old.returncode == 1 and "wrong passphrase" in old.stderr
    ok = run_cli(home, "config", "read", "--format", "json", WORKBENCH_PASSPHRASE=new)
    assert ok.returncode == 0, ok.stderr
    assert '"secret_key_set": true' in ok.stdout
    reopened = Store.open(home, new)
    assert reopened.engines.get("aws").root.secret_key == "root-secret-value-123"  # type: ignore[union-attr]
    reopened.close()
    with pytest.raises(WrongPassphrase):
        Store.open(home, PASSPHRASE)


WRITER = """
import sys, time
from workbench.store import Store
from workbench.domain.models import Lease, LeaseState, CredentialType
store = Store.open(__import__('pathlib').Path(sys.argv[1]), sys.argv[2])
tag, deadline, written = sys.argv[3], time.time() + float(sys.argv[4]), 0
while time.time() < deadline:
    now = time.time()
    store.leases.insert(Lease(f"aws/creds/{tag}/{written}", "aws", tag, CredentialType.IAM_USER,
                              LeaseState.ACTIVE, now, now + 60, now + 60, True,
                              access_key_id="AKIA", secret_key="s" * 40))
    written += 1
print(written)
"""


def test_two_processes_writing_at_once_lose_nothing(store: Store, home: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(home), PASSPHRASE, tag, "10"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("one", "two")
    ]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err
    counts = [int(out) for out, _ in outputs]
    assert all(count > 100 for count in counts)
    for tag, count in zip(("one", "two"), counts, strict=True):
        assert len(store.leases.list(prefix=f"aws/creds/{tag}/")) == count


def test_permissions_hold_under_a_permissive_umask(tmp_path: Path) -> None:
    kdf = f"KdfParams.fresh(**{FAST_KDF!r})"
    script = f"""
import os, pathlib
os.umask(0)
from workbench.store import Store, KdfParams
s = Store.create(pathlib.Path({str(tmp_path / "h")!r}), 'pw-pw-pw-pw', {kdf})
from workbench.domain.models import Engine
s.engines.put(Engine('x'))
for f in sorted(pathlib.Path({str(tmp_path / "h")!r}).iterdir()):
    print(f.name, oct(f.stat().st_mode & 0o777))
print('dir', oct(pathlib.Path({str(tmp_path / "h")!r}).stat().st_mode & 0o777))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    modes = dict(line.split() for line in out.stdout.splitlines())
    assert modes["dir"] == "0o700"
    assert modes["workbench.db"] == "0o600"
    assert modes.get("workbench.db-wal", "0o600") == "0o600"
    assert modes.get("workbench.db-shm", "0o600") == "0o600"
    assert "workbench.db-wal" in modes


def test_init_refuses_to_overwrite(home: Path, tmp_path: Path) -> None:
    first = run_cli(home, "init")
    assert first.returncode == 0, first.stderr
    db = home / "workbench.db"
    before = db.read_bytes()
    second = run_cli(home, "init")
    assert second.returncode == 1
    assert "already exists" in second.stderr
    assert db.read_bytes() == before
    engines = run_cli(home, "engine", "list")
    assert engines.returncode == 0 and "aws" in engines.stdout


def test_short_passphrase_is_refused_and_nothing_is_created(home: Path) -> None:
    result = run_cli(home, "init", WORKBENCH_PASSPHRASE="short")
    assert result.returncode == 1
    assert "too short" in result.stderr
    assert not (home / "workbench.db").exists()


def test_kdf_parameters_live_in_the_file(store: Store) -> None:
    (slot,) = store.operators()  # each operator's key slot carries its own parameters
    assert slot.kdf.algorithm == "argon2id"
    assert slot.kdf.memory_cost_kib == FAST_KDF["memory_cost_kib"]
    assert KdfParams.fresh().memory_cost_kib >= 65536  # the default is strong
    assert store.path.exists()
