"""`workbench static-role ...` and `workbench static-creds NAME` (Vault: aws/static-roles)."""

from __future__ import annotations

import time
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
from workbench.cli.creds_cmd import FORMATS
from workbench.cli.lease_cmd import confirm_destructive
from workbench.domain.durations import format_duration
from workbench.domain.errors import Conflict
from workbench.domain.formatting import in_words, iso_utc
from workbench.domain.models import StaticRole


@click.group("static-role")
def static_role() -> None:
    """Static roles: an existing IAM user's key, rotated on a schedule (Vault: aws/static-roles)."""


def static_json(role: StaticRole) -> dict[str, Any]:
    """Vault's `read aws/static-roles/NAME`, plus when it rotated and rotates next."""
    return {
        **role.body(),
        "access_key": role.access_key_id,
        "last_rotated": iso_utc(role.last_rotated) if role.last_rotated else None,
        "next_rotation": iso_utc(role.next_rotation),
        "rotation_in_progress": role.step,
        "error": role.error,
    }


@static_role.command("write")
@engine_option
@click.argument("name")
@click.option("--username", required=True, help="The existing IAM user whose key is rotated.")
@click.option("--rotation-period", required=True, help="How often its key is replaced: 720h.")
@click.option("--yes", "-y", is_flag=True, help="Take the user over without asking.")
@pass_state
def static_write(
    state: CliState, engine: str, name: str, username: str, rotation_period: str, yes: bool
) -> None:
    """Create static role NAME for IAM user USERNAME, or change its rotation period.

    A new role takes the user over at once: a key of ours is made and the
    keys the user had are deleted (whatever used them stops working), so it
    asks first if the user has any. A changed period counts from the last
    rotation.
    """
    service = state.service()
    body = {"username": username, "rotation_period": rotation_period}
    try:
        role = service.static_roles.write(engine, name, body)
    except Conflict as refused:
        if refused.hint != "confirm_take_over":
            raise
        confirm_destructive(f"{refused}. Take it over?", yes=yes)
        role = service.static_roles.write(engine, name, body, take_over=True)
    click.echo(
        f"Static role {name!r}: user {role.username}, key {role.access_key_id}, rotated every "
        f"{format_duration(role.rotation_period)}; next rotation {iso_utc(role.next_rotation)} "
        f"(in {in_words(max(0.0, role.next_rotation - time.time()))})"
    )


@static_role.command("read")
@engine_option
@click.argument("name")
@pass_state
def static_read(state: CliState, engine: str, name: str) -> None:
    """Show static role NAME (never its secret)."""
    emit_json(static_json(state.service().static_roles.read(engine, name)))


@static_role.command("list")
@engine_option
@format_option("table", "json")
@pass_state
def static_list(state: CliState, engine: str, fmt: str) -> None:
    """List the static roles of an engine."""
    roles = state.service().static_roles.list(engine)
    if fmt == "json":
        emit_json([role.name for role in roles])
        return
    now = time.time()
    emit_table(
        ["NAME", "USERNAME", "ACCESS KEY", "PERIOD", "LAST ROTATED", "NEXT IN", "NOTE"],
        [
            [
                role.name,
                role.username,
                role.access_key_id or "",
                format_duration(role.rotation_period),
                iso_utc(role.last_rotated) if role.last_rotated else "-",
                in_words(max(0.0, role.next_rotation - now)),
                role.error or (f"rotation {role.step}" if role.step else ""),
            ]
            for role in roles
        ],
    )


@static_role.command("delete")
@engine_option
@click.argument("name")
@pass_state
def static_delete(state: CliState, engine: str, name: str) -> None:
    """Forget static role NAME; the IAM user and its current key stay in AWS (as Vault)."""
    role = state.service().static_roles.delete(engine, name)
    click.echo(
        f"Static role {name!r} deleted. IAM user {role.username} and its current key "
        f"{role.access_key_id or '(none)'} stay in AWS and are no longer rotated."
    )


@static_role.command("rotate")
@engine_option
@click.argument("name")
@pass_state
def static_rotate(state: CliState, engine: str, name: str) -> None:
    """Replace static role NAME's key now: a new key is made, then the old one deleted."""
    role = state.service().static_roles.rotate(engine, name)
    click.echo(
        f"Static role {name!r} rotated: key {role.access_key_id}; next rotation "
        f"{iso_utc(role.next_rotation)}"
    )


@click.command("static-creds")
@engine_option
@click.argument("name")
@format_option(*FORMATS)
@pass_state
def static_creds(state: CliState, engine: str, name: str, fmt: str) -> None:
    """Static role NAME's current key (Vault: read aws/static-creds/NAME), valid until rotated."""
    credential = state.service().static_roles.creds(engine, name)
    if fmt != "table":
        click.echo(credential.render(fmt))
        return
    lease = credential.lease
    emit_table(
        ["KEY", "VALUE"],
        [
            ["access_key", lease.access_key_id or ""],
            ["secret_key", lease.secret_key or ""],
            ["expiration", iso_utc(lease.expire_time)],
            ["iam_user", lease.iam_user_name or ""],
        ],
    )
