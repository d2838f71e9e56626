"""`workbench init` and `workbench passwd`: create the store, change its passphrase."""

from __future__ import annotations

import os

import click

from workbench.cli.common import CliState, pass_state, passphrase_from_env, read_passphrase_file
from workbench.domain.errors import InvalidInput

NEW_PASSPHRASE_ENV = "WORKBENCH_NEW_PASSPHRASE"


@click.command()
@pass_state
def init(state: CliState) -> None:
    """Create the encrypted store and the engine `aws`.

    Refuses to touch an existing store.
    """
    from workbench.service import create_workbench, db_path, store_exists

    home = state.home_path
    if store_exists(home):
        raise InvalidInput(f"a store already exists at {db_path(home)}; nothing was changed")
    passphrase = state.new_passphrase("Passphrase for the new store")
    create_workbench(home, passphrase, operator=state.operator_name).close()
    click.echo(f"Created the store at {db_path(home)} with engine 'aws'.")
    click.echo("Next: workbench config root --access-key ... --secret-key ... (or --profile)")


@click.command()
@click.option(
    "--new-passphrase-file",
    type=click.Path(),
    help=f"Read the new passphrase from this file (else ${NEW_PASSPHRASE_ENV}, else a prompt).",
)
@pass_state
def passwd(state: CliState, new_passphrase_file: str | None) -> None:
    """Change the store's passphrase (the data key is re-wrapped, data untouched)."""
    service = state.service()
    if new_passphrase_file:
        new = read_passphrase_file(new_passphrase_file)
    elif NEW_PASSPHRASE_ENV in os.environ:
        new = passphrase_from_env(NEW_PASSPHRASE_ENV)
    else:
        new = str(click.prompt("New passphrase", hide_input=True, confirmation_prompt=True))
    service.change_passphrase(new)
    click.echo("Passphrase changed; the old one no longer opens the store.")
