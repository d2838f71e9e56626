"""Issue figures: iam_user issue+revoke cycles through the service vs the same bare boto3 calls.

Run: .venv/bin/python bench/issue.py [--cycles 200] [--rounds 10]

Goal (issue 3): a service cycle costs <= 1.10x the bare cycle, i.e.
encryption, store writes and audit appends add at most 10 %.

Both sides talk to one in-process moto ThreadedMotoServer over loopback HTTP
with identically configured clients. Service: `Workbench.issue` then
`Workbench.revoke` (store in a temp dir, audit to the store table only).
Bare: CreateUser, PutUserPolicy, CreateAccessKey, then the listing/deletion
calls `workbench.aws.iam_user.delete_user` makes. Both sides are warmed up
first (the service's one-off ListServiceSpecificCredentials probe happens
there), and the script counts the IAM calls of each side to show they match.
Rounds alternate which side goes first; figures are medians over rounds.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import (
    ROLE,
    CallCounter,
    Moto,
    bare_create,
    bare_delete,
    bare_iam,
    guarded_policy,
    line,
    make_service,
    median,
    verdict,
)

GOAL = 1.10
TTL = "1h"
BARE_PATH = "/bench-bare/"
AWS = "AWS calls (create_user + delete_user)"


def service_cycle(service: Any) -> None:
    issued = service.creds.issue("aws", ROLE, ttl=TTL)
    service.leases.revoke(issued.lease.lease_id)


def bare_cycle(iam: Any, policy: str) -> None:
    name = f"bare-{secrets.token_hex(6)}"
    bare_create(iam, name, BARE_PATH, policy)
    bare_delete(iam, name)


def timed(cycle: Callable[[], None], count: int) -> float:
    """Milliseconds per cycle."""
    start = time.perf_counter()
    for _ in range(count):
        cycle()
    return (time.perf_counter() - start) * 1000 / count


class Breakdown:
    """Wraps the service's store, audit and AWS steps with timers (a separate pass)."""

    def __init__(self, service: Any) -> None:
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
        self._wrap(aws_iam, "delete_user", AWS)

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=200, help="cycles per side (all rounds)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument(
        "--breakdown-cycles", type=int, default=40, help="instrumented service cycles"
    )
    args = parser.parse_args()
    per_round = max(1, args.cycles // args.rounds)

    moto = Moto()
    with tempfile.TemporaryDirectory() as tmp:
        service = make_service(Path(tmp) / "home", moto.url)
        bare = bare_iam(moto.url)
        policy = guarded_policy(time.time() + 3600)

        def run_service() -> None:
            service_cycle(service)

        def run_bare() -> None:
            bare_cycle(bare, policy)

        sides = {"service": run_service, "bare": run_bare}
        timed(run_service, args.warmup)
        timed(run_bare, args.warmup)

        # One counted cycle each: both sides must make the same IAM calls.
        clients = service._ctx.clients(service._ctx.engine("aws"))
        counter = CallCounter(clients.iam, clients.client("iam-once"), bare)
        run_service()
        service_calls = dict(counter.counts)
        counter.counts.clear()
        run_bare()
        bare_calls = dict(counter.counts)
        counter.close()

        per_cycle: dict[str, list[float]] = {name: [] for name in sides}
        for number in range(args.rounds):
            order = ["service", "bare"] if number % 2 == 0 else ["bare", "service"]
            for name in order:
                per_cycle[name].append(timed(sides[name], per_round))
        ratios = [s / b for s, b in zip(per_cycle["service"], per_cycle["bare"], strict=True)]

        breakdown = Breakdown(service)
        instrumented = timed(run_service, args.breakdown_cycles)
        breakdown.close()

        service_ms, bare_ms = median(per_cycle["service"]), median(per_cycle["bare"])
        ratio = median(ratios)
        print(
            f"issue figures: {args.rounds} rounds x {per_round} cycles per side "
            f"({args.rounds * per_round} iam_user issue+revoke cycles each), medians; "
            f"moto server {moto.url}"
        )
        same = service_calls == bare_calls
        line(
            "IAM calls per cycle (service / bare)",
            f"{sum(service_calls.values())} / {sum(bare_calls.values())}"
            + ("  (same operations)" if same else "  (DIFFERENT: see below)"),
        )
        if not same:
            line("  service", str(sorted(service_calls.items())))
            line("  bare", str(sorted(bare_calls.items())))
        line("service cycle", f"{service_ms:7.1f} ms")
        line("bare boto3 cycle", f"{bare_ms:7.1f} ms")
        line("extra cost of the service", f"{service_ms - bare_ms:7.1f} ms per cycle")
        line("ratio service / bare", f"{ratio:7.3f}   (goal <= {GOAL}: {verdict(ratio <= GOAL)})")
        line(
            "per-round ratios (min .. max)",
            f"{min(ratios):.3f} .. {max(ratios):.3f}",
        )
        print(
            f"breakdown of a service cycle ({args.breakdown_cycles} instrumented cycles, "
            f"{instrumented:.1f} ms each):"
        )
        accounted = 0.0
        for category, seconds in sorted(breakdown.seconds.items(), key=lambda kv: -kv[1]):
            ms = seconds * 1000 / args.breakdown_cycles
            accounted += ms
            calls = breakdown.calls[category] / args.breakdown_cycles
            line(f"  {category}", f"{ms:7.2f} ms  ({calls:.0f} per cycle)", width=52)
        line("  everything else (service code)", f"{instrumented - accounted:7.2f} ms", width=52)
        aws_ms = breakdown.seconds[AWS] * 1000 / args.breakdown_cycles
        overhead = instrumented / aws_ms
        line(
            "  cycle / its AWS calls (less noisy estimate)",
            f"{overhead:7.3f}   ({verdict(overhead <= GOAL)})",
            width=52,
        )
        service.close()
    moto.stop()


if __name__ == "__main__":
    main()
