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
    from workbench.service import create_workbench

    location = state.location
    if location.exists():
        raise InvalidInput(f"a store already exists at {location.describe()}; nothing was changed")
    passphrase = state.new_passphrase("Passphrase for the new store")
    service = create_workbench(location, passphrase, operator=state.operator, label=state.label)
    me = service.operators.me
    service.close()
    click.echo(f"Created the store at {location.describe()} with engine 'aws'.")
    click.echo(f"Operator {me} holds its first key slot (`workbench operator add` adds others).")
    click.echo("Next: workbench config root --access-key ... --secret-key ... (or --profile)")


@click.command()
@click.option(
    "--new-passphrase-file",
    type=click.Path(),
    help=f"Read the new passphrase from this file (else ${NEW_PASSPHRASE_ENV}, else a prompt).",
)
@pass_state
def passwd(state: CliState, new_passphrase_file: str | None) -> None:
    """Change your own passphrase (your key slot is re-sealed; data and others untouched)."""
    service = state.service()
    if new_passphrase_file:
        new = read_passphrase_file(new_passphrase_file)
    elif NEW_PASSPHRASE_ENV in os.environ:
        new = passphrase_from_env(NEW_PASSPHRASE_ENV)
    else:
        new = str(click.prompt("New passphrase", hide_input=True, confirmation_prompt=True))
    service.change_passphrase(new)
    click.echo(
        f"Passphrase of operator {service.operators.me} changed; "
        "the old one no longer opens the store."
    )
