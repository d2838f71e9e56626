"""Tamper evidence: `audit verify` names the entry changed, removed, inserted or moved."""

from __future__ import annotations

import sqlite3

import pytest

from workbench.audit import AuditLog, chain_hash

OPERATIONS = 10  # 20 entries: a request and a response each
ENTRIES = 2 * OPERATIONS
_ROW_COLUMNS = "time, request_id, type, path, operation, is_error, entry, prev_hash, hash"


@pytest.fixture
def chain(log: AuditLog) -> AuditLog:
    for number in range(OPERATIONS):
        with log.operation("update", f"aws/creds/role{number}", {"ttl": "15m"}) as op:
            op.respond(data={"access_key": f"AKIA{number}", "secret_key": f"s{number}"})
    assert log.verify().ok
    return log


def row(db: sqlite3.Connection, seq: int) -> tuple[object, ...]:
    sql = f"SELECT {_ROW_COLUMNS} FROM audit WHERE seq = ?"
    return tuple(db.execute(sql, (seq,)).fetchone())


def put_row(db: sqlite3.Connection, seq: int, values: tuple[object, ...]) -> None:
    db.execute(
        f"INSERT OR REPLACE INTO audit (seq, {_ROW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, *values),
    )


def forge(seq: int, prev_hash: str) -> tuple[object, ...]:
    """A well-formed row at `seq` whose hash is right for `prev_hash` (anyone can compute it)."""
    entry = '{"error":"","request":{"path":"aws/creds/forged"},"type":"request"}'
    entry_hash = chain_hash(
        seq, prev_hash, "request", "forged-id", "aws/creds/forged", "update", 0, entry
    )
    return (
        0.0,
        "forged-id",
        "request",
        "aws/creds/forged",
        "update",
        0,
        entry,
        prev_hash,
        entry_hash,
    )


def stored_hash(db: sqlite3.Connection, seq: int) -> str:
    return str(db.execute("SELECT hash FROM audit WHERE seq = ?", (seq,)).fetchone()[0])


def test_an_intact_chain_reports_count_and_head(
    chain: AuditLog, raw_db: sqlite3.Connection
) -> None:
    result = chain.verify()
    assert result.ok
    assert result.problem is None
    assert result.count == ENTRIES
    assert result.head_seq == ENTRIES
    assert result.head_hash == stored_hash(raw_db, ENTRIES)


def test_an_empty_log_verifies(log: AuditLog) -> None:
    result = log.verify()
    assert (result.ok, result.count, result.head_hash) == (True, 0, "")


@pytest.mark.parametrize("seq", range(1, ENTRIES + 1))
def test_one_byte_changed_in_any_entry_is_named(
    chain: AuditLog, raw_db: sqlite3.Connection, seq: int
) -> None:
    (text,) = raw_db.execute("SELECT entry FROM audit WHERE seq = ?", (seq,)).fetchone()
    position = text.index("role")  # inside the path: "role3" -> "rolf3"
    changed = text[:position] + "rolf" + text[position + 4 :]
    raw_db.execute("UPDATE audit SET entry = ? WHERE seq = ?", (changed, seq))

    result = chain.verify()
    assert not result.ok
    assert result.bad_seq == seq
    assert f"entry seq {seq} " in (result.problem or "")
    assert "changed" in (result.problem or "")


@pytest.mark.parametrize(
    "column", ["path", "operation", "type", "is_error", "request_id", "prev_hash"]
)
def test_a_changed_column_is_named(
    chain: AuditLog, raw_db: sqlite3.Connection, column: str
) -> None:
    value = {"path": "aws/creds/x", "operation": "read", "type": "response", "is_error": 1}.get(
        column, "0" * 64
    )
    raw_db.execute(f"UPDATE audit SET {column} = ? WHERE seq = 7", (value,))
    result = chain.verify()
    assert (result.ok, result.bad_seq) == (False, 7)
    assert "changed" in (result.problem or "")


@pytest.mark.parametrize("seq", range(1, ENTRIES + 1))
def test_any_removed_entry_is_named(chain: AuditLog, raw_db: sqlite3.Connection, seq: int) -> None:
    raw_db.execute("DELETE FROM audit WHERE seq = ?", (seq,))
    result = chain.verify()
    assert not result.ok
    assert result.bad_seq == seq
    assert f"entry seq {seq} was removed" in (result.problem or "")


def test_truncating_the_newest_entries_is_named(
    chain: AuditLog, raw_db: sqlite3.Connection
) -> None:
    raw_db.execute("DELETE FROM audit WHERE seq > ?", (ENTRIES - 3,))
    result = chain.verify()
    assert (result.ok, result.bad_seq) == (False, ENTRIES - 2)
    assert f"entry seq {ENTRIES - 2}..{ENTRIES} was removed" in (result.problem or "")


def test_a_removal_stays_visible_after_new_entries(
    chain: AuditLog, raw_db: sqlite3.Connection
) -> None:
    raw_db.execute("DELETE FROM audit WHERE seq = ?", (ENTRIES,))
    with chain.operation("read", "aws/config/root"):
        pass
    result = chain.verify()
    assert (result.ok, result.bad_seq) == (False, ENTRIES)
    assert "removed" in (result.problem or "")


def test_a_forged_entry_appended_is_named(chain: AuditLog, raw_db: sqlite3.Connection) -> None:
    put_row(raw_db, ENTRIES + 1, forge(ENTRIES + 1, stored_hash(raw_db, ENTRIES)))
    result = chain.verify()
    assert (result.ok, result.bad_seq) == (False, ENTRIES + 1)
    assert f"entry seq {ENTRIES + 1} (request forged-id) was inserted" in (result.problem or "")


def test_a_forged_entry_stays_outside_the_chain_after_new_entries(
    chain: AuditLog, raw_db: sqlite3.Connection
) -> None:
    put_row(raw_db, ENTRIES + 1, forge(ENTRIES + 1, stored_hash(raw_db, ENTRIES)))
    with chain.operation("read", "aws/config/root"):
        pass
    result = chain.verify()
    assert (result.ok, result.bad_seq) == (False, ENTRIES + 1)
    assert "inserted" in (result.problem or "")


@pytest.mark.parametrize("seq", [1, 6, ENTRIES])
def test_a_forged_entry_inserted_in_the_middle_is_named(
    chain: AuditLog, raw_db: sqlite3.Connection, seq: int
) -> None:
    for later in range(ENTRIES, seq - 1, -1):  # make room: shift seq.. up by one
        raw_db.execute("UPDATE audit SET seq = seq + 1 WHERE seq = ?", (later,))
    previous = stored_hash(raw_db, seq - 1) if seq > 1 else ""
    put_row(raw_db, seq, forge(seq, previous))

    result = chain.verify()
    assert (result.ok, result.bad_seq) == (False, seq)
    assert f"entry seq {seq} (request forged-id) was inserted" in (result.problem or "")


def test_a_badly_forged_entry_in_the_middle_is_named(
    chain: AuditLog, raw_db: sqlite3.Connection
) -> None:
    for later in range(ENTRIES, 8, -1):
        raw_db.execute("UPDATE audit SET seq = seq + 1 WHERE seq = ?", (later,))
    values = forge(9, "f" * 64)
    put_row(raw_db, 9, (*values[:-1], "0" * 64))
    result = chain.verify()
    assert (result.ok, result.bad_seq) == (False, 9)


@pytest.mark.parametrize(("first", "second"), [(4, 11), (7, 8), (1, ENTRIES)])
def test_two_swapped_entries_are_named(
    chain: AuditLog, raw_db: sqlite3.Connection, first: int, second: int
) -> None:
    first_row, second_row = row(raw_db, first), row(raw_db, second)
    put_row(raw_db, first, second_row)
    put_row(raw_db, second, first_row)

    result = chain.verify()
    assert (result.ok, result.bad_seq) == (False, first)
    assert f"entry seq {first} " in (result.problem or "")
    assert f"reordered: it was written as seq {second}" in (result.problem or "")


def test_a_changed_head_is_reported(chain: AuditLog, raw_db: sqlite3.Connection) -> None:
    raw_db.execute(
        "UPDATE meta SET value = replace(value, '\"seq\": 20', '\"seq\": 18') "
        "WHERE key = 'audit_head'"
    )
    result = chain.verify()
    assert not result.ok
    assert "authenticated head" in (result.problem or "")


def test_a_deleted_head_is_reported(chain: AuditLog, raw_db: sqlite3.Connection) -> None:
    raw_db.execute("DELETE FROM meta WHERE key = 'audit_head'")
    result = chain.verify()
    assert not result.ok
    assert "authenticated head" in (result.problem or "")
    assert "missing" in (result.problem or "")


def test_verify_follows_entries_appended_while_it_runs(chain: AuditLog) -> None:
    store = chain._store
    original = store.audit.chain
    appended = []

    def chain_then_append(*, after_seq: int = 0):  # type: ignore[no-untyped-def]
        rows = list(original(after_seq=after_seq))
        if not appended:
            appended.append(True)
            with chain.operation("read", "aws/config/root"):
                pass
        return iter(rows)

    store.audit.chain = chain_then_append  # type: ignore[method-assign]
    result = chain.verify()
    assert result.ok, result.problem
    assert result.count == ENTRIES + 2
