"""`workbench lease ...` and `workbench reconcile`."""

from __future__ import annotations

import sys
import time
from typing import Any

import click
import humanize

from workbench.cli.common import CliState, emit_json, emit_table, engine_option, pass_state
from workbench.domain.errors import WorkbenchError
from workbench.domain.models import Lease


@click.group()
def lease() -> None:
    """Leases: list, look up, renew and revoke issued credentials."""


def lease_json(lease: Lease) -> dict[str, Any]:
    """A lease as `vault lease lookup -format=json` would show it, plus our fields."""
    now = time.time()
    return {
        "id": lease.lease_id,
        "engine": lease.engine,
        "role": lease.role,
        "credential_type": lease.credential_type.value,
        "state": lease.state.value,
        "issue_time": _iso(lease.issue_time),
        "expire_time": _iso(lease.expire_time),
        "ttl": max(0, int(lease.expire_time - now)) if lease.state.is_live else 0,
        "renewable": lease.renewable,
        "iam_user": lease.iam_user_name,
        "access_key": lease.access_key_id,
        "error": lease.error,
    }


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _expires(lease: Lease, now: float) -> str:
    if not lease.state.is_live:
        return "-"
    left = lease.expire_time - now
    return "expired" if left <= 0 else humanize.naturaldelta(left)


@lease.command("list")
@click.option("--prefix", help="Only leases whose id starts with this (aws/creds/webapp/).")
@click.option("--all", "show_all", is_flag=True, help="Include ended leases (history).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@pass_state
def lease_list(state: CliState, prefix: str | None, show_all: bool, fmt: str) -> None:
    """List live leases (irrevocable ones included); --all adds history."""
    leases = state.service().list_leases(prefix, include_history=show_all)
    if fmt == "json":
        emit_json([lease_json(item) for item in leases])
        return
    now = time.time()
    emit_table(
        ["LEASE ID", "TYPE", "STATE", "ACCESS KEY", "EXPIRES IN", "ERROR"],
        [
            [
                item.lease_id,
                item.credential_type.value,
                item.state.value,
                item.access_key_id or "",
                _expires(item, now),
                (item.error or "")[:80],
            ]
            for item in leases
        ],
    )


@lease.command("lookup")
@click.argument("lease_id")
@pass_state
def lease_lookup(state: CliState, lease_id: str) -> None:
    """Show one lease."""
    emit_json(lease_json(state.service().lookup(lease_id)))


@lease.command("renew")
@click.argument("lease_id")
@click.option("--increment", help="New TTL counted from now, e.g. 30m [default: engine lease].")
@pass_state
def lease_renew(state: CliState, lease_id: str, increment: str | None) -> None:
    """Extend an iam_user lease (capped at its max TTL)."""
    renewed, warnings = state.service().renew(lease_id, increment)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"{lease_id} renewed; expires {_iso(renewed.expire_time)} "
        f"(in {humanize.naturaldelta(renewed.expire_time - time.time())})"
    )


@lease.command("revoke")
@click.argument("lease_id", required=False)
@click.option("--prefix", help="Revoke every live lease whose id starts with PREFIX.")
@click.option(
    "--force",
    is_flag=True,
    help="Drop the record(s) without calling AWS (users deleted out of band).",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask before revoking by prefix.")
@pass_state
def lease_revoke(
    state: CliState, lease_id: str | None, prefix: str | None, force: bool, yes: bool
) -> int:
    """Revoke LEASE_ID, or every live lease under --prefix (concurrently)."""
    if bool(lease_id) == bool(prefix):
        raise click.UsageError("give a LEASE_ID or --prefix PREFIX (one of them)")
    service = state.service()
    if lease_id:
        revoked = service.revoke(lease_id, force=force)
        click.echo(f"{lease_id}: {revoked.state.value}")
        _sts_note(revoked)
        return 0
    assert prefix is not None
    count = len(service.list_leases(prefix))
    if count and not yes and sys.stdin.isatty():
        click.confirm(f"Revoke {count} live lease(s) under {prefix!r}?", abort=True)
    result = service.revoke_prefix(prefix, force=force)
    click.echo(f"revoked {len(result.revoked)} lease(s) under {prefix!r}")
    if result.sts_still_valid:
        click.echo(
            f"note: {len(result.sts_still_valid)} were STS credentials; AWS keeps them valid "
            "until their own expiry",
            err=True,
        )
    for failed_id, error in result.failed.items():
        click.echo(f"error: {failed_id}: {error}", err=True)
    return 1 if result.failed else 0


def _sts_note(revoked: Lease) -> None:
    if revoked.credential_type.is_sts and revoked.expire_time > time.time():
        click.echo(
            f"note: STS credentials cannot be cut off early; AWS keeps them valid until "
            f"{_iso(revoked.expire_time)}",
            err=True,
        )


@click.command()
@engine_option
@click.option("--delete", is_flag=True, help="Delete the stray IAM users found.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@pass_state
def reconcile(state: CliState, engine: str, delete: bool, fmt: str) -> int:
    """Match IAM users to leases; report (or --delete) users no live lease owns."""
    report = state.service().reconcile(engine, delete=delete)
    if fmt == "json":
        emit_json(
            {
                "engine": report.engine,
                "strays": [
                    {
                        "name": u.name,
                        "path": u.path,
                        "created": _iso(u.created),
                        "lease_id": u.lease_id,
                        "lease_state": u.lease_state,
                    }
                    for u in report.strays
                ],
                "missing_users": report.missing_users,
                "deleted": report.deleted,
                "errors": report.errors,
            }
        )
    else:
        click.echo(
            f"{len(report.users)} IAM user(s) match engine {engine!r}'s template; "
            f"{len(report.strays)} stray"
        )
        if report.strays:
            emit_table(
                ["IAM USER", "PATH", "CREATED", "LEASE", "STATE"],
                [
                    [u.name, u.path, _iso(u.created), u.lease_id or "-", u.lease_state or "-"]
                    for u in report.strays
                ],
            )
        for lease_id in report.missing_users:
            click.echo(
                f"lease {lease_id} is live but its IAM user is gone "
                "(`workbench lease revoke --force` clears it)"
            )
        for name in report.deleted:
            click.echo(f"deleted {name}")
        for name, error in report.errors.items():
            click.echo(f"error: {name}: {error}", err=True)
    if report.errors:
        raise WorkbenchError(f"{len(report.errors)} stray user(s) could not be deleted")
    return 0
