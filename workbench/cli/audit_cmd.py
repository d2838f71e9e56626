"""`workbench audit ...`: read, check and route the audit trail."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, BinaryIO

import click

from workbench.cli.common import CliState, emit_table, format_option, pass_state
from workbench.domain.errors import InvalidInput
from workbench.domain.text import printable

if TYPE_CHECKING:
    from workbench.domain.models import AuditRecord

FOLLOW_POLL_SECONDS = 0.5
HASH_STDIN_LIMIT = 64 * 1024  # bytes `audit hash -` reads; far beyond any AWS secret


def text_line(record: AuditRecord) -> str:
    """One entry as a line: time, type, operator, operation, path, lease id, error."""
    entry = record.entry
    request = entry.get("request") or {}
    response = entry.get("response") or {}
    secret = response.get("secret") or {}
    auth = entry.get("auth") or {}
    fields = [
        str(entry.get("time", "")),
        f"{entry.get('type', ''):<8}",
        str(auth.get("display_name", "")),
        f"{request.get('operation', ''):<6}",
        str(request.get("path", "")),
        str(secret.get("lease_id", "") or "-"),
    ]
    error = str(entry.get("error") or "")
    if error:
        fields.append(f"error: {error}")
    return printable("  ".join(fields))


def json_line(record: AuditRecord) -> str:
    """One entry as the JSON-lines file device writes it."""
    from workbench.service import audit_line

    return audit_line(record)


def _emit(records: Iterable[AuditRecord], fmt: str) -> int:
    last = 0
    render = json_line if fmt == "json" else text_line
    for record in records:
        click.echo(render(record))
        last = record.seq
    return last


@click.group()
def audit() -> None:
    """The audit trail: Vault-shaped entries, secrets HMAC'd, hash-chained."""


@audit.command()
@click.option("-n", "count", default=20, show_default=True, type=click.IntRange(min=0))
@click.option("--follow", "-f", is_flag=True, help="Keep printing new entries as they come.")
@format_option("text", "json")
@click.option("--path", "path_prefix", metavar="PREFIX", help="Only paths starting with this.")
@click.option(
    "--operation",
    type=click.Choice(["create", "read", "update", "delete", "list"]),
    help="Only this Vault operation.",
)
@click.option("--errors", "errors_only", is_flag=True, help="Only entries that carry an error.")
@pass_state
def tail(
    state: CliState,
    *,
    count: int,
    follow: bool,
    fmt: str,
    path_prefix: str | None,
    operation: str | None,
    errors_only: bool,
) -> None:
    """Print the newest N entries (secrets appear only as hmac-sha256:...)."""
    log = state.service().audit
    filters: dict[str, Any] = {
        "path_prefix": path_prefix,
        "operation": operation,
        "errors_only": errors_only,
    }
    last = _emit(list(log.entries(newest=count, **filters)), fmt)
    if not follow:
        return
    if not last:
        last = max((record.seq for record in log.entries(newest=1)), default=0)
    try:
        while True:
            time.sleep(FOLLOW_POLL_SECONDS)
            last = _emit(list(log.entries(after_seq=last, **filters)), fmt) or last
    except KeyboardInterrupt:
        return


@audit.command()
@click.option(
    "--head",
    "recorded_head",
    metavar="HASH",
    help="A head hash an earlier verify printed: fail if this store's chain does not hold it.",
)
@pass_state
@click.pass_context
def verify(ctx: click.Context, state: CliState, recorded_head: str | None) -> None:
    """Walk the hash chain and every file device; exit 1 naming the first entry or line wrong."""
    if recorded_head is not None:
        recorded_head = recorded_head.strip().lower()
    result = state.service().audit.verify(recorded_head=recorded_head)
    if result.chain_problem is None:
        click.echo(f"ok: {result.count} entries verified; head seq {result.head_seq}")
    else:
        click.echo(f"audit chain broken: {printable(result.chain_problem)}")
        click.echo(f"{result.count} entries verified before it")
    for device in result.devices:
        click.echo(printable(device.describe()))
    if result.recorded_head is not None:
        click.echo(printable(result.recorded_head.describe(result.head_seq)))
    if result.chain_problem is None:
        click.echo(f"head hash: {result.head_hash or '(empty)'}")
        if result.head_hash:
            click.echo(f"to check later: workbench audit verify --head {result.head_hash}")
    if not result.ok:
        ctx.exit(1)


@audit.command("hash")
@click.argument("value")
@pass_state
def hash_command(state: CliState, value: str) -> None:
    """Print VALUE's HMAC as entries show it, to find where a leaked secret was issued.

    Give `-` to read the value from stdin (one trailing newline dropped), so
    the secret is never on the command line.
    """
    if value == "-":
        value = _read_secret()
    else:
        click.echo(
            "warning: a secret on the command line is visible in `ps` and shell history; "
            "use `workbench audit hash -` and give it on stdin",
            err=True,
        )
    click.echo(state.service().audit.hash_value(value))


def _read_secret() -> str:
    """The value on stdin (a prompt without echo on a terminal), checked before any use."""
    stream: BinaryIO = sys.stdin.buffer
    if stream.isatty():
        return str(click.prompt("value to hash", hide_input=True, err=True))
    data: bytes = stream.read(HASH_STDIN_LIMIT + 3)  # room for the line end
    if data.endswith(b"\n"):
        data = data[:-2] if data.endswith(b"\r\n") else data[:-1]
    if len(data) > HASH_STDIN_LIMIT:
        raise InvalidInput(
            f"stdin holds more than {HASH_STDIN_LIMIT // 1024} KiB; `audit hash -` takes "
            "one secret value"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"stdin is not UTF-8 text (byte {error.start} is not valid); "
            "`audit hash -` takes the secret as text"
        ) from None


@audit.command()
@click.argument("kind", type=click.Choice(["file"]))
@click.option("--path", "file_path", required=True, metavar="P", help="JSON-lines file to append.")
@click.option("--name", default="file", show_default=True, help="Name of the device.")
@pass_state
def enable(state: CliState, kind: str, file_path: str, name: str) -> None:
    """Add an audit device: a JSON-lines file (0600) for SIEM ingestion."""
    state.service().audit.enable_file_device(file_path, name=name)
    click.echo(f"enabled audit device '{printable(name)}' ({kind}: {printable(file_path)})")


@audit.command()
@click.argument("name")
@pass_state
def disable(state: CliState, name: str) -> None:
    """Remove an audit device (the store's own table stays)."""
    state.service().audit.disable_device(name)
    click.echo(f"disabled audit device '{printable(name)}'")


@audit.command("list")
@pass_state
def list_command(state: CliState) -> None:
    """List audit devices: the store's table always, then any files."""
    rows = [
        [printable(str(device["name"])), str(device["kind"]), printable(str(device["path"]))]
        for device in state.service().audit.devices()
    ]
    emit_table(["NAME", "KIND", "PATH"], rows)
