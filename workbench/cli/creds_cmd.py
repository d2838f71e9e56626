"""`workbench creds ROLE` and `workbench exec ROLE -- CMD`."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any, TypeVar, cast

import click

from workbench.cli.common import (
    CliState,
    cli_message,
    emit_table,
    engine_option,
    format_option,
    pass_state,
)
from workbench.domain.durations import format_duration
from workbench.domain.errors import InvalidInput, WorkbenchError
from workbench.domain.formatting import in_words

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ["table", "json", "env", "credential-process", "profile"]


def _request_options(function: F) -> F:
    """--ttl, --role-arn and --mfa-code, handed to the command as one `request` mapping."""

    @functools.wraps(function)
    def command(
        *args: Any, ttl: str | None, role_arn: str | None, mfa_code: str | None, **kwargs: Any
    ) -> Any:
        request = {"ttl": ttl, "role_arn": role_arn, "mfa_code": mfa_code}
        return function(*args, request=request, **kwargs)

    for option in reversed(
        [
            click.option("--ttl", help="Lease TTL, e.g. 15m (capped by the role/engine max)."),
            click.option("--role-arn", help="For assumed_role roles that list several ARNs."),
            click.option("--mfa-code", help="For session_token roles with an MFA serial."),
        ]
    ):
        command = option(command)
    return cast(F, command)


@click.command()
@engine_option
@click.argument("role_name", metavar="ROLE")
@_request_options
@format_option(*FORMATS)
@pass_state
def creds(
    state: CliState,
    engine: str,
    role_name: str,
    request: dict[str, str | None],
    fmt: str,
) -> None:
    """Issue a credential from ROLE (Vault: read aws/creds/ROLE).

    `--format credential-process` prints the AWS CLI's JSON, so a profile can
    say `credential_process = workbench creds ROLE --format credential-process`.
    """
    issued = state.service().creds.issue(engine, role_name, **request)
    for warning in issued.warnings:
        click.echo(f"warning: {warning}", err=True)
    if fmt != "table":
        click.echo(issued.render(fmt))
        return
    lease = issued.lease
    rows = [
        ["lease_id", lease.lease_id],
        ["lease_duration", format_duration(lease.lease_duration)],
        ["lease_renewable", str(lease.renewable).lower()],
        ["access_key", lease.access_key_id or ""],
        ["secret_key", lease.secret_key or ""],
        ["session_token", lease.session_token or "<nil>"],
    ]
    if lease.iam_user_name:
        rows.append(["iam_user", lease.iam_user_name])
    emit_table(["KEY", "VALUE"], rows)


@click.command("exec", context_settings={"ignore_unknown_options": True})
@engine_option
@click.argument("role_name", metavar="ROLE")
@_request_options
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@pass_state
def exec_command(
    state: CliState,
    engine: str,
    role_name: str,
    request: dict[str, str | None],
    command: tuple[str, ...],
) -> int:
    """Issue a credential, run COMMAND with AWS_* set, revoke when it exits.

    The command's exit status is passed through. Ctrl+C reaches the command;
    the credential is revoked however it ends.
    """
    if not command:
        raise InvalidInput("give a command after --, e.g. workbench exec webapp -- aws s3 ls")
    service = state.service()
    issued = service.creds.issue(engine, role_name, **request)
    lease = issued.lease
    for warning in issued.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"workbench: {lease.lease_id} issued, expires in "
        f"{in_words(lease.expire_time - lease.issue_time)}",
        err=True,
    )
    env = {**os.environ, **issued.environment()}
    env.pop("WORKBENCH_PASSPHRASE", None)
    # Ctrl+C goes to the whole foreground group: let the child decide, and
    # revoke however it ends. The handler is set before the child starts (a
    # Ctrl+C right after it prints must not stop us first); a Python handler,
    # unlike SIG_IGN, is not inherited across exec, so the child keeps its own.
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: None)
    try:
        child = subprocess.Popen(list(command), env=env)
    except OSError as error:
        signal.signal(signal.SIGINT, previous)
        service.leases.revoke(lease.lease_id)
        raise InvalidInput(f"cannot run {command[0]!r}: {error.strerror}") from None
    try:
        status = child.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
        try:
            service.leases.revoke(lease.lease_id)
            click.echo(f"workbench: {lease.lease_id} revoked", err=True)
        except WorkbenchError as error:
            click.echo(
                f"workbench: revoking {lease.lease_id} failed: {cli_message(error)}; "
                "the worker retries it",
                err=True,
            )
    if status < 0:  # killed by a signal: report it the way a shell would
        return 128 - status
    sys.stdout.flush()
    return status
