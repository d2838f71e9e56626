"""`workbench engine ...` and `workbench config ...`."""

from __future__ import annotations

import sys
from typing import Any

import click

from workbench.cli.common import (
    CliState,
    emit_json,
    emit_table,
    engine_option,
    format_option,
    pass_state,
)
from workbench.domain.durations import format_duration
from workbench.domain.errors import InvalidInput

SECRET_STDIN_LIMIT = 4096


@click.group()
def engine() -> None:
    """Enable, disable and list engines (Vault: mounts); one per AWS account."""


@engine.command("enable")
@click.argument("name")
@pass_state
def engine_enable(state: CliState, name: str) -> None:
    """Create engine NAME (or turn a disabled one back on)."""
    state.service().engines.enable(name)
    click.echo(f"Engine {name!r} enabled. Configure it: workbench config root --engine {name} ...")


@engine.command("disable")
@click.argument("name")
@pass_state
def engine_disable(state: CliState, name: str) -> None:
    """Turn engine NAME off (refused while it has live leases)."""
    state.service().engines.disable(name)
    click.echo(f"Engine {name!r} disabled; its roles and config are kept.")


@engine.command("list")
@format_option("table", "json")
@pass_state
def engine_list(state: CliState, fmt: str) -> None:
    """List engines."""
    engines = state.service().engines.list()
    if fmt == "json":
        emit_json({e.name: {"enabled": e.enabled, **e.root.public_view()} for e in engines})
        return
    emit_table(
        ["ENGINE", "ENABLED", "REGION", "CREDENTIALS", "IAM ENDPOINT"],
        [
            [
                e.name,
                "yes" if e.enabled else "no",
                e.root.region,
                e.root.access_key or (f"profile {e.root.profile}" if e.root.profile else "ambient"),
                e.root.iam_endpoint or "AWS",
            ]
            for e in engines
        ],
    )


@click.group()
def config() -> None:
    """Engine config: root credentials, endpoints, lease defaults."""


@config.command("root")
@engine_option
@click.option("--access-key", help="Root access key id (with --secret-key).")
@click.option(
    "--secret-key",
    help="Root secret key: `-` reads it from stdin; prompted (hidden) if --access-key is "
    "given alone. A value here is visible in `ps` and shell history.",
)
@click.option("--profile", help="Use a named AWS profile instead of stored keys.")
@click.option("--ambient", is_flag=True, help="Use the ambient boto3 credential chain.")
@click.option("--region", help="AWS region, e.g. us-east-1.")
@click.option("--iam-endpoint", metavar="URL", help="IAM endpoint (any AWS-compatible URL).")
@click.option("--sts-endpoint", metavar="URL", help="STS endpoint.")
@click.option("--max-retries", type=int, help="Retries per AWS call (botocore standard mode).")
@click.option("--username-template", help="IAM user name template ({{random N}} required).")
@click.option(
    "--expiry-guard/--no-expiry-guard",
    default=None,
    help="Deny-all after expiry inside each user's policy (default on).",
)
@click.option(
    "--readiness-probe/--no-readiness-probe",
    default=None,
    help="Wait until a new key works before calling it active.",
)
@click.option(
    "--dead-key-probe/--no-dead-key-probe",
    default=None,
    help="After revoking an iam_user key, call AWS with it until AWS refuses it "
    "(default: on for real AWS, off for custom endpoints).",
)
@pass_state
def config_root(
    state: CliState, /, engine: str, secret_key: str | None, ambient: bool, **options: Any
) -> None:
    """Write the engine's root config (Vault: aws/config/root).

    Only the options given change. The secret key is stored encrypted and
    never shown again.
    """
    changes = {key: value for key, value in options.items() if value is not None}
    if secret_key == "-":
        secret_key = read_secret_from_stdin("the secret key")
    elif secret_key is not None:
        click.echo(
            "warning: a secret key given on the command line is visible to other users in "
            "`ps` and stays in shell history; use `--secret-key -` (stdin) or leave it out "
            "to be asked",
            err=True,
        )
    if changes.get("access_key") and secret_key is None:
        secret_key = str(click.prompt("Secret key", hide_input=True))
    if secret_key is not None:
        changes["secret_key"] = secret_key
    if ambient:
        changes.update(access_key=None, secret_key=None, profile=None)
    if not changes:
        raise click.UsageError("give at least one option to change (see --help)")
    state.service().engines.write_root(engine, **changes)
    click.echo(f"Root config of engine {engine!r} written.")


@config.command("lease")
@engine_option
@click.option("--lease", required=True, help="Default TTL of iam_user leases, e.g. 1h.")
@click.option("--lease-max", required=True, help="Maximum TTL, e.g. 24h.")
@pass_state
def config_lease(state: CliState, engine: str, lease: str, lease_max: str) -> None:
    """Write the engine's lease config (Vault: aws/config/lease)."""
    written = state.service().engines.write_lease(engine, lease, lease_max)
    click.echo(
        f"Lease config of engine {engine!r}: lease {format_duration(written.lease)}, "
        f"lease_max {format_duration(written.lease_max)}."
    )


@config.command("read")
@engine_option
@format_option("table", "json")
@pass_state
def config_read(state: CliState, engine: str, fmt: str) -> None:
    """Show the engine's config (never the secret key)."""
    view = state.service().engines.read_config(engine)
    if fmt == "json":
        emit_json(view)
        return
    emit_table(["KEY", "VALUE"], [[key, str(value)] for key, value in view.items()])


@config.command("rotate-root")
@engine_option
@pass_state
def config_rotate_root(state: CliState, engine: str) -> None:
    """Replace the root access key with a new one; the old key is deleted in AWS."""
    new_key = state.service().engines.rotate_root(engine)
    click.echo(f"Root key of engine {engine!r} rotated; new access key id {new_key}.")


@config.command("test")
@engine_option
@pass_state
def config_test(state: CliState, engine: str) -> None:
    """Test the connection: sts:GetCallerIdentity with the root credentials."""
    identity = state.service().engines.test_connection(engine)
    click.echo(f"Connected: account {identity['account']}, {identity['arn']}")


def read_secret_from_stdin(what: str) -> str:
    """One secret line from stdin (a pipe or a redirect), bounded, UTF-8, newline dropped."""
    if sys.stdin.isatty():
        return str(click.prompt(what.capitalize(), hide_input=True))
    raw = sys.stdin.buffer.read(SECRET_STDIN_LIMIT + 1)
    if len(raw) > SECRET_STDIN_LIMIT:
        raise InvalidInput(f"{what} on stdin is longer than {SECRET_STDIN_LIMIT} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{what} on stdin is not UTF-8 text") from None
    text = text.removesuffix("\n").removesuffix("\r")
    if not text:
        raise InvalidInput(f"{what} on stdin is empty; pipe the secret in, e.g. `< key.txt`")
    return text
