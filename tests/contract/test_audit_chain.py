"""The audit chain written by many threads at once through a real store, on both backends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSPHRASE, fast_kdf
from workbench.audit import AuditLog

WRITERS = 8
OPERATIONS_EACH = 10


@pytest.fixture(params=["sqlite", "postgresql"])
def real_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A store as `workbench init` makes it (key slot, HMAC key, migrations)."""
    if request.param == "sqlite":
        from workbench.store.sqlite import Store

        store: Any = Store.create(tmp_path / "home", PASSPHRASE, fast_kdf(), operator="alice")
    else:
        from workbench.store.pg import PgStore

        url = request.getfixturevalue("pg_url")
        store = PgStore.create(url, PASSPHRASE, fast_kdf(), operator="alice", home=tmp_path)
    yield store
    store.close()


def test_eight_threads_appending_make_one_chain_that_verifies(real_store: Any) -> None:
    log = AuditLog(real_store, operator="alice", fsync=False)
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def operator_at_work(n: int) -> None:
        start.wait()
        try:
            for i in range(OPERATIONS_EACH):
                with log.operation("read", f"aws/creds/role{n}", {"ttl": f"{i}m"}) as op:
                    op.respond(data={"access_key": f"AKIA{n}{i}"})
        except BaseException as error:  # shown below, not lost in the thread
            failures.append(error)

    threads = [threading.Thread(target=operator_at_work, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    result = log.verify()
    assert result.ok, result.problem
    # A request and a response per operation, numbered without a gap.
    assert result.count == WRITERS * OPERATIONS_EACH * 2
    seqs = [entry["seq"] for entry in real_store.audit.iterate()]
    assert seqs == list(range(1, WRITERS * OPERATIONS_EACH * 2 + 1))


def test_a_changed_entry_is_found_by_verify(real_store: Any) -> None:
    log = AuditLog(real_store, operator="alice", fsync=False)
    for n in range(3):
        with log.operation("read", f"aws/creds/r{n}"):
            pass
    real_store._conn.execute("UPDATE audit SET path = 'aws/creds/other' WHERE seq = 3")
    result = log.verify()
    assert not result.ok and result.bad_seq == 3


def _second_opening(store: Any, tmp_path: Path) -> Any:
    """The same store opened by another process (another workbench on the team)."""
    if store.dialect == "sqlite":
        from workbench.store.sqlite import Store

        return Store.open(store.home, PASSPHRASE, operator="alice")
    from workbench.store.pg import PgStore

    return PgStore.open(store.url, PASSPHRASE, operator="alice", home=tmp_path)


def test_a_device_another_process_adds_takes_the_very_next_entry(
    real_store: Any, tmp_path: Path
) -> None:
    """No entry slips past a device that was enabled before it (fail-closed auditing)."""
    mine = AuditLog(real_store, operator="alice", fsync=False)
    with mine.operation("read", "aws/creds/before"):
        pass  # the device list is read, and cached, here
    other_store = _second_opening(real_store, tmp_path)
    try:
        AuditLog(other_store, operator="bob", fsync=False).enable_file_device(
            str(tmp_path / "audit.log")
        )
        with mine.operation("read", "aws/creds/after"):
            pass
    finally:
        other_store.close()
    lines = (tmp_path / "audit.log").read_text().splitlines()
    assert any("aws/creds/after" in line for line in lines)
    assert mine.verify().ok
