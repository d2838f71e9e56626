"""Revocation figures: a burst of expiries, `revoke --prefix` vs a loop, old vs new order.

Run: .venv/bin/python bench/revoke.py [--leases 200] [--prefix-leases 300] [--latency-ms 50]
     [--order-leases 200] [--order-latency-ms 50] [--concurrency 8] [--skip-service]

(a) `--leases` iam_user leases expire within the same second while a
    LeaseWorker runs; the delay of each is `updated_time - expire_time` of the
    lease once it turned `revoked` (the worker writes that state right after
    DeleteUser returns), so it is expiry -> IAM user deleted. IAM is listed
    at the end to confirm no user is left.
(b) `Workbench.revoke_prefix` over `--prefix-leases` leases vs a sequential
    bare-boto3 loop making the same deletion calls, in interleaved rounds
    (service, bare, bare, service, ...). Goal (issue 4): service time <= 0.5x
    the loop's, with zero failures.
    `--latency-ms N` sleeps N ms before every IAM request on both sides of
    (a) and (b) (a far-away endpoint), which is where concurrency pays; N
    defaults shrink.
(c), (d) old order (`iam_user.delete_user`, the full sweep) vs new
    (`iam_revoke.revoke_user`) for the demo's `webapp` role, against
    `workbench embedded-aws --iam-latency-ms 50` in its own process: (c) the
    IAM calls of one revocation; (d) `--order-leases` leases due at once,
    revoked by a pool as wide as the worker's: p50/p95/p99 of due -> key
    stopped and -> DeleteUser returned, and users deleted per second.
    Goals (issue 13): key stopped by call 1 of <= 4; p99 <= 1 s; >= 2x.

(a) and (b) are set up without timing: users, inline policies and keys are
made in moto's backend directly and the lease rows written as issuance leaves
them (`active`, keys encrypted, with the record of what issuing made, so
revocation takes its minimal path). Their moto ThreadedMotoServer runs in this process, so
its request handling shares the GIL (and 2 cores) with the revoking threads.
`--skip-service` runs (c) and (d) only (~40 s; the whole run ~95 s).
"""

from __future__ import annotations

import argparse
import json
import secrets
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _common import (
    REGION,
    ROLE,
    ROOT,
    Moto,
    add_latency,
    bare_delete,
    bare_iam,
    count_users,
    embedded_aws,
    guarded_policy,
    line,
    make_service,
    median,
    percentile,
    seed_users,
    service_iam,
    verdict,
)

from workbench.aws.clients import AwsClients, ClientSpec
from workbench.aws.iam_revoke import UserRevocation, created_record, deactivate_key, revoke_user
from workbench.aws.iam_user import IamUserPlan, create_user, delete_user
from workbench.domain.models import CredentialType, Lease, LeaseState
from workbench.domain.naming import new_lease_id
from workbench.service.guard import inline_policy
from workbench.service.lifecycle import KEY_CUT_CONCURRENCY
from workbench.worker import LeaseWorker
from workbench.worker.runner import DEFAULT_CONCURRENCY

GOAL = 0.5
KEY_GOAL = 1.0  # (d) seconds, p99 expiry -> key stopped, new order
THROUGHPUT_GOAL = 2.0  # (d) new / old users deleted per second
WEBAPP = ROOT / "workbench" / "demo" / "sample_roles" / "webapp.json"
INDENT = " " * 8
SETUP_THREADS = 32  # set-up only: as wide as the clients' connection pool
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
            # What issuing records it made (the inline policy), as `issue()` does.
            created={"inline_policy": True, "policy_arns": [], "groups": []},
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
        f"({rounds * per_round} each); service concurrency {service.leases.concurrency}; "
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


# -- (c) and (d): old order vs new order, embedded AWS in its own process ----------------


def aws_clients(info: dict[str, str]) -> AwsClients:
    """Fresh clients built as the workbench builds an engine's (pool, retries)."""
    key, secret, url = info["access_key"], info["secret_key"], info["endpoint"]
    return AwsClients(ClientSpec(REGION, key, secret, None, url, url, max_retries=3))


def webapp_users(clients: AwsClients, label: str, count: int) -> list[tuple[IamUserPlan, str]]:
    """`count` users of the demo's `webapp` role made with issuance's calls (policy + guard,
    tags), concurrently (set-up, not timed): each plan and its access key id."""
    role = json.loads(WEBAPP.read_text())
    policy = inline_policy(json.dumps(role["policy_document"]), time.time() + 3600)
    tags = tuple(role["iam_tags"].items())
    plans = [
        IamUserPlan(name, f"/bench-{label}/", policy, tags=tags)
        for name in user_names(label, count)
    ]
    with ThreadPoolExecutor(SETUP_THREADS) as pool:
        keys = list(pool.map(lambda plan: create_user(clients, plan).access_key_id, plans))
    return list(zip(plans, keys, strict=True))


def revoke_old(clients: AwsClients, plan: IamUserPlan, key: str) -> None:
    delete_user(clients, plan.user_name)


def revoke_new(clients: AwsClients, plan: IamUserPlan, key: str) -> None:
    revoke_user(clients, plan.user_name, key, created_record(plan), clock=time.time)


# order: (revocation, the call after which the key no longer works, label)
ORDERS: dict[str, tuple[Callable[[AwsClients, IamUserPlan, str], None], str, str]] = {
    "old": (revoke_old, "DeleteAccessKey", "old: iam_user.delete_user"),
    "new": (revoke_new, "UpdateAccessKey", "new: iam_revoke.revoke_user"),
}


@contextmanager
def hook(clients: AwsClients, event: str, handler: Callable[..., None]) -> Iterator[None]:
    """`handler` on `event` of both IAM clients (the retried one and iam-once) meanwhile."""
    targets = [clients.iam, clients.client("iam-once")]
    for client in targets:
        client.meta.events.register(event, handler)
    yield
    for client in targets:
        client.meta.events.unregister(event, handler)


def call_sequence(info: dict[str, str], order: str) -> list[str]:
    """The IAM calls one revocation in `order` sends, on warm clients, in order."""
    revoke = ORDERS[order][0]
    clients = aws_clients(info)
    warm, user = webapp_users(clients, "calls", 2)
    revoke(clients, *warm)  # the one-off probe of a call the endpoint may lack
    calls: list[str] = []
    with hook(clients, "before-call.iam", lambda model, **_: calls.append(model.name)):
        revoke(clients, *user)
    return calls


def call_counts(info: dict[str, str]) -> None:
    """(c) the IAM calls one revocation sends, for each order."""
    print("(c) AWS calls per iam_user revocation, role webapp (inline policy, tags): names from")
    print("    a before-call.iam handler (one per API call, retries not counted), warm clients")
    for order, (_, stopper, label) in ORDERS.items():
        calls = call_sequence(info, order)
        position = calls.index(stopper) + 1 if stopper in calls else 0
        line(f"    {label}", f"{len(calls):2d} calls, key stopped by call {position} ({stopper})")
        print(
            textwrap.fill(", ".join(calls), 96, initial_indent=" " * 8, subsequent_indent=" " * 8)
        )
    ok = position == 1 and len(calls) <= 4  # the new order's
    line("    goal: key stopped by call 1, <= 4 in all", verdict(ok))
    print("    (old: 13 against AWS, which has ListServiceSpecificCredentials; this endpoint")
    print("    lacks it, so each client probes it once, in the warm-up, then skips it)")


def burst_order(info: dict[str, str], order: str, count: int, threads: int) -> dict[str, Any]:
    """(d) one order: `count` users revoked at once by `threads` threads; times per user."""
    revoke, stopper = ORDERS[order][:2]
    clients = aws_clients(info)
    users = webapp_users(clients, order, count + threads)
    with ThreadPoolExecutor(threads) as pool:  # warm-up: connections, the one-off probe
        list(pool.map(lambda item: revoke(clients, *item), users[count:]))
    local = threading.local()
    marks: dict[str, dict[str, float]] = {plan.user_name: {} for plan, _ in users[:count]}
    errors: list[str] = []

    def mark(model: Any, **_: Any) -> None:
        if model.name in (stopper, "DeleteUser"):
            marks[local.user][model.name] = time.perf_counter()

    def one(item: tuple[IamUserPlan, str]) -> None:
        local.user = item[0].user_name
        try:
            revoke(clients, *item)
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")

    def cut(item: tuple[IamUserPlan, str]) -> None:
        local.user = item[0].user_name
        deactivate_key(clients, item[0].user_name, item[1])

    def clean(item: tuple[IamUserPlan, str]) -> None:
        local.user = item[0].user_name
        done = UserRevocation(key_inactive_time=time.time())  # as the worker records it
        try:
            revoke_user(
                clients, item[0].user_name, item[1], created_record(item[0]),
                clock=time.time, outcome=done,
            )  # fmt: skip
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")

    with hook(clients, "after-call.iam", mark), ThreadPoolExecutor(threads) as pool:
        start = time.perf_counter()
        if order == "new":  # the worker's pass: every due key Inactive first, then cleanups
            with ThreadPoolExecutor(KEY_CUT_CONCURRENCY) as cutters:
                list(cutters.map(cut, users[:count]))
            list(pool.map(clean, users[:count]))
        else:
            list(pool.map(one, users[:count]))
    stopped = [m[stopper] - start for m in marks.values() if stopper in m]
    deleted = [m["DeleteUser"] - start for m in marks.values() if "DeleteUser" in m]
    return {
        "stopped": stopped,
        "deleted": deleted,
        "rate": len(deleted) / max(deleted) if deleted else 0.0,
        "errors": errors,
        "left": count_users(clients.iam, f"/bench-{order}/"),
    }


def orders_burst(info: dict[str, str], count: int, threads: int, latency_ms: float) -> None:
    """(d) old vs new order against the same server, one after the other."""
    pool = aws_clients(info).iam.meta.config.max_pool_connections
    worker = "the worker's" if threads == DEFAULT_CONCURRENCY else "not the worker's"
    print(
        f"(d) {count} webapp leases expiring in the same second (t=0), revoked at once by\n"
        f"    {threads} threads ({worker}: workbench.worker.runner.DEFAULT_CONCURRENCY = "
        f"{DEFAULT_CONCURRENCY}), {latency_ms:g} ms\n    before each IAM call; AwsClients "
        f"pool {pool} connections {'>=' if pool >= threads else '< (threads queue for one)'} "
        f"{threads} threads, max_retries 3\n    key stopped: old when DeleteAccessKey returned, "
        f"new when UpdateAccessKey returned\n    new order as the worker runs a burst: every "
        f"key Inactive first ({KEY_CUT_CONCURRENCY} at once), then the cleanups"
    )
    old, new = (burst_order(info, order, count, threads) for order in ORDERS)
    quantiles = f"{'p50':>5} {'p95':>5} {'p99':>5} s"

    def stats(values: list[float]) -> str:
        quantile = (f"{percentile(values, q):5.2f}" for q in (0.5, 0.95, 0.99))
        return " ".join(quantile) if values else "-"

    rows = [
        ("", "old order", "new order"),
        ("", quantiles, quantiles),
        ("t=0 -> key stopped", stats(old["stopped"]), stats(new["stopped"])),
        ("t=0 -> DeleteUser returned", stats(old["deleted"]), stats(new["deleted"])),
        ("throughput, users deleted/s", f"{old['rate']:5.1f}", f"{new['rate']:5.1f}"),
        (
            "failed / users left",
            f"{len(old['errors'])} / {old['left']}",
            f"{len(new['errors'])} / {new['left']}",
        ),
    ]
    for label, left, right in rows:
        print(f"    {label:<30}{left:<22}{right}")
    for error in (old["errors"] + new["errors"])[:3]:
        print(f"    error: {error}")
    key_p99 = percentile(new["stopped"], 0.99) if new["stopped"] else float("inf")
    ok = key_p99 <= KEY_GOAL and not new["errors"]
    line(
        "    new: t=0 -> key stopped, p99",
        f"{key_p99:5.2f} s  (goal <= {KEY_GOAL:g} s: {verdict(ok)})",
    )
    ratio = new["rate"] / old["rate"] if old["rate"] else float("inf")
    ok = ratio >= THROUGHPUT_GOAL
    line("    throughput new / old", f"{ratio:5.2f}x (goal >= {THROUGHPUT_GOAL:g}x: {verdict(ok)})")


def service_figures(args: argparse.Namespace) -> None:
    """(a) and (b): the service on an in-process moto server."""
    slow = args.latency_ms > 0
    leases = args.leases if args.leases is not None else (100 if slow else 200)
    prefix_leases = args.prefix_leases if args.prefix_leases is not None else (48 if slow else 300)
    rounds = args.rounds if args.rounds is not None else (3 if slow else 5)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leases", type=int, help="(a) burst size [200; 100 with latency]")
    parser.add_argument(
        "--prefix-leases", type=int, help="(b) leases per side [300; 48 with latency]"
    )
    parser.add_argument("--rounds", type=int, help="(b) interleaved rounds [5; 3 with latency]")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="(a), (b): sleep before every IAM request"
    )
    parser.add_argument("--order-leases", type=int, default=200, help="(d) users per order [200]")
    parser.add_argument(
        "--order-latency-ms", type=float, default=50.0, help="(c), (d): embedded-aws latency [50]"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help=f"(d) revoking threads [{DEFAULT_CONCURRENCY}, the worker's]",
    )
    parser.add_argument("--skip-service", action="store_true", help="run (c) and (d) only")
    args = parser.parse_args()

    started = time.perf_counter()
    if not args.skip_service:
        service_figures(args)
    with embedded_aws(args.order_latency_ms) as (pid, info):
        print(
            f"old vs new revocation order: `workbench embedded-aws --no-auth --iam-latency-ms "
            f"{args.order_latency_ms:g}` (pid {pid}) at {info['endpoint']}"
        )
        call_counts(info)
        orders_burst(info, args.order_leases, args.concurrency, args.order_latency_ms)
    print(f"total run time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
