"""`workbench embedded-aws`: the demo's embedded AWS account on its own, for other tools."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from types import FrameType

import click

from workbench.domain.errors import WorkbenchError

REGION = "us-east-1"


@click.command("embedded-aws")
@click.option(
    "--port",
    default=0,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port on 127.0.0.1 (0: a free one; the JSON line says which).",
)
@click.option(
    "--no-auth",
    is_flag=True,
    help="Leave moto's authorization off: any key is accepted, a revoked one too.",
)
@click.option(
    "--iam-latency-ms",
    default=0.0,
    type=click.FloatRange(min=0),
    envvar="WORKBENCH_IAM_LATENCY_MS",
    hidden=True,  # for benchmarks: sleep this long before each IAM call is served
)
def embedded_aws(port: int, no_auth: bool, iam_latency_ms: float) -> None:
    """Serve an embedded AWS account (moto) on 127.0.0.1 until SIGTERM or Ctrl+C.

    The account is set up as the demo's is: an admin user `workbench-root`, and
    the group and the IAM role the sample roles refer to. The first line on
    stdout is JSON: endpoint, region, account, and the admin's access_key and
    secret_key, for `workbench config root` (--iam-endpoint and --sts-endpoint
    the endpoint), boto3 or the aws CLI (--endpoint-url). Keys and policies
    are checked as IAM does (an inactive or deleted key refused, a Deny's
    conditions evaluated), unless --no-auth.

    Every call it serves is recorded, and CloudTrail's LookupEvents answers
    from that record (newest first; filter by AccessKeyId, EventName,
    Username or EventSource). State lives in memory and is gone when it stops.
    """
    stopping = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    from workbench.demo.server import DEMO_ACCOUNT, EmbeddedAws, bootstrap_account

    try:
        aws = EmbeddedAws(port=port)
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise WorkbenchError(f"cannot serve on 127.0.0.1 port {port}: {reason}") from None
    try:
        aws.recorder.latency_ms = iam_latency_ms
        access_key, secret_key = bootstrap_account(aws)
        if not no_auth:
            aws.set_authorization(True)
        line = {
            "endpoint": aws.url,
            "region": REGION,
            "account": DEMO_ACCOUNT,
            "access_key": access_key,
            "secret_key": secret_key,
        }
        click.echo(json.dumps(line))
        sys.stdout.flush()
        checked = "off (any key is accepted)" if no_auth else "on (keys are checked)"
        click.echo(
            f"embedded AWS at {aws.url}, authorization {checked}; SIGTERM or Ctrl+C stops it",
            err=True,
        )
        while not stopping.wait(0.5):
            pass
    finally:
        aws.stop()
    click.echo("embedded AWS stopped", err=True)
