"""Team mode's coordination on a real PostgreSQL server: one revoker among processes,
takeover when the holder dies or loses its session, owners' liveness, the status row.

The holders are separate processes where it matters (a lock held by this test's
own process would say nothing about another machine's): each prints a line when
its state changes, and the test waits on those lines. The deadlines only stop a
hung test; the assertions are on order and outcome.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.helpers import HANG_GUARD_SECONDS, wait_for
from workbench.domain.errors import InvalidInput, StoreUnavailable, WorkbenchError
from workbench.store.pg_coord import (
    DEAD_AFTER_SECONDS,
    HELD_REGISTRY_SQL,
    registry_key,
    token_of,
)
from workbench.store.pg_registry import PgProcessRegistry
from workbench.store.pg_status import pg_lock_is_held, read_pg_status, write_pg_status
from workbench.store.pg_worker_lock import PgWorkerLock

ROOT = Path(__file__).resolve().parents[2]

# A worker's standby loop: says `held` or `standby` when that changes, then holds the
# lock until its stdin closes (or it is killed).
WORKER = """
import sys, time
from workbench.store.pg_worker_lock import PgWorkerLock
lock = PgWorkerLock(sys.argv[1])
lock.open()
said = None
while True:
    held = lock.try_acquire()
    if held != said:
        print("held" if held else "standby", flush=True)
        said = held
    if held:
        break
    time.sleep(0.05)
sys.stdin.read()
lock.release()
"""

# A process that writes leases: registers and prints its owner, then lives on.
REGISTERED = """
import sys
from workbench.store.pg_registry import PgProcessRegistry
registry = PgProcessRegistry(sys.argv[1])
print(registry.owner(), flush=True)
sys.stdin.read()
"""

# The same, forking a child that registers (and exits) while the parent lives on.
FORKING = """
import os, sys
from workbench.store.pg_registry import PgProcessRegistry
registry = PgProcessRegistry(sys.argv[1])
print(registry.owner(), flush=True)
child = os.fork()
if child == 0:
    print(registry.owner(), flush=True)
    os._exit(0)
os.waitpid(child, 0)
print(registry.owner(), flush=True)
sys.stdin.read()
"""


class Child:
    """A python -c process whose stdout lines arrive on a queue."""

    def __init__(self, script: str, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", script, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.pid = self.process.pid
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.strip())
        self._lines.put(None)

    def next_line(self) -> str:
        """The next line it prints (the deadline only stops a hung test)."""
        try:
            line = self._lines.get(timeout=HANG_GUARD_SECONDS)
        except queue.Empty:
            raise AssertionError(f"process {self.pid} printed nothing") from None
        if line is None:
            assert self.process.stderr is not None
            raise AssertionError(f"process {self.pid} ended: {self.process.stderr.read()}")
        return line

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(HANG_GUARD_SECONDS)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def children() -> Iterator[list[Child]]:
    started: list[Child] = []
    yield started
    for child in started:
        child.stop()


@pytest.fixture
def observer(pg_url: str) -> Iterator[PgProcessRegistry]:
    """Another process's view of the registry (this test's own)."""
    registry = PgProcessRegistry(pg_url)
    yield registry
    registry.close()


def start(children: list[Child], script: str, *args: str) -> Child:
    child = Child(script, *args)
    children.append(child)
    return child


def holder_of(url: str) -> dict[str, Any] | None:
    lock = PgWorkerLock(url)
    try:
        return lock.holder()
    finally:
        lock.release()


# -- one revoker -------------------------------------------------------------------


def test_exactly_one_of_two_workers_holds_the_lock_and_it_is_named(
    pg_url: str, children: list[Child]
) -> None:
    first = start(children, WORKER, pg_url)
    second = start(children, WORKER, pg_url)
    states = {first.pid: first.next_line(), second.pid: second.next_line()}

    assert sorted(states.values()) == ["held", "standby"]
    leader = next(pid for pid, state in states.items() if state == "held")
    holder = holder_of(pg_url)
    assert holder is not None
    assert (holder["host"], holder["pid"]) == (socket.gethostname(), leader)
    assert holder["client"] == "local socket"  # the tests' server listens on a socket only
    assert isinstance(holder["since"], float)
    assert PgWorkerLock(pg_url).holder_pid() == leader
    assert pg_lock_is_held(pg_url)


def test_a_killed_holder_frees_the_lock_for_the_standby(pg_url: str, children: list[Child]) -> None:
    leader = start(children, WORKER, pg_url)
    assert leader.next_line() == "held"
    standby = start(children, WORKER, pg_url)
    assert standby.next_line() == "standby"

    leader.kill()  # kill -9: no goodbye to the server

    assert standby.next_line() == "held"
    holder = holder_of(pg_url)
    assert holder is not None and holder["pid"] == standby.pid


def test_a_holder_whose_session_is_killed_stops_holding(pg_url: str) -> None:
    lock = PgWorkerLock(pg_url)
    assert lock.try_acquire() and lock.still_held()
    holder = lock.holder()
    assert holder is not None and holder["pid"] == os.getpid()
    other = PgWorkerLock(pg_url)
    assert not other.try_acquire()

    with psycopg.connect(pg_url, autocommit=True) as dba:  # a DBA killing connections
        dba.execute("SELECT pg_terminate_backend(%s, 60000)", (holder["backend_pid"],))

    assert lock.still_held() is False
    assert lock.held is False
    wait_for(other.try_acquire, "the other worker takes the freed lock")
    assert other.still_held()
    assert lock.try_acquire() is False  # the old holder stands by now
    other.release()
    lock.release()
    assert not pg_lock_is_held(pg_url)


# -- owners of leases ---------------------------------------------------------------


def test_an_owner_is_alive_while_its_process_runs_and_dead_once_killed(
    pg_url: str, children: list[Child], observer: PgProcessRegistry
) -> None:
    child = start(children, REGISTERED, pg_url)
    owner = child.next_line()
    host, pid, token = owner.rsplit(":", 2)
    assert (host, int(pid)) == (socket.gethostname(), child.pid)
    assert len(token) == 16 and int(token, 16) >= 0

    assert observer.is_dead(owner) is False
    assert observer.is_dead(observer.owner()) is False

    child.kill()

    wait_for(lambda: observer.is_dead(owner), "the killed process's owner is seen dead")
    assert observer.sweep() == 0  # nothing left behind to clean


def test_owners_without_a_registration_are_dead(observer: PgProcessRegistry) -> None:
    assert observer.is_dead(None) and observer.is_dead("")
    assert observer.is_dead(f"{socket.gethostname()}:{os.getpid()}")  # legacy host:pid
    assert observer.is_dead("otherhost:1:0123456789abcdef")  # never registered here
    assert observer.is_dead("garbage")


def test_a_closed_registry_leaves_and_its_owner_is_dead(
    pg_url: str, observer: PgProcessRegistry
) -> None:
    registry = PgProcessRegistry(pg_url)
    owner = registry.owner()
    assert registry.owner() == owner
    assert observer.is_dead(owner) is False

    registry.close()

    wait_for(lambda: observer.is_dead(owner), "a closed registry's owner is seen dead")


def _registry_backend(dba: psycopg.Connection[Any], owner: str) -> int | None:
    """The server pid whose session holds `owner`'s registry lock, if any."""
    key = registry_key(owner.rsplit(":", 1)[1])
    (backend,) = dba.execute(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1"
        " AND classid = %s::bigint::oid AND objid = %s::bigint::oid AND granted",
        (key >> 32, key & 0xFFFFFFFF),
    ).fetchone() or (None,)
    return backend


def test_a_process_whose_session_is_killed_takes_its_lock_again_and_stays_alive(
    pg_url: str, observer: PgProcessRegistry
) -> None:
    # A live process's session ended under it (a DBA, a server restart) must not make
    # the leases it holds mid-issue or mid-revoke look orphaned: another process would
    # take them over while it still works on them (the PostgreSQL soak's
    # kill_connections saw a lease revoked by two processes, its row written twice).
    registry = PgProcessRegistry(pg_url)
    owner = registry.owner()
    with psycopg.connect(pg_url, autocommit=True) as dba:  # a DBA killing its connection
        backend = _registry_backend(dba, owner)
        assert backend is not None
        dba.execute("SELECT pg_terminate_backend(%s, 60000)", (backend,))

        # Its keeper takes the same lock again on a new session, without being asked.
        wait_for(
            lambda: _registry_backend(dba, owner) not in (None, backend),
            "the registry lock taken again on a new session",
        )
    assert observer.is_dead(owner) is False
    assert registry.owner() == owner
    registry.close()  # the server ends the session when it sees the socket close
    wait_for(lambda: observer.is_dead(owner), "the closed registry's owner is seen dead")


def test_an_owner_whose_lock_is_free_for_a_moment_only_is_not_dead(
    pg_url: str, observer: PgProcessRegistry
) -> None:
    registry = PgProcessRegistry(pg_url)
    owner = registry.owner()
    key = registry_key(owner.rsplit(":", 1)[1])
    registry.close()  # free: the observer looks now...
    with psycopg.connect(pg_url, autocommit=True) as other:
        timer = threading.Timer(0.3, lambda: other.execute("SELECT pg_advisory_lock(%s)", (key,)))
        timer.start()  # ...and the lock is held again a moment later
        try:
            assert observer.is_dead(owner) is False
        finally:
            timer.join()


def test_a_session_ended_while_registering_is_replaced_once_then_a_clear_error(
    pg_url: str, observer: PgProcessRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The soak's kill_connections met a `workbench creds` dying with psycopg's traceback:
    # its registry session was ended between connecting and taking its lock.
    registry = PgProcessRegistry(pg_url)
    register = registry._register
    ended: list[int] = []

    def ended_first(conn: psycopg.Connection[Any]) -> None:
        if len(ended) < limit:
            ended.append(conn.info.backend_pid)
            with psycopg.connect(pg_url, autocommit=True) as dba:
                dba.execute("SELECT pg_terminate_backend(%s, 60000)", (ended[-1],))
        register(conn)

    monkeypatch.setattr(registry, "_register", ended_first)
    limit = 1
    owner = registry.owner()  # on a second session
    assert len(ended) == 1 and observer.is_dead(owner) is False
    registry.close()

    registry = PgProcessRegistry(pg_url)
    register = registry._register
    monkeypatch.setattr(registry, "_register", ended_first)
    ended.clear()
    limit = 2  # ended again on the second session: a one-line StoreUnavailable
    with pytest.raises(StoreUnavailable, match="cannot register this process") as raised:
        registry.owner()
    assert "\n" not in str(raised.value)
    registry.close()


def test_owners_dead_together_are_confirmed_in_one_wait(
    pg_url: str, observer: PgProcessRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    registries = [PgProcessRegistry(pg_url) for _ in range(3)]
    owners = [registry.owner() for registry in registries]
    for registry in registries:
        registry.close()  # three processes gone at once (a host lost)
    # Their sessions end on the server a moment after the client closes them.
    keys = {registry_key(token) for owner in owners if (token := token_of(owner))}
    with psycopg.connect(pg_url, autocommit=True) as conn:
        wait_for(
            lambda: not keys & {row[0] for row in conn.execute(HELD_REGISTRY_SQL)},
            "the three sessions to end on the server",
        )

    # Count the waits this thread makes (the order of events, not the clock).
    me, sleep, waits = threading.get_ident(), time.sleep, []

    def counted(seconds: float) -> None:
        if threading.get_ident() == me:
            waits.append(seconds)
        sleep(seconds)

    monkeypatch.setattr(time, "sleep", counted)
    assert [observer.is_dead(owner) for owner in owners] == [True, True, True]
    # One DEAD_AFTER_SECONDS wait for all three, not one each: a worker recovering
    # their leases is not held up a second per dead owner.
    assert len(waits) <= 1 and sum(waits) <= DEAD_AFTER_SECONDS


def test_a_forked_child_registers_as_itself_and_leaves_its_parent_registered(
    pg_url: str, children: list[Child], observer: PgProcessRegistry
) -> None:
    parent = start(children, FORKING, pg_url)
    before, in_child, after = parent.next_line(), parent.next_line(), parent.next_line()

    assert after == before  # the child's exit did not end the parent's session
    assert int(in_child.split(":")[1]) != parent.pid
    assert in_child.rsplit(":", 1)[1] != before.rsplit(":", 1)[1]
    assert observer.is_dead(before) is False
    wait_for(lambda: observer.is_dead(in_child), "the exited child's owner is seen dead")


# -- status -------------------------------------------------------------------------


def a_status(**changes: Any) -> dict[str, Any]:
    now = time.time()
    status = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": now - 30,
        "last_pass": now,
        "passes": 42,
        "due": 1,
        "in_flight": 0,
        "revoked": 7,
        "unreadable": [],
        "errors": [{"time": now - 3, "message": "a pass failed (throttled); retrying"}],
        "stopped": None,
    }
    return {**status, **changes}


def test_status_round_trip_says_what_workbench_status_shows(pg_url: str) -> None:
    report = read_pg_status(pg_url)  # a new store: no revoker, no row, no table
    assert (report["running"], report["healthy"], report["holder"]) == (False, False, None)
    assert report["problem"] == "no revoker is running for this store"

    lock = PgWorkerLock(pg_url)
    assert lock.try_acquire()
    write_pg_status(pg_url, a_status())
    report = read_pg_status(pg_url)

    assert report["running"] and report["healthy"] and "problem" not in report
    assert (report["pid"], report["host"]) == (os.getpid(), socket.gethostname())
    assert (report["passes"], report["due"], report["revoked"]) == (42, 1, 7)
    assert report["errors"][0]["message"] == "a pass failed (throttled); retrying"
    assert report["holder"]["pid"] == os.getpid()
    assert 0 <= report["last_pass_age"] < 15
    assert json.loads(json.dumps(report)) == report  # `status --format json` prints it

    write_pg_status(pg_url, a_status(last_pass=time.time() - 60))
    report = read_pg_status(pg_url)
    assert report["running"] and not report["healthy"]
    assert report["problem"] == "the revoker holds the lock but has not made a pass recently"

    write_pg_status(pg_url, a_status(stopped="RuntimeError: boom"))
    assert read_pg_status(pg_url)["problem"] == "the revoker's loop stopped: RuntimeError: boom"

    lock.release()
    report = read_pg_status(pg_url)
    assert not report["running"] and not report["healthy"]
    assert report["problem"] == "no revoker is running for this store"
    assert report["revoked"] == 7  # the last leader's figures stay readable


def test_a_row_left_by_the_previous_leader_is_not_the_new_leaders_health(pg_url: str) -> None:
    write_pg_status(pg_url, a_status(pid=1, host="old-leader"))
    lock = PgWorkerLock(pg_url)
    assert lock.try_acquire()

    report = read_pg_status(pg_url)

    assert report["running"] and not report["healthy"]
    assert report["holder"]["pid"] == os.getpid() and report["pid"] == 1
    lock.release()


def test_a_writer_whose_clock_is_an_hour_ahead_still_looks_healthy(pg_url: str) -> None:
    lock = PgWorkerLock(pg_url)
    assert lock.try_acquire()
    write_pg_status(pg_url, a_status())  # makes the table
    ahead = time.time() + 3600
    body = json.dumps(a_status(last_pass=ahead - 2, written=ahead))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        # Written now by the server's clock, as write_pg_status does: only the body's
        # own clock is an hour ahead.
        conn.execute(
            "UPDATE worker_status SET body = %s,"
            " written_time = extract(epoch FROM clock_timestamp())::float8",
            (body,),
        )

    report = read_pg_status(pg_url)

    assert report["healthy"] and 2 <= report["last_pass_age"] < 15
    lock.release()


def test_a_damaged_status_row_is_reported_not_raised(pg_url: str) -> None:
    write_pg_status(pg_url, a_status())
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE worker_status SET body = 'not json{'")

    report = read_pg_status(pg_url)

    assert "worker_status row cannot be read" in report["status_file_error"]
    assert not report["healthy"]


# -- an unreachable server ----------------------------------------------------------

UNREACHABLE = "postgresql://bob:Sup3r-s3cret@/wb?host=/nonexistent-wb-socket-dir"


def test_an_unreachable_server_is_a_clear_error_without_the_password() -> None:
    lock = PgWorkerLock(UNREACHABLE)
    with pytest.raises(StoreUnavailable) as raised:
        lock.open()
    message = str(raised.value)
    assert isinstance(raised.value, WorkbenchError)  # the CLI prints it on one line, exit 1
    assert "cannot reach the PostgreSQL store" in message and "Sup3r-s3cret" not in message
    assert "\n" not in message
    assert lock.try_acquire() is False  # a standby keeps polling
    assert lock.holder_pid() is None
    with pytest.raises(StoreUnavailable):
        pg_lock_is_held(UNREACHABLE)

    report = read_pg_status(UNREACHABLE)
    assert (report["running"], report["healthy"]) == (False, False)
    assert "cannot reach" in report["problem"] and "Sup3r-s3cret" not in json.dumps(report)


def test_a_malformed_url_is_invalid_input_without_the_password() -> None:
    with pytest.raises(InvalidInput) as raised:
        PgWorkerLock("postgresql://bob:s3c%zzret@/wb?host=/nonexistent").open()
    assert "s3c" not in str(raised.value)
