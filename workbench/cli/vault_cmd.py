"""`workbench vault ARGS...`: Vault's own CLI syntax for this engine, as Vault's docs show it."""

from __future__ import annotations

import sys

import click

from workbench.cli.common import CLI_HINTS, CliState, pass_state
from workbench.domain.errors import InvalidInput, WorkbenchError
from workbench.domain.text import printable

STDIN_LIMIT = 1024 * 1024
SECRET_WARNING = (
    "warning: a secret key given on the command line is visible to other users in `ps` and "
    "stays in shell history; use `secret_key=-` (stdin, or asked if a terminal) instead"
)


USAGE = "usage: workbench vault COMMAND [FLAGS] PATH [KEY=VALUE...] (see --help)"


def vault_message(error: WorkbenchError) -> str:
    """The error with its fields named as Vault's keys (`lease_max`), as they were typed."""
    return printable(error.phrased(str, CLI_HINTS), keep_newlines=True)


def read_stdin(key: str) -> str:
    """A value for `KEY=-` (or a lone `-`) from stdin; at a terminal, a secret is asked for."""
    from workbench.service import VAULT_SECRET_KEYS

    if sys.stdin.isatty() and key in VAULT_SECRET_KEYS:
        return str(click.prompt(key.replace("_", " ").capitalize(), hide_input=True))
    raw = sys.stdin.buffer.read(STDIN_LIMIT + 1)
    if len(raw) > STDIN_LIMIT:
        raise InvalidInput(f"{key} on stdin is longer than {STDIN_LIMIT // 1024} KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{key} on stdin is not UTF-8 text") from None
    if not text.strip():
        raise InvalidInput(f"{key} on stdin is empty; pipe it in, e.g. `< file`")
    return text


@click.command(
    "vault",
    short_help="Vault's own CLI syntax (read aws/creds/NAME).",
    context_settings={
        "ignore_unknown_options": True,
        "allow_extra_args": True,
        "allow_interspersed_args": False,
    },
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@pass_state
def vault(state: CliState, args: tuple[str, ...]) -> int:
    """Vault's CLI syntax for the AWS secrets engine, e.g. `workbench vault read aws/creds/webapp`.

    \b
    vault secrets enable [-path=NAME] aws | secrets disable NAME | secrets list
    vault write aws/config/root access_key=... secret_key=- region=us-east-1
    vault read aws/config/root | write aws/config/lease lease=1h lease_max=12h
    vault write aws/roles/NAME credential_type=iam_user policy_document=@policy.json
    vault read aws/roles/NAME | list aws/roles | delete aws/roles/NAME
    vault read aws/creds/NAME | read aws/sts/NAME ttl=15m [role_arn=ARN]
    vault lease lookup ID | lease renew [-increment=30m] ID | lease revoke [-prefix] ID
    vault status

    Flags go before the path (`vault read -format=json aws/creds/webapp`);
    `KEY=@FILE` reads a file, `KEY=-` or a lone `-` (a JSON body) reads stdin.
    Each command runs through the same service calls as the other commands,
    audited. Unlike `lease revoke --prefix`, `vault lease revoke -prefix`
    does not ask first: Vault does not.
    """
    from workbench.service import VaultUsageError, parse_vault_command, run_vault_command

    try:
        command = parse_vault_command(args, stdin=read_stdin)
        if command.secret_on_command_line:
            click.echo(SECRET_WARNING, err=True)
        result = run_vault_command(state.service(), command)
    except VaultUsageError as error:
        click.echo(f"error: {vault_message(error)}", err=True)
        click.echo(USAGE, err=True)
        return 2
    except WorkbenchError as error:
        click.echo(f"error: {vault_message(error)}", err=True)
        return 1
    for warning in result.warnings:
        click.echo(printable(f"warning: {warning}", keep_newlines=True), err=True)
    output = result.render()
    if output:
        click.echo(printable(output, keep_newlines=True))
    for error_line in result.errors:
        click.echo(printable(f"error: {error_line}"), err=True)
    return 0 if result.ok else 1
