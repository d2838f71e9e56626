"""One revoker across machines: two `workbench worker` processes on one PostgreSQL store.

Each worker has its own home folder (as on two machines), so nothing but the
database coordinates them: exactly one revokes; SIGKILL it, and the other
takes over and revokes what falls due, each lease once.
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FAST_KDF, PASSPHRASE, MotoServer, iam_client
from tests.e2e.conftest import WEBAPP
from tests.helpers import WORKBENCH, cli_env, run_cli, wait_for
from workbench.service import create_workbench, parse_location
from workbench.store import KdfParams


class Worker:
    """A `workbench worker` process whose event lines are read as they come."""

    def __init__(self, home: Path, url: str) -> None:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [*WORKBENCH, "worker"],
            env=cli_env(home, WORKBENCH_STORE=url),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def said(self, kind: str) -> bool:
        """Whether the worker has printed an event of `kind` (leader, standby, revoked...)."""
        while True:
            try:
                self.seen.append(self.lines.get_nowait())
            except queue.Empty:
                break
        return any(line.split()[1:2] == [kind] for line in self.seen if line.split())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def team_store(home: Path, aws: MotoServer, pg_url: str, tmp_path: Path) -> Iterator[str]:
    """A PostgreSQL store with engine aws on the embedded AWS and role webapp; its URL."""
    service = create_workbench(
        parse_location(pg_url, home), PASSPHRASE, kdf=KdfParams.fresh(**FAST_KDF)
    )
    service.engines.point_at(
        "aws", aws.url, access_key="AKIAROOTEXAMPLE", secret_key="root-secret-value-123"
    )
    service.roles.write("aws", "webapp", WEBAPP)
    service.close()
    yield pg_url


def _revoke_responses(home: Path, url: str) -> dict[str, int]:
    """Successful revocation responses in the audit trail, counted per lease id."""
    tail = run_cli(
        home, "audit", "tail", "-n", "100000", "--format", "json", "--path", "sys/leases/revoke",
        WORKBENCH_STORE=url,
    )  # fmt: skip
    assert tail.returncode == 0, tail.stderr
    counts: dict[str, int] = {}
    for line in tail.stdout.splitlines():
        entry = json.loads(line)
        if entry["type"] == "response" and not entry.get("error"):
            lease_id = entry["request"]["data"]["lease_id"]
            counts[lease_id] = counts.get(lease_id, 0) + 1
    return counts


def test_one_revoker_and_the_standby_takes_over_after_sigkill(
    home: Path, aws: MotoServer, team_store: str, tmp_path: Path
) -> None:
    workers = [Worker(tmp_path / f"machine-{n}", team_store) for n in (1, 2)]
    try:
        wait_for(
            lambda: (
                sum(w.said("leader") for w in workers) == 1
                and sum(w.said("standby") for w in workers) == 1
            ),
            "one worker leads, the other stands by",
        )
        leader = next(w for w in workers if w.said("leader"))
        standby = next(w for w in workers if w is not leader)

        # The leader revokes a lease on time while the other only stands by.
        first = _issue(home, team_store, "3s")
        wait_for(lambda: _state(home, team_store, first) == "revoked", "the leader revoked it")
        assert not standby.said("leader")

        second = _issue(home, team_store, "3s")
        leader.process.send_signal(signal.SIGKILL)
        leader.process.wait()
        wait_for(lambda: standby.said("leader"), "the standby took the revoker lock")
        wait_for(lambda: _state(home, team_store, second) == "revoked", "the standby revoked")
        revoked_at = time.time()
        expire_time = _expire_time(home, team_store, second)
        print(f"revoked {revoked_at - expire_time:.2f} s after expiry (takeover included)")
        assert iam_client(aws).list_users()["Users"] == []
        counts = _revoke_responses(home, team_store)
        assert counts == {first: 1, second: 1}  # each lease revoked once, by one worker
    finally:
        for worker in workers:
            worker.stop()


def _issue(home: Path, url: str, ttl: str) -> str:
    issued = run_cli(home, "creds", "webapp", "--ttl", ttl, "--format", "json", WORKBENCH_STORE=url)
    assert issued.returncode == 0, issued.stderr
    return str(json.loads(issued.stdout)["lease_id"])


def _lease(home: Path, url: str, lease_id: str) -> dict[str, Any]:
    listed = run_cli(home, "lease", "list", "--all", "--format", "json", WORKBENCH_STORE=url)
    assert listed.returncode == 0, listed.stderr
    return next(item for item in json.loads(listed.stdout) if item["id"] == lease_id)


def _state(home: Path, url: str, lease_id: str) -> str:
    return str(_lease(home, url, lease_id)["state"])


def _expire_time(home: Path, url: str, lease_id: str) -> float:
    from datetime import datetime

    text = _lease(home, url, lease_id)["expire_time"]
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
