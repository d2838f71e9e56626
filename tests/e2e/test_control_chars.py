"""Terminal escapes in outside text (names, tags, files, lease rows) never reach the terminal."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

import pytest

from tests.conftest import FAST_KDF, PASSPHRASE, make_service
from tests.helpers import run_cli
from workbench.store import KdfParams, Store

OSC_TITLE = "\x1b]0;pwned\x07"  # sets the terminal's title when printed raw
CSI_C1 = "\x9b31m"  # the one-byte CSI: red text on terminals that honour C1
RAW = ("\x1b", "\x07", "\x9b")


def assert_escaped(output: str) -> None:
    """No raw ESC, BEL or CSI in the output, and the escaped form shown instead."""
    for char in RAW:
        assert char not in output, f"raw {char!r} printed: {output!r}"
    assert "\\x1b" in output


@pytest.fixture
def cli_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    store = Store.create(home, PASSPHRASE, KdfParams.fresh(**FAST_KDF))
    make_service(store, None).close()
    return home


def test_an_operator_name_with_escapes_is_shown_escaped_when_a_command_fails(
    cli_home: Path,
) -> None:
    operator = OSC_TITLE + CSI_C1
    # click's own usage errors echo what was typed: an extra argument raw, a choice as repr.
    for args in (["role", "list", OSC_TITLE], ["lease", "list", "--format", OSC_TITLE]):
        result = run_cli(cli_home, "--as", operator, *args)
        assert result.returncode == 2
        assert "Error: " in result.stderr
        assert_escaped(result.stderr)
        assert not any(char in result.stdout for char in RAW)
    result = run_cli(cli_home, "--as", operator, "role", "read", f"web{OSC_TITLE}")
    assert result.returncode == 1
    assert result.stderr.startswith("error: role name 'web\\x1b]0;pwned\\x07'")
    assert_escaped(result.stderr)


def test_an_operator_name_with_escapes_is_shown_escaped_when_a_command_succeeds(
    cli_home: Path,
) -> None:
    operator = OSC_TITLE + CSI_C1
    written = run_cli(
        cli_home, "--as", operator, "config", "lease", "--lease", "1h", "--lease-max", "2h"
    )
    assert written.returncode == 0, written.stderr
    assert not any(char in written.stdout + written.stderr for char in RAW)
    result = run_cli(cli_home, "--as", operator, "audit", "tail", "-n", "2")
    assert result.returncode == 0, result.stderr
    assert "\\x1b]0;pwned\\x07\\x9b31m" in result.stdout  # the operator, as itself
    assert_escaped(result.stdout)
    assert not any(char in result.stderr for char in RAW)


def test_a_role_file_named_with_an_escape_is_refused_with_the_name_escaped(
    cli_home: Path, tmp_path: Path
) -> None:
    role_file = tmp_path / f"web{OSC_TITLE}app.json"
    role_file.write_text('{"credential_type": "iam_user", "policy_arns": []}', encoding="utf-8")
    result = run_cli(cli_home, "role", "import", str(role_file))
    assert result.returncode == 1
    assert result.stderr.startswith("error: no role was imported:")
    assert "web\\x1b]0;pwned\\x07app.json" in result.stderr
    assert_escaped(result.stderr)


@pytest.mark.parametrize(
    "body",
    [
        '{"credential_type": "iam_user", "iam_tags": {"t\\u001b]0;pwned\\u0007": "v"}}',
        '{"credential_type": "iam_user", "description\\u001b[2J": "wipes the screen"}',
        '{"credential_type": "iam_user\\u001b]0;pwned\\u0007"}',
    ],
    ids=["tag-key", "unknown-field", "credential-type"],
)
def test_a_role_file_with_escapes_in_its_fields_is_refused_with_them_escaped(
    cli_home: Path, tmp_path: Path, body: str
) -> None:
    role_file = tmp_path / "webapp.json"
    role_file.write_text(body, encoding="utf-8")
    result = run_cli(cli_home, "role", "write", "webapp", "--file", str(role_file))
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert_escaped(result.stderr)


def test_lease_rows_with_escapes_are_listed_escaped(cli_home: Path) -> None:
    now = time.time()
    with contextlib.closing(sqlite3.connect(cli_home / "workbench.db")) as conn:
        conn.execute(
            "INSERT INTO leases (lease_id, engine, role, credential_type, state, issue_time, "
            "expire_time, max_expire_time, renewable, access_key_id, error, attempts) "
            "VALUES (?, 'aws', 'webapp', 'iam_user', 'irrevocable', ?, ?, ?, 1, ?, ?, 3)",
            (
                f"aws/creds/webapp/x{OSC_TITLE}",
                now,
                now + 3600,
                now + 7200,
                f"AKIA{CSI_C1}",
                f"AccessDenied: {OSC_TITLE}",
            ),
        )
        conn.commit()
    result = run_cli(cli_home, "lease", "list")
    assert result.returncode == 0, result.stderr
    assert "aws/creds/webapp/x\\x1b]0;pwned\\x07" in result.stdout
    assert "AKIA\\x9b31m" in result.stdout
    assert_escaped(result.stdout)
