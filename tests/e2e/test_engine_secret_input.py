"""The root secret stays off argv: stdin (`--secret-key -`) works, argv earns a warning."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import MotoServer
from tests.helpers import WORKBENCH, cli_env, run_cli, setup_cli_store


def _config_root(home: Path, *args: str, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*WORKBENCH, "config", "root", *args],
        env=cli_env(home),
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_secret_key_from_stdin_is_stored_without_a_warning(home: Path, aws: MotoServer) -> None:
    setup_cli_store(home, aws)
    secret = "s3cr3t-from-stdin"
    result = _config_root(
        home, "--access-key", "AKIASTDIN", "--secret-key", "-", stdin=b"s3cr3t-from-stdin\n"
    )
    assert result.returncode == 0, result.stderr
    assert b"warning" not in result.stderr
    view = json.loads(run_cli(home, "config", "read", "--format", "json").stdout)
    assert view["access_key"] == "AKIASTDIN" and view["secret_key_set"] is True
    store_bytes = (home / "workbench.db").read_bytes()
    assert secret.encode() not in store_bytes


def test_secret_key_on_argv_is_warned_about(home: Path, aws: MotoServer) -> None:
    setup_cli_store(home, aws)
    result = _config_root(home, "--access-key", "AKIAARGV", "--secret-key", "on-argv", stdin=b"")
    assert result.returncode == 0, result.stderr
    assert b"warning: a secret key given on the command line is visible" in result.stderr
    assert b"--secret-key -" in result.stderr


def test_bad_secret_on_stdin_is_one_clear_line(home: Path, aws: MotoServer) -> None:
    setup_cli_store(home, aws)
    for stdin, message in [
        (b"\xff\xfe\n", b"not UTF-8"),
        (b"x" * 10_000, b"longer than 4096 bytes"),
        (b"", b"is empty"),
    ]:
        result = _config_root(home, "--access-key", "AKIABAD", "--secret-key", "-", stdin=stdin)
        assert result.returncode == 1
        lines = result.stderr.decode().strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message.decode() in lines[0]
    view = json.loads(run_cli(home, "config", "read", "--format", "json").stdout)
    assert view["access_key"] != "AKIABAD"  # nothing was written
