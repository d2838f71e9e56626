"""`workbench vault ...`: the commands of Vault's AWS secrets engine docs and tutorials, as typed.

Replayed in the documented order against the embedded AWS, each as its own
process: enable, config/root, config/lease, roles (policy_document=@file,
the heredoc form on stdin, policy_arns), read creds, lease lookup, renew,
revoke, revoke -prefix. The printed tables and JSON must read as Vault's, the
IAM users must come and go in AWS, and every step must be in the audit trail.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FAST_KDF, PASSPHRASE, MotoServer, iam_client
from tests.helpers import WORKBENCH, cli_env, run_cli, setup_cli_store, user_names
from workbench.store import KdfParams, Store

POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "ec2:DescribeInstances",
      "Resource": "*"
    }
  ]
}
"""
EC2_READ = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"
IAM_READ = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


def vault(home: Path, *args: str, input: str | None = None) -> Any:
    return run_cli(home, "vault", *args, input=input)


def ok(home: Path, *args: str, input: str | None = None) -> str:
    """The command succeeded (exit 0, no traceback); its stdout."""
    result = vault(home, *args, input=input)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return str(result.stdout)


def key_values(table: str) -> dict[str, str]:
    """Vault's Key/Value table read back: the header, the dashes, then one key per line."""
    lines = table.strip().splitlines()
    assert re.fullmatch(r"Key {4,}Value", lines[0]), lines[0]
    assert re.fullmatch(r"--- {4,}-----", lines[1]), lines[1]
    pairs = (re.split(r" {4,}", line.rstrip(), maxsplit=1) for line in lines[2:])
    return {pair[0]: pair[1] for pair in pairs}


def user_of(aws: MotoServer, access_key: str) -> str:
    return str(iam_client(aws).get_access_key_last_used(AccessKeyId=access_key)["UserName"])


@pytest.fixture
def empty_store(home: Path, aws: MotoServer) -> Path:
    """A store with no engine yet: Vault's docs begin with `vault secrets enable aws`."""
    Store.create(home, PASSPHRASE, KdfParams.fresh(**FAST_KDF)).close()
    return home


def test_the_documented_sequence_reads_as_vault_and_acts_in_aws(
    empty_store: Path, aws: MotoServer, tmp_path: Path
) -> None:
    home = empty_store
    assert ok(home, "secrets", "enable", "aws").strip() == (
        "Success! Enabled the aws secrets engine at: aws/"
    )
    written = vault(
        home,
        "write",
        "aws/config/root",
        "access_key=AKIAROOTEXAMPLE",
        "secret_key=-",
        "region=us-east-1",
        f"iam_endpoint={aws.url}",
        f"sts_endpoint={aws.url}",
        "max_retries=2",
        input="root-secret-value-123\n",
    )
    assert written.returncode == 0, written.stderr
    assert written.stdout.strip() == "Success! Data written to: aws/config/root"
    assert written.stderr == ""  # from stdin: no warning about `ps`
    root = key_values(ok(home, "read", "aws/config/root"))
    assert root["access_key"] == "AKIAROOTEXAMPLE" and root["region"] == "us-east-1"
    assert root["max_retries"] == "2" and root["iam_endpoint"] == aws.url
    assert "secret_key" not in root and "root-secret-value-123" not in json.dumps(root)

    ok(home, "write", "aws/config/lease", "lease=3600s", "lease_max=7200s")
    assert key_values(ok(home, "read", "aws/config/lease")) == {
        "lease": "1h0m0s",
        "lease_max": "2h0m0s",
    }

    policy_file = tmp_path / "policy.json"
    policy_file.write_text(POLICY)
    assert (
        ok(
            home,
            "write",
            "aws/roles/my-role",
            "credential_type=iam_user",
            f"policy_document=@{policy_file}",
        ).strip()
        == "Success! Data written to: aws/roles/my-role"
    )
    # The heredoc form, typed into a shell as the docs print it.
    heredoc = (
        f"{shlex.join(WORKBENCH)} vault write aws/roles/heredoc-role \\\n"
        "    credential_type=iam_user \\\n"
        f"    policy_document=-<<EOF\n{POLICY}EOF\n"
    )
    shell = subprocess.run(
        ["bash", "-c", heredoc], env=cli_env(home), capture_output=True, text=True, check=False
    )
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.strip() == "Success! Data written to: aws/roles/heredoc-role"
    ok(
        home,
        "write",
        "aws/roles/my-other-role",
        f"policy_arns={EC2_READ},{IAM_READ}",
        "credential_type=iam_user",
    )
    role = key_values(ok(home, "read", "aws/roles/my-role"))
    assert role["credential_type"] == "iam_user"
    assert json.loads(role["policy_document"]) == json.loads(POLICY)
    assert role["policy_arns"] == "<nil>" and role["user_path"] == "/"
    other = key_values(ok(home, "read", "aws/roles/my-other-role"))
    assert other["policy_arns"] == f"[{EC2_READ} {IAM_READ}]"
    heredoc_role = key_values(ok(home, "read", "aws/roles/heredoc-role"))
    assert json.loads(heredoc_role["policy_document"]) == json.loads(POLICY)
    assert ok(home, "list", "aws/roles").splitlines() == [
        "Keys",
        "----",
        "heredoc-role",
        "my-other-role",
        "my-role",
    ]

    creds = key_values(ok(home, "read", "aws/creds/my-role"))
    assert list(creds)[:3] == ["lease_id", "lease_duration", "lease_renewable"]
    assert list(creds)[3:] == ["access_key", "secret_key", "session_token"]
    assert creds["lease_id"].startswith("aws/creds/my-role/")
    assert creds["lease_duration"] == "1h" and creds["lease_renewable"] == "true"
    assert creds["session_token"] == "<nil>"
    first_user = user_of(aws, creds["access_key"])
    assert first_user in user_names(iam_client(aws))

    answer = json.loads(ok(home, "read", "-format=json", "aws/creds/my-other-role"))
    assert list(answer) == [
        "request_id",
        "lease_id",
        "lease_duration",
        "renewable",
        "data",
        "warnings",
    ]
    assert answer["lease_duration"] == 3600 and answer["renewable"] is True
    assert sorted(answer["data"]) == ["access_key", "secret_key", "session_token"]
    other_user = user_of(aws, answer["data"]["access_key"])
    attached = iam_client(aws).list_attached_user_policies(UserName=other_user)
    assert {p["PolicyArn"] for p in attached["AttachedPolicies"]} == {EC2_READ, IAM_READ}

    lookup = key_values(ok(home, "lease", "lookup", creds["lease_id"]))
    assert lookup["id"] == creds["lease_id"] and lookup["renewable"] == "true"
    assert re.fullmatch(r"(59m\d+s|1h)", lookup["ttl"]), lookup["ttl"]
    renewed = key_values(ok(home, "lease", "renew", "-increment=30m", creds["lease_id"]))
    assert renewed["lease_id"] == creds["lease_id"]
    assert re.fullmatch(r"(29m\d+s|30m)", renewed["lease_duration"])

    assert ok(home, "lease", "revoke", creds["lease_id"]).strip() == (
        f"Success! Revoked lease: {creds['lease_id']}"
    )
    assert first_user not in user_names(iam_client(aws))
    assert other_user in user_names(iam_client(aws))
    ok(home, "read", "aws/creds/my-other-role")
    revoked = ok(home, "lease", "revoke", "-prefix", "aws/creds/my-other-role")
    assert revoked.strip() == (
        "Success! Revoked any leases with prefix: aws/creds/my-other-role/ (2 revoked)"
    )
    assert user_names(iam_client(aws)) == []

    assert ok(home, "delete", "aws/roles/heredoc-role").strip() == (
        "Success! Data deleted (if it existed) at: aws/roles/heredoc-role"
    )
    status = key_values(ok(home, "status"))
    assert status["Sealed"] == "false" and status["Storage Type"] == "sqlite"

    # Every step went through the service: the audit trail holds each of them.
    audit = run_cli(home, "audit", "tail", "-n", "200", "--format", "json")
    paths = {json.loads(line)["request"]["path"] for line in audit.stdout.splitlines()}
    assert {
        "sys/mounts/aws",
        "aws/config/root",
        "aws/config/lease",
        "aws/roles/my-role",
        "aws/roles/heredoc-role",
        "aws/creds/my-role",
        "aws/creds/my-other-role",
        "sys/leases/lookup",
        "sys/leases/renew",
        "sys/leases/revoke",
        "sys/leases/revoke-prefix/aws/creds/my-other-role/",
    } <= paths


def test_a_prefix_ends_at_a_path_boundary_and_sts_takes_a_ttl(home: Path, aws: MotoServer) -> None:
    setup_cli_store(home, aws)
    ok(home, "write", "aws/roles/web", "credential_type=iam_user", f"policy_arns={EC2_READ}")
    ok(home, "write", "aws/roles/webapp", "credential_type=iam_user", f"policy_arns={EC2_READ}")
    ok(
        home,
        "write",
        "aws/roles/fed",
        "credential_type=federation_token",
        f"policy_arns={EC2_READ}",
    )
    ok(home, "read", "aws/creds/webapp")
    prefix = ok(home, "lease", "revoke", "-prefix", "aws/creds/web")
    assert "aws/creds/web/ (0 revoked)" in prefix
    assert len(user_names(iam_client(aws))) == 1  # webapp's user is untouched

    sts = key_values(ok(home, "read", "aws/sts/fed", "ttl=15m"))
    assert sts["lease_duration"] == "15m" and sts["lease_renewable"] == "false"
    assert sts["session_token"] not in {"", "<nil>", "n/a"}
    wrong = vault(home, "read", "aws/sts/webapp")
    assert wrong.returncode == 1 and "read aws/creds/webapp" in wrong.stderr
    field = ok(home, "read", "-field=lease_duration", "aws/sts/fed", "ttl=20m")
    assert field.strip() == "1200"


def test_unknown_commands_and_paths_name_the_closest_one(home: Path, aws: MotoServer) -> None:
    setup_cli_store(home, aws)
    cases = {
        ("raed", "aws/creds/webapp"): "did you mean `vault read`?",
        ("lease", "renw", "x"): "did you mean `vault lease renew`?",
        ("read", "aws/cred/webapp"): "did you mean aws/creds/webapp?",
        ("write", "aws/config/root", "acess_key=AKIA"): "did you mean access_key?",
    }
    for args, needle in cases.items():
        result = vault(home, *args)
        assert result.returncode == 1, (args, result.stderr)
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("error: ") and needle in line, line
        assert "Traceback" not in result.stderr


def test_usage_mistakes_exit_2_and_say_how(home: Path, aws: MotoServer) -> None:
    setup_cli_store(home, aws)
    cases = {
        ("read", "aws/roles/x", "-format=json"): "flags go before the path",
        ("read", "-fromat=json", "aws/roles/x"): "did you mean -format?",
        ("lease", "renew"): "needs ID",
        ("lease", "revoke", "-force", "aws/"): "-force needs -prefix",
        ("read", "-format=yaml", "aws/roles/x"): "use table or json",
    }
    for args, needle in cases.items():
        result = vault(home, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert needle in result.stderr.splitlines()[0], result.stderr


def test_a_secret_on_argv_is_warned_about_and_errors_name_vaults_keys(
    home: Path, aws: MotoServer
) -> None:
    setup_cli_store(home, aws)
    typed = vault(home, "write", "aws/config/root", "access_key=AKIANEW", "secret_key=typed")
    assert typed.returncode == 0, typed.stderr
    assert "visible to other users in `ps`" in typed.stderr
    assert "secret_key=-" in typed.stderr and "typed" not in typed.stderr
    bad = vault(home, "write", "aws/config/lease", "lease=2h", "lease_max=1h")
    assert bad.returncode == 1
    assert "lease is longer than lease_max" in bad.stderr and "--lease" not in bad.stderr


def test_enabling_the_engine_init_made_is_a_warning_not_an_error(
    home: Path, aws: MotoServer
) -> None:
    setup_cli_store(home, aws)
    again = vault(home, "secrets", "enable", "aws")
    assert again.returncode == 0
    assert "already enabled" in again.stderr
    listed = ok(home, "secrets", "list").splitlines()
    assert listed[0].split() == ["Path", "Type", "Description"]
    assert listed[2].split()[:2] == ["aws/", "aws"]
