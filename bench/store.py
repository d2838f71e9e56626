"""Store figures: unlock, encrypted lease writes/s and reads/s vs plain SQLite, and on PostgreSQL.

Run: .venv/bin/python bench/store.py [--writes 2000] [--rounds 7] [--profile]

Goal (issue 2): an encrypted lease write costs under 1.5x a plain one.
PostgreSQL column (issue 14, no goal): the same encrypted writes and reads on
a PgStore (team mode) on this machine, over a Unix socket, to the tests'
throwaway server (tests/pg_server.py: fsync and synchronous_commit off, so a
commit waits for no disk, as SQLite's WAL with synchronous=NORMAL does not
either). Each write is its own transaction under the store's write lock
(pg_advisory_xact_lock), as every store write is.

Encrypted: `store.leases.insert(lease)` with secret_key and session_token
set (each its own BEGIN IMMEDIATE ... COMMIT, as the store does), and
`store.leases.get(id, secrets=True)`.
Plain: a table made by sqlite-utils with the same columns, primary key and
indexes (secrets as plain text), WAL, synchronous=NORMAL, and the same
INSERT statement in its own BEGIN IMMEDIATE ... COMMIT; reads SELECT the
same columns by primary key into a dict. Both files live in one temp
folder and the sides run interleaved (A, B, B, A, ...), so noise hits
both alike; figures are medians over rounds. sqlite-utils' own
`table.insert()` / `table.get()` are shown too, for reference only.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import PASSPHRASE, line, median, pg_settings, postgres, verdict

from workbench.domain.models import CredentialType, Lease, LeaseState
from workbench.store import KdfParams, Store
from workbench.store.lease_columns import COLUMNS as _COLUMNS  # the lease table's column order
from workbench.store.pg import PgStore
from workbench.store.schema import MIGRATIONS

GOAL = 1.5


def make_lease(number: int) -> Lease:
    """A realistic active lease with both secret columns set."""
    now = time.time()
    return Lease(
        lease_id=f"aws/creds/webapp/{secrets.token_urlsafe(18)}",
        engine="aws",
        role="webapp",
        credential_type=CredentialType.IAM_USER,
        state=LeaseState.ACTIVE,
        issue_time=now,
        expire_time=now + 3600,
        max_expire_time=now + 12 * 3600,
        renewable=True,
        iam_user_name=f"wb-bench-webapp-{int(now)}-{number:08d}",
        iam_user_path="/",
        access_key_id="AKIA" + secrets.token_hex(8).upper(),
        secret_key=secrets.token_urlsafe(30),
        session_token=secrets.token_urlsafe(300),  # an STS-sized token
        updated_time=now,
    )


def plain_values(lease: Lease) -> list[Any]:
    """The lease's columns as the store writes them, but with the secrets in plaintext."""
    return [getattr(lease, column) for column in _COLUMNS]


class Plain:
    """The same table without encryption: the store's schema, WAL, synchronous=NORMAL."""

    INSERT = f"INSERT INTO leases ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
    SELECT = f"SELECT {', '.join(_COLUMNS)} FROM leases WHERE lease_id = ?"

    def __init__(self, path: Path) -> None:
        import sqlite_utils

        self.raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.raw.execute("PRAGMA journal_mode = WAL")
        self.raw.execute("PRAGMA synchronous = NORMAL")
        self.db = sqlite_utils.Database(self.raw)
        # The store's own schema (same columns, keys and indexes), minus the encryption.
        for migration in MIGRATIONS:
            migration(self.db)
        self.table = self.db.table("leases")

    def insert(self, lease: Lease) -> None:
        self.raw.execute("BEGIN IMMEDIATE")
        self.raw.execute(self.INSERT, plain_values(lease))
        self.raw.execute("COMMIT")

    def insert_sqlite_utils(self, lease: Lease) -> None:
        self.raw.execute("BEGIN IMMEDIATE")
        self.table.insert(dict(zip(_COLUMNS, plain_values(lease), strict=True)))
        self.raw.execute("COMMIT")

    def get(self, lease_id: str) -> dict[str, Any]:
        row = self.raw.execute(self.SELECT, (lease_id,)).fetchone()
        return dict(zip(_COLUMNS, row, strict=True))

    def get_sqlite_utils(self, lease_id: str) -> dict[str, Any]:
        return dict(self.table.get(lease_id))


def rate(action: Callable[[Any], Any], items: list[Any]) -> float:
    start = time.perf_counter()
    for item in items:
        action(item)
    return len(items) / (time.perf_counter() - start)


def unlock_times(open_store: Callable[[], Any], runs: int) -> float:
    """Median time of `open_store()` (an unlock with the store's KdfParams)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        opened = open_store()
        times.append(time.perf_counter() - start)
        opened.close()
    return median(times)


def profile_inserts(store: Any, count: int) -> str:
    leases = [make_lease(n) for n in range(count)]
    profiler = cProfile.Profile()
    profiler.enable()
    for lease in leases:
        store.leases.insert(lease)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(14)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=2000, help="writes per side per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--unlocks", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile the encrypted inserts")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, postgres() as server:
        folder = Path(tmp)
        home, url = folder / "unlock", server.new_database()
        # Default KdfParams on both, as `workbench init` makes a store.
        Store.create(home, PASSPHRASE).close()
        PgStore.create(url, PASSPHRASE).close()
        kdf = KdfParams.fresh()
        unlock = {
            "SQLite": unlock_times(lambda: Store.open(home, PASSPHRASE), args.unlocks),
            "PostgreSQL": unlock_times(lambda: PgStore.open(url, PASSPHRASE), args.unlocks),
        }

        store = Store.open(home, PASSPHRASE)
        pg = PgStore.open(url, PASSPHRASE)
        plain = Plain(folder / "plain.db")
        sides: dict[str, Callable[[Lease], Any]] = {
            "encrypted": store.leases.insert,
            "encrypted, PostgreSQL": pg.leases.insert,
            "plain": plain.insert,
            "plain, sqlite-utils API": plain.insert_sqlite_utils,
        }
        write_rates: dict[str, list[float]] = {name: [] for name in sides}
        read_rates: dict[str, list[float]] = {name: [] for name in sides}
        ids: dict[str, list[str]] = {name: [] for name in sides}
        readers: dict[str, Callable[[str], Any]] = {
            "encrypted": lambda lease_id: store.leases.get(lease_id, secrets=True),
            "encrypted, PostgreSQL": lambda lease_id: pg.leases.get(lease_id, secrets=True),
            "plain": plain.get,
            "plain, sqlite-utils API": plain.get_sqlite_utils,
        }
        # Warm-up: statement caches, the first WAL pages, the pool's connections.
        for name, insert in sides.items():
            warm = [make_lease(n) for n in range(200)]
            rate(insert, warm)
            ids[name].extend(lease.lease_id for lease in warm)
        order = list(sides)
        for number in range(args.rounds):
            batch = {name: [make_lease(n) for n in range(args.writes)] for name in sides}
            for name in order if number % 2 == 0 else reversed(order):
                write_rates[name].append(rate(sides[name], batch[name]))
                ids[name].extend(lease.lease_id for lease in batch[name])
            for name in order if number % 2 == 0 else reversed(order):
                sample = random.sample(ids[name], min(args.writes, len(ids[name])))
                read_rates[name].append(rate(readers[name], sample))

        def cost(rates: dict[str, list[float]], slow: str, fast: str) -> float:
            """Median over rounds of how many times longer `slow` takes than `fast`."""
            return median([f / s for s, f in zip(rates[slow], rates[fast], strict=True)])

        writes = {name: median(values) for name, values in write_rates.items()}
        reads = {name: median(values) for name, values in read_rates.items()}
        write_ratio = cost(write_rates, "encrypted", "plain")
        read_ratio = cost(read_rates, "encrypted", "plain")
        total = args.rounds * args.writes + 200
        print(
            f"store figures: {args.rounds} rounds x {args.writes:,} writes per side "
            f"({total:,} rows per table), medians; {pg_settings(server)}"
        )
        print(
            f"unlock: median of {args.unlocks} opens, argon2id {kdf.memory_cost_kib // 1024} MiB, "
            f"{kdf.iterations} passes, {kdf.lanes} lanes (default KdfParams)"
        )
        print(f"{'':<40}  {'SQLite':>22}  {'PostgreSQL':>22}  PostgreSQL / SQLite")
        encrypted = ("encrypted", "encrypted, PostgreSQL")

        def row(label: str, sqlite: str, postgresql: str, ratio: float) -> None:
            print(f"{label:<40}: {sqlite:>22}  {postgresql:>22}  {ratio:6.2f}x")

        row(
            "unlock (open, default KDF)",
            f"{unlock['SQLite'] * 1000:.1f} ms",
            f"{unlock['PostgreSQL'] * 1000:.1f} ms",
            unlock["PostgreSQL"] / unlock["SQLite"],
        )
        row(
            "encrypted lease writes/s (committed)",
            *(f"{writes[n]:,.0f} ({1e6 / writes[n]:.0f} us)" for n in encrypted),
            cost(write_rates, "encrypted, PostgreSQL", "encrypted"),
        )
        row(
            "encrypted lease reads/s (with secrets)",
            *(f"{reads[n]:,.0f} ({1e6 / reads[n]:.0f} us)" for n in encrypted),
            cost(read_rates, "encrypted, PostgreSQL", "encrypted"),
        )
        print("  (PostgreSQL column: no goal; cost ratios are medians of per-round ratios)")
        for name in ("plain", "plain, sqlite-utils API"):
            line(
                f"writes/s {name}",
                f"{writes[name]:10,.0f}   ({1e6 / writes[name]:6.1f} us each, committed)",
            )
        for name in ("plain", "plain, sqlite-utils API"):
            line(
                f"reads/s  {name}",
                f"{reads[name]:10,.0f}   ({1e6 / reads[name]:6.1f} us each)",
            )
        line(
            "write cost encrypted / plain (SQLite)",
            f"{write_ratio:6.2f}x  (goal < {GOAL}x: {verdict(write_ratio < GOAL)})",
        )
        line("read cost encrypted / plain (SQLite)", f"{read_ratio:6.2f}x  (no goal)")
        su_ratio = cost(write_rates, "encrypted", "plain, sqlite-utils API")
        line("write cost encrypted / sqlite-utils", f"{su_ratio:6.2f}x  (reference only)")
        if args.profile:
            print()
            print(profile_inserts(store, args.writes * 2))
            print(profile_inserts(pg, args.writes * 2))
        store.close()
        pg.close()
        plain.raw.close()


if __name__ == "__main__":
    main()
