"""Issue figures: iam_user issue+revoke via the service (SQLite, PostgreSQL) vs bare; team mode.

(a) one cycle at a time in one process; (b) 8 operator processes at once on
one store vs one process.

Run: .venv/bin/python bench/issue.py [--cycles 200] [--rounds 10] [--latency-ms 50]
     [--processes 8] [--seconds 10] [--skip-cycles | --skip-team]

(a) One process, one cycle at a time, against one in-process moto
    ThreadedMotoServer over loopback HTTP with identically configured clients.
    Service: `Workbench.creds.issue` then `Workbench.leases.revoke` (audit to the
    store table only), on a SQLite store in a temp dir and on a PostgreSQL
    store (team mode: the tests' throwaway server, tests/pg_server.py, on a Unix
    socket on this machine). Bare: CreateUser, PutUserPolicy, CreateAccessKey,
    then the revocation's calls (UpdateAccessKey Inactive, DeleteAccessKey,
    DeleteUserPolicy, DeleteUser). Every side is warmed up first, and the script
    counts the IAM calls of each side to show they match. Rounds rotate which
    side goes first; figures are medians over rounds.
    Goals: service (SQLite) <= 1.10x bare (issue 3: encryption, store writes and
    audit appends add at most 10 %); service on PostgreSQL <= 1.2x on SQLite
    (issue 14).
(b) Team mode: `--processes` operators, each its own process (bench/issue_agent.py)
    with its own key slot and its own service, issuing and revoking at once on
    one store for `--seconds`, vs one such process alone; on a PostgreSQL store
    and on a SQLite store. The AWS side is `workbench embedded-aws` in its own
    process (so it is not the bottleneck of one Python process), sleeping
    `--latency-ms` before serving each IAM call, as a real IAM endpoint takes
    20-50 ms: the figure reflects a deployment, where each cycle mostly waits.
    Goal (issue 14): on PostgreSQL, no error and throughput >= 4x one process.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import (
    FAST_KDF,
    PASSPHRASE,
    ROLE,
    ROOT,
    CallCounter,
    Moto,
    bare_create,
    bare_iam,
    bare_revoke,
    embedded_aws,
    guarded_policy,
    line,
    make_service,
    median,
    percentile,
    pg_settings,
    postgres,
    verdict,
)

from workbench.service import parse_location

GOAL = 1.10
PG_GOAL = 1.2  # a cycle on PostgreSQL / the same cycle on SQLite
TEAM_GOAL = 4.0  # throughput of `--processes` processes / one process, PostgreSQL
TTL = "1h"
BARE_PATH = "/bench-bare/"
AWS = "AWS calls (create_user + revoke_user)"
AGENT = Path(__file__).with_name("issue_agent.py")
SQLITE, POSTGRESQL = "SQLite", "PostgreSQL"


def service_cycle(service: Any) -> None:
    issued = service.creds.issue("aws", ROLE, ttl=TTL)
    service.leases.revoke(issued.lease.lease_id)


def bare_cycle(iam: Any, policy: str) -> None:
    name = f"bare-{secrets.token_hex(6)}"
    key = bare_create(iam, name, BARE_PATH, policy)
    bare_revoke(iam, name, key)


def timed(cycle: Callable[[], None], count: int) -> float:
    """Milliseconds per cycle."""
    start = time.perf_counter()
    for _ in range(count):
        cycle()
    return (time.perf_counter() - start) * 1000 / count


class Breakdown:
    """Wraps the service's store, audit and AWS steps with timers (a separate pass)."""

    def __init__(self, service: Any) -> None:
        import workbench.aws.iam_revoke as aws_revoke
        import workbench.aws.iam_user as aws_iam

        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._undo: list[Callable[[], None]] = []
        store = service._ctx.store
        self._wrap(service._ctx.audit, "_append", "audit appends (entry + HMAC + chain + commit)")
        for method in ("insert", "update", "claim"):
            self._wrap(store.leases, method, "lease writes (encrypt + commit)")
        self._wrap(store.leases, "get", "store reads (lease, engine, role)")
        self._wrap(store.engines, "get", "store reads (lease, engine, role)")
        self._wrap(store.roles, "get", "store reads (lease, engine, role)")
        self._wrap(aws_iam, "create_user", AWS)
        self._wrap(aws_revoke, "revoke_user", AWS)

    def _wrap(self, owner: Any, attribute: str, category: str) -> None:
        original = getattr(owner, attribute)
        had_own = attribute in vars(owner)

        def timed_call(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[category] = (
                    self.seconds.get(category, 0.0) + time.perf_counter() - start
                )
                self.calls[category] = self.calls.get(category, 0) + 1

        setattr(owner, attribute, timed_call)
        if had_own:
            self._undo.append(lambda: setattr(owner, attribute, original))
        else:
            self._undo.append(lambda: delattr(owner, attribute))

    def close(self) -> None:
        for undo in reversed(self._undo):
            undo()


def breakdown(label: str, service: Any, cycles: int) -> None:
    """Where one service cycle's time goes (`cycles` instrumented cycles)."""
    timers = Breakdown(service)
    instrumented = timed(lambda: service_cycle(service), cycles)
    timers.close()
    print(f"breakdown of a service cycle on {label} ({cycles} cycles, {instrumented:.1f} ms each):")
    accounted = 0.0
    for category, seconds in sorted(timers.seconds.items(), key=lambda kv: -kv[1]):
        ms = seconds * 1000 / cycles
        accounted += ms
        calls = timers.calls[category] / cycles
        line(f"  {category}", f"{ms:7.2f} ms  ({calls:.0f} per cycle)", width=52)
    line("  everything else (service code)", f"{instrumented - accounted:7.2f} ms", width=52)


# -- (a) one process: SQLite, PostgreSQL and bare side by side ---------------------------


def cycles(args: argparse.Namespace, server: Any, folder: Path) -> None:
    per_round = max(1, args.cycles // args.rounds)
    moto = Moto()
    services = {
        SQLITE: make_service(folder / "cycles", moto.url),
        POSTGRESQL: make_service(parse_location(server.new_database(), folder / "pg"), moto.url),
    }
    bare = bare_iam(moto.url)
    policy = guarded_policy(time.time() + 3600)
    sides: dict[str, Callable[[], None]] = {
        f"service, {SQLITE}": lambda: service_cycle(services[SQLITE]),
        f"service, {POSTGRESQL}": lambda: service_cycle(services[POSTGRESQL]),
        "bare boto3": lambda: bare_cycle(bare, policy),
    }
    for run in sides.values():
        timed(run, args.warmup)

    # One counted cycle each: every side must make the same IAM calls.
    counted: dict[str, dict[str, int]] = {}
    for name, run in sides.items():
        if name == "bare boto3":
            counter = CallCounter(bare)
        else:
            service = services[name.split(", ")[1]]
            clients = service._ctx.clients(service._ctx.engine("aws"))
            counter = CallCounter(clients.iam, clients.client("iam-once"))
        run()
        counted[name] = dict(counter.counts)
        counter.close()

    per_cycle: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for number in range(args.rounds):
        shift = number % len(names)
        for name in names[shift:] + names[:shift]:
            per_cycle[name].append(timed(sides[name], per_round))

    def ratios(slow: str, fast: str) -> list[float]:
        return [s / f for s, f in zip(per_cycle[slow], per_cycle[fast], strict=True)]

    service_bare = ratios(f"service, {SQLITE}", "bare boto3")
    pg_sqlite = ratios(f"service, {POSTGRESQL}", f"service, {SQLITE}")
    print(
        f"(a) {args.rounds} rounds x {per_round} cycles per side "
        f"({args.rounds * per_round} iam_user issue+revoke cycles each), one at a time, medians; "
        f"moto server {moto.url} in this process, no injected latency"
    )
    first = counted[names[0]]
    same = all(calls == first for calls in counted.values())
    line(
        "IAM calls per cycle (" + " / ".join(names) + ")",
        " / ".join(str(sum(calls.values())) for calls in counted.values())
        + ("  (same operations)" if same else "  (DIFFERENT: see below)"),
        width=60,
    )
    if not same:
        for name, calls in counted.items():
            line(f"  {name}", str(sorted(calls.items())), width=60)
    for name in names:
        line(f"{name} cycle", f"{median(per_cycle[name]):7.1f} ms", width=60)
    sqlite_ms, bare_ms = median(per_cycle[f"service, {SQLITE}"]), median(per_cycle["bare boto3"])
    pg_ms = median(per_cycle[f"service, {POSTGRESQL}"])
    line("extra cost of the service (SQLite)", f"{sqlite_ms - bare_ms:7.1f} ms per cycle", width=60)
    line("extra cost of PostgreSQL over SQLite", f"{pg_ms - sqlite_ms:7.1f} ms per cycle", width=60)
    ratio = median(service_bare)
    line(
        "ratio service (SQLite) / bare",
        f"{ratio:7.3f}   (goal <= {GOAL}: {verdict(ratio <= GOAL)}); per round "
        f"{min(service_bare):.3f} .. {max(service_bare):.3f}",
        width=60,
    )
    ratio = median(pg_sqlite)
    line(
        "ratio service PostgreSQL / SQLite",
        f"{ratio:7.3f}   (goal <= {PG_GOAL}: {verdict(ratio <= PG_GOAL)}); per round "
        f"{min(pg_sqlite):.3f} .. {max(pg_sqlite):.3f}",
        width=60,
    )
    for label, service in services.items():
        breakdown(label, service, args.breakdown_cycles)
        service.close()
    moto.stop()


# -- (b) team mode: processes at once on one store ----------------------------------------


def machine_cpu() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [float(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / tick, sum(fields) / tick


def process_cpu(pid: int) -> float:
    """user + system CPU seconds of one process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (float(fields[11]) + float(fields[12])) / os.sysconf("SC_CLK_TCK")


def team_store(where: Any, info: dict[str, str], operators: int) -> None:
    """A store for the team figures: engine `aws` on the embedded AWS, the bench role, and
    one key slot per operator (op1 .. opN, each unlocking as themselves)."""
    from workbench.store import KdfParams

    keys = (info["access_key"], info["secret_key"])
    service = make_service(where, info["endpoint"], keys=keys, operator="op1")
    for number in range(2, operators + 1):
        service.operators.add(f"op{number}", PASSPHRASE, kdf=KdfParams.fresh(**FAST_KDF))
    service.close()


def run_agents(store: str, home: Path, count: int, seconds: float, aws_pid: int) -> dict[str, Any]:
    """`count` agent processes on one store for `seconds`, started together; what they did."""
    env = {**os.environ, "WORKBENCH_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("WORKBENCH_STORE", None)
    agents = []
    for number in range(1, count + 1):
        agent = subprocess.Popen(
            [sys.executable, str(AGENT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        config = {
            "store": store,
            "home": str(home),
            "operator": f"op{number}",
            "passphrase": PASSPHRASE,
            "engine": "aws",
            "role": ROLE,
            "ttl": TTL,
        }
        assert agent.stdin is not None
        agent.stdin.write(json.dumps(config) + "\n")
        agent.stdin.flush()
        agents.append(agent)
    for agent in agents:
        assert agent.stdout is not None
        if not agent.stdout.readline():
            _, err = agent.communicate(timeout=30)
            raise SystemExit(f"an agent did not start: {err[-2000:]}")
    start = time.time() + 0.3
    window = json.dumps({"start": start, "seconds": seconds}) + "\n"
    busy, total = machine_cpu()
    aws_cpu = process_cpu(aws_pid)
    for agent in agents:
        assert agent.stdin is not None
        agent.stdin.write(window)
        agent.stdin.flush()
    results = []
    for agent in agents:
        out, err = agent.communicate(timeout=seconds + 120)
        if agent.returncode:
            raise SystemExit(f"an agent failed ({agent.returncode}): {err[-2000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    busy_end, total_end = machine_cpu()
    aws_cpu = process_cpu(aws_pid) - aws_cpu
    elapsed = max(result["elapsed"] for result in results)
    done = sum(result["cycles"] for result in results)
    times = [ms for result in results for ms in result["cycle_ms"]]
    cores = os.cpu_count() or 1
    return {
        "cycles": done,
        "errors": sum(result["errors"] for result in results),
        "samples": sorted({text for result in results for text in result["error_samples"]}),
        "rate": done / elapsed if elapsed else 0.0,
        "p50": percentile(times, 0.5) if times else 0.0,
        "p99": percentile(times, 0.99) if times else 0.0,
        "machine": (busy_end - busy) / (total_end - total) * cores,
        "agents": sum(result["cpu"] for result in results) / elapsed,
        "aws": aws_cpu / elapsed,
        "elapsed": elapsed,
    }


def live_left(store: str, home: Path) -> int:
    """Live leases of the bench role left in the store (every cycle revokes its own)."""
    from workbench.service import open_workbench

    service = open_workbench(parse_location(store, home), PASSPHRASE, operator="op1")
    try:
        return len(service.leases.list(f"aws/creds/{ROLE}/"))
    finally:
        service.close()


def team(args: argparse.Namespace, server: Any, folder: Path) -> None:
    with embedded_aws(args.latency_ms) as (aws_pid, info):
        stores = {
            POSTGRESQL: (server.new_database(), folder / "team-pg"),
            SQLITE: (str(folder / "team-sqlite"), folder / "team-sqlite"),
        }
        for store, home in stores.values():
            team_store(parse_location(store, home), info, args.processes)
        figures: dict[tuple[str, int], dict[str, Any]] = {}
        many = args.processes
        plan = [(POSTGRESQL, 1), (SQLITE, 1), (SQLITE, many), (POSTGRESQL, many)]
        for backend, count in plan:
            store, home = stores[backend]
            figures[backend, count] = run_agents(store, home, count, args.seconds, aws_pid)
        left = {backend: live_left(*stores[backend]) for backend in stores}
        print(
            f"(b) team mode: operator processes issuing and revoking at once on one store, "
            f"{args.seconds:g} s each; AWS: `workbench embedded-aws --no-auth --iam-latency-ms "
            f"{args.latency_ms:g}` (pid {aws_pid}) at {info['endpoint']}, {args.latency_ms:g} ms "
            "slept before serving each IAM call (real IAM takes 20-50 ms), 7 IAM calls a cycle"
        )
        print(
            f"    each process: bench/issue_agent.py, its own operator key slot and service, one "
            f"cycle at a time; {pg_settings(server)}"
        )
        header = ("", "cycles/s", "cycles", "errors", "cycle p50/p99 ms", "CPU: all/agents/aws")
        print("    {:<26}{:>9}{:>8}{:>8}{:>19}{:>22}".format(*header))
        for (backend, count), result in sorted(figures.items()):
            label = f"{backend}, {count} process{'es' if count > 1 else ''}"
            cpu = f"{result['machine']:.2f}/{result['agents']:.2f}/{result['aws']:.2f} cores"
            print(
                f"    {label:<26}{result['rate']:9.1f}{result['cycles']:8d}{result['errors']:8d}"
                f"{result['p50']:10.0f} / {result['p99']:<6.0f}{cpu:>22}"
            )
        for result in figures.values():
            for sample in result["samples"]:
                print(f"    error: {sample}")
        line("    live leases left (PostgreSQL / SQLite)", f"{left[POSTGRESQL]} / {left[SQLITE]}")
        for backend in (POSTGRESQL, SQLITE):
            one, several = figures[backend, 1], figures[backend, many]
            speedup = several["rate"] / one["rate"] if one["rate"] else 0.0
            errors = one["errors"] + several["errors"]
            if backend == POSTGRESQL:
                ok = speedup >= TEAM_GOAL and errors == 0 and left[backend] == 0
                goal = f"goal >= {TEAM_GOAL:g}x with no error: {verdict(ok)}"
            else:
                goal = "for comparison"
            line(
                f"    {backend}: {many} processes / 1",
                f"{speedup:5.2f}x throughput, {errors} errors ({goal})",
            )
        pg_many, sqlite_many = figures[POSTGRESQL, many]["rate"], figures[SQLITE, many]["rate"]
        line(
            f"    {many} processes: PostgreSQL / SQLite",
            f"{pg_many / sqlite_many if sqlite_many else 0.0:5.2f}x throughput",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=200, help="(a) cycles per side (all rounds)")
    parser.add_argument("--rounds", type=int, default=10, help="(a) interleaved rounds")
    parser.add_argument("--warmup", type=int, default=5, help="(a) untimed cycles per side")
    parser.add_argument(
        "--breakdown-cycles", type=int, default=40, help="(a) instrumented service cycles"
    )
    parser.add_argument("--processes", type=int, default=8, help="(b) operator processes")
    parser.add_argument("--seconds", type=float, default=10.0, help="(b) window per run")
    parser.add_argument(
        "--latency-ms", type=float, default=50.0, help="(b) embedded-aws latency per IAM call"
    )
    parser.add_argument("--skip-cycles", action="store_true", help="run (b) only")
    parser.add_argument("--skip-team", action="store_true", help="run (a) only")
    args = parser.parse_args()

    started = time.perf_counter()
    load = os.getloadavg()
    print(
        f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)"
    )
    with tempfile.TemporaryDirectory() as tmp, postgres() as server:
        folder = Path(tmp)
        os.environ["WORKBENCH_HOME"] = str(folder / "home")  # a PgStore's machine-local folder
        if not args.skip_cycles:
            cycles(args, server, folder)
        if not args.skip_team:
            team(args, server, folder)
    print(f"total run time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
