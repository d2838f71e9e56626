"""Revocation figures: expiry-to-deletion delay under a burst, and `revoke --prefix` vs a loop.

Run: .venv/bin/python bench/revoke.py [--leases 200] [--prefix-leases 300] [--latency-ms 50]

(a) `--leases` iam_user leases expire within the same second while a
    LeaseWorker runs; the delay of each is `updated_time - expire_time` of the
    lease once it turned `revoked` (the worker writes that state right after
    DeleteUser returns), so it is expiry -> IAM user deleted. IAM is listed
    at the end to confirm no user is left.
(b) `Workbench.revoke_prefix` over `--prefix-leases` leases vs a sequential
    bare-boto3 loop making the same deletion calls, in interleaved rounds
    (service, bare, bare, service, ...). Goal (issue 4): service time <= 0.5x
    the loop's, with zero failures.
(c) `--latency-ms N` sleeps N ms before every IAM request on both sides (a
    far-away endpoint), which is where concurrency pays; N defaults shrink.

Leases are set up without timing: users, inline policies and keys are made
in moto's backend directly and the lease rows written as issuance leaves
them (`active`, keys encrypted). One moto ThreadedMotoServer runs in this
process, so its request handling shares the GIL (and 2 cores) with the
revoking threads.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import (
    ROLE,
    Moto,
    add_latency,
    bare_delete,
    bare_iam,
    count_users,
    guarded_policy,
    line,
    make_service,
    median,
    percentile,
    seed_users,
    service_iam,
    verdict,
)

from workbench.domain.models import CredentialType, Lease, LeaseState
from workbench.domain.naming import new_lease_id
from workbench.worker import LeaseWorker

GOAL = 0.5
BURST_PATH = "/bench-burst/"
PREFIX_PATH = "/bench-prefix/"
BARE_PATH = "/bench-bare/"


def user_names(label: str, count: int) -> list[str]:
    return [f"wb-bench-{label}-{secrets.token_hex(5)}" for _ in range(count)]


def seed_leases(
    service: Any, role: str, path: str, expire_times: list[float], policy: str
) -> list[Lease]:
    """Users in IAM and `active` lease rows for them, as `issue()` leaves them."""
    names = user_names(role, len(expire_times))
    keys = seed_users(names, path, policy)
    now = time.time()
    leases = []
    for name, (access_key, secret_key), expire_time in zip(names, keys, expire_times, strict=True):
        lease = Lease(
            lease_id=new_lease_id("aws", role),
            engine="aws",
            role=role,
            credential_type=CredentialType.IAM_USER,
            state=LeaseState.ACTIVE,
            issue_time=now,
            expire_time=expire_time,
            max_expire_time=now + 12 * 3600,
            renewable=True,
            iam_user_name=name,
            iam_user_path=path,
            access_key_id=access_key,
            secret_key=secret_key,
            updated_time=now,
        )
        service._ctx.store.leases.insert(lease)
        leases.append(lease)
    return leases


def wait_until(condition: Any, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def burst(service: Any, bare: Any, count: int, policy: str) -> None:
    """(a) `count` leases expiring in one second, revoked by a running LeaseWorker."""
    store = service._ctx.store
    role = "burst"
    worker = LeaseWorker(service)
    worker.start()
    if not wait_until(lambda: worker.is_leader, 10):
        raise SystemExit("the worker did not become leader")
    # Expiries spread over one second, far enough ahead for the seeding to finish first.
    second = float(int(time.time()) + 5)
    expire_times = [second + secrets.randbelow(1000) / 1000 for _ in range(count)]
    leases = seed_leases(service, role, BURST_PATH, expire_times, policy)
    if time.time() >= second:
        raise SystemExit("seeding took longer than the margin before the first expiry")
    prefix = f"aws/creds/{role}/"
    finished = wait_until(lambda: store.leases.count_live(prefix) == 0, timeout=300)
    worker.stop()
    ended = [store.leases.get(lease.lease_id) for lease in leases]
    revoked = [lease for lease in ended if lease and lease.state is LeaseState.REVOKED]
    delays = [lease.updated_time - lease.expire_time for lease in revoked]
    left = count_users(bare, BURST_PATH)
    print(
        f"(a) {count} leases expiring within one second, LeaseWorker "
        f"(concurrency {worker.concurrency}, poll {worker.poll} s); delay = lease "
        "updated_time when it turned revoked - expire_time"
    )
    if delays:
        line(
            "    expiry -> IAM user deleted",
            f"p50 {percentile(delays, 0.5):6.2f} s   p99 {percentile(delays, 0.99):6.2f} s   "
            f"max {max(delays):6.2f} s",
        )
        early = sum(1 for delay in delays if delay < 0)
        line("    revoked before their expiry", str(early))
    line(
        "    revoked / not revoked / users left",
        f"{len(revoked)} / {count - len(revoked)} / {left}" + ("" if finished else " (timed out)"),
    )


def prefix_rounds(service: Any, bare: Any, total: int, rounds: int, policy: str) -> None:
    """(b) revoke_prefix vs a sequential bare loop, interleaved rounds."""
    per_round = max(1, total // rounds)
    far = time.time() + 3600
    for number in range(rounds):
        seed_leases(service, f"prefix{number}", PREFIX_PATH, [far] * per_round, policy)
    bare_sets = [user_names("bare", per_round) for _ in range(rounds)]
    for names in bare_sets:
        seed_users(names, BARE_PATH, policy)

    times: dict[str, list[float]] = {"service": [], "bare": []}
    cpu: dict[str, float] = {"service": 0.0, "bare": 0.0}
    failures = 0
    revoked = 0
    for number in range(rounds):
        order = ["service", "bare"] if number % 2 == 0 else ["bare", "service"]
        for side in order:
            start, start_cpu = time.perf_counter(), time.process_time()
            if side == "service":
                result = service.leases.revoke_prefix(f"aws/creds/prefix{number}/")
                failures += len(result.failed)
                revoked += len(result.revoked)
            else:
                for name in bare_sets[number]:
                    bare_delete(bare, name)
            times[side].append(time.perf_counter() - start)
            cpu[side] += time.process_time() - start_cpu
    ratios = [s / b for s, b in zip(times["service"], times["bare"], strict=True)]
    ratio = median(ratios)
    left_service = count_users(bare, PREFIX_PATH)
    left_bare = count_users(bare, BARE_PATH)
    print(
        f"(b) revoke --prefix: {rounds} rounds x {per_round} leases per side "
        f"({rounds * per_round} each); service concurrency {service.concurrency}; "
        "medians per round"
    )
    service_s, bare_s = median(times["service"]), median(times["bare"])
    line(
        "    service revoke_prefix",
        f"{service_s:7.2f} s per round  ({per_round / service_s:6.1f} leases/s)",
    )
    line(
        "    bare boto3, sequential",
        f"{bare_s:7.2f} s per round  ({per_round / bare_s:6.1f} leases/s)",
    )
    ok = ratio <= GOAL and failures == 0 and revoked == rounds * per_round and not left_service
    line(
        "    ratio service / bare",
        f"{ratio:7.3f}   (goal <= {GOAL} with zero failures: {verdict(ok)})",
    )
    line("    per-round ratios (min .. max)", f"{min(ratios):.3f} .. {max(ratios):.3f}")
    line(
        "    CPU of this process while timed",
        f"service {cpu['service'] / sum(times['service']):.2f} cores, "
        f"bare {cpu['bare'] / sum(times['bare']):.2f} cores (moto server included)",
    )
    line(
        "    failures / revoked / users left",
        f"{failures} / {revoked} / service {left_service}, bare {left_bare}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leases", type=int, help="(a) burst size [200; 100 with latency]")
    parser.add_argument(
        "--prefix-leases", type=int, help="(b) leases per side [300; 48 with latency]"
    )
    parser.add_argument("--rounds", type=int, help="(b) interleaved rounds [5; 3 with latency]")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="sleep before every IAM request"
    )
    args = parser.parse_args()
    slow = args.latency_ms > 0
    leases = args.leases if args.leases is not None else (100 if slow else 200)
    prefix_leases = args.prefix_leases if args.prefix_leases is not None else (48 if slow else 300)
    rounds = args.rounds if args.rounds is not None else (3 if slow else 5)

    started = time.perf_counter()
    moto = Moto()
    with tempfile.TemporaryDirectory() as tmp:
        service = make_service(Path(tmp) / "home", moto.url)
        bare = bare_iam(moto.url)
        policy = guarded_policy(time.time() + 3600)
        # Warm-up, untimed: connections, and the service's one-off probe of
        # ListServiceSpecificCredentials (moto lacks it; it is skipped after).
        service.leases.revoke(service.creds.issue("aws", ROLE, ttl="1h").lease.lease_id)
        warm = user_names("warm", 1)[0]
        seed_users([warm], BARE_PATH, policy)
        bare_delete(bare, warm)
        if slow:
            add_latency(service_iam(service), args.latency_ms)
            add_latency(bare, args.latency_ms)
        print(
            f"revoke figures: moto server {moto.url} in this process; "
            f"injected latency {args.latency_ms:g} ms per IAM call"
        )
        burst(service, bare, leases, policy)
        prefix_rounds(service, bare, prefix_leases, rounds, policy)
        service.close()
    moto.stop()
    print(f"total run time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
