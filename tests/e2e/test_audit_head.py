"""`audit verify --head` against a head recorded elsewhere, and `audit hash -` (stdin)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, Cli, fast_kdf
from workbench.audit import AuditLog
from workbench.domain.errors import InvalidInput
from workbench.store import Store

# -- verify --head: a head recorded elsewhere ----------------------------------------


def head_of(output: str) -> str:
    [line] = [line for line in output.splitlines() if line.startswith("head hash: ")]
    return line.removeprefix("head hash: ")


@pytest.fixture
def own_home(tmp_path: Path) -> Path:
    """A store no fixture holds open, so its folder can be copied and restored."""
    home = tmp_path / "own"
    Store.create(home, PASSPHRASE, fast_kdf()).close()
    return home


def add_device_and_remove_it(cli: Cli, path: Path) -> None:
    assert cli("audit", "enable", "file", "--path", str(path)).exit_code == 0
    assert cli("audit", "disable", "file").exit_code == 0


def test_verify_prints_the_head_to_record_and_accepts_it(own_home: Path, tmp_path: Path) -> None:
    cli = Cli(own_home)
    add_device_and_remove_it(cli, tmp_path / "a.jsonl")
    result = cli("audit", "verify")
    head = head_of(result.output)
    assert f"to check later: workbench audit verify --head {head}" in result.output
    again = cli("audit", "verify", "--head", head)
    assert again.exit_code == 0, again.output
    assert f"recorded head {head} is the current head (seq 4)" in again.output


def test_an_older_head_passes_saying_how_many_came_after(own_home: Path, tmp_path: Path) -> None:
    cli = Cli(own_home)
    add_device_and_remove_it(cli, tmp_path / "a.jsonl")
    older = head_of(cli("audit", "verify").output)
    add_device_and_remove_it(cli, tmp_path / "a.jsonl")
    result = cli("audit", "verify", "--head", older.upper())
    assert result.exit_code == 0, result.output
    assert f"recorded head {older} is entry seq 4; 4 entries came after it" in result.output


def test_a_restored_older_copy_fails_against_the_newer_head(own_home: Path, tmp_path: Path) -> None:
    cli = Cli(own_home)
    add_device_and_remove_it(cli, tmp_path / "a.jsonl")
    backup = tmp_path / "backup"
    shutil.copytree(own_home, backup)
    add_device_and_remove_it(cli, tmp_path / "a.jsonl")
    newer = head_of(cli("audit", "verify").output)
    shutil.rmtree(own_home)
    shutil.copytree(backup, own_home)

    assert cli("audit", "verify").exit_code == 0  # on its own, the old copy is consistent
    result = cli("audit", "verify", "--head", newer)
    assert result.exit_code == 1, result.output
    assert (
        f"recorded head {newer} is not in this store's chain (head seq 4): the store is an "
        "older copy restored in its place, or its chain was rewritten"
    ) in result.output


def test_a_head_that_is_not_a_hash_is_a_clear_error(log: AuditLog, invoke: Cli) -> None:
    result = invoke("audit", "verify", "--head", "abc\x1b[31m")
    assert result.exit_code == 1
    assert isinstance(result.exception, InvalidInput)
    assert "is not a head hash" in str(result.exception)
    assert "\x1b" not in str(result.exception)


# -- audit hash -: the secret on stdin, not argv ---------------------------------------


def test_hash_from_stdin_equals_hash_of_the_argument(log: AuditLog, invoke: Cli) -> None:
    from_argv = invoke("audit", "hash", "wJalrXUtnFEMI/K7MDENG")
    from_stdin = invoke("audit", "hash", "-", input="wJalrXUtnFEMI/K7MDENG\n")
    assert from_stdin.exit_code == 0, from_stdin.output
    assert from_stdin.stdout == from_argv.stdout
    assert from_stdin.stdout.strip() == log.hash_value("wJalrXUtnFEMI/K7MDENG")
    assert from_stdin.stderr == ""  # no warning: nothing secret was on the command line
    assert "warning:" in from_argv.stderr


def test_hash_from_stdin_drops_only_one_line_end(log: AuditLog, invoke: Cli) -> None:
    assert invoke("audit", "hash", "-", input="s3cret\n\n").stdout.strip() == log.hash_value(
        "s3cret\n"
    )
    assert invoke("audit", "hash", "-", input="s3cret\r\n").stdout.strip() == log.hash_value(
        "s3cret"
    )


def test_hash_from_stdin_has_a_size_limit(log: AuditLog, invoke: Cli) -> None:
    at_limit = "x" * (64 * 1024)
    assert invoke("audit", "hash", "-", input=at_limit + "\n").stdout.strip() == (
        log.hash_value(at_limit)
    )
    result = invoke("audit", "hash", "-", input=at_limit + "x")
    assert result.exit_code == 1
    assert isinstance(result.exception, InvalidInput)
    assert "more than 64 KiB" in str(result.exception)


def test_binary_stdin_is_one_error_line(log: AuditLog, home: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from workbench.cli import main; main()", "audit", "hash", "-"],
        env={**os.environ, "WORKBENCH_HOME": str(home), "WORKBENCH_PASSPHRASE": PASSPHRASE},
        input=b"\xff\xfesecret\x00\n",
        capture_output=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == b""
    assert result.stderr.decode().splitlines() == [
        "error: stdin is not UTF-8 text (byte 0 is not valid); `audit hash -` takes the "
        "secret as text"
    ]
