"""Lease list figures with 100,000 leases: `workbench lease list` and the TUI's first paint,
on PostgreSQL and on SQLite.

Run: .venv/bin/python bench/lease_list.py [--live 10000] [--ended 90000] [--runs 5] [--paints 3]

Both stores hold the same rows: `--live` live leases (mostly active, some
pending, revoking, irrevocable; secrets sealed) issued within the last hour,
and `--ended` ones (revoked, expired, failed; secrets erased, the revocation
record kept) issued over the last 30 days. They are made with the default
KdfParams, as `workbench init` makes a store, so unlocking costs what it costs
a user (~0.2-0.3 s, on purpose). PostgreSQL is the tests' throwaway server
(tests/pg_server.py) on a Unix socket on this machine.

- `workbench lease list` (live leases only, the default; table format) run as
  a user runs it: a fresh process, WORKBENCH_PASSPHRASE and WORKBENCH_STORE
  from the environment, its output read from a pipe, its modules' bytecode
  compiled by a warm-up run (in a temporary PYTHONPYCACHEPREFIX). Wall time is the median
  of `--runs` runs of the installed `workbench` script; the same number of
  runs through a wrapper that times the unlock's key derivation
  (KdfParams.derive) split it into: start to unlock (interpreter, imports,
  connecting, reading the key slot), the KDF, and after the KDF (the lease
  and unreadable-row queries, the table, the output, exit); the goal's figure
  is each wrapped run's wall time less its own KDF, median. The backends
  alternate run by run.
- The TUI's first paint: the app on an unlocked service, headless at 140x40,
  from creating the app to the first lease row drawn (bench/tui.py's method:
  the lease list read in the pane's worker), median of `--paints`, after one
  untimed paint (the TUI's modules imported).
- The store's own calls, in this process: `leases.list()` (live) and
  `leases.unreadable()`, medians of 5.

Goal (issue 14): `lease list` minus the KDF, and the first paint, <= 0.5 s on
both backends.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import PASSPHRASE, ROOT, line, median, pg_settings, postgres, verdict
from tui import painted

GOAL = 0.5
SQLITE, POSTGRESQL = "SQLite", "PostgreSQL"
ROLES = ("webapp", "analytics", "backup", "deploy", "ci")
WRAPPED = r"""
import json, sys, time
from workbench.store.crypto import KdfParams

spans = []
derive = KdfParams.derive


def timed(self, passphrase):
    began = time.time()
    try:
        return derive(self, passphrase)
    finally:
        spans.append((began, time.time()))


KdfParams.derive = timed
from workbench.cli import main

try:
    main(["lease", "list"])
finally:
    print(json.dumps(spans), file=sys.stderr, flush=True)
"""


def make_leases(live: int, ended: int) -> Any:
    """The rows both stores get: live ones in the last hour, ended ones over 30 days."""
    from workbench.domain.models import CredentialType, Lease, LeaseState

    now = time.time()
    live_states = (LeaseState.ACTIVE,) * 17 + (
        LeaseState.PENDING,
        LeaseState.REVOKING,
        LeaseState.IRREVOCABLE,
    )
    ended_states = (LeaseState.REVOKED,) * 6 + (LeaseState.EXPIRED,) * 3 + (LeaseState.FAILED,)
    created = {"inline_policy": True, "policy_arns": [], "groups": []}
    for index in range(live + ended):
        role = ROLES[index % len(ROLES)]
        is_live = index >= ended  # the newest are the live ones
        if is_live:
            issued = now - 3000 + (index - ended) * 2400 / max(1, live)
            state = live_states[index % len(live_states)]
        else:
            issued = now - 30 * 86400 + index * (29 * 86400) / max(1, ended)
            state = ended_states[index % len(ended_states)]
        yield Lease(
            lease_id=f"aws/creds/{role}/{index:024d}",
            engine="aws",
            role=role,
            credential_type=CredentialType.IAM_USER,
            state=state,
            issue_time=issued,
            expire_time=issued + 3600,
            max_expire_time=issued + 43200,
            renewable=True,
            iam_user_name=f"wb-alice-{role}-{int(issued)}-{index:08d}",
            iam_user_path="/",
            access_key_id=f"AKIA{index:016d}",
            secret_key=f"secret-{index:034d}" if is_live else None,
            error="AccessDenied on DeleteUser" if state is LeaseState.IRREVOCABLE else None,
            updated_time=issued + (0 if is_live else 3600),
            issued_by=("alice", "bob", "carol")[index % 3],
            created=created,
            revocation=None
            if is_live
            else {"path": "minimal", "calls": ["UpdateAccessKey", "DeleteUser"]},
        )


def seed(where: Any, live: int, ended: int) -> float:
    """A store at `where` (default KdfParams) with the bench's leases; seconds it took."""
    from workbench.service import create_workbench

    began = time.perf_counter()
    service = create_workbench(where, PASSPHRASE, label="bench")
    store = service._ctx.store
    with store.transaction():
        for lease in make_leases(live, ended):
            store.leases.insert(lease)
    # A store that grew to 100,000 leases has planner statistics (autovacuum's ANALYZE, or
    # `store copy`'s): PostgreSQL then takes the unreadable rows' partial index.
    store.refresh_statistics()
    service.close()
    return time.perf_counter() - began


def cli_env(store: str, home: Path, pycache: Path) -> dict[str, str]:
    """A user's environment: the passphrase and the store, and compiled bytecode (as an
    installed package has; this machine's PYTHONDONTWRITEBYTECODE would make every run
    compile its modules again)."""
    env = {**os.environ, "WORKBENCH_PASSPHRASE": PASSPHRASE, "WORKBENCH_STORE": store}
    env["WORKBENCH_HOME"] = str(home)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("WORKBENCH_OPERATOR", None)
    env.pop("COLUMNS", None)
    return env


def run_cli(command: list[str], env: dict[str, str], rows: int) -> tuple[float, str]:
    """One `lease list` process: its wall time and its stderr; checks it listed `rows` rows."""
    began = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    wall = time.perf_counter() - began
    if done.returncode:
        raise SystemExit(f"lease list failed: {done.stderr[-2000:]}")
    listed = done.stdout.count("\n") - 2  # the header and the rule under it
    if listed != rows:
        raise SystemExit(f"lease list printed {listed} rows, not {rows}")
    return wall, done.stderr


def cli_figures(
    stores: dict[str, tuple[str, Path]], runs: int, rows: int, pycache: Path
) -> dict[str, Any]:
    """Per backend: wall times of the real script, and (start, KDF, after) of wrapped runs."""
    script = [str(Path(sys.executable).with_name("workbench")), "lease", "list"]
    wrapped = [sys.executable, "-c", WRAPPED]
    figures: dict[str, Any] = {name: {"wall": [], "split": [], "derives": 0} for name in stores}
    for store, home in stores.values():  # warm-up: the page cache, the .pyc files
        run_cli(script, cli_env(store, home, pycache), rows)
    for number in range(runs):
        order = list(stores) if number % 2 == 0 else list(reversed(stores))
        for name in order:
            store, home = stores[name]
            env = cli_env(store, home, pycache)
            figures[name]["wall"].append(run_cli(script, env, rows)[0])
            launched = time.time()
            wall, err = run_cli(wrapped, env, rows)
            ended = launched + wall
            spans = json.loads(err.strip().splitlines()[-1])
            figures[name]["derives"] = len(spans)
            first, last = spans[0][0], spans[-1][1]
            kdf = sum(end - begin for begin, end in spans)
            figures[name]["split"].append((first - launched, kdf, ended - last, wall - kdf))
    return figures


async def paint_times(service: Any, home: Path, count: int) -> tuple[list[float], int]:
    """First paint, `count` times (a fresh app each), and how many rows the table holds."""
    from workbench.tui.lease_table import LeaseTable

    times = []
    rows = 0
    for _ in range(count):
        async with painted(service, home) as (seconds, app, pilot):
            times.append(seconds)
            await app.workers.wait_for_complete()
            rows = app.screen.query_one(LeaseTable).lease_count
            await pilot.pause(0.3)  # the other panes mounted before the app exits
    return times, rows


def store_calls(service: Any) -> dict[str, float]:
    """Medians of the store's own calls behind both: the live list and the unreadable rows."""
    leases = service._ctx.store.leases
    calls: dict[str, Callable[[], Any]] = {"list": leases.list, "unreadable": leases.unreadable}
    figures = {}
    for name, call in calls.items():
        times = []
        for _ in range(5):
            began = time.perf_counter()
            call()
            times.append(time.perf_counter() - began)
        figures[name] = median(times)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--live", type=int, default=10_000)
    parser.add_argument("--ended", type=int, default=90_000)
    parser.add_argument("--runs", type=int, default=5, help="lease list runs per backend and way")
    parser.add_argument("--paints", type=int, default=3, help="first paints per backend")
    args = parser.parse_args()

    from workbench.service import open_workbench, parse_location

    started = time.perf_counter()
    load = os.getloadavg()
    print(
        f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)"
    )
    with tempfile.TemporaryDirectory() as tmp, postgres() as server:
        folder = Path(tmp)
        os.environ["WORKBENCH_HOME"] = str(folder / "pg-home")
        stores = {
            POSTGRESQL: (server.new_database(), folder / "pg-home"),
            SQLITE: (str(folder / "sqlite"), folder / "sqlite"),
        }
        seeded = {}
        for name, (store, home) in stores.items():
            seeded[name] = seed(parse_location(store, home), args.live, args.ended)
        cli = cli_figures(stores, args.runs, args.live, folder / "pycache")

        paints: dict[str, list[float]] = {name: [] for name in stores}
        calls: dict[str, dict[str, float]] = {}
        shown: dict[str, int] = {}
        services = {
            name: open_workbench(parse_location(store, home), PASSPHRASE)
            for name, (store, home) in stores.items()
        }
        # One untimed paint first: the TUI's modules imported and compiled, for both alike.
        asyncio.run(paint_times(services[SQLITE], stores[SQLITE][1], 1))
        for number in range(args.paints):  # alternating backends, one paint at a time
            for name in list(stores) if number % 2 == 0 else list(reversed(stores)):
                times, shown[name] = asyncio.run(paint_times(services[name], stores[name][1], 1))
                paints[name] += times
        for name, service in services.items():
            calls[name] = store_calls(service)
            service.close()

        total = args.live + args.ended
        print(
            f"\nlease list with {total:,} leases in the table ({args.live:,} live, "
            f"{args.ended:,} ended); {pg_settings(server)}"
        )
        print(
            "seeded in "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in seeded.items())
            + " (one transaction each, the repository's insert)"
        )
        names = (SQLITE, POSTGRESQL)
        print(f"{'':<52}{SQLITE:>12}{POSTGRESQL:>12}")

        def row(label: str, values: list[float], unit: str = "s") -> None:
            cells = "".join(f"{value:>10.3f} {unit}" for value in values)
            print(f"{label:<52}{cells}")

        wall = {name: median(cli[name]["wall"]) for name in names}
        split = {
            name: [median([s[part] for s in cli[name]["split"]]) for part in range(4)]
            for name in names
        }
        row(f"`workbench lease list` wall, median of {args.runs}", [wall[n] for n in names])
        row("  wrapped: start to unlock (imports, connect, slot)", [split[n][0] for n in names])
        row(
            f"  wrapped: unlock KDF ({cli[SQLITE]['derives']} derive, on purpose)",
            [split[n][1] for n in names],
        )
        row("  wrapped: after the KDF (queries, table, exit)", [split[n][2] for n in names])
        # Each wrapped run's wall less its own KDF (the KDF's time varies run to run).
        without = {name: split[name][3] for name in names}
        row("  wrapped: wall minus its KDF (the goal's figure)", [without[n] for n in names])
        row(f"TUI first paint ({shown[SQLITE]:,} rows), median", [median(paints[n]) for n in names])
        row("  slowest", [max(paints[n]) for n in names])
        row("store: leases.list() (live), in process", [calls[n]["list"] for n in names])
        row("store: leases.unreadable(), in process", [calls[n]["unreadable"] for n in names])
        for name in names:
            line(
                f"{name}: lease list minus KDF / first paint",
                f"{without[name]:.3f} s / {median(paints[name]):.3f} s (goal <= {GOAL} s each: "
                f"{verdict(without[name] <= GOAL and median(paints[name]) <= GOAL)})",
            )
        line(
            "PostgreSQL / SQLite",
            f"lease list minus KDF {without[POSTGRESQL] / without[SQLITE]:.2f}x, first paint "
            f"{median(paints[POSTGRESQL]) / median(paints[SQLITE]):.2f}x",
        )
    print(f"total run time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
