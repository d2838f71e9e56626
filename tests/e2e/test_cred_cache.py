"""The credential cache as the AWS CLI uses it: `credential_process` and `exec` as processes
against the embedded AWS, the real `aws` command where it can be had."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MotoServer, iam_client
from tests.e2e.test_operators import _team, alice, bob
from tests.helpers import WORKBENCH, cli_env, run_cli

PROFILE = "wb"


@pytest.fixture(params=["sqlite", "postgresql"])
def where(request: pytest.FixtureRequest) -> dict[str, str]:
    """Environment naming the store: the SQLite file in home, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return {}
    return {"WORKBENCH_STORE": request.getfixturevalue("pg_url")}


class AwsCli:
    """`aws --profile wb ...` with a profile whose credential_process is `workbench creds`."""

    def __init__(
        self, command: str, aws: MotoServer, home: Path, tmp_path: Path, *options: str, **env: str
    ) -> None:
        process = " ".join(
            [*WORKBENCH, "creds", "webapp", "--format", "credential-process", *options]
        )
        config = tmp_path / "-".join(["aws-config", *options])
        config.write_text(
            f"[profile {PROFILE}]\ncredential_process = {process}\nregion = us-east-1\n"
        )
        self.command = command
        self.endpoint = aws.url
        self.env = {k: v for k, v in cli_env(home, **env).items() if not k.startswith("AWS_")} | {
            "AWS_CONFIG_FILE": str(config),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        }

    def caller(self) -> str:
        """`aws sts get-caller-identity`: the ARN the credential belongs to."""
        options = ["--profile", PROFILE, "--endpoint-url", self.endpoint, "--output", "json"]
        result = subprocess.run(
            [self.command, *options, "sts", "get-caller-identity"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        arn: str = json.loads(result.stdout)["Arn"]
        return arn


def _users(aws: MotoServer) -> list[str]:
    return [u["UserName"] for u in iam_client(aws).list_users()["Users"]]


def _leases(home: Path, *args: str, **env: str) -> list[dict[str, Any]]:
    listed = run_cli(home, "lease", "list", "--format", "json", *args, **env)
    assert listed.returncode == 0, listed.stderr
    leases: list[dict[str, Any]] = json.loads(listed.stdout)
    return leases


def _credential_process(home: Path, *options: str, **env: str) -> dict[str, Any]:
    result = run_cli(home, "creds", "webapp", "--format", "credential-process", *options, **env)
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def test_three_aws_calls_make_one_user_and_a_revoked_lease_is_replaced(
    cli_home: Path, aws: MotoServer, aws_cli: Path, tmp_path: Path
) -> None:
    cli = AwsCli(str(aws_cli), aws, cli_home, tmp_path)
    arns = [cli.caller() for _ in range(3)]
    assert len(set(arns)) == 1
    assert len(_users(aws)) == 1
    (lease,) = _leases(cli_home)
    assert lease["cache"] is True and arns[0].endswith("/" + lease["iam_user"])

    revoked = run_cli(cli_home, "lease", "revoke", lease["id"])
    assert revoked.returncode == 0, revoked.stderr
    assert _users(aws) == []
    fresh = cli.caller()
    assert fresh != arns[0]
    assert cli.caller() == fresh
    (live,) = _leases(cli_home)
    assert live["id"] != lease["id"] and fresh.endswith("/" + live["iam_user"])
    assert len(_users(aws)) == 1


def test_no_cache_issues_a_fresh_credential_for_every_call(
    cli_home: Path, aws: MotoServer, aws_cli: Path, tmp_path: Path
) -> None:
    cli = AwsCli(str(aws_cli), aws, cli_home, tmp_path, "--no-cache")
    arns = [cli.caller() for _ in range(3)]
    assert len(set(arns)) == 3
    assert len(_users(aws)) == 3
    assert [lease["cache"] for lease in _leases(cli_home)] == [False] * 3


def test_a_lease_with_less_than_the_share_left_is_not_reused(
    cli_home: Path, aws: MotoServer
) -> None:
    # With 0.9999 of 15 minutes to be left, a lease qualifies for 0.09 s: never by the time
    # the next process has started and unlocked the store.
    strict = ("--ttl", "15m", "--cache-min-left", "0.9999")
    keys = {_credential_process(cli_home, *strict)["AccessKeyId"] for _ in range(2)}
    assert len(keys) == 2
    # The same leases with the default share (a quarter) are reused.
    again = {_credential_process(cli_home, "--ttl", "15m")["AccessKeyId"] for _ in range(2)}
    assert len(again) == 1 and again <= keys
    assert len(_users(aws)) == 2


def test_a_lease_issued_by_hand_is_never_handed_out_by_the_cache(
    cli_home: Path, aws: MotoServer
) -> None:
    by_hand = run_cli(cli_home, "creds", "webapp", "--format", "json")
    assert by_hand.returncode == 0, by_hand.stderr
    cached = _credential_process(cli_home)
    assert cached["AccessKeyId"] != json.loads(by_hand.stdout)["data"]["access_key"]
    assert len(_users(aws)) == 2


def test_another_operators_cached_lease_is_not_reused(
    home: Path,
    aws: MotoServer,
    where: dict[str, str],
    tmp_path: Path,
) -> None:
    _team(home, aws, where, tmp_path)

    def key_of(result: subprocess.CompletedProcess[str]) -> str:
        assert result.returncode == 0, result.stderr
        key: str = json.loads(result.stdout)["AccessKeyId"]
        return key

    ask = ("creds", "webapp", "--format", "credential-process")
    alices = key_of(alice(home, where, *ask))
    bobs = key_of(bob(home, where, *ask))
    assert bobs != alices
    assert key_of(alice(home, where, *ask)) == alices
    assert key_of(bob(home, where, *ask)) == bobs
    assert len(_users(aws)) == 2
    listed = alice(home, where, "lease", "list", "--format", "json")
    assert sorted(lease["issued_by"] for lease in json.loads(listed.stdout)) == ["alice", "bob"]


def test_the_audit_trail_shows_each_cached_use_without_the_secret(
    cli_home: Path, aws: MotoServer
) -> None:
    answers = [_credential_process(cli_home) for _ in range(3)]
    assert len({answer["SecretAccessKey"] for answer in answers}) == 1
    tail = run_cli(
        cli_home, "audit", "tail", "-n", "50", "--format", "json", "--path", "aws/creds/"
    )
    assert tail.returncode == 0, tail.stderr
    entries = [json.loads(line) for line in tail.stdout.splitlines()]
    responses = [e for e in entries if e["type"] == "response"]
    assert [e["request"]["operation"] for e in responses] == ["read"] * 3
    assert [e["response"]["data"]["cached"] for e in responses] == [False, True, True]
    assert len({e["response"]["secret"]["lease_id"] for e in responses}) == 1
    assert all(e["response"]["data"]["secret_key"].startswith("hmac-sha256:") for e in responses)
    assert answers[0]["SecretAccessKey"] not in tail.stdout
    text = run_cli(cli_home, "audit", "tail", "-n", "50")
    assert answers[0]["SecretAccessKey"] not in text.stdout
    assert run_cli(cli_home, "audit", "verify").returncode == 0


def test_four_calls_at_once_issue_one_lease(cli_home: Path, aws: MotoServer) -> None:
    """Documented: concurrent calls for one request issue at most one lease (one claims it,
    the others wait for it)."""
    calls = [
        subprocess.Popen(
            [*WORKBENCH, "creds", "webapp", "--format", "credential-process"],
            env=cli_env(cli_home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    keys = set()
    for call in calls:
        out, err = call.communicate(timeout=120)  # a hang guard, not a time goal
        assert call.returncode == 0, err
        keys.add(json.loads(out)["AccessKeyId"])
    assert len(keys) == 1
    assert len(_users(aws)) == 1
    assert len(_leases(cli_home)) == 1


def test_exec_reuses_the_cache_and_leaves_the_lease_live(cli_home: Path, aws: MotoServer) -> None:
    probe = "import os; print(os.environ['AWS_ACCESS_KEY_ID'])"
    runs = [run_cli(cli_home, "exec", "webapp", "--", sys.executable, "-c", probe) for _ in (1, 2)]
    for result in runs:
        assert result.returncode == 0, result.stderr
        assert not result.stderr.rstrip().endswith("revoked"), result.stderr
    assert "issued for the cache" in runs[0].stderr and "from the cache" in runs[1].stderr
    assert runs[0].stdout == runs[1].stdout
    # exec and credential_process share the cache: the same request, the same lease.
    assert _credential_process(cli_home)["AccessKeyId"] == runs[0].stdout.strip()
    (lease,) = _leases(cli_home)
    assert lease["state"] == "active" and lease["cache"] is True
    assert len(_users(aws)) == 1

    fresh = run_cli(cli_home, "exec", "webapp", "--no-cache", "--", sys.executable, "-c", probe)
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout != runs[0].stdout and fresh.stderr.rstrip().endswith("revoked")
    assert [item["id"] for item in _leases(cli_home)] == [lease["id"]]
    assert len(_users(aws)) == 1


def test_an_exec_that_cannot_start_keeps_the_cached_lease(cli_home: Path, aws: MotoServer) -> None:
    key = _credential_process(cli_home)["AccessKeyId"]
    missing = run_cli(cli_home, "exec", "webapp", "--", "/nonexistent/command")
    assert missing.returncode == 1 and "cannot run" in missing.stderr
    assert _credential_process(cli_home)["AccessKeyId"] == key
    assert len(_users(aws)) == 1
