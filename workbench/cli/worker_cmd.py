"""`workbench worker`: the headless revoker, for a service manager."""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType

import click

from workbench.cli.common import CliState, pass_state


@click.command()
@click.option("--concurrency", default=8, show_default=True, help="Revocations running at once.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@pass_state
def worker(state: CliState, concurrency: int, quiet: bool) -> None:
    """Revoke leases when they expire, until SIGTERM or Ctrl+C.

    Only one worker acts per store; a second one stands by and takes over the
    moment the first one stops. On SIGTERM, in-flight revocations finish first.
    """
    from workbench.worker import LeaseWorker, WorkerEvent

    if concurrency < 1:
        raise click.BadParameter("must be at least 1", param_hint="--concurrency")
    service = state.service()

    def report(event: WorkerEvent) -> None:
        failed = event.kind in {"failed", "irrevocable"}
        if quiet and not failed:
            return
        stamp = time.strftime("%H:%M:%S")
        click.echo(f"{stamp} {event.kind:<11} {event.message}", err=failed)

    runner = LeaseWorker(service, concurrency=concurrency, on_event=report)
    stopping = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    runner.start()
    while not stopping.wait(0.5):
        pass
    if not quiet:
        click.echo("stopping: waiting for in-flight revocations", err=True)
    runner.stop(timeout=60.0)
