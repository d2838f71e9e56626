"""`AuditLog.operation`: request before the body, response after, fail-closed."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from workbench.audit import AuditLog
from workbench.domain.errors import AuditFailure, NotFound
from workbench.store import Store


def types_and_ids(log: AuditLog) -> list[tuple[str, str]]:
    return [(r.entry["type"], r.entry["request"]["id"]) for r in log.entries()]


def test_request_entry_is_written_before_the_body_runs(log: AuditLog) -> None:
    with log.operation("update", "aws/creds/webapp") as op:
        assert types_and_ids(log) == [("request", op.request_id)]
    assert types_and_ids(log) == [("request", op.request_id), ("response", op.request_id)]


def test_pairs_share_a_request_id_and_differ_between_operations(log: AuditLog) -> None:
    with log.operation("update", "aws/creds/a"):
        pass
    with log.operation("update", "aws/creds/b"):
        pass
    ids = [request_id for _, request_id in types_and_ids(log)]
    assert ids[0] == ids[1] != ids[2] == ids[3]


def test_a_failing_body_gets_an_error_response_and_the_error_propagates(log: AuditLog) -> None:
    with pytest.raises(NotFound, match="role 'ghost' not found"):
        with log.operation("read", "aws/roles/ghost"):
            raise NotFound("role 'ghost' not found")
    response = list(log.entries())[-1].entry
    assert response["type"] == "response"
    assert response["error"] == "role 'ghost' not found"
    assert [r.seq for r in log.entries(errors_only=True)] == [2]


def test_op_fail_records_a_partial_failure_without_raising(log: AuditLog) -> None:
    with log.operation("update", "sys/leases/revoke-prefix/aws/creds/webapp") as op:
        op.respond(data={"revoked": 3})
        op.fail("2 leases could not be revoked; they are marked irrevocable")
    response = list(log.entries())[-1].entry
    assert response["error"].startswith("2 leases")
    assert response["response"]["data"] == {"revoked": 3}


def test_nested_operations_each_write_their_pair(log: AuditLog) -> None:
    with log.operation("update", "sys/leases/revoke-prefix/aws"):
        with log.operation("update", "sys/leases/revoke"):
            pass
    kinds = [(r.entry["type"], r.entry["request"]["path"]) for r in log.entries()]
    assert kinds == [
        ("request", "sys/leases/revoke-prefix/aws"),
        ("request", "sys/leases/revoke"),
        ("response", "sys/leases/revoke"),
        ("response", "sys/leases/revoke-prefix/aws"),
    ]
    assert log.verify().ok


def break_file_device(path: Path) -> None:
    """Make the device's file unwritable even for root: a directory in its place."""
    path.unlink()
    path.mkdir()


def test_an_unwritable_file_device_refuses_the_operation(log: AuditLog, tmp_path: Path) -> None:
    device_path = tmp_path / "audit.jsonl"
    log.enable_file_device(str(device_path))
    break_file_device(device_path)
    body_ran = []

    with pytest.raises(AuditFailure) as caught:
        with log.operation("update", "aws/creds/webapp", {"secret_key": "s3cr3t"}):
            body_ran.append(True)

    assert body_ran == []
    message = str(caught.value)
    assert "audit device 'file' could not write the request entry" in message
    assert str(device_path) in message
    assert "the operation was refused" in message
    assert "s3cr3t" not in message
    # The refusal itself is on record in the store's table, as a failed pair.
    failed = list(log.entries(errors_only=True))
    assert [r.entry["type"] for r in failed] == ["request", "response"]
    assert all("was refused" in r.entry["error"] for r in failed)
    assert failed[0].entry["request"]["path"] == "aws/creds/webapp"
    result = log.verify()
    assert result.chain_problem is None
    # The file the device held is gone, and verify says so.
    assert [d.problem for d in result.devices] == ["cannot read the file (Is a directory)"]


def test_operations_resume_when_the_device_is_writable_again(log: AuditLog, tmp_path: Path) -> None:
    device_path = tmp_path / "audit.jsonl"
    log.enable_file_device(str(device_path))
    break_file_device(device_path)
    with pytest.raises(AuditFailure):
        with log.operation("read", "aws/config/root"):
            pass
    device_path.rmdir()
    with log.operation("read", "aws/config/root"):
        pass
    assert len(device_path.read_text().splitlines()) == 2
    result = log.verify()
    assert result.chain_problem is None
    # The refused pair is known to have skipped the device; the enable's response
    # went down with the replaced file.
    problem = result.devices[0].problem or ""
    assert problem.startswith("line 1 is missing entry seq 2 (request ")
    assert problem.endswith("it holds entry seq 5")


def test_a_failing_store_table_refuses_the_operation(
    log: AuditLog, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*row: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store.audit, "append", full)
    with pytest.raises(AuditFailure, match=r"audit device 'store' .*disk is full.*refused"):
        with log.operation("update", "aws/creds/webapp"):
            pytest.fail("the body ran without an audit entry")


def test_a_response_that_cannot_be_written_withholds_the_result(
    log: AuditLog, tmp_path: Path
) -> None:
    device_path = tmp_path / "audit.jsonl"
    log.enable_file_device(str(device_path))
    with pytest.raises(AuditFailure, match="completed but its result is withheld"):
        with log.operation("update", "aws/creds/webapp") as op:
            break_file_device(device_path)
            op.respond(data={"secret_key": "s3cr3t"}, lease_id="aws/creds/webapp/x")
    last = list(log.entries())[-1].entry
    assert last["type"] == "response"
    assert "withheld" in last["error"]
    assert last["response"]["data"]["secret_key"].startswith("hmac-sha256:")


def test_appends_from_several_connections_form_one_chain(
    store: Store, home: Path, log: AuditLog
) -> None:
    from workbench.store import Store as StoreClass

    others = [StoreClass.open(home, "correct horse battery") for _ in range(3)]
    logs = [log, *(AuditLog(other, operator=f"op{n}") for n, other in enumerate(others))]

    def work(worker_log: AuditLog) -> None:
        for number in range(40):
            with worker_log.operation("update", f"aws/creds/r{number}"):
                pass

    threads = [threading.Thread(target=work, args=(each,)) for each in logs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        result = log.verify()
        assert result.ok, result.problem
        assert result.count == 4 * 40 * 2
    finally:
        for other in others:
            other.close()
