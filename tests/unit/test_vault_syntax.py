"""Vault's syntax parsed and printed without a store: words, data sources, Vault's table forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.domain.errors import InvalidInput
from workbench.service import VaultResult, VaultUsageError, parse_vault_command, split_line
from workbench.service.vault_output import go_value, human_duration


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0s"),
        (45, "45s"),
        (60, "1m"),
        (90, "1m30s"),
        (3600, "1h"),
        (3630, "1h30s"),
        (5400, "1h30m"),
        (2764800, "768h"),
    ],
)
def test_durations_print_as_vaults_tables_print_them(seconds: int, shown: str) -> None:
    assert human_duration(seconds) == shown


def test_values_print_as_gos_percent_v() -> None:
    assert go_value(None) == "<nil>"
    assert go_value(True) == "true"
    assert go_value(["a", "b"]) == "[a b]"
    assert go_value({"team": "web", "env": "dev"}) == "map[env:dev team:web]"


def test_repeated_keys_make_a_list_and_files_and_stdin_give_values(tmp_path: Path) -> None:
    policy = tmp_path / "p.json"
    policy.write_text('{"Version": "2012-10-17"}\n')
    asked: list[str] = []

    def stdin(key: str) -> str:
        asked.append(key)
        return "from-stdin\n"

    command = parse_vault_command(
        [
            "vault",
            "write",
            "aws/roles/x",
            "iam_groups=a",
            "iam_groups=b",
            f"policy_document=@{policy}",
            "external_id=-",
        ],
        stdin=stdin,
    )
    assert command.command == "write" and command.path == "aws/roles/x"
    assert command.data == {
        "iam_groups": ["a", "b"],
        "policy_document": '{"Version": "2012-10-17"}',
        "external_id": "from-stdin",
    }
    assert asked == ["external_id"]
    body = parse_vault_command(["write", "aws/roles/y", "-"], stdin=lambda _key: '{"a": 1}')
    assert body.data == {"a": 1}


def test_a_typed_secret_is_flagged_and_hidden_from_the_shown_command() -> None:
    typed = parse_vault_command(["write", "aws/config/root", "access_key=AK", "secret_key=s3cr"])
    assert typed.secret_on_command_line
    assert "s3cr" not in typed.text and "secret_key=<hidden>" in typed.text
    piped = parse_vault_command(
        ["write", "aws/config/root", "secret_key=-"], stdin=lambda _key: "x"
    )
    assert not piped.secret_on_command_line and piped.data == {"secret_key": "x"}


def test_flags_take_vaults_forms() -> None:
    command = parse_vault_command(["lease", "renew", "-increment", "30m", "aws/creds/x/1"])
    assert command.option("increment") == "30m"
    revoke = parse_vault_command(["lease", "revoke", "--prefix=true", "-f", "aws/"])
    assert revoke.flag("prefix") and revoke.flag("force")
    json_read = parse_vault_command(["read", "-format", "json", "-field=lease_id", "aws/creds/x"])
    assert json_read.format == "json" and json_read.field == "lease_id"


def test_without_stdin_a_dash_is_a_usage_error() -> None:
    with pytest.raises(VaultUsageError, match="no stdin here"):
        parse_vault_command(["write", "aws/config/root", "secret_key=-"], stdin=None)
    with pytest.raises(VaultUsageError, match="only one value can come from stdin"):
        parse_vault_command(["write", "aws/roles/x", "a=-", "b=-"], stdin=lambda _key: "x")
    with pytest.raises(VaultUsageError, match="is not KEY=VALUE"):
        parse_vault_command(["write", "aws/roles/x", "credential_type"])
    with pytest.raises(VaultUsageError, match="cannot split"):
        split_line('read "aws/creds/x')


def test_an_unknown_command_names_the_closest_or_lists_them() -> None:
    with pytest.raises(InvalidInput, match="did you mean `vault secrets list`"):
        parse_vault_command(["secrets", "lst"])
    with pytest.raises(InvalidInput, match="knows the AWS secrets engine's: read, write"):
        parse_vault_command(["kv", "get", "secret/x"])


def test_a_table_is_laid_out_as_vaults() -> None:
    command = parse_vault_command(["read", "aws/creds/x"])
    secret = {
        "request_id": "r",
        "lease_id": "aws/creds/x/1",
        "lease_duration": 3600,
        "renewable": True,
        "data": {"secret_key": "S", "access_key": "A", "session_token": None, "note": ""},
        "warnings": None,
    }
    assert VaultResult(command, secret=secret).render().splitlines() == [
        "Key                Value",
        "---                -----",
        "lease_id           aws/creds/x/1",
        "lease_duration     1h",
        "lease_renewable    true",
        "access_key         A",
        "note               n/a",
        "secret_key         S",
        "session_token      <nil>",
    ]
    field = parse_vault_command(["read", "-field=secret_key", "aws/creds/x"])
    assert VaultResult(field, secret=secret).render() == "S"
