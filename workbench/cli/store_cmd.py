"""`workbench init` and `workbench passwd`: create the store, change its passphrase."""

from __future__ import annotations

import os

import click

from workbench.cli.common import (
    CliState,
    ask_new_passphrase,
    pass_state,
    passphrase_from_env,
    read_passphrase_file,
)
from workbench.domain.errors import InvalidInput

NEW_PASSPHRASE_ENV = "WORKBENCH_NEW_PASSPHRASE"


@click.command()
@click.option(
    "--store",
    "store",
    metavar="URL",
    help="Create it here: a postgresql:// URL (team mode) or a folder (as the global --store).",
)
@pass_state
def init(state: CliState, store: str | None) -> None:
    """Create the encrypted store and the engine `aws`, with your key slot.

    Refuses to touch an existing store.
    """
    from workbench.service import create_workbench

    if store:
        state.store = store
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
        new = ask_new_passphrase("New passphrase")
    service.change_passphrase(new)
    click.echo(
        f"Passphrase of operator {service.operators.me} changed; "
        "the old one no longer opens the store."
    )


@click.group()
def store() -> None:
    """The store itself: copy it to another place (a team's PostgreSQL database)."""


@store.command("copy")
@click.option(
    "--from",
    "source",
    required=True,
    metavar="PATH_OR_URL",
    help="The store to copy: a folder (or its workbench.db) or a postgresql:// URL.",
)
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL",
    help="An empty place for the copy: a postgresql:// URL (or a new folder).",
)
@pass_state
def copy(state: CliState, source: str, target: str) -> None:
    """Copy a store whole into an empty target; the source is left as it was.

    Engines, roles, static roles, leases (with their secrets, re-encrypted
    under the target's data key) and the audit history; every operator keeps
    their passphrase. The target's audit chain records the source's head hash.
    Refuses a target that holds a store already.
    """
    from workbench.service import copy_store, parse_location

    source_location = parse_location(source, state.home_path)
    target_location = parse_location(target, state.home_path)
    report = copy_store(
        source_location, target_location, state.passphrase(), operator=state.operator
    )
    click.echo(
        f"Copied {report.source} to {report.target}: {report.engines} engine(s), "
        f"{report.roles} role(s), {report.static_roles} static role(s), {report.leases} "
        f"lease(s), {report.audit_entries} audit entries."
    )
    click.echo(f"The target's audit chain records the source's head: {report.source_head}")
    click.echo(f"Use it with --store {report.target} (or WORKBENCH_STORE).")
