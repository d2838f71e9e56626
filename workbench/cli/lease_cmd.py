"""`workbench lease ...` and `workbench reconcile`."""

from __future__ import annotations

import sys
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
from workbench.domain.errors import InvalidInput, WorkbenchError
from workbench.domain.formatting import counted, in_words, iso_utc
from workbench.domain.lifecycle import LIVE
from workbench.domain.models import Lease, UnreadableLease


@click.group()
def lease() -> None:
    """Leases: list, look up, renew, revoke, trail and find issued credentials."""


def lease_json(lease: Lease) -> dict[str, Any]:
    """A lease as `vault lease lookup -format=json` would show it, plus our fields."""
    now = time.time()
    return {
        "id": lease.lease_id,
        "engine": lease.engine,
        "role": lease.role,
        "credential_type": lease.credential_type.value,
        "state": lease.state.value,
        "issue_time": iso_utc(lease.issue_time),
        "expire_time": iso_utc(lease.expire_time),
        "ttl": max(0, int(lease.expire_time - now)) if lease.state in LIVE else 0,
        "renewable": lease.renewable,
        "iam_user": lease.iam_user_name,
        "access_key": lease.access_key_id,
        "session_name": lease.session_name,
        "error": lease.error,
        "revocation": lease.revocation,
        "how_revoked": lease.how_revoked or None,
        "issued_by": lease.issued_by,
        "cache": lease.cache_key is not None,  # issued for the credential cache, reused by it
    }


def unreadable_json(bad: UnreadableLease) -> dict[str, Any]:
    """An unreadable row as `lease list --format json` shows it: what is known, and why."""
    return {
        "id": bad.lease_id,
        "engine": bad.engine,
        "role": bad.role,
        "credential_type": bad.credential_type,
        "state": bad.state,
        "stored_state": bad.stored_state,
        "iam_user": bad.iam_user_name,
        "error": bad.error,
    }


def confirm_destructive(question: str, *, yes: bool) -> None:
    """Ask before a destructive step; with no terminal to ask, --yes is required."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise InvalidInput(
            f"{question.rstrip('?')} needs confirmation, and stdin is not a terminal: "
            "add --yes to go ahead"
        )
    click.confirm(question, abort=True)


def _expires(lease: Lease, now: float) -> str:
    if lease.state not in LIVE:
        return "-"
    left = lease.expire_time - now
    return "expired" if left <= 0 else in_words(left)


@lease.command("list")
@click.option("--prefix", help="Only leases whose id starts with this (aws/creds/webapp/).")
@click.option("--all", "show_all", is_flag=True, help="Include ended leases (history).")
@format_option("table", "json")
@pass_state
def lease_list(state: CliState, prefix: str | None, show_all: bool, fmt: str) -> None:
    """List live leases (irrevocable ones included); --all adds history."""
    service = state.service()
    leases = service.leases.list(prefix, include_history=show_all)
    unreadable = service.leases.unreadable(prefix)
    if fmt == "json":
        emit_json([lease_json(item) for item in leases] + [unreadable_json(u) for u in unreadable])
        return
    now = time.time()
    rows = [
        [
            item.lease_id,
            item.credential_type.value,
            item.state.value,
            item.access_key_id or "",
            _expires(item, now),
            item.issued_by or "-",
            (item.error or item.how_revoked)[:80],
        ]
        for item in leases
    ]
    rows += [
        [u.lease_id, u.credential_type, u.state, "", "?", "-", u.error[:80]] for u in unreadable
    ]
    emit_table(
        ["LEASE ID", "TYPE", "STATE", "ACCESS KEY", "EXPIRES IN", "ISSUED BY", "NOTE"],
        rows,
    )
    if unreadable:
        click.echo(
            f"warning: {len(unreadable)} lease row(s) cannot be read and are set aside "
            "(not revoked by the worker); `workbench status` lists them",
            err=True,
        )


@lease.command("lookup")
@click.argument("lease_id")
@pass_state
def lease_lookup(state: CliState, lease_id: str) -> None:
    """Show one lease."""
    emit_json(lease_json(state.service().leases.lookup(lease_id)))


@lease.command("renew")
@click.argument("lease_id")
@click.option("--increment", help="New TTL counted from now, e.g. 30m [default: engine lease].")
@pass_state
def lease_renew(state: CliState, lease_id: str, increment: str | None) -> None:
    """Extend an iam_user lease (capped at its max TTL)."""
    renewed, warnings = state.service().leases.renew(lease_id, increment)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"{lease_id} renewed; expires {iso_utc(renewed.expire_time)} "
        f"(in {in_words(renewed.expire_time - time.time())})"
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
        revoked = service.leases.revoke(lease_id, force=force)
        click.echo(f"{lease_id}: {revoked.state.value}")
        _sts_note(revoked)
        return 0
    assert prefix is not None
    count = len(service.leases.list(prefix))
    if count:
        confirm_destructive(f"Revoke {count} live lease(s) under {prefix!r}?", yes=yes)
    result = service.leases.revoke_prefix(prefix, force=force)
    click.echo(f"revoked {len(result.revoked)} lease(s) under {prefix!r}")
    if result.sts_still_valid:
        click.echo(
            f"warning: {len(result.sts_still_valid)} STS credential(s) could not be denied in "
            "AWS and stay valid until their own expiry (`workbench lease list --all` says why)",
            err=True,
        )
    for failed_id, error in result.failed.items():
        click.echo(f"error: {failed_id}: {error}", err=True)
    for bad in result.unreadable:
        click.echo(
            f"error: {bad.lease_id}: unreadable, not revoked ({bad.error}); "
            f"IAM user: {bad.iam_user_name or 'unknown'}",
            err=True,
        )
    return 1 if not result.ok else 0


def _sts_note(revoked: Lease) -> None:
    if revoked.credential_type.is_sts and revoked.expire_time > time.time():
        click.echo(
            f"note: STS credentials cannot be cut off early; AWS keeps them valid until "
            f"{iso_utc(revoked.expire_time)}",
            err=True,
        )


@click.command()
@engine_option
@click.option("--delete", is_flag=True, help="Delete the stray IAM users found.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before deleting strays.")
@format_option("table", "json")
@pass_state
def reconcile(state: CliState, engine: str, delete: bool, yes: bool, fmt: str) -> int:
    """Match IAM users to leases; report (or --delete) users no live lease owns.

    A user is the workbench's if it carries this store's tag or a lease records
    its name; users made any other way are never touched.
    """
    if delete:
        confirm_destructive(f"Delete the stray IAM users of engine {engine!r}?", yes=yes)
    report = state.service().iam.reconcile(engine, delete=delete)
    if fmt == "json":
        emit_json(
            {
                "engine": report.engine,
                "strays": [
                    {
                        "name": u.name,
                        "path": u.path,
                        "created": iso_utc(u.created),
                        "lease_id": u.lease_id,
                        "lease_state": u.lease_state,
                    }
                    for u in report.strays
                ],
                "missing_users": report.missing_users,
                "unreadable": [unreadable_json(bad) for bad in report.unreadable],
                "deleted": report.deleted,
                "errors": report.errors,
            }
        )
    else:
        click.echo(
            f"This store made {len(report.users)} of the "
            f"{counted(report.account_users, 'IAM user')} of engine {engine!r}; "
            f"{counted(len(report.strays), 'stray')}"
        )
        if report.strays:
            emit_table(
                ["IAM USER", "PATH", "CREATED", "LEASE", "STATE"],
                [
                    [u.name, u.path, iso_utc(u.created), u.lease_id or "-", u.lease_state or "-"]
                    for u in report.strays
                ],
            )
        for lease_id in report.missing_users:
            click.echo(
                f"lease {lease_id} is live but its IAM user no longer exists in AWS "
                "(checked twice); `workbench lease revoke --force` clears the record"
            )
        for bad in report.unreadable:
            click.echo(
                f"lease {bad.lease_id} is unreadable ({bad.error}); its IAM user "
                f"{bad.iam_user_name or '(unknown)'} is left alone",
                err=True,
            )
        for name in report.deleted:
            click.echo(f"deleted {name}")
        for name, error in report.errors.items():
            click.echo(f"error: {name}: {error}", err=True)
    if report.errors:
        raise WorkbenchError(f"{len(report.errors)} stray user(s) could not be deleted")
    return 0


# `lease trail` and `lease find` live with the incident commands they belong to.
from workbench.cli import incident_cmd  # noqa: E402, F401
