"""`workbench worker`: the headless revoker, for a service manager; `workbench status`."""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType
from typing import Any

import click

from workbench.cli.common import CliState, emit_json, format_option, pass_state
from workbench.domain.errors import WorkbenchError
from workbench.domain.text import printable


@click.command()
@click.option(
    "--concurrency",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Revocations running at once.",
)
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@pass_state
def worker(state: CliState, concurrency: int, quiet: bool) -> None:
    """Revoke leases when they expire, until SIGTERM or Ctrl+C.

    Only one worker acts per store; a second one stands by and takes over the
    moment the first one stops. On SIGTERM, in-flight revocations finish first.
    Exits 1 if the revoker cannot run or ever stops on its own.
    """
    from workbench.worker import LeaseWorker, WorkerEvent

    service = state.service()

    def report(event: WorkerEvent) -> None:
        failed = event.kind in {"failed", "irrevocable", "unreadable", "error", "stopped"}
        if quiet and not failed:
            return
        stamp = time.strftime("%H:%M:%S")
        click.echo(f"{stamp} {event.kind:<11} {printable(event.message)}", err=failed)

    runner = LeaseWorker(service, concurrency=concurrency, on_event=report)
    stopping = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    runner.start()
    while not stopping.wait(0.5):
        if not runner.alive:
            raise WorkbenchError(f"the revoker stopped: {runner.failure or 'unknown reason'}")
    if not quiet:
        click.echo("stopping: waiting for in-flight revocations", err=True)
    runner.stop(timeout=60.0)


@click.command()
@format_option("table", "json")
@pass_state
def status(state: CliState, fmt: str) -> int:
    """The revoker's health: running where, since when, last pass, leases due, errors.

    Needs no passphrase. Exits 0 when a revoker runs and made a pass in the
    last 15 s, 1 otherwise (for a service manager's health check).
    """
    from workbench.service import check_private_home
    from workbench.worker import read_status_at

    location = state.location
    if not location.is_postgres:
        check_private_home(location.home)  # others could fake the lock and the status file
    report = read_status_at(location)
    if fmt == "json":
        emit_json(report)
    else:
        _print_status(report)
    return 0 if report["healthy"] else 1


def _print_status(report: dict[str, Any]) -> None:
    now = time.time()

    def ago(value: Any) -> str:
        if not isinstance(value, int | float):
            return "never"
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(value))
        return f"{stamp} ({now - value:.1f} s ago)"

    holder = report.get("holder")
    if not report["running"]:
        click.echo("revoker: not running")
    elif isinstance(holder, dict):
        # A shared store: who holds the revoker lock, as the database sees it; ages by
        # the database's clock, so machines whose clocks differ agree.
        client = f" ({printable(str(holder['client']))})" if holder.get("client") else ""
        where = printable(f"pid {holder.get('pid')} on {holder.get('host')}")
        click.echo(f"revoker: running, {where}{client}")
        click.echo(f"store: {printable(str(report.get('home')))}")
        age = report.get("last_pass_age")
        last_pass = f"{age:.1f} s ago" if isinstance(age, int | float) else "never"
    else:
        host = printable(str(report.get("host")))
        click.echo(f"revoker: running, pid {report.get('pid')} on {host}")
        last_pass = ago(report.get("last_pass"))
    if report["running"]:
        click.echo(f"since: {ago(report.get('started'))}")
        click.echo(f"last pass: {last_pass}")
        click.echo(f"leases due: {report.get('due', 0)}, in flight: {report.get('in_flight', 0)}")
        click.echo(f"revoked since start: {report.get('revoked', 0)}")
    for row in report.get("unreadable") or []:
        click.echo(
            printable(f"unreadable lease {row.get('lease_id')}: {row.get('error')} (set aside)")
        )
    for error in report.get("errors") or []:
        click.echo(printable(f"error at {ago(error.get('time'))}: {error.get('message')}"))
    if report.get("status_file_error"):
        click.echo(printable(str(report["status_file_error"])))
    if not report["healthy"]:
        click.echo(f"problem: {report.get('problem')}", err=True)
