"""The store on disk: a failed unlock changes nothing, damage is named, an open folder refused."""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, MotoServer
from tests.helpers import cli_env, one_error_line, run_cli, setup_cli_store


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- a wrong passphrase after a crash ------------------------------------------

_CRASHING_WRITER = """
import os, signal, sys
from pathlib import Path
from workbench.service import open_workbench
service = open_workbench(Path(sys.argv[1]), sys.argv[2], label="crash")
service.roles.write("aws", "written-before-the-crash", {"credential_type": "iam_user"})
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_wrong_passphrase_after_a_crash_changes_no_byte(home: Path, aws: MotoServer) -> None:
    setup_cli_store(home, aws)
    crashed = subprocess.run(
        [sys.executable, "-c", _CRASHING_WRITER, str(home), PASSPHRASE],
        env=cli_env(home),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    db, wal, shm = (
        home / name for name in ("workbench.db", "workbench.db-wal", "workbench.db-shm")
    )
    assert wal.stat().st_size > 0 and shm.exists()  # the write lives only in the WAL
    before = (digest(db), digest(wal))

    refused = run_cli(home, "lease", "list", WORKBENCH_PASSPHRASE="not the passphrase")
    one_error_line(refused, "passphrase")
    assert (digest(db), digest(wal)) == before
    assert wal.exists() and shm.exists()

    listed = run_cli(home, "role", "list")
    assert listed.returncode == 0, listed.stderr
    assert "written-before-the-crash" in listed.stdout


# -- damaged meta -----------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("wrapped_private_key", "%%% not base64 %%%", "key_slots.wrapped_private_key"),
        ("wrapped_private_key", "AAAAAAAAAAAAAAAA", "key_slots.wrapped_private_key"),
        ("wrapped_data_key", "AAAAAAAAAAAAAAAA", "key_slots.wrapped_data_key"),
        ("kdf", "{not json", "key_slots.kdf"),
        ("kdf", {"memory_cost_kib": 2**40}, "key_slots.kdf"),
        ("kdf", {"iterations": "3"}, "key_slots.kdf"),
        ("schema_version", "x", "meta.schema_version"),
        ("hmac_key", "%%% not base64 %%%", "meta.hmac_key"),
    ],
    ids=[
        "wrapped-not-base64",
        "wrapped-wrong-length",
        "data-key-wrong-length",
        "kdf-not-json",
        "kdf-huge-memory",
        "kdf-string-iterations",
        "schema-version",
        "hmac-not-base64",
    ],
)
def test_damaged_keys_are_named_in_one_line(
    home: Path, aws: MotoServer, key: str, value: str | dict[str, object], field: str
) -> None:
    setup_cli_store(home, aws)
    table = field.split(".", maxsplit=1)[0]
    with sqlite3.connect(home / "workbench.db") as conn:
        if table == "key_slots":  # the operator's own key slot, one field damaged
            if isinstance(value, dict):
                kdf = conn.execute("SELECT kdf FROM key_slots").fetchone()[0]
                value = json.dumps(json.loads(kdf) | value)
            changed = conn.execute(f"UPDATE key_slots SET {key} = ?", (value,)).rowcount
        else:
            sql = "UPDATE meta SET value = ? WHERE key = ?"
            changed = conn.execute(sql, (value, key)).rowcount
        assert changed == 1
    conn.close()
    one_error_line(run_cli(home, "lease", "list"), field, "damaged")


# -- a store folder others can write ------------------------------------------

COMMANDS = [
    ("lease", "list"),
    ("role", "list"),
    ("creds", "webapp"),
    ("reconcile",),
    ("audit", "verify"),
    ("config", "read"),
    ("worker",),
    ("status",),
    ("passwd",),
]


@pytest.fixture
def open_home(home: Path, aws: MotoServer) -> Iterator[Path]:
    setup_cli_store(home, aws)
    home.chmod(0o777)
    yield home
    home.chmod(0o700)


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_a_folder_others_can_write_is_refused(open_home: Path, command: tuple[str, ...]) -> None:
    before = {path.name: digest(path) for path in open_home.iterdir() if path.is_file()}
    result = run_cli(open_home, *command, WORKBENCH_NEW_PASSPHRASE="another long passphrase")
    one_error_line(result, str(open_home), "chmod 700")
    assert open_home.stat().st_mode & 0o777 == 0o777  # refused, not quietly changed
    assert {path.name: digest(path) for path in open_home.iterdir() if path.is_file()} == before


def test_init_into_a_folder_others_can_write_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    one_error_line(run_cli(folder, "init"), str(folder), "chmod 700")
    assert folder.stat().st_mode & 0o777 == 0o777
    assert list(folder.iterdir()) == []
