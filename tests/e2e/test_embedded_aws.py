"""`workbench embedded-aws`: an account other tools use, whose calls CloudTrail's LookupEvents
reports as real CloudTrail would (who, what, refused or not, newest first)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import MotoServer
from tests.helpers import cli_env, wait_for

WORKBENCH_SCRIPT = str(Path(sys.executable).parent / "workbench")  # the console script
S3_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


class Embedded:
    """A running `workbench embedded-aws`, its JSON line, and clients on it."""

    def __init__(self, home: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [WORKBENCH_SCRIPT, "embedded-aws", *args],
            env=cli_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        stdout, stderr = self.process.stdout, self.process.stderr
        assert stdout is not None and stderr is not None
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
        reader.start()
        wait_for(lambda: lines or self.process.poll() is not None, "the JSON line")
        assert lines and lines[0].strip(), stderr.read()
        self.info: dict[str, str] = json.loads(lines[0])

    def client(self, service: str, access_key: str = "", secret_key: str = "") -> Any:
        return boto3.client(
            service,
            endpoint_url=self.info["endpoint"],
            region_name=self.info["region"],
            aws_access_key_id=access_key or self.info["access_key"],
            aws_secret_access_key=secret_key or self.info["secret_key"],
        )

    def stop(self) -> tuple[int, str]:
        """SIGTERM; the exit code and what it said on stderr."""
        self.process.send_signal(signal.SIGTERM)
        _out, err = self.process.communicate(timeout=60)
        return self.process.returncode, err


@pytest.fixture
def embedded(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Embedded]:
    """`workbench embedded-aws`, with extra arguments if a test parametrizes it indirectly."""
    running = Embedded(tmp_path / "home", *getattr(request, "param", ()))
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.communicate()


def lookup(cloudtrail: Any, key: str, value: str, **kwargs: Any) -> list[dict[str, Any]]:
    attribute = [{"AttributeKey": key, "AttributeValue": value}]
    events: list[dict[str, Any]] = cloudtrail.lookup_events(LookupAttributes=attribute, **kwargs)[
        "Events"
    ]
    return events


def walk(cloudtrail: Any, page_size: int, **kwargs: Any) -> list[dict[str, Any]]:
    pages = cloudtrail.get_paginator("lookup_events").paginate(
        PaginationConfig={"PageSize": page_size}, **kwargs
    )
    events = []
    for page in pages:
        assert len(page["Events"]) <= page_size
        events.extend(page["Events"])
    return events


def detail(event: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(event["CloudTrailEvent"])
    return record


def test_a_users_allowed_and_denied_calls_are_looked_up_newest_first(
    embedded: Embedded,
) -> None:
    info = embedded.info
    assert info["endpoint"].startswith("http://127.0.0.1:")
    assert (info["region"], info["account"]) == ("us-east-1", "123456789012")
    iam = embedded.client("iam")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="s3", PolicyDocument=json.dumps(S3_ONLY))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    as_reader = {"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}

    assert embedded.client("s3", **as_reader).list_buckets()["Buckets"] == []
    with pytest.raises(ClientError) as denied:
        embedded.client("iam", **as_reader).list_users()
    assert denied.value.response["Error"]["Code"] == "AccessDenied"

    cloudtrail = embedded.client("cloudtrail")
    events = lookup(cloudtrail, "AccessKeyId", key["AccessKeyId"])
    assert [e["EventName"] for e in events] == ["ListUsers", "ListBuckets"]
    assert [e["EventSource"] for e in events] == ["iam.amazonaws.com", "s3.amazonaws.com"]
    assert events[0]["EventTime"] >= events[1]["EventTime"]  # datetimes, newest first
    assert {e["Username"] for e in events} == {"reader"}
    assert [e["ReadOnly"] for e in events] == ["true", "true"]
    refused, allowed = detail(events[0]), detail(events[1])
    assert refused["errorCode"] == "AccessDenied"
    assert "iam:ListUsers" in refused["errorMessage"]
    assert "errorCode" not in allowed
    for record in (refused, allowed):
        assert record["userIdentity"]["accessKeyId"] == key["AccessKeyId"]
        assert record["userIdentity"]["type"] == "IAMUser"
        assert record["sourceIPAddress"] == "127.0.0.1"
        assert "Botocore" in record["userAgent"]
        assert record["eventType"] == "AwsApiCall"
        assert record["awsRegion"] == "us-east-1"
    trail_text = json.dumps(lookup(cloudtrail, "Username", "reader"), default=str)
    assert key["SecretAccessKey"] not in trail_text
    assert info["secret_key"] not in json.dumps(walk(cloudtrail, 50), default=str)

    # One event a page walks them all, in the same order as one big page.
    by_key = [{"AttributeKey": "AccessKeyId", "AttributeValue": key["AccessKeyId"]}]
    assert walk(cloudtrail, 1, LookupAttributes=by_key) == events
    everything = walk(cloudtrail, 50)
    assert len(everything) > 5  # the bootstrap's calls and this test's
    assert walk(cloudtrail, 1) == everything
    assert len({e["EventId"] for e in everything}) == len(everything)

    named = lookup(cloudtrail, "EventName", "CreateAccessKey")
    assert {e["EventName"] for e in named} == {"CreateAccessKey"}
    assert len(named) == 3  # the bootstrap's for its admin and for legacy-app, and the one above
    assert [e["EventName"] for e in lookup(cloudtrail, "EventSource", "s3.amazonaws.com")] == [
        "ListBuckets"
    ]

    newest, oldest = everything[0]["EventTime"], everything[-1]["EventTime"]
    assert cloudtrail.lookup_events(StartTime=newest + timedelta(hours=1))["Events"] == []
    assert cloudtrail.lookup_events(EndTime=oldest - timedelta(hours=1))["Events"] == []
    assert walk(cloudtrail, 50, StartTime=oldest - timedelta(hours=1)) == everything

    code, err = embedded.stop()
    assert code == 0, err
    assert "Traceback" not in err


def test_the_root_keys_own_calls_are_recorded_in_order_and_a_deleted_key_is_refused(
    embedded: Embedded,
) -> None:
    iam = embedded.client("iam")
    iam.create_user(UserName="leaver")
    key = iam.create_access_key(UserName="leaver")["AccessKey"]
    iam.update_access_key(UserName="leaver", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    iam.delete_access_key(UserName="leaver", AccessKeyId=key["AccessKeyId"])
    sts = embedded.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as refused:
        sts.get_caller_identity()
    assert refused.value.response["Error"]["Code"] == "InvalidClientTokenId"

    cloudtrail = embedded.client("cloudtrail")
    root_key = embedded.info["access_key"]
    names = [e["EventName"] for e in lookup(cloudtrail, "AccessKeyId", root_key)]
    assert names[:4] == ["DeleteAccessKey", "UpdateAccessKey", "CreateAccessKey", "CreateUser"]
    root_event = detail(lookup(cloudtrail, "AccessKeyId", root_key)[0])
    assert root_event["userIdentity"]["userName"] == "workbench-root"
    assert root_event["readOnly"] is False
    dead = lookup(cloudtrail, "AccessKeyId", key["AccessKeyId"])
    assert [(e["EventName"], detail(e)["errorCode"]) for e in dead] == [
        ("GetCallerIdentity", "InvalidClientTokenId")
    ]

    with pytest.raises(ClientError) as two:
        cloudtrail.lookup_events(
            LookupAttributes=[
                {"AttributeKey": "EventName", "AttributeValue": "CreateUser"},
                {"AttributeKey": "Username", "AttributeValue": "workbench-root"},
            ]
        )
    assert two.value.response["Error"]["Code"] == "InvalidLookupAttributesException"
    code, err = embedded.stop()
    assert code == 0, err
    assert "Traceback" not in err


@pytest.mark.parametrize("embedded", [("--iam-latency-ms", "1")], indirect=True)
def test_assumed_role_keys_s3_names_and_json_errors_are_recorded(embedded: Embedded) -> None:
    embedded.client("iam").put_role_policy(
        RoleName="deploy", PolicyName="s3", PolicyDocument=json.dumps(S3_ONLY)
    )
    sts = embedded.client("sts")
    assumed = sts.assume_role(
        RoleArn="arn:aws:iam::123456789012:role/deploy", RoleSessionName="ci-run-7"
    )["Credentials"]
    s3 = boto3.client(
        "s3",
        endpoint_url=embedded.info["endpoint"],
        region_name="us-east-1",
        aws_access_key_id=assumed["AccessKeyId"],
        aws_secret_access_key=assumed["SecretAccessKey"],
        aws_session_token=assumed["SessionToken"],
    )
    s3.create_bucket(Bucket="trail-bucket")
    s3.put_object(Bucket="trail-bucket", Key="a/b.txt", Body=b"hello")
    s3.get_object(Bucket="trail-bucket", Key="a/b.txt")
    s3.list_objects_v2(Bucket="trail-bucket")
    with pytest.raises(ClientError):
        embedded.client("dynamodb").describe_table(TableName="missing")

    cloudtrail = embedded.client("cloudtrail")
    events = lookup(cloudtrail, "AccessKeyId", assumed["AccessKeyId"])
    assert [e["EventName"] for e in events] == [
        "ListObjectsV2",
        "GetObject",
        "PutObject",
        "CreateBucket",
    ]
    assert {e["Username"] for e in events} == {"ci-run-7"}
    record = detail(events[0])
    assert record["userIdentity"]["type"] == "AssumedRole"
    assert record["userIdentity"]["arn"].endswith(":assumed-role/deploy/ci-run-7")
    assert record["additionalEventData"]["sessionToken"] is True
    assert assumed["SessionToken"] not in json.dumps(events, default=str)
    [missing] = lookup(cloudtrail, "EventName", "DescribeTable")
    assert missing["EventSource"] == "dynamodb.amazonaws.com"
    assert detail(missing)["errorCode"] == "ResourceNotFoundException"
    assert lookup(cloudtrail, "EventName", "AssumeRole")[0]["EventSource"] == "sts.amazonaws.com"
    code, err = embedded.stop()
    assert code == 0, err


def test_the_trail_is_emptied_with_the_account(aws: MotoServer) -> None:
    """In-process: EmbeddedAws.recorder holds the events; moto's reset empties them too."""
    aws.client("iam").create_user(UserName="someone")
    assert [e.event_name for e in aws.recorder.events()][-1] == "CreateUser"
    aws.reset()
    assert aws.recorder.events() == []
    assert aws.client("cloudtrail").lookup_events()["Events"] == []
