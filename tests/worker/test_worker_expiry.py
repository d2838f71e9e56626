"""A lease that outlives its TTL is the one failure this product exists to prevent."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FAST_KDF, PASSPHRASE, MotoServer, make_service
from tests.helpers import WORKBENCH, cli_env, run_cli, setup_cli_store
from workbench.domain.models import LeaseState
from workbench.service import Workbench
from workbench.store import KdfParams, Store
from workbench.worker import LeaseWorker, WorkerEvent


def wait_for(condition: Any, timeout: float = 15.0, step: float = 0.02) -> float:
    """Poll until `condition()` is true; returns the time it became true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.time()
        time.sleep(step)
    raise AssertionError("condition not met in time")


def user_exists(iam: Any, name: str) -> bool:
    return name in {u["UserName"] for u in iam.list_users()["Users"]}


@pytest.fixture
def worker(service: Workbench) -> Iterator[LeaseWorker]:
    running = LeaseWorker(service)
    yield running
    running.stop()


def _role(service: Workbench) -> None:
    service.write_role("aws", "webapp", {"credential_type": "iam_user"})


def test_worker_started_first_revokes_within_a_second(
    service: Workbench, iam: Any, worker: LeaseWorker
) -> None:
    _role(service)
    worker.start()
    wait_for(lambda: worker.is_leader)
    lease = service.issue("aws", "webapp", ttl="2s").lease
    assert user_exists(iam, lease.iam_user_name or "")
    gone = wait_for(lambda: not user_exists(iam, lease.iam_user_name or ""))
    assert gone - lease.expire_time <= 1.0
    assert gone >= lease.expire_time
    # The state is recorded right after DeleteUser returns.
    wait_for(lambda: service.store.leases.get(lease.lease_id).state is LeaseState.REVOKED)  # type: ignore[union-attr]


def test_worker_started_after_the_lease_expired_revokes_at_once(
    service: Workbench, iam: Any, worker: LeaseWorker
) -> None:
    _role(service)
    lease = service.issue("aws", "webapp", ttl="1s").lease
    time.sleep(1.5)
    started = time.time()
    worker.start()
    gone = wait_for(lambda: not user_exists(iam, lease.iam_user_name or ""))
    assert gone - started <= 1.0


def test_lease_written_by_another_process_is_noticed(
    home: Path, aws: MotoServer, iam: Any, tmp_path: Path
) -> None:
    setup_cli_store(home, aws)
    role_file = tmp_path / "r.json"
    role_file.write_text(json.dumps({"credential_type": "iam_user"}))
    assert run_cli(home, "role", "write", "webapp", "--file", str(role_file)).returncode == 0
    service = Workbench(Store.open(home, PASSPHRASE), operator="worker")
    running = LeaseWorker(service)
    running.start()
    try:
        wait_for(lambda: running.is_leader)
        issued = run_cli(home, "creds", "webapp", "--ttl", "2s", "--format", "json")
        assert issued.returncode == 0, issued.stderr
        lease_id = json.loads(issued.stdout)["lease_id"]
        lease = service.store.leases.get(lease_id)
        assert lease is not None
        gone = wait_for(lambda: not user_exists(iam, lease.iam_user_name or ""))
        assert gone - lease.expire_time <= 1.0
    finally:
        running.stop()
        service.close()


def test_headless_worker_process_revokes_and_stops_on_sigterm(
    home: Path, aws: MotoServer, iam: Any
) -> None:
    store = Store.create(home, PASSPHRASE, KdfParams.fresh(**FAST_KDF))
    service = make_service(store, aws)
    _role(service)
    proc = subprocess.Popen(
        [*WORKBENCH, "worker"],
        env=cli_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "leader" in proc.stdout.readline()
        lease = service.issue("aws", "webapp", ttl="2s").lease
        gone = wait_for(lambda: not user_exists(iam, lease.iam_user_name or ""))
        assert gone - lease.expire_time <= 1.0
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "revoked" in out
    service.close()


def test_sts_leases_expire_without_aws_calls(service: Workbench, worker: LeaseWorker) -> None:
    service.write_role("aws", "tok", {"credential_type": "session_token"})
    lease = service.issue("aws", "tok").lease
    clock = [time.time()]
    service.ctx.clock = lambda: clock[0]
    events: list[WorkerEvent] = []
    worker.on_event = events.append
    worker.start()
    wait_for(lambda: worker.is_leader)
    clock[0] = lease.expire_time + 0.1
    wait_for(lambda: service.store.leases.get(lease.lease_id).state is LeaseState.EXPIRED)  # type: ignore[union-attr]
    assert [e.kind for e in events if e.lease_id == lease.lease_id] == ["expired"]


def test_a_burst_of_expiries_is_revoked_concurrently(
    service: Workbench, iam: Any, worker: LeaseWorker
) -> None:
    _role(service)
    leases = [service.issue("aws", "webapp", ttl="2s").lease for _ in range(24)]
    worker.start()
    last = max(lease.expire_time for lease in leases)
    done = wait_for(lambda: iam.list_users()["Users"] == [], timeout=30)
    assert done - last <= 2.0
    wait_for(
        lambda: (
            {lease.state for lease in service.list_leases(include_history=True)}
            == {LeaseState.REVOKED}
        )
    )
