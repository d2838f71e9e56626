"""Inputs an outside tester threw at the CLI: each is one `error:` line, never a traceback."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import MotoServer
from tests.helpers import WORKBENCH, cli_env, one_error_line, run_cli, setup_cli_store

HUGE = "9" * 5000


@pytest.fixture
def cli_store(home: Path, aws: MotoServer, tmp_path: Path) -> Path:
    setup_cli_store(home, aws)
    role = tmp_path / "webapp.json"
    role.write_text(json.dumps({"credential_type": "iam_user"}))
    assert run_cli(home, "role", "write", "webapp", "--file", str(role)).returncode == 0
    return home


@pytest.mark.parametrize(
    "ttl", ["\u0661\u0665m", "\uff11\uff15m", "\u00b2m", HUGE, f"{HUGE}h", "1e400", "nan", "-0s"]
)
def test_durations_beyond_ascii_or_size_are_refused(cli_store: Path, ttl: str) -> None:
    one_error_line(run_cli(cli_store, "creds", "webapp", "--ttl", ttl), "--ttl")
    leases = json.loads(run_cli(cli_store, "lease", "list", "--all", "--format", "json").stdout)
    assert leases == []  # nothing issued, nothing half-written


def test_config_lease_and_demo_for_take_the_same_rule(cli_store: Path) -> None:
    one_error_line(run_cli(cli_store, "config", "lease", "--lease", HUGE, "--lease-max", "1h"))
    one_error_line(run_cli(cli_store, "config", "lease", "--lease", "\u0661h", "--lease-max", "2h"))
    one_error_line(run_cli(cli_store, "demo", "--headless", "--for", "\u0663s"), "--for")


def test_binary_and_endless_passphrase_files(cli_store: Path, tmp_path: Path) -> None:
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe\x00pass")
    env = {"WORKBENCH_PASSPHRASE": ""}
    for source, needle in [(binary, "not UTF-8"), (Path("/dev/zero"), "too big"), (tmp_path, "")]:
        result = subprocess.run(
            [*WORKBENCH, "--passphrase-file", str(source), "lease", "list"],
            env={**cli_env(cli_store), **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        one_error_line(result, "passphrase file", needle)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"credential_type": "iam_user", "user_path": 5}, "user_path"),
        ({"credential_type": "iam_user", "user_path": ["/a/"]}, "user_path"),
        (
            {"credential_type": "iam_user", "permissions_boundary_arn": {"a": 1}},
            "permissions_boundary_arn",
        ),
        (
            {
                "credential_type": "assumed_role",
                "role_arns": ["arn:aws:iam::123456789012:role/r"],
                "external_id": 7,
            },
            "external_id",
        ),
        ({"credential_type": "session_token", "mfa_serial_number": [1]}, "mfa_serial_number"),
        ({"credential_type": 5}, "credential_type"),
        ({"credential_type": "iam_user", "iam_tags": {"team": [1]}}, "iam_tags"),
        ({"credential_type": "iam_user", "policy_document": 12}, "policy_document"),
        ({"credential_type": "session_token", "default_sts_ttl": True}, "default_sts_ttl"),
        ({"credential_type": "session_token", "max_sts_ttl": 1e308}, "max_sts_ttl"),
    ],
)
def test_role_fields_of_the_wrong_type_name_the_field(
    cli_store: Path, tmp_path: Path, body: dict[str, object], field: str
) -> None:
    role = tmp_path / "bad.json"
    role.write_text(json.dumps(body))
    one_error_line(run_cli(cli_store, "role", "write", "bad", "--file", str(role)), field)
    names = json.loads(run_cli(cli_store, "role", "list", "--format", "json").stdout)
    assert "bad" not in json.dumps(names)


def test_a_role_file_nested_100k_deep(cli_store: Path, tmp_path: Path) -> None:
    for text in ["[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000]:
        role = tmp_path / "deep.json"
        role.write_text(text)
        one_error_line(run_cli(cli_store, "role", "write", "deep", "--file", str(role)), "deep")
