"""`workbench operator add|list|remove`: who can unlock the store, each with a passphrase."""

from __future__ import annotations

import time

import click

from workbench.cli.common import (
    CliState,
    ask_new_passphrase,
    emit_json,
    emit_table,
    format_option,
    pass_state,
    read_passphrase_file,
)


@click.group()
def operator() -> None:
    """Operators: each unlocks the store with a passphrase of their own (a key slot)."""


@operator.command("add")
@click.argument("name")
@click.option(
    "--new-passphrase-file",
    type=click.Path(),
    help="Read the new operator's passphrase from this file (else a prompt, asked twice).",
)
@pass_state
def add(state: CliState, name: str, new_passphrase_file: str | None) -> None:
    """Give NAME a key slot with their own passphrase (run by an existing operator)."""
    service = state.service()
    if new_passphrase_file:
        passphrase = read_passphrase_file(new_passphrase_file)
    else:
        passphrase = ask_new_passphrase(f"Passphrase for {name}")
    added = service.operators.add(name, passphrase)
    click.echo(f"Operator {added.name} can now unlock the store (--operator {added.name}).")


@operator.command("list")
@format_option("table", "json")
@pass_state
def list_operators(state: CliState, fmt: str) -> None:
    """The operators, when and by whom each was added; * marks you."""
    operators = state.service().operators.list()
    if fmt == "json":
        emit_json(
            [
                {"name": o.name, "created_time": o.created_time, "created_by": o.created_by}
                for o in operators
            ]
        )
        return
    emit_table(
        ["OPERATOR", "ADDED", "BY"],
        [
            [
                ("* " if o.is_me else "  ") + o.name,
                time.strftime("%Y-%m-%d %H:%M", time.localtime(o.created_time)),
                o.created_by or "-",
            ]
            for o in operators
        ],
    )


@operator.command("remove")
@click.argument("name")
@pass_state
def remove(state: CliState, name: str) -> None:
    """Remove NAME's key slot and re-encrypt every secret under a new data key.

    NAME's passphrase then opens nothing, and a copy of the old data key
    they may have kept opens nothing written from now on.
    """
    resealed = state.service().operators.remove(name)
    click.echo(
        f"Removed operator {name}; {resealed} secret(s) re-encrypted under a new data key. "
        "Other workbenches open on this store must unlock again."
    )
