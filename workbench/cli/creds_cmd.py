"""`workbench creds ROLE` and `workbench exec ROLE -- CMD`."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

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

if TYPE_CHECKING:
    from workbench.service import IssuedCredential, Workbench

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


def _cache_options(*, default: bool | None, when: str) -> Callable[[F], F]:
    """--cache/--no-cache and --cache-min-left, handed to the command as `cache` (a share or None).

    `default` None: the cache is on for `--format credential-process` only.
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def command(
            *args: Any, cache: bool | None, cache_min_left: float | None, **kwargs: Any
        ) -> Any:
            if cache is None:
                cache = kwargs.get("fmt") == "credential-process"
            return function(*args, cache=cache, cache_min_left=cache_min_left, **kwargs)

        command = click.option(
            "--cache-min-left",
            type=float,
            metavar="SHARE",
            help="Reuse a cached lease only while more than this share of its TTL is left "
            "(0 to just under 1; default 0.25, a quarter).",
        )(command)
        command = click.option(
            "--cache/--no-cache",
            default=default,
            help=f"Reuse a live lease the cache issued for the same request ({when}); "
            "--no-cache issues a fresh one.",
        )(command)
        return cast(F, command)

    return decorate


def _issue(
    state: CliState,
    engine: str,
    role_name: str,
    request: dict[str, str | None],
    cache: bool,
    cache_min_left: float | None,
) -> IssuedCredential:
    creds = state.service().creds
    if cache:
        return creds.issue_cached(engine, role_name, min_left=cache_min_left, **request)
    return creds.issue(engine, role_name, **request)


@click.command()
@engine_option
@click.argument("role_name", metavar="ROLE")
@_request_options
@format_option(*FORMATS)
@_cache_options(default=None, when="the default for credential-process")
@pass_state
def creds(
    state: CliState,
    engine: str,
    role_name: str,
    request: dict[str, str | None],
    fmt: str,
    cache: bool,
    cache_min_left: float | None,
) -> None:
    """Issue a credential from ROLE (Vault: read aws/creds/ROLE).

    `--format credential-process` prints the AWS CLI's JSON, so a profile can
    say `credential_process = workbench creds ROLE --format credential-process`.
    The AWS CLI runs it for every command, so that format uses the credential
    cache by default: a live lease the cache issued to you for the same
    engine, role, --ttl and --role-arn is handed out again (audited as a read
    from the cache) while more than --cache-min-left of its TTL is left, and a
    fresh one is issued only after that, after it is revoked, or with
    --no-cache. A cached key lives as long as its lease: revoke it with
    `workbench lease revoke LEASE_ID` to end it sooner. Leases issued without
    the cache are never handed out again.
    """
    issued = _issue(state, engine, role_name, request, cache, cache_min_left)
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
    if cache:
        rows.append(["cached", str(issued.cached).lower()])
    emit_table(["KEY", "VALUE"], rows)


@click.command("exec", context_settings={"ignore_unknown_options": True})
@engine_option
@click.argument("role_name", metavar="ROLE")
@_request_options
@_cache_options(default=True, when="the default")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@pass_state
def exec_command(
    state: CliState,
    engine: str,
    role_name: str,
    request: dict[str, str | None],
    cache: bool,
    cache_min_left: float | None,
    command: tuple[str, ...],
) -> int:
    """Run COMMAND with AWS_* set to a credential from ROLE.

    As aws-vault's exec: the credential comes from the credential cache (a
    live lease the cache issued to you for the same engine, role, --ttl and
    --role-arn, while more than --cache-min-left of its TTL is left; else a
    fresh one, kept for the next call), and it stays live when COMMAND exits,
    until its TTL ends or `workbench lease revoke LEASE_ID`. With --no-cache a
    fresh credential is issued and revoked when COMMAND exits, however it ends.

    The command's exit status is passed through. Ctrl+C reaches the command.
    """
    if not command:
        raise InvalidInput("give a command after --, e.g. workbench exec webapp -- aws s3 ls")
    service = state.service()
    issued = _issue(state, engine, role_name, request, cache, cache_min_left)
    lease = issued.lease
    for warning in issued.warnings:
        click.echo(f"warning: {warning}", err=True)
    expires = in_words(lease.expire_time - service.clock())
    if not cache:
        click.echo(f"workbench: {lease.lease_id} issued, expires in {expires}", err=True)
    else:
        how = "from the cache" if issued.cached else "issued for the cache"
        click.echo(
            f"workbench: {lease.lease_id} {how}, expires in {expires}; it stays live after "
            "the command (--no-cache: a fresh one, revoked at exit)",
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
        if not cache:
            service.leases.revoke(lease.lease_id)
        raise InvalidInput(f"cannot run {command[0]!r}: {error.strerror}") from None
    try:
        status = child.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
        if not cache:
            _revoke(service, lease.lease_id)
    if status < 0:  # killed by a signal: report it the way a shell would
        return 128 - status
    sys.stdout.flush()
    return status


def _revoke(service: Workbench, lease_id: str) -> None:
    try:
        service.leases.revoke(lease_id)
        click.echo(f"workbench: {lease_id} revoked", err=True)
    except WorkbenchError as error:
        click.echo(
            f"workbench: revoking {lease_id} failed: {cli_message(error)}; the worker retries it",
            err=True,
        )
