"""Pieces the bench scripts share: a moto server, a service on it, a bare IAM client, stats.

The bare side makes the same IAM calls as `workbench.aws.iam_user` (same
retry configuration, same connection pool), so a ratio measures only what
the service adds: the store, encryption, the audit chain and its own code.
"""

from __future__ import annotations

import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # before moto is imported
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.pop("WORKBENCH_PASSPHRASE", None)

from workbench.demo.server import EmbeddedAws  # noqa: E402 - after sys.path is set

PASSPHRASE = "bench passphrase"
# A cheap KDF for stores whose unlock time is not what is measured.
FAST_KDF = {"memory_cost_kib": 1024, "iterations": 1, "lanes": 1}
ROOT_ACCESS_KEY = "AKIAROOTEXAMPLE"
ROOT_SECRET_KEY = "root-secret-value-123"
MAX_RETRIES = 2
REGION = "us-east-1"
ROLE = "bench"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadBucket",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": ["arn:aws:s3:::bench-bucket", "arn:aws:s3:::bench-bucket/*"],
        }
    ],
}
INLINE_POLICY_NAME = "workbench-policy"


# -- the embedded AWS --------------------------------------------------------------


# The demo's embedded AWS (a ThreadedMotoServer on loopback, in this process).
Moto = EmbeddedAws


def seed_users(names: Sequence[str], path: str, policy_document: str) -> list[tuple[str, str]]:
    """Users as issuance leaves them (user, inline policy, one key), made in moto directly.

    Setup only (never timed): the in-process server shares moto's backend, so
    this skips ~13 ms of HTTP per user. Returns (access key id, secret) per user.
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    backend = iam_backends[DEFAULT_ACCOUNT_ID]["global"]
    keys = []
    for name in names:
        backend.create_user(REGION, name, path)
        backend.put_user_policy(name, INLINE_POLICY_NAME, policy_document)
        key = backend.create_access_key(name)
        keys.append((key.access_key_id, key.secret_access_key))
    return keys


def count_users(iam: Any, path: str) -> int:
    """IAM users under `path` (one paginated listing)."""
    pages = iam.get_paginator("list_users").paginate(PathPrefix=path)
    return sum(len(page.get("Users", [])) for page in pages)


@contextmanager
def embedded_aws(latency_ms: float) -> Iterator[tuple[int, dict[str, str]]]:
    """`workbench embedded-aws --no-auth` in its own process: its pid and its JSON line.

    `latency_ms` is slept before each IAM call is served (a far-away endpoint).
    """
    command = [str(Path(sys.executable).with_name("workbench")), "embedded-aws", "--no-auth"]
    command += ["--iam-latency-ms", f"{latency_ms:g}"]
    with (
        tempfile.TemporaryFile() as log,
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True) as process,
    ):
        try:
            first = process.stdout.readline() if process.stdout else ""
            if not first:
                log.seek(0)
                raise SystemExit(f"embedded-aws did not start: {log.read().decode()[-2000:]}")
            yield process.pid, json.loads(first)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


# -- PostgreSQL ------------------------------------------------------------------------


@contextmanager
def postgres() -> Iterator[Any]:
    """The tests' throwaway PostgreSQL server (tests/pg_server.py): a cluster in a temporary
    folder on a Unix socket only (no TCP port), stopped and removed at the end."""
    from tests.pg_server import PgServer

    try:
        server = PgServer()
    except RuntimeError as error:
        raise SystemExit(f"cannot start PostgreSQL for the bench: {error}") from None
    # A bench ended by SIGTERM (a timeout) stops its server too: pg_ctl's server outlives us.
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    try:
        yield server
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)


def pg_settings(server: Any) -> str:
    """The server's version and the settings tests/pg_server.py starts it with."""
    version = server.psql("SHOW server_version")
    return f"PostgreSQL {version}, Unix socket, fsync=off, synchronous_commit=off (as the tests')"


# -- the service side ------------------------------------------------------------------


def make_service(
    where: Any,
    url: str,
    *,
    keys: tuple[str, str] = (ROOT_ACCESS_KEY, ROOT_SECRET_KEY),
    operator: str | None = None,
) -> Any:
    """A Workbench with a fresh store, engine `aws` on `url` and an iam_user role.

    `where`: a home folder (SQLite) or a StoreLocation (a PostgreSQL database too).
    """
    from workbench.service import create_workbench
    from workbench.store import KdfParams

    service = create_workbench(
        where, PASSPHRASE, operator=operator, label="bench", kdf=KdfParams.fresh(**FAST_KDF)
    )
    access_key, secret_key = keys
    service.engines.point_at(
        "aws", url, access_key=access_key, secret_key=secret_key, max_retries=MAX_RETRIES
    )
    service.roles.write("aws", ROLE, {"credential_type": "iam_user", "policy_document": POLICY})
    return service


def service_iam(service: Any) -> Any:
    """The service's own shared IAM client (the one every revocation uses)."""
    return service._ctx.clients(service._ctx.engine("aws")).iam


def guarded_policy(expire_time: float) -> str:
    """The inline policy issuance puts: the role's policy plus the expiry guard."""
    from workbench.service.guard import inline_policy

    return inline_policy(json.dumps(POLICY), expire_time) or ""


# -- the bare side -------------------------------------------------------------------


def bare_iam(url: str) -> Any:
    """An IAM client configured as workbench.aws.clients builds one."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id=ROOT_ACCESS_KEY,
        aws_secret_access_key=ROOT_SECRET_KEY,
        region_name=REGION,
    )
    return session.client(
        "iam",
        endpoint_url=url,
        config=Config(
            retries={"mode": "standard", "max_attempts": MAX_RETRIES + 1},
            connect_timeout=5,
            read_timeout=30,
            max_pool_connections=32,
        ),
    )


def bare_create(iam: Any, name: str, path: str, policy_document: str) -> str:
    """CreateUser, PutUserPolicy, CreateAccessKey (issuance's calls for a plain role)."""
    iam.create_user(UserName=name, Path=path)
    iam.put_user_policy(
        UserName=name, PolicyName=INLINE_POLICY_NAME, PolicyDocument=policy_document
    )
    return str(iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"])


def _gone(call: Callable[..., Any], **arguments: str) -> None:
    from botocore.exceptions import ClientError

    try:
        call(**arguments)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchEntity":
            raise


def bare_delete(iam: Any, name: str) -> None:
    """workbench.aws.iam_user.delete_user's calls, minus ListServiceSpecificCredentials.

    The service makes that call once per client and then skips it (moto lacks
    it); both sides are warmed up first, so in timed rounds the calls match.
    """
    user = {"UserName": name}
    iam.get_user(**user)
    for key in iam.list_access_keys(**user)["AccessKeyMetadata"]:
        _gone(iam.delete_access_key, **user, AccessKeyId=key["AccessKeyId"])
    _gone(iam.delete_login_profile, **user)
    for device in iam.list_mfa_devices(**user)["MFADevices"]:
        _gone(iam.deactivate_mfa_device, **user, SerialNumber=device["SerialNumber"])
    for cert in iam.list_signing_certificates(**user)["Certificates"]:
        _gone(iam.delete_signing_certificate, **user, CertificateId=cert["CertificateId"])
    for ssh in iam.list_ssh_public_keys(**user)["SSHPublicKeys"]:
        _gone(iam.delete_ssh_public_key, **user, SSHPublicKeyId=ssh["SSHPublicKeyId"])
    for policy_name in iam.list_user_policies(**user)["PolicyNames"]:
        _gone(iam.delete_user_policy, **user, PolicyName=policy_name)
    for policy in iam.list_attached_user_policies(**user)["AttachedPolicies"]:
        _gone(iam.detach_user_policy, **user, PolicyArn=policy["PolicyArn"])
    for group in iam.list_groups_for_user(**user)["Groups"]:
        _gone(iam.remove_user_from_group, **user, GroupName=group["GroupName"])
    _gone(iam.delete_user, **user)


def bare_revoke(iam: Any, name: str, access_key_id: str) -> None:
    """workbench.aws.iam_revoke.revoke_user's calls for a lease that records its inline policy:
    the key made Inactive first, then deleted, then the policy, then the user."""
    user = {"UserName": name}
    iam.update_access_key(**user, AccessKeyId=access_key_id, Status="Inactive")
    iam.delete_access_key(**user, AccessKeyId=access_key_id)
    iam.delete_user_policy(**user, PolicyName=INLINE_POLICY_NAME)
    iam.delete_user(**user)


# -- instrumentation -------------------------------------------------------------------


class CallCounter:
    """Counts the IAM operations a client sends (by name)."""

    def __init__(self, *clients: Any) -> None:
        self.counts: dict[str, int] = {}
        self._clients = clients
        for client in clients:
            client.meta.events.register("before-call.iam", self._count)

    def _count(self, model: Any, **_kwargs: Any) -> None:
        self.counts[model.name] = self.counts.get(model.name, 0) + 1

    def total(self) -> int:
        return sum(self.counts.values())

    def close(self) -> None:
        for client in self._clients:
            client.meta.events.unregister("before-call.iam", self._count)


def add_latency(client: Any, milliseconds: float) -> None:
    """Sleep before every IAM request leaves (a far-away endpoint); the request proceeds."""
    delay = milliseconds / 1000

    def handler(**_kwargs: Any) -> None:
        time.sleep(delay)

    client.meta.events.register_first("before-send.iam", handler)


# -- statistics and output ---------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of 200 values is the 198th smallest)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def verdict(met: bool) -> str:
    return "goal met" if met else "goal missed"


def line(label: str, value: str, width: int = 40) -> None:
    print(f"{label:<{width}}: {value}")
