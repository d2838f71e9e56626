"""Test helpers: run the real CLI, wait for what another thread or process does, inject
AWS faults the way botocore sees them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSResponse

from tests.conftest import PASSPHRASE, MotoServer

WORKBENCH = [sys.executable, "-m", "workbench"]

# How long a wait may last before the test is called hung: far past what any step
# takes, even on a saturated 2-core machine. Tests assert order and outcome, not time.
HANG_GUARD_SECONDS = 60.0
# The tests' usual iam_user role: read one bucket's objects.
WEBAPP: dict[str, Any] = {
    "credential_type": "iam_user",
    "policy_document": {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
        ],
    },
}


def wait_for(
    condition: Callable[[], object],
    what: str = "the condition",
    *,
    timeout: float = HANG_GUARD_SECONDS,
) -> None:
    """Poll until `condition()` holds; the deadline only stops a hung test."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)


def user_exists(iam: Any, name: str) -> bool:
    return name in user_names(iam)


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}
    env.update({"WORKBENCH_HOME": str(home), "WORKBENCH_PASSPHRASE": PASSPHRASE, **extra})
    return env


def run_cli(
    home: Path, *args: str, timeout: float = 120, input: str | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    """Run `workbench ARGS` in a fresh process, as a user would (`input` on its stdin)."""
    return subprocess.run(
        [*WORKBENCH, *args],
        env=cli_env(home, **extra),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_workbench(home: Path, *args: str) -> subprocess.Popen[str]:
    """`workbench ARGS` started in its own process, its output piped, for a test to stop."""
    return subprocess.Popen(
        [*WORKBENCH, *args],
        env=cli_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def as_credential(aws: MotoServer, service: str, lease: Any) -> Any:
    """A client holding a lease's keys, as a second process using them would."""
    return aws.client(
        service,
        access_key=lease.access_key_id,
        secret_key=lease.secret_key,
        session_token=lease.session_token,
    )


def user_names(iam: Any) -> list[str]:
    """The IAM users in the (moto) account, by name."""
    return [user["UserName"] for user in iam.list_users()["Users"]]


def role_with_everything(iam: Any) -> dict[str, Any]:
    """An iam_user role body with a managed policy, a group, a tag and an inline policy."""
    import json

    arn = iam.create_policy(
        PolicyName="p",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    iam.create_group(GroupName="devs")
    return {
        "credential_type": "iam_user",
        "policy_arns": [arn],
        "iam_groups": ["devs"],
        "iam_tags": {"team": "web"},
        "policy_document": WEBAPP["policy_document"],
    }


def one_error_line(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """The CLI failed with exit 1 and one `error:` line holding each needle, no traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def setup_cli_store(home: Path, server: MotoServer) -> None:
    """A store on disk (fast KDF) with engine `aws` on the moto server."""
    from tests.conftest import FAST_KDF, make_service
    from workbench.store import KdfParams, Store

    store = Store.create(home, PASSPHRASE, KdfParams.fresh(**FAST_KDF))
    service = make_service(store, server)
    service.close()


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_kwargs: Any) -> Any:
        yield self._body


def aws_error(status: int, code: str, message: str = "injected") -> AWSResponse:
    body = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
        f"<Message>{message}</Message></Error><RequestId>x</RequestId></ErrorResponse>"
    ).encode()
    return AWSResponse("http://injected", status, {"Content-Type": "text/xml"}, _Raw(body))


class FaultInjector:
    """Fail chosen IAM/STS operations on a client: a count, or forever."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.injected = 0
        self._handlers: list[tuple[str, Callable[..., Any]]] = []

    def fail(self, operation: str, kind: str, times: int | None = 1) -> None:
        """kind: throttle, 500, connection, or an error code (AccessDenied...)."""
        remaining = [times]
        service = self.client.meta.service_model.service_name

        def handler(request: Any, **_kwargs: Any) -> Any:
            if remaining[0] is not None:
                if remaining[0] <= 0:
                    return None
                remaining[0] -= 1
            self.injected += 1
            if kind == "throttle":
                return aws_error(400, "Throttling", "Rate exceeded")
            if kind == "500":
                return aws_error(500, "InternalFailure", "injected server error")
            if kind == "connection":
                from botocore.exceptions import EndpointConnectionError

                raise EndpointConnectionError(endpoint_url=request.url)
            return aws_error(403, kind, f"injected {kind}")

        event = f"before-send.{service}.{operation}"
        self.client.meta.events.register_first(event, handler)
        self._handlers.append((event, handler))

    def lose_response(self, operation: str, times: int = 1) -> None:
        """The call lands in AWS but its answer is lost, so botocore sends it again."""
        remaining = [times]
        service = self.client.meta.service_model.service_name

        def handler(attempts: int, **_kwargs: Any) -> float | None:
            if attempts == 1 and remaining[0] > 0:
                remaining[0] -= 1
                self.injected += 1
                return 0.0  # retry now, as after a dropped connection
            return None

        event = f"needs-retry.{service}.{operation}"
        self.client.meta.events.register_first(event, handler)
        self._handlers.append((event, handler))

    def clear(self) -> None:
        for event, handler in self._handlers:
            self.client.meta.events.unregister(event, handler)
        self._handlers.clear()
