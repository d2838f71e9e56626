"""Audit figures: durable appends/s (each entry committed) and verify entries/s.

Run: .venv/bin/python bench/audit.py [--entries 100000]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from workbench.audit import AuditLog, chain_hash
from workbench.audit.redact import Hasher
from workbench.audit.verify import HEAD_META_KEY, head_meta_value
from workbench.store import KdfParams, Store

FAST_KDF = KdfParams.fresh(memory_cost_kib=1024, iterations=1, lanes=1)
CREDS_REQUEST = {"ttl": "15m", "role_arn": None}
CREDS_RESPONSE = {
    "access_key": "AKIAIOSFODNN7EXAMPLE",
    "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "session_token": None,
}


def appends_per_second(log: AuditLog, operations: int) -> float:
    """Entries per second through AuditLog.operation (two committed entries each)."""
    start = time.perf_counter()
    for number in range(operations):
        with log.operation("update", "aws/creds/webapp", CREDS_REQUEST) as op:
            op.respond(data=CREDS_RESPONSE, lease_id=f"aws/creds/webapp/{number:08d}")
    return 2 * operations / (time.perf_counter() - start)


def fill(store: Store, log: AuditLog, entries: int) -> None:
    """Bulk-load a realistic chain (one transaction) so verify has something to walk."""
    with log.operation("update", "aws/creds/webapp", CREDS_REQUEST) as op:
        op.respond(data=CREDS_RESPONSE, lease_id="aws/creds/webapp/template")
    template = next(store.audit.iterate(newest=1))
    text, request_id = template["entry"], template["request_id"]
    last_seq, prev_hash = store.audit.head()
    rows = []
    for seq in range(last_seq + 1, entries + 1):
        entry_hash = chain_hash(
            seq, prev_hash, "response", request_id, "aws/creds/webapp", "update", 0, text
        )
        columns = (request_id, "response", "aws/creds/webapp", "update", 0, text)
        rows.append((seq, time.time(), *columns, prev_hash, entry_hash))
        prev_hash = entry_hash
        last_seq = seq
    conn = sqlite3.connect(store.path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute(
        "UPDATE meta SET value = ? WHERE key = ?",
        (head_meta_value(Hasher(store.hmac_key), last_seq, prev_hash), HEAD_META_KEY),
    )
    conn.execute("COMMIT")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--operations", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        store = Store.create(home, "bench passphrase", FAST_KDF)
        log = AuditLog(store, operator="bench")

        table_only = appends_per_second(log, args.operations)
        log.enable_file_device(str(Path(folder) / "audit.jsonl"))
        with_file = appends_per_second(log, args.operations)
        log.disable_device("file")
        unsynced = AuditLog(store, operator="bench", fsync=False)
        unsynced.enable_file_device(str(Path(folder) / "audit2.jsonl"))
        file_no_fsync = appends_per_second(unsynced, args.operations)
        unsynced.disable_device("file")

        fill(store, log, args.entries)
        store.checkpoint()
        rates = []
        for _ in range(3):
            start = time.perf_counter()
            result = log.verify()
            elapsed = time.perf_counter() - start
            assert result.ok, result.problem
            rates.append(result.count / elapsed)
        rates.sort()
        print(f"appends, store table only      : {table_only:10,.0f} entries/s (each committed)")
        print(f"appends, + file device (fsync) : {with_file:10,.0f} entries/s")
        print(f"appends, + file device (flush) : {file_no_fsync:10,.0f} entries/s")
        per_issue_ms = 2 / with_file * 1000
        print(
            f"audit cost per operation       : {per_issue_ms:10.2f} ms (request+response, file on)"
        )
        print(
            f"verify                         : {rates[1]:10,.0f} entries/s "
            f"(median of 3 walks over {result.count:,} entries; best {rates[2]:,.0f})"
        )
        store.close()


if __name__ == "__main__":
    main()
