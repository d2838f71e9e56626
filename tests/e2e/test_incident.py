"""Incident response against `workbench embedded-aws` in its own process: what a
credential did (`lease trail`), which lease a leaked key is (`lease find`),
containment that AWS confirms (`incident contain`, killed and re-run), and the
evidence (`incident report`, checked against its JSON Schema)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from botocore.exceptions import ClientError

from tests.e2e.test_embedded_aws import Embedded
from tests.helpers import run_cli, start_workbench, wait_for
from workbench.domain.faults import CONTAIN_FAULT_POINTS
from workbench.service import incident_report_schema

ROLE_ARN = "arn:aws:iam::123456789012:role/deploy"
S3_ONLY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
)
ALLOW_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


def cli(home: Path, *args: str, input: str | None = None, **env: str) -> Any:
    return run_cli(home, *args, input=input, **env)


def ok(result: Any) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    return str(result.stdout)


@pytest.fixture
def account(tmp_path: Path) -> Iterator[tuple[Embedded, Path]]:
    """An embedded account in its own process and a workbench store pointed at it."""
    embedded = Embedded(tmp_path / "aws-home")
    home = tmp_path / "home"
    info = embedded.info
    ok(cli(home, "init"))
    ok(
        cli(
            home,
            "config",
            "root",
            "--access-key",
            info["access_key"],
            "--secret-key",
            "-",
            "--iam-endpoint",
            info["endpoint"],
            "--sts-endpoint",
            info["endpoint"],
            "--max-retries",
            "1",
            input=info["secret_key"] + "\n",
        )
    )
    embedded.client("iam").put_role_policy(
        RoleName="deploy", PolicyName="work", PolicyDocument=ALLOW_ALL
    )
    roles = {
        "reader": {"credential_type": "iam_user", "policy_document": S3_ONLY},
        "deployer": {"credential_type": "assumed_role", "role_arns": [ROLE_ARN]},
        "partner": {"credential_type": "federation_token", "policy_document": ALLOW_ALL},
        "backup": {"credential_type": "session_token"},
    }
    for name, body in roles.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(body))
        ok(cli(home, "role", "write", name, "--file", str(path)))
    yield embedded, home
    if embedded.process.poll() is None:
        embedded.process.kill()
        embedded.process.communicate()


def issue(home: Path, role: str) -> dict[str, Any]:
    creds: dict[str, Any] = json.loads(ok(cli(home, "creds", role, "--format", "json")))
    return creds


def as_credential(embedded: Embedded, service: str, creds: dict[str, Any]) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=embedded.info["endpoint"],
        region_name="us-east-1",
        aws_access_key_id=creds["data"]["access_key"],
        aws_secret_access_key=creds["data"]["secret_key"],
        aws_session_token=creds["data"].get("session_token"),
    )


def trail(home: Path, lease_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads(
        ok(cli(home, "lease", "trail", lease_id, "--format", "json"))
    )["events"]
    return events


def test_the_trail_shows_what_a_key_did_and_what_was_refused(
    account: tuple[Embedded, Path], aws_cli: Path
) -> None:
    embedded, home = account
    creds = issue(home, "reader")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": creds["data"]["access_key"],
        "AWS_SECRET_ACCESS_KEY": creds["data"]["secret_key"],
        "AWS_DEFAULT_REGION": "us-east-1",
    }

    def aws(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(aws_cli), "--endpoint-url", embedded.info["endpoint"], *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert aws("s3", "ls").returncode == 0
    denied = aws("iam", "list-users")
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr
    events = trail(home, creds["lease_id"])
    assert [(e["service"], e["action"], e["result"]) for e in events] == [
        ("s3", "ListBuckets", "ok"),
        ("iam", "ListUsers", "AccessDenied"),
    ]
    assert all(e["source_ip"] == "127.0.0.1" for e in events)
    assert all(e["user_agent"].startswith("aws-cli/") for e in events), events
    table = ok(cli(home, "lease", "trail", creds["lease_id"]))
    assert "ListUsers" in table and "AccessDenied" in table
    assert creds["data"]["secret_key"] not in table


def test_the_trail_flags_persistence_and_a_burst_of_refusals(
    account: tuple[Embedded, Path],
) -> None:
    embedded, home = account
    creds = issue(home, "reader")
    iam = as_credential(embedded, "iam", creds)
    for _ in range(5):
        with pytest.raises(ClientError):
            iam.list_roles()
    with pytest.raises(ClientError):
        iam.create_user(UserName="backdoor")
    events = trail(home, creds["lease_id"])
    assert [e["flags"] for e in events if e["action"] == "CreateUser"] == [
        ["persistence", "denied burst"]
    ]
    assert all("denied burst" in e["flags"] for e in events if e["action"] == "ListRoles")


def test_a_revocation_deactivates_the_key_before_deleting_it(
    account: tuple[Embedded, Path],
) -> None:
    embedded, home = account
    creds = issue(home, "reader")
    ok(cli(home, "lease", "revoke", creds["lease_id"]))
    cloudtrail = embedded.client("cloudtrail")
    attribute = [{"AttributeKey": "AccessKeyId", "AttributeValue": embedded.info["access_key"]}]
    names = [
        e["EventName"]
        for e in cloudtrail.lookup_events(LookupAttributes=attribute, MaxResults=50)["Events"]
    ][::-1]  # oldest first
    revocation = names[len(names) - 1 - names[::-1].index("UpdateAccessKey") :]
    assert revocation == ["UpdateAccessKey", "DeleteAccessKey", "DeleteUserPolicy", "DeleteUser"]
    with pytest.raises(ClientError, match="InvalidClientTokenId"):
        as_credential(embedded, "iam", creds).get_user()


def test_a_revoked_session_is_denied_by_the_userid_aws_reports_for_it(
    account: tuple[Embedded, Path],
) -> None:
    embedded, home = account
    creds = issue(home, "deployer")
    user_id = as_credential(embedded, "sts", creds).get_caller_identity()["UserId"]
    ok(cli(home, "lease", "revoke", creds["lease_id"]))
    document = embedded.client("iam").get_role_policy(
        RoleName="deploy", PolicyName="lease-workbench-revoked"
    )["PolicyDocument"]
    assert [s["Condition"]["StringEquals"]["aws:userid"] for s in document["Statement"]] == [
        user_id
    ]
    with pytest.raises(ClientError, match="AccessDenied"):
        as_credential(embedded, "s3", creds).list_buckets()


def test_find_names_the_lease_of_a_leaked_key_and_of_a_leaked_secret(
    account: tuple[Embedded, Path],
) -> None:
    _embedded, home = account
    first, second = issue(home, "reader"), issue(home, "reader")
    by_key = json.loads(
        ok(
            cli(
                home,
                "lease",
                "find",
                "--access-key",
                second["data"]["access_key"],
                "--format",
                "json",
            )
        )
    )
    assert [lease["id"] for lease in by_key] == [second["lease_id"]]
    secret = first["data"]["secret_key"]
    by_secret = json.loads(
        ok(cli(home, "lease", "find", "--secret", "-", "--format", "json", input=secret + "\n"))
    )
    assert [lease["id"] for lease in by_secret] == [first["lease_id"]]
    nothing = cli(home, "lease", "find", "--access-key", "AKIANOTOURS000000000")
    assert nothing.returncode == 1 and "no lease matches" in nothing.stderr
    tail = ok(cli(home, "audit", "tail", "--format", "json"))
    assert secret not in tail and "sys/leases/find" in tail


@pytest.mark.parametrize(
    "step", [*CONTAIN_FAULT_POINTS, "iam.revoke.DeleteAccessKey"], ids=lambda step: step
)
def test_contain_killed_midway_and_rerun_stops_every_credential(
    account: tuple[Embedded, Path], step: str
) -> None:
    embedded, home = account
    issued = [issue(home, role) for role in ("reader", "reader", "deployer", "partner", "backup")]
    killed = cli(home, "incident", "contain", "aws/", "--yes", WORKBENCH_FAULT=f"kill:{step}")
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr)
    iam = embedded.client("iam")
    for creds in issued[:2]:  # every key was made inactive before anything else
        with pytest.raises(ClientError, match="InvalidClientTokenId"):
            as_credential(embedded, "iam", creds).get_user()
    rerun = json.loads(ok(cli(home, "incident", "contain", "aws/", "--yes", "--format", "json")))
    results = {r["lease_id"]: r for r in rerun["results"]}
    everything = {c["lease_id"] for c in issued}
    assert set(results) <= everything
    ended = {
        lease["id"]: lease
        for lease in json.loads(ok(cli(home, "lease", "list", "--all", "--format", "json")))
    }
    assert {lease_id: ended[lease_id]["state"] for lease_id in everything} == dict.fromkeys(
        everything, "revoked"
    )
    assert all(r["error"] is None for r in results.values()), results
    assert {u["UserName"] for u in iam.list_users()["Users"]} == {"workbench-root", "legacy-app"}
    with pytest.raises(ClientError, match="AccessDenied"):
        as_credential(embedded, "s3", issued[2]).list_buckets()
    role_deny = iam.get_role_policy(RoleName="deploy", PolicyName="lease-workbench-revoked")
    assert len(role_deny["PolicyDocument"]["Statement"]) == 1  # denied once, re-run or not
    root_deny = iam.get_user_policy(UserName="workbench-root", PolicyName="lease-workbench-revoked")
    conditions = [s["Condition"] for s in root_deny["PolicyDocument"]["Statement"]]
    assert len(conditions) == 2  # the federation token's name and the session token's window
    assert ended[issued[3]["lease_id"]]["revocation"]["deny"]["condition"] in conditions
    verify = cli(home, "audit", "verify")
    assert verify.returncode == 0, verify.stdout
    assert json.loads(ok(cli(home, "lease", "list", "--format", "json"))) == []


def test_the_report_validates_and_lists_every_lease_with_its_trail(
    account: tuple[Embedded, Path],
) -> None:
    embedded, home = account
    used, spare = issue(home, "reader"), issue(home, "deployer")
    as_credential(embedded, "s3", used).list_buckets()
    ok(cli(home, "lease", "revoke", used["lease_id"]))
    report = json.loads(ok(cli(home, "incident", "report", "aws/", "--format", "json")))
    jsonschema.validate(report, incident_report_schema())
    by_id = {item["lease_id"]: item for item in report["leases"]}
    assert set(by_id) == {used["lease_id"], spare["lease_id"]}
    assert by_id[used["lease_id"]]["trail"]["calls"] == 1
    assert by_id[used["lease_id"]]["revocation"]["path"] == "minimal"
    assert by_id[used["lease_id"]]["issued_by"]
    assert by_id[spare["lease_id"]]["state"] == "active"
    head = report["audit"]["head_hash"]
    verify = cli(home, "audit", "verify", "--head", head)
    assert verify.returncode == 0, verify.stdout
    text = ok(cli(home, "incident", "report", "aws/"))
    assert text.startswith("# Incident report: aws/") and used["lease_id"] in text
    assert used["data"]["secret_key"] not in text


def test_trail_follow_prints_calls_as_they_happen(account: tuple[Embedded, Path]) -> None:
    embedded, home = account
    creds = issue(home, "reader")
    follower = start_workbench(home, "lease", "trail", creds["lease_id"], "--follow")
    lines: list[str] = []
    assert follower.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(follower.stdout.readline, "")))
    reader.start()
    wait_for(lambda: any("----" in line for line in lines), "the table header")
    as_credential(embedded, "s3", creds).list_buckets()
    wait_for(lambda: any("ListBuckets" in line for line in lines), "the new call")
    follower.send_signal(signal.SIGINT)
    follower.wait(timeout=60)
    reader.join(timeout=10)
    assert follower.returncode == 0
