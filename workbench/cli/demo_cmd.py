"""`workbench demo`: the whole workbench against an embedded AWS account."""

from __future__ import annotations

import signal
import time
from types import FrameType

import click

from workbench.cli.common import CliState, pass_state
from workbench.domain.durations import parse_duration
from workbench.domain.formatting import expires_in


@click.command()
@click.option("--headless", is_flag=True, help="Run the scenario without the UI and print it.")
@click.option(
    "--for",
    "duration",
    default="20s",
    show_default=True,
    help="With --headless: how long to run (e.g. 20s, 2m).",
)
@click.option("--keep", is_flag=True, help="Keep the temporary store and print where it is.")
@click.option(
    "--lease",
    "lease",
    default="2m",
    show_default=True,
    help="The engine's default TTL, short so expiry happens while people watch.",
)
@click.option(
    "--lease-max",
    "lease_max",
    default="5m",
    show_default=True,
    help="The engine's max TTL (the banner's try-it key lives this long, renewed before).",
)
@click.option(
    "--no-auth",
    is_flag=True,
    help="Leave moto's authorization off (keys are not checked; the expiry guard is on).",
)
@pass_state
def demo(
    state: CliState,
    headless: bool,
    duration: str,
    keep: bool,
    lease: str,
    lease_max: str,
    no_auth: bool,
) -> None:
    """Run the workbench on an embedded AWS (moto), no account needed.

    Starts moto on 127.0.0.1, a temporary store, engine `aws` with the sample
    roles and a few leases about to expire. Other terminals can use the
    embedded account too (the banner shows how).
    """
    from workbench.demo import Demo
    from workbench.demo.scenario import SEEDED_LEASES

    seconds = parse_duration(duration, what="--for")
    seeded: tuple[tuple[str, str], ...] = SEEDED_LEASES
    if headless:
        # Stagger the seeded leases across the run so expiries happen in it.
        seeded = (
            ("webapp", f"{max(2, seconds * 2 // 5)}s"),
            ("analytics", f"{seconds * 3}s"),
            ("deploy", "15m"),
        )
    _exit_on_hangup()
    click.echo("Starting the embedded AWS account...", err=True)
    session = Demo(
        keep=keep,
        authorization=not no_auth,
        operator=state.operator_name,
        seeded=seeded,
        lease=(lease, lease_max),
    )
    try:
        service = session.start()
        info = session.info
        assert info is not None
        click.echo(f"demo: temporary store at {info.home}")
        for line in info.notes:
            click.echo(f"demo: {line}")
        if info.example:
            click.echo("demo: from another terminal, try an issued key:")
            click.echo(f"  {info.example}")
        if headless:
            _run_headless(service, seconds)
        else:
            from workbench.tui.app import WorkbenchApp

            WorkbenchApp(
                home=session.home, operator=state.operator_name, service=service, demo=info
            ).run()
    except KeyboardInterrupt:
        click.echo("interrupted; cleaning up", err=True)
    finally:
        session.stop()
        if keep:
            click.echo(
                f"demo: store kept at {session.home} "
                f"(WORKBENCH_HOME={session.home} WORKBENCH_PASSPHRASE={session.passphrase});"
                " the embedded AWS is gone, so its leases cannot be revoked any more"
            )
        else:
            click.echo("demo: embedded AWS stopped, temporary store removed")


def _exit_on_hangup() -> None:
    """A closed terminal (SIGHUP) or SIGTERM ends the demo the way Ctrl+C does: cleaned up."""

    def leave(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    for signum in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(signum, leave)


def _run_headless(service: object, seconds: int) -> None:
    from workbench.service import Workbench
    from workbench.worker import LeaseWorker, WorkerEvent

    assert isinstance(service, Workbench)
    started = time.monotonic()

    def report(event: WorkerEvent) -> None:
        click.echo(f"[{time.monotonic() - started:6.1f}s] worker {event.kind}: {event.message}")

    for lease in service.leases.list():
        left = lease.expire_time - time.time()
        click.echo(
            f"[   0.0s] issued {lease.lease_id} ({lease.credential_type.value}, "
            f"expires in {expires_in(left)}, IAM user {lease.iam_user_name or '-'})"
        )
    worker = LeaseWorker(service, on_event=report)
    worker.start()
    try:
        while time.monotonic() - started < seconds:
            time.sleep(0.2)
    finally:
        worker.stop()
    report_iam = service.iam.users("aws")
    live = service.leases.list()
    click.echo(
        f"[{time.monotonic() - started:6.1f}s] done: {len(live)} live lease(s), "
        f"{len(report_iam.users)} IAM user(s) in the account "
        f"({len(report_iam.strays)} stray)"
    )
    for user in report_iam.users:
        click.echo(
            f"  IAM user {user.name} -> {user.lease_id or 'no lease'} "
            f"({user.lease_state or 'stray'})"
        )
