"""SIGKILL at every step of issuing and revoking; after restart nothing is orphaned or lost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSPHRASE, MotoServer
from tests.helpers import role_with_everything, run_cli, setup_cli_store, wait_for
from workbench.domain.faults import ISSUE_FAULT_POINTS, REVOKE_FAULT_POINTS
from workbench.domain.models import LeaseState
from workbench.service import Workbench
from workbench.store import Store
from workbench.worker import LeaseWorker

ISSUE_STEPS = list(ISSUE_FAULT_POINTS)
REVOKE_STEPS = list(REVOKE_FAULT_POINTS)


@pytest.fixture
def crash_home(home: Path, aws: MotoServer, iam: Any, tmp_path: Path) -> Path:
    setup_cli_store(home, aws)
    role = role_with_everything(iam)
    role_file = tmp_path / "webapp.json"
    role_file.write_text(json.dumps(role))
    assert run_cli(home, "role", "write", "webapp", "--file", str(role_file)).returncode == 0
    return home


def _recover_and_check(home: Path, iam: Any, expected_leases: int) -> list[Any]:
    """Restart (a worker), then check the invariants; returns the leases."""
    service = Workbench(Store.open(home, PASSPHRASE), operator="restart")
    worker = LeaseWorker(service)
    worker.start()
    try:
        wait_for(
            lambda: (
                not service._store.leases.list(
                    states=frozenset({LeaseState.PENDING, LeaseState.REVOKING})
                )
            )
        )
    finally:
        worker.stop()
    leases = service.leases.list(include_history=True)
    users = {u["UserName"] for u in iam.list_users()["Users"]}
    live_users = {
        lease.iam_user_name
        for lease in leases
        if lease.state in {LeaseState.ACTIVE, LeaseState.PROPAGATING}
    }
    assert users == live_users, "an IAM user without a live lease, or a lease without its user"
    for name in users:
        assert len(iam.list_access_keys(UserName=name)["AccessKeyMetadata"]) == 1
    assert len(leases) == expected_leases, "a lease was lost"
    assert service.audit.verify().ok
    service.close()
    return leases


@pytest.mark.parametrize("step", ISSUE_STEPS)
def test_kill_while_issuing(crash_home: Path, iam: Any, step: str) -> None:
    killed = run_cli(crash_home, "creds", "webapp", WORKBENCH_FAULT=f"kill:{step}")
    assert killed.returncode == -9, killed.stderr
    (lease,) = _recover_and_check(crash_home, iam, expected_leases=1)
    # The client never received the keys, so the lease is failed, not active.
    assert lease.state is LeaseState.FAILED
    assert iam.get_group(GroupName="devs")["Users"] == []


@pytest.mark.parametrize("step", REVOKE_STEPS)
def test_kill_while_revoking(crash_home: Path, iam: Any, step: str) -> None:
    issued = run_cli(crash_home, "creds", "webapp", "--format", "json")
    lease_id = json.loads(issued.stdout)["lease_id"]
    run_cli(crash_home, "creds", "webapp")  # a bystander that must survive untouched
    killed = run_cli(crash_home, "lease", "revoke", lease_id, WORKBENCH_FAULT=f"kill:{step}")
    assert killed.returncode == -9, killed.stderr
    leases = _recover_and_check(crash_home, iam, expected_leases=2)
    states = {lease.lease_id: lease.state for lease in leases}
    assert states.pop(lease_id) is LeaseState.REVOKED
    assert list(states.values()) == [LeaseState.ACTIVE]
