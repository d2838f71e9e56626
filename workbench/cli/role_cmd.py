"""`workbench role ...`: write, import, read, list, delete."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence

import click

from workbench.cli.common import (
    CliState,
    emit_json,
    emit_table,
    engine_option,
    format_option,
    pass_state,
)
from workbench.cli.lease_cmd import confirm_destructive
from workbench.domain.errors import Conflict
from workbench.domain.models import StaticRole
from workbench.service import Finding


@click.group()
def role() -> None:
    """Roles: credential templates (Vault: aws/roles/NAME)."""


def _print_findings(findings: Sequence[Finding], source: str) -> None:
    if findings:
        from workbench.service import format_findings

        click.echo(format_findings(list(findings), source), err=True)


@role.command("write")
@engine_option
@click.argument("name")
@click.option(
    "--file",
    "file_",
    required=True,
    type=click.Path(),
    help="Role JSON: the body Vault's aws/roles/NAME takes.",
)
@pass_state
def role_write(state: CliState, engine: str, name: str, file_: str) -> None:
    """Write role NAME from a JSON file (refused if its policy has errors)."""
    from workbench.service import read_role_file

    text = read_role_file(file_)
    written, findings = state.service().roles.write(engine, name, text, source=file_)
    _print_findings(findings, file_)
    click.echo(f"Role {name!r} ({written.credential_type.value}) written to engine {engine!r}.")


@role.command("import")
@engine_option
@click.argument("paths", nargs=-1, required=True)
@click.option("--yes", "-y", is_flag=True, help="Take static roles' users over without asking.")
@pass_state
def role_import(state: CliState, engine: str, paths: tuple[str, ...], yes: bool) -> None:
    """Write every role file given (or every *.json in a folder); all or none.

    A file in Vault's static-role shape (`username`, `rotation_period`) makes a
    static role, which takes its IAM user over (see `workbench static-role`).
    """
    service = state.service()
    try:
        results = service.roles.import_files(engine, list(paths), take_over=yes)
    except Conflict as refused:
        if refused.hint != "confirm_take_over":
            raise
        confirm_destructive(f"{refused}. Take it over?", yes=yes)
        results = service.roles.import_files(engine, list(paths), take_over=True)
    for written, findings in results:
        if isinstance(written, StaticRole):
            click.echo(f"Static role {written.name!r} (user {written.username}) written.")
            continue
        _print_findings(findings, written.name)
        click.echo(f"Role {written.name!r} ({written.credential_type.value}) written.")


@role.command("read")
@engine_option
@click.argument("name")
@pass_state
def role_read(state: CliState, engine: str, name: str) -> None:
    """Show role NAME as JSON (Vault's read shape)."""
    found = state.service().roles.read(engine, name)
    body = found.body()
    if "policy_document" in body:
        with contextlib.suppress(ValueError):
            body["policy_document"] = json.loads(body["policy_document"])
    emit_json(body)


@role.command("list")
@engine_option
@format_option("table", "json")
@pass_state
def role_list(state: CliState, engine: str, fmt: str) -> None:
    """List the engine's roles."""
    service = state.service()
    roles = service.roles.list(engine)
    if fmt == "json":
        emit_json([r.name for r in roles])
        return
    emit_table(
        ["ROLE", "TYPE", "LIVE LEASES"],
        [
            [r.name, r.credential_type.value, str(service.roles.live_lease_count(engine, r.name))]
            for r in roles
        ],
    )


@role.command("delete")
@engine_option
@click.argument("name")
@click.option("--revoke-leases", is_flag=True, help="Revoke the role's live leases first.")
@pass_state
def role_delete(state: CliState, engine: str, name: str, revoke_leases: bool) -> None:
    """Delete role NAME (refused while it has live leases, unless --revoke-leases)."""
    revoked = state.service().roles.delete(engine, name, revoke_leases=revoke_leases)
    suffix = f" after revoking {revoked} lease(s)" if revoked else ""
    click.echo(f"Role {name!r} deleted{suffix}.")
