"""The audit table and its devices on both backends: what `audit tail` and `audit verify` read."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.conftest import Backend
from workbench.domain.errors import StoreCorrupted


def _row(seq: int, path: str = "aws/creds/web", **fields: Any) -> dict[str, Any]:
    row = {
        "seq": seq,
        "time": 1000.0 + seq,
        "request_id": f"req-{seq}",
        "type": "request",
        "path": path,
        "operation": "read",
        "is_error": 0,
        "entry": f'{{"n": {seq}}}',
        "prev_hash": f"h{seq - 1}",
        "hash": f"h{seq}",
    }
    row.update(fields)
    return row


def test_an_appended_entry_is_the_new_head(backend: Backend) -> None:
    assert backend.audit.head() == (0, "")
    assert backend.audit.insert(_row(1)) == 1
    assert backend.audit.insert(_row(2)) == 2
    assert backend.audit.head() == (2, "h2")
    assert backend.audit.count() == 2


def test_the_trail_filters_by_path_operation_errors_and_newest(backend: Backend) -> None:
    backend.audit.insert(_row(1, "aws/creds/web"))
    backend.audit.insert(_row(2, "aws/creds/web", operation="update", is_error=1))
    backend.audit.insert(_row(3, "aws/creds/webapp"))
    backend.audit.insert(_row(4, "sys/leases/revoke"))
    backend.audit.insert(_row(5, "aws_x/creds/web"))

    def seqs(**filters: Any) -> list[int]:
        return [entry["seq"] for entry in backend.audit.iterate(**filters)]

    assert seqs() == [1, 2, 3, 4, 5]
    assert seqs(path_prefix="aws/creds/web") == [1, 2, 3]
    assert seqs(path_prefix="aws_") == [5]  # `_` is itself, not a wildcard
    assert seqs(operation="update") == [2]
    assert seqs(errors_only=True) == [2]
    assert seqs(newest=2) == [4, 5]
    assert seqs(after_seq=3) == [4, 5]
    entry = next(backend.audit.iterate(after_seq=1))
    assert entry == _row(2, "aws/creds/web", operation="update", is_error=1)


def test_a_long_trail_reads_whole_in_order(backend: Backend) -> None:
    with backend.conn.transaction():
        for seq in range(1, 5001):
            backend.audit.insert(_row(seq))
    assert [entry["seq"] for entry in backend.audit.iterate()] == list(range(1, 5001))
    chain = list(backend.audit.chain(after_seq=4990))
    assert [row[0] for row in chain] == list(range(4991, 5001))
    assert chain[-1] == (
        5000,
        "req-5000",
        "request",
        "aws/creds/web",
        "read",
        0,
        '{"n": 5000}',
        "h4999",
        "h5000",
    )
    assert len(list(backend.audit.chain())) == 5000


def test_the_trail_can_be_read_inside_a_write(backend: Backend) -> None:
    """An append reads the head and may walk the trail under the write lock."""
    backend.audit.insert(_row(1))
    with backend.conn.transaction():
        backend.audit.insert(_row(2))
        assert [entry["seq"] for entry in backend.audit.iterate()] == [1, 2]
        assert backend.audit.head() == (2, "h2")


def test_devices_are_added_once_listed_and_removed(backend: Backend) -> None:
    assert backend.audit.add_device("file", "file", {"file_path": "/var/log/a.log"}, 2.0)
    assert not backend.audit.add_device("file", "file", {"file_path": "/other"}, 3.0)
    assert backend.audit.add_device("early", "file", {"file_path": "/b", "from_seq": 4}, 1.0)
    devices = backend.audit.devices()
    assert [d["name"] for d in devices] == ["early", "file"]
    assert devices[1]["options"] == {"file_path": "/var/log/a.log"}
    assert backend.audit.remove_device("file")
    assert not backend.audit.remove_device("file")
    assert [d["name"] for d in backend.audit.devices()] == ["early"]


def test_a_damaged_device_is_named(backend: Backend) -> None:
    backend.audit.add_device("file", "file", {"file_path": "/a"}, 1.0)
    backend.conn.execute("UPDATE audit_devices SET options = '[1]'")
    with pytest.raises(StoreCorrupted, match="audit device 'file' has a damaged record"):
        backend.audit.devices()
