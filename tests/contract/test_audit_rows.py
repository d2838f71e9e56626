"""The audit table and its devices on both backends: what `audit tail` and `audit verify` read."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.conftest import Backend
from workbench.domain.errors import StoreCorrupted


def _head(backend: Backend) -> str | None:
    rows = backend.conn.query("SELECT value FROM meta WHERE key = 'audit_head'")
    return rows[0][0] if rows else None


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


def test_an_append_moves_the_signed_head_with_the_row_and_its_link_reads_both(
    backend: Backend,
) -> None:
    """What an append reads and writes under the write lock (one round trip each on
    PostgreSQL): the last row, the signed head in meta and the enabled devices."""
    empty = backend.audit.link("audit_head")
    assert (empty.table_seq, empty.table_hash, empty.head) == (0, "", None)
    assert empty.devices == (None if backend.name == "sqlite" else [])
    backend.audit.add_device("file", "file", {"file_path": "/var/log/a.log", "from_seq": 3}, 2.5)
    backend.audit.add_device("early", "file", {"file_path": "/b"}, 1.0)
    with backend.conn.transaction():
        backend.audit.append(_row(1), "audit_head", '{"seq": 1}')
        backend.audit.append(_row(2), "audit_head", '{"seq": 2}')
    link = backend.audit.link("audit_head")
    assert (link.table_seq, link.table_hash, link.head) == (2, "h2", '{"seq": 2}')
    if backend.name == "postgresql":  # with the link, in the same round trip
        assert link.devices == backend.audit.devices()
        assert [d["name"] for d in link.devices] == ["early", "file"]
        assert link.devices[1]["options"] == {"file_path": "/var/log/a.log", "from_seq": 3}
        assert link.devices[1]["created_time"] == 2.5
    assert _head(backend) == '{"seq": 2}'
    assert next(backend.audit.iterate(after_seq=1)) == _row(2)


def test_an_append_refused_by_the_table_leaves_the_head_where_it_was(backend: Backend) -> None:
    backend.audit.append(_row(1), "audit_head", '{"seq": 1}')
    with pytest.raises(Exception):  # noqa: B017 - each backend's own integrity error
        backend.audit.append(_row(1, request_id="again"), "audit_head", '{"seq": "forged"}')
    assert _head(backend) == '{"seq": 1}'
    assert backend.audit.count() == 1


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
