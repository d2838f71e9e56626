"""The root `workbench` group, lazy sub-command loading and error rendering."""

from __future__ import annotations

import importlib
import io
import sys
from typing import Any

import click

from workbench.cli.common import CliState, check_arguments, cli_message
from workbench.domain.errors import WorkbenchError
from workbench.domain.text import printable

# name -> "module:attribute"; imported only when the command runs, so that
# `workbench --help` never pays for boto3, moto or textual.
LAZY_COMMANDS = {
    "audit": "workbench.cli.audit_cmd:audit",
    "config": "workbench.cli.engine_cmd:config",
    "creds": "workbench.cli.creds_cmd:creds",
    "demo": "workbench.cli.demo_cmd:demo",
    "embedded-aws": "workbench.cli.embedded_cmd:embedded_aws",
    "engine": "workbench.cli.engine_cmd:engine",
    "exec": "workbench.cli.creds_cmd:exec_command",
    "incident": "workbench.cli.incident_cmd:incident",
    "init": "workbench.cli.store_cmd:init",
    "lease": "workbench.cli.lease_cmd:lease",
    "operator": "workbench.cli.operator_cmd:operator",
    "passwd": "workbench.cli.store_cmd:passwd",
    "policy": "workbench.cli.policy_cmd:policy",
    "reconcile": "workbench.cli.lease_cmd:reconcile",
    "role": "workbench.cli.role_cmd:role",
    "static-creds": "workbench.cli.static_cmd:static_creds",
    "static-role": "workbench.cli.static_cmd:static_role",
    "status": "workbench.cli.worker_cmd:status",
    "store": "workbench.cli.store_cmd:store",
    "vault": "workbench.cli.vault_cmd:vault",
    "web": "workbench.cli.tui_cmd:web",
    "worker": "workbench.cli.worker_cmd:worker",
}


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS:
            module_name, attribute = LAZY_COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attribute)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, invoke_without_command=True)
@click.option(
    "--home",
    envvar="WORKBENCH_HOME",
    type=click.Path(file_okay=False),
    help="Folder of the store [env WORKBENCH_HOME; default: the platform data dir].",
)
@click.option(
    "--passphrase-file",
    type=click.Path(),
    help="Read the passphrase from this file (else WORKBENCH_PASSPHRASE, else a prompt).",
)
@click.option(
    "--store",
    envvar="WORKBENCH_STORE",
    metavar="URL",
    help=(
        "The store: a postgresql:// URL (team mode) or a folder [env WORKBENCH_STORE; "
        "default: the SQLite file in --home]."
    ),
)
@click.option(
    "--operator",
    envvar="WORKBENCH_OPERATOR",
    metavar="NAME",
    help="Unlock as this operator (their key slot) [env WORKBENCH_OPERATOR; default: the OS user].",
)
@click.option(
    "--as",
    "label",
    metavar="NAME",
    help="Name recorded in the audit trail instead of the operator's (not another operator's).",
)
@click.version_option(package_name="lease-workbench")
@click.pass_context
def cli(
    ctx: click.Context,
    home: str | None,
    passphrase_file: str | None,
    store: str | None,
    operator: str | None,
    label: str | None,
) -> None:
    """Issue and revoke short-lived AWS credentials, as Vault's AWS secrets engine does.

    With no command, opens the workbench (the TUI). `workbench demo` runs it
    against an embedded AWS account, no account needed.
    """
    ctx.obj = CliState(
        home=home, passphrase_file=passphrase_file, store=store, operator=operator, label=label
    )
    if ctx.invoked_subcommand is None:
        from workbench.cli.tui_cmd import run_tui

        run_tui(ctx.obj)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI: exit 0 done, 1 a clear error on stderr, 2 usage."""
    try:
        check_arguments(sys.argv[1:] if argv is None else argv)
        result: Any = cli.main(args=argv, prog_name="workbench", standalone_mode=False)
    except WorkbenchError as error:
        # Messages carry outside text (names, tags, AWS errors): escape its control characters.
        click.echo(f"error: {cli_message(error)}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as error:
        # click's own messages echo the value given (`Invalid value for '--ttl': ...`).
        shown = io.StringIO()
        error.show(file=shown)
        click.echo(printable(shown.getvalue(), keep_newlines=True), err=True, nl=False)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(result if isinstance(result, int) else 0)
