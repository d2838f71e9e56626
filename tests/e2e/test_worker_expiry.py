"""A lease that outlives its TTL is the one failure this product exists to prevent."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FAST_KDF, PASSPHRASE, MotoServer, make_service
from tests.helpers import (
    run_cli,
    setup_cli_store,
    start_workbench,
    user_exists,
    wait_for,
)
from workbench.domain.models import LeaseState
from workbench.service import Workbench
from workbench.store import KdfParams, Store
from workbench.worker import LeaseWorker, WorkerEvent


@pytest.fixture
def worker(service: Workbench) -> Iterator[LeaseWorker]:
    running = LeaseWorker(service)
    yield running
    running.stop()


def _role(service: Workbench) -> None:
    service.roles.write("aws", "webapp", {"credential_type": "iam_user"})


def test_worker_revokes_at_expiry_and_not_before(
    service: Workbench, iam: Any, worker: LeaseWorker
) -> None:
    # The worker's clock is the service's: it stands still until the test moves it.
    clock = [time.time()]
    service._ctx.clock = lambda: clock[0]
    _role(service)
    worker.start()
    wait_for(lambda: worker.is_leader)
    lease = service.creds.issue("aws", "webapp", ttl="2s").lease
    passes = worker.status.passes
    wait_for(lambda: worker.status.passes >= passes + 3)  # several passes before expiry
    assert user_exists(iam, lease.iam_user_name or "")
    clock[0] = lease.expire_time + 0.01
    wait_for(lambda: not user_exists(iam, lease.iam_user_name or ""))
    # The state is recorded right after DeleteUser returns.
    wait_for(lambda: service._store.leases.get(lease.lease_id).state is LeaseState.REVOKED)  # type: ignore[union-attr]


def test_worker_started_after_the_lease_expired_revokes_at_once(
    service: Workbench, iam: Any, worker: LeaseWorker
) -> None:
    _role(service)
    lease = service.creds.issue("aws", "webapp", ttl="1s").lease
    time.sleep(1.5)
    assert user_exists(iam, lease.iam_user_name or "")  # nothing ran while it expired
    worker.start()
    wait_for(lambda: not user_exists(iam, lease.iam_user_name or ""))


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
        lease = service._store.leases.get(lease_id)
        assert lease is not None
        wait_for(lambda: not user_exists(iam, lease.iam_user_name or ""))
        wait_for(lambda: service._store.leases.get(lease_id).state is LeaseState.REVOKED)  # type: ignore[union-attr]
        revoked = service._store.leases.get(lease_id)
        assert revoked is not None and revoked.updated_time >= lease.expire_time
    finally:
        running.stop()
        service.close()


def test_headless_worker_process_revokes_and_stops_on_sigterm(
    home: Path, aws: MotoServer, iam: Any
) -> None:
    store = Store.create(home, PASSPHRASE, KdfParams.fresh(**FAST_KDF))
    service = make_service(store, aws)
    _role(service)
    proc = start_workbench(home, "worker")
    try:
        assert proc.stdout is not None
        assert "leader" in proc.stdout.readline()
        lease = service.creds.issue("aws", "webapp", ttl="2s").lease
        wait_for(lambda: not user_exists(iam, lease.iam_user_name or ""))
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "revoked" in out
    service.close()


def test_sts_leases_expire_without_aws_calls(service: Workbench, worker: LeaseWorker) -> None:
    service.roles.write("aws", "tok", {"credential_type": "session_token"})
    lease = service.creds.issue("aws", "tok").lease
    clock = [time.time()]
    service._ctx.clock = lambda: clock[0]
    events: list[WorkerEvent] = []
    worker.on_event = events.append
    worker.start()
    wait_for(lambda: worker.is_leader)
    clock[0] = lease.expire_time + 0.1
    wait_for(lambda: service._store.leases.get(lease.lease_id).state is LeaseState.EXPIRED)  # type: ignore[union-attr]
    assert [e.kind for e in events if e.lease_id == lease.lease_id] == ["expired"]


def test_a_burst_of_expiries_is_revoked_concurrently(
    service: Workbench, iam: Any, worker: LeaseWorker
) -> None:
    _role(service)
    for _ in range(24):
        service.creds.issue("aws", "webapp", ttl="2s")
    worker.start()
    wait_for(lambda: iam.list_users()["Users"] == [], timeout=60)
    # Concurrently: some revocation started before an earlier one had finished.
    order = [
        (record.entry["type"], record.entry["request"]["id"])
        for record in service.audit.entries(path_prefix="sys/leases/revoke")
    ]
    open_requests, overlapped = set(), False
    for kind, request_id in order:
        if kind == "request":
            overlapped |= bool(open_requests)
            open_requests.add(request_id)
        else:
            open_requests.discard(request_id)
    assert overlapped, order
    wait_for(
        lambda: (
            {lease.state for lease in service.leases.list(include_history=True)}
            == {LeaseState.REVOKED}
        )
    )
