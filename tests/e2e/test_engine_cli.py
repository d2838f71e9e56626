"""The CLI as scripts and other tools use it: formats, exec, credential_process, errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MotoServer, iam_client
from tests.helpers import WORKBENCH, cli_env, run_cli


def _users(aws: MotoServer) -> list[str]:
    return [u["UserName"] for u in iam_client(aws).list_users()["Users"]]


def test_json_format_is_vaults_shape(cli_home: Path, aws: MotoServer) -> None:
    result = run_cli(cli_home, "creds", "webapp", "--ttl", "15m", "--format", "json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) >= {"request_id", "lease_id", "lease_duration", "renewable", "data"}
    assert set(answer["data"]) == {"access_key", "secret_key", "session_token"}
    assert answer["lease_duration"] == 900 and answer["renewable"] is True
    listed = json.loads(run_cli(cli_home, "lease", "list", "--format", "json").stdout)
    assert [item["id"] for item in listed] == [answer["lease_id"]]
    assert answer["data"]["secret_key"] not in json.dumps(listed)


def test_env_format_can_be_evaluated(cli_home: Path, aws: MotoServer) -> None:
    result = run_cli(cli_home, "creds", "webapp", "--format", "env")
    assert result.returncode == 0, result.stderr
    shell = subprocess.run(
        ["bash", "-c", f"{result.stdout}\necho $AWS_ACCESS_KEY_ID"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shell.stdout.strip().startswith("AKIA")


def test_credential_process_is_accepted_by_botocore(
    cli_home: Path, aws: MotoServer, tmp_path: Path
) -> None:
    import boto3

    command = " ".join(
        [*WORKBENCH, "--home", str(cli_home), "creds", "webapp", "--format", "credential-process"]
    )
    config = tmp_path / "aws-config"
    config.write_text(f"[profile wb]\ncredential_process = {command}\nregion = us-east-1\n")
    env_backup = dict(os.environ)
    try:
        os.environ["AWS_CONFIG_FILE"] = str(config)
        os.environ["WORKBENCH_PASSPHRASE"] = cli_env(cli_home)["WORKBENCH_PASSPHRASE"]
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ.pop(name, None)
        session = boto3.Session(profile_name="wb")
        credentials = session.get_credentials().get_frozen_credentials()
        identity = session.client("sts", endpoint_url=aws.url).get_caller_identity()
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
    assert credentials.access_key.startswith("AKIA")
    listed = json.loads(run_cli(cli_home, "lease", "list", "--format", "json").stdout)
    assert [item["access_key"] for item in listed] == [credentials.access_key]
    assert identity["Arn"].endswith(listed[0]["iam_user"])


def test_exec_no_cache_runs_the_command_with_keys_and_revokes_after(
    cli_home: Path, aws: MotoServer
) -> None:
    probe = "import os; print(os.environ['AWS_ACCESS_KEY_ID']); raise SystemExit(7)"
    result = run_cli(
        cli_home, "exec", "webapp", "--ttl", "5m", "--no-cache", "--", sys.executable, "-c", probe
    )
    assert result.returncode == 7, result.stderr
    assert result.stdout.strip().startswith("AKIA")
    assert "revoked" in result.stderr
    assert _users(aws) == []
    assert json.loads(run_cli(cli_home, "lease", "list", "--format", "json").stdout) == []


def test_exec_no_cache_revokes_after_ctrl_c(cli_home: Path, aws: MotoServer) -> None:
    child = "import time, sys; print('ready', flush=True); time.sleep(60)"
    proc = subprocess.Popen(
        [*WORKBENCH, "exec", "webapp", "--no-cache", "--", sys.executable, "-c", child],
        env=cli_env(cli_home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    assert len(_users(aws)) == 1
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl+C does to the foreground group
    _out, err = proc.communicate(timeout=120)  # a hang guard, not a time goal
    assert proc.returncode != 0
    assert "revoked" in err, err
    assert _users(aws) == []


def test_revoke_prefix_from_the_cli(cli_home: Path, aws: MotoServer) -> None:
    for _ in range(3):
        assert run_cli(cli_home, "creds", "webapp").returncode == 0
    assert len(_users(aws)) == 3
    unconfirmed = run_cli(cli_home, "lease", "revoke", "--prefix", "aws/creds/webapp/")
    assert unconfirmed.returncode == 1
    assert "add --yes" in unconfirmed.stderr  # no terminal to ask: nothing revoked
    assert len(_users(aws)) == 3
    result = run_cli(cli_home, "lease", "revoke", "--prefix", "aws/creds/webapp/", "--yes")
    assert result.returncode == 0, result.stderr
    assert "revoked 3 lease(s)" in result.stdout
    assert _users(aws) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["creds", "nope"], "role 'nope' not found"),
        (["creds", "webapp", "--engine", "prod"], "engine 'prod' not found"),
        (["creds", "webapp", "--ttl", "-5m"], "is not a duration"),
        (["creds", "webapp", "--ttl", "1x"], "is not a duration"),
        (["creds", "webapp", "--ttl", "99999999h"], "longer than ten years"),
        (["lease", "renew", "aws/creds/webapp/none"], "not found"),
        (["config", "root", "--region", "moon-1"], "is not an AWS region"),
        (["config", "lease", "--lease", "2h", "--lease-max", "1h"], "longer than --lease-max"),
        (["engine", "enable", "bad name!"], "engine name 'bad name!' is not valid"),
    ],
)
def test_bad_input_is_one_clear_line(
    cli_home: Path, aws: MotoServer, args: list[str], message: str
) -> None:
    result = run_cli(cli_home, *args)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _users(aws) == []


def _write_role(
    home: Path, tmp_path: Path, body: Any, name: str = "bad"
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / f"{name}.json"
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    return run_cli(home, "role", "write", name, "--file", str(path))


def test_invalid_role_files_are_refused_and_nothing_is_stored(
    cli_home: Path, tmp_path: Path
) -> None:
    cases = {
        '{"credential_type": "iam_user",': "not valid JSON",
        json.dumps({"credential_type": "iam_usr"}): "credential_type 'iam_usr' is not one of",
        json.dumps(
            {"credential_type": "iam_user", "role_arns": ["arn:aws:iam::1:role/x"]}
        ): "role_arns not valid for credential_type iam_user",
        json.dumps(
            {"credential_type": "iam_user", "iam_groups": [f"g{i}" for i in range(11)]}
        ): "a user joins at most 10",
        json.dumps(
            {
                "credential_type": "iam_user",
                "policy_document": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}],
                },
            }
        ): "INVALID_ACTION",
    }
    for body, message in cases.items():
        result = _write_role(cli_home, tmp_path, body)
        assert result.returncode == 1, body
        assert message in result.stderr, (body, result.stderr)
        assert "Traceback" not in result.stderr
    listed = run_cli(cli_home, "role", "list", "--format", "json")
    assert json.loads(listed.stdout) == ["webapp"]


def test_oversized_policy_counts_the_expiry_guard(
    cli_home: Path, tmp_path: Path, aws: MotoServer
) -> None:
    from workbench.policy import policy_size
    from workbench.service.guard import guard_size

    def body(count: int) -> dict[str, Any]:
        resources = [f"arn:aws:s3:::bucket-{i:04d}/*" for i in range(count)]
        return {
            "credential_type": "iam_user",
            "policy_document": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": resources}],
            },
        }

    count = 1
    while policy_size(json.dumps(body(count + 1)["policy_document"])) <= 2048:
        count += 1
    # Fits on its own, but not with the expiry guard the workbench adds.
    assert policy_size(json.dumps(body(count)["policy_document"])) + guard_size() > 2048
    result = _write_role(cli_home, tmp_path, body(count), name="big")
    assert result.returncode == 1
    assert "POLICY_SIZE" in result.stderr and "Traceback" not in result.stderr
    without_guard = run_cli(cli_home, "config", "root", "--no-expiry-guard")
    assert without_guard.returncode == 0
    assert _write_role(cli_home, tmp_path, body(count), name="big").returncode == 0
    assert _users(aws) == []


def test_unreachable_aws_is_a_clear_error_with_nothing_orphaned(
    cli_home: Path, aws: MotoServer
) -> None:
    closed = "http://127.0.0.1:9"  # discard port: nothing listens
    assert (
        run_cli(
            cli_home, "config", "root", "--iam-endpoint", closed, "--max-retries", "0"
        ).returncode
        == 0
    )
    result = run_cli(cli_home, "creds", "webapp")
    assert result.returncode == 1
    assert "could not be reached" in result.stderr and "Traceback" not in result.stderr
    leases = json.loads(run_cli(cli_home, "lease", "list", "--all", "--format", "json").stdout)
    assert [lease["state"] for lease in leases] in (["failed"], ["revoking"])
    assert _users(aws) == []
