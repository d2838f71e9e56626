"""The revoker keeps going: bad rows set aside, a clear lock error, `status`, owners by registry."""

from __future__ import annotations

import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import PASSPHRASE, MotoServer
from tests.helpers import (
    WORKBENCH,
    cli_env,
    one_error_line,
    run_cli,
    setup_cli_store,
    user_names,
    wait_for,
)
from workbench.domain.models import Lease, LeaseState
from workbench.service import Workbench
from workbench.store.registry import ProcessRegistry
from workbench.worker import LeaseWorker, WorkerEvent

DEADLINE_SECONDS = 60.0


def set_column(home: Path, lease_id: str, column: str, value: object) -> None:
    """Change one lease row behind the workbench's back, as damage or a newer version would."""
    with sqlite3.connect(home / "workbench.db") as conn:
        conn.execute(f"UPDATE leases SET {column} = ? WHERE lease_id = ?", (value, lease_id))
    conn.close()


def no_passphrase_env(home: Path) -> dict[str, str]:
    env = cli_env(home)
    env.pop("WORKBENCH_PASSPHRASE")
    return env


def run_status(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`workbench status` as a service manager runs it: no passphrase, no terminal."""
    return subprocess.run(
        [*WORKBENCH, "status", *args],
        env=no_passphrase_env(home),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
        check=False,
    )


# -- unreadable rows ---------------------------------------------------------


def test_the_worker_revokes_around_unreadable_rows(
    service: Workbench, iam: Any, home: Path
) -> None:
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    newer, garbled, expiring = (
        service.creds.issue("aws", "webapp", ttl="2s").lease for _ in range(3)
    )
    lasting = service.creds.issue("aws", "webapp", ttl="1h").lease
    set_column(home, newer.lease_id, "credential_type", "iam_user_v2")
    set_column(home, garbled.lease_id, "expire_time", "abc")
    bad_ids = {newer.lease_id, garbled.lease_id}

    events: list[WorkerEvent] = []
    worker = LeaseWorker(service, on_event=events.append)
    worker.start()
    try:
        wait_for(
            lambda: expiring.iam_user_name not in set(user_names(iam)), "the healthy lease revoked"
        )
        wait_for(
            lambda: {e.lease_id for e in events if e.kind == "unreadable"} >= bad_ids,
            "both bad rows reported",
        )
        assert worker.alive, worker.failure
        assert not [e for e in events if e.kind in {"error", "stopped"}], events
    finally:
        worker.stop()
    unreadable = {e.lease_id: e.message for e in events if e.kind == "unreadable"}
    assert "credential_type" in unreadable[newer.lease_id]
    assert "expire_time" in unreadable[garbled.lease_id]
    # Set aside, never revoked blindly: their users wait for an operator.
    assert {newer.iam_user_name, garbled.iam_user_name, lasting.iam_user_name} <= set(
        user_names(iam)
    )

    listed = run_cli(home, "lease", "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    states = {row["id"]: row["state"] for row in json.loads(listed.stdout)}
    assert states == {
        newer.lease_id: "unreadable",
        garbled.lease_id: "unreadable",
        lasting.lease_id: "active",
    }

    lookup = one_error_line(run_cli(home, "lease", "lookup", newer.lease_id), newer.lease_id)
    assert "unreadable" in lookup

    report = run_cli(home, "reconcile", "--format", "json")
    assert report.returncode == 0, report.stderr
    body = json.loads(report.stdout)
    assert body["strays"] == []
    assert {row["id"] for row in body["unreadable"]} == bad_ids

    revoked = run_cli(home, "lease", "revoke", "--prefix", "aws/creds/", "--yes")
    assert revoked.returncode == 1, (revoked.stdout, revoked.stderr)
    assert "Traceback" not in revoked.stderr
    assert "revoked 1 lease(s)" in revoked.stdout
    errors = revoked.stderr.strip().splitlines()
    assert len(errors) == 2 and all(line.startswith("error: ") for line in errors), errors
    for bad in (newer, garbled):
        (line,) = [line for line in errors if bad.lease_id in line]
        assert "unreadable" in line and (bad.iam_user_name or "?") in line, line
    assert lasting.iam_user_name not in set(user_names(iam))
    assert {newer.iam_user_name, garbled.iam_user_name} <= set(user_names(iam))


# -- the lock and `status` -----------------------------------------------------


def test_a_worker_lock_that_cannot_be_opened_is_one_error_line(home: Path, aws: MotoServer) -> None:
    setup_cli_store(home, aws)
    (home / "worker.lock").mkdir()  # os.open(O_RDWR | O_CREAT) fails: EISDIR, even for root
    one_error_line(run_cli(home, "worker"), "cannot open the worker lock", "worker.lock")


def test_status_follows_the_revoker_without_a_passphrase(
    home: Path, aws: MotoServer, tmp_path: Path
) -> None:
    setup_cli_store(home, aws)
    down = run_status(home)
    assert down.returncode == 1 and "not running" in down.stdout, (down.stdout, down.stderr)
    assert "Traceback" not in down.stderr

    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [*WORKBENCH, "worker"], env=cli_env(home), stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_for((home / "worker.status").exists, "the worker's status file")
        up = run_status(home, "--format", "json")
        assert up.returncode == 0, (up.stdout, up.stderr)
        report = json.loads(up.stdout)
        assert report["running"] is True and report["healthy"] is True
        assert report["pid"] == worker.pid
        assert isinstance(report["last_pass"], float)
        assert report["due"] == 0
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=DEADLINE_SECONDS)
        log.close()
    assert worker.returncode == 0, (tmp_path / "worker.log").read_text()
    stopped = run_status(home)
    assert stopped.returncode == 1 and "not running" in stopped.stdout


# -- owners ----------------------------------------------------------------


def _killed_issuance(service: Workbench, home: Path) -> Lease:
    """A pending lease with a real IAM user and key: `creds` SIGKILLed before saving the keys."""
    before = {lease.lease_id for lease in service.leases.list(include_history=True)}
    killed = run_cli(home, "creds", "webapp", WORKBENCH_FAULT="kill:lease.keys")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    (lease,) = [
        lease for lease in service.leases.list(include_history=True) if lease.lease_id not in before
    ]
    assert lease.state is LeaseState.PENDING
    return lease


_LIVE_OWNER = """
import sys
from pathlib import Path
from workbench.service import open_workbench
service = open_workbench(Path(sys.argv[1]), sys.argv[2], label="live")
print(service._ctx.owner(), flush=True)
sys.stdin.read()
service.close()
"""


def test_owners_are_judged_by_the_registry_not_the_host_name(
    service: Workbench, iam: Any, home: Path
) -> None:
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})
    renamed, unregistered, held = (_killed_issuance(service, home) for _ in range(3))
    assert {renamed.iam_user_name, unregistered.iam_user_name, held.iam_user_name} <= set(
        user_names(iam)
    )

    live = subprocess.Popen(
        [sys.executable, "-c", _LIVE_OWNER, str(home), PASSPHRASE],
        env=cli_env(home),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert live.stdout is not None
        live_owner = live.stdout.readline().strip()
        assert live_owner.count(":") == 2, live_owner
        set_column(home, renamed.lease_id, "owner", "otherhost:12345")  # before a host rename
        set_column(home, unregistered.lease_id, "owner", f"host:1:{secrets.token_hex(8)}")
        set_column(home, held.lease_id, "owner", live_owner)
        # Live processes, this one included, are alive to any registry of the store.
        assert not service._ctx.owner_is_dead(service._ctx.owner())
        assert not ProcessRegistry(home).is_dead(service._ctx.owner())
        assert not ProcessRegistry(home).is_dead(live_owner)

        worker = LeaseWorker(service)
        worker.start()
        try:
            wait_for(
                lambda: all(
                    service._store.leases.get(lease.lease_id).state is LeaseState.FAILED  # type: ignore[union-attr]
                    for lease in (renamed, unregistered)
                ),
                "the dead owners' leases rolled back",
            )
            # The sweep that recovered those saw the held lease too, and left it alone.
            assert service._store.leases.get(held.lease_id).state is LeaseState.PENDING  # type: ignore[union-attr]
            assert held.iam_user_name in set(user_names(iam))
            assert not {renamed.iam_user_name, unregistered.iam_user_name} & set(user_names(iam))

            assert live.stdin is not None
            live.stdin.close()  # the owner exits: now its lease is an orphan
            live.wait(timeout=DEADLINE_SECONDS)
            wait_for(
                lambda: service._store.leases.get(held.lease_id).state is LeaseState.FAILED,  # type: ignore[union-attr]
                "the held lease rolled back once its owner died",
            )
        finally:
            worker.stop()
    finally:
        if live.poll() is None:
            os.kill(live.pid, signal.SIGKILL)
            live.wait()
    assert set(user_names(iam)) == set()
