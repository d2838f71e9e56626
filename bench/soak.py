"""Reliability soak: the engine, the worker and the audit trail under an incident's conditions.

Run: .venv/bin/python bench/soak.py [--duration 600] [--processes 3] [--fault-rate 0.05]
     [--seed N] [--cli-runners 1] [--kill-every 6] [--corruptions N] [--keep]
     [--store sqlite|postgresql] [--kill-connections-every 4] [--kill-share 0.25]
     (`make soak` runs it for $DURATION seconds, default 600; `make test` runs 60 s
     on each backend.)

--store postgresql runs it all on a team store: the soak starts its own PostgreSQL
server (tests/pg_server.py's PgServer: initdb/pg_ctl, a Unix socket in a temporary
folder), creates the store in a fresh database, and gives every process it starts
(clients, CLI runs, workers) WORKBENCH_STORE=<the URL> besides WORKBENCH_HOME (which
still holds the audit file device). What the soak reads and damages behind the
workbench's back it then reads and damages with psycopg (under the store's write
lock where SQLite's BEGIN IMMEDIATE was), and one more fault kind runs there:
kill_connections.

Against one moto server (its own process), for --duration seconds:
- --processes long-lived clients on the service API (bench/soak_agent.py) issue
  all four credential types (iam_user TTLs 1 s..60 s, STS 15..20 min: AWS's
  minimum), renew (even at the last second), revoke, and one of them
  revokes a whole role by prefix now and then;
- --cli-runners threads run the real CLI (`creds`, `lease renew`,
  `lease revoke`), a quarter of them with WORKBENCH_FAULT=kill:<step> so they
  die at a named step of issuing or revoking;
- a `workbench worker` revokes what expires;
- every few seconds (--kill-every) the worker, a CLI process or a client
  is SIGKILLed (the worker and clients are restarted);
- --fault-rate of all AWS call attempts (in the clients, the CLI and the worker)
  fail with Throttling, HTTP 500, a refused connection, or a connection
  dropped after AWS acted on the request (--fault-kinds);
- corrupt_row (a --fault-kinds kind, on by default): at random moments mid-run
  (--corruptions of them, one per 30 s of load by default, at least one) a random
  live lease row is damaged behind the workbench's back, straight through
  sqlite3 or psycopg (waiting out writers). The kinds, by backend:
    credential_type  both        an unknown type ('iam_user_v2'): the row is unreadable
    expire_time      SQLite      text where a number goes: unreadable (PostgreSQL's
                                 double precision column refuses it)
    secret_text      SQLite      bytes that are not a ciphertext, typed TEXT in
                                 secret_key: unreadable (a bytea column cannot hold text)
    secret_bytes     PostgreSQL  bytes that are not a ciphertext in the bytea secret_key:
                                 the row stays readable (its types are right); only its
                                 secret fails its integrity check
    secret_tampered  both        a ciphertext with one bit flipped: readable, its secret
                                 fails its integrity check
  The backend's kinds are taken in a seeded order; the row is a seeded pick among
  the settled live rows (rather one that falls due before the load ends, so the
  worker meets it while it has other leases to revoke; expire_time only on leases
  the soak never renews).
- kill_connections (PostgreSQL only, on by default there): at random moments (one
  per --kill-connections-every seconds on average) the server ends a random subset
  of the clients' sessions, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
  WHERE application_name LIKE 'lease-workbench%' AND pid <> pg_backend_pid()` for
  the pids picked: pool connections, the LISTEN feed's, the worker lock's and the
  process registry's of every client, CLI run and worker (never the soak's own).
  The workbench must recover: a read is retried, a write cut off is refused whole
  (the client sees a one-line error), a worker whose lock connection died stands
  by until it (or another) holds the lock again. The invariants below are the
  same; nothing is excused for a killed connection.

Then it stops the load, restarts a worker, waits for the due revocations,
and checks the invariants (each printed with its count of violations):
- iam-users-owned: every IAM user under the roles' paths belongs to a live lease
  (or to a corrupted lease that `lease list` reports unreadable, naming the user:
  the workbench rightly leaves that user alone; such users are counted apart);
- live-users-one-key: every live iam_user lease has its user and exactly its one key;
- no-lease-lost: every credential a client received is in the store with its access
  key and secret (an ended lease's dropped secret is counted apart, not as a loss;
  a lease the soak corrupted is judged by corrupted-reported instead);
- state-right: its state is right for its expiry; nothing is left pending/revoking.
  A renewal whose response entry was refused (recorded with the outcome, as below)
  ended the client's call with an error, yet it is done: the expiry its recorded
  ttl gives is right too (counted with the withheld revocations);
- audit-verify: `audit verify` passes;
- audit-complete: every request entry has its response (unless its process was
  SIGKILLed), every issuance a client received and every revocation has both. A
  revocation whose response entry was refused (a team store's connection cut off)
  has the failure entry the workbench records instead, with the outcome ("the
  operation completed but its result is withheld"); a lease ended by a process
  SIGKILLed after its last write and before its response has its request only.
  Both count, and are counted apart in the report;
- no-secret-on-disk: no secret (issued keys, session tokens, the root key, the
  passphrase) appears in any file of the run (store, WAL, audit file, logs); on
  PostgreSQL, none appears in any table of the store read raw with psycopg (every
  column of every row, bytea as its bytes), nor in the server's log;
- revoked-once: nothing revoked twice: after its first successful revocation no
  lease is written again or seen live again, and no live lease has one (revokes of
  an already ended lease change nothing; they are counted apart as no-ops);
  an ended lease without a successful revocation counts under audit-complete;
- revoked-on-time: no lease stayed expired and unrevoked for more than --threshold
  seconds (default 5) of worker-alive time. A worker polls every 0.5 s and a
  revocation is ~12 IAM calls; 5 s is ten polls plus a loaded 2-core machine's
  slack. Time with no worker (killed, restarting) is excluded (a worker standing by
  after its lock connection was ended still counts as alive), and so is the
  backoff botocore may take after each fault injected into that user's
  revocation calls (up to 2^(attempt-1) s for Throttling, 0.05 x that otherwise);
  nothing else (in particular not the workbench's own 10-30 s retry schedule);
- clear-errors: every failure a client saw was a one-line WorkbenchError (no
  traceback, no other exception);
- corrupted-reported: no corrupted lease is silently missing. An unreadable one is
  in `workbench lease list --all --format json` as state `unreadable` with an error
  naming the damaged column (and its IAM user), in `workbench status --format
  json`'s unreadable rows (taken while the final worker runs), in the worker's
  log, and in `workbench reconcile --format json` (its user not called a stray);
  a tampered secret's lease is listed like any other and is revoked like any
  other (the on-time invariants apply to it), and while it still holds the secret,
  reading it is a StoreCorrupted naming the lease and secret_key. No row the soak
  did not damage is unreadable. Every other invariant holds around them: the
  worker keeps revoking every other due lease on time.
Exit status 0 when every invariant has 0 violations, else 1 (the run's folder
is kept for a look; --keep keeps it anyway).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import soak_agent as agent

from workbench.domain.errors import StoreCorrupted
from workbench.domain.faults import ISSUE_FAULT_POINTS, REVOKE_FAULT_POINTS
from workbench.worker.runner import MAX_UNREADABLE_SHOWN

AGENT = str(Path(__file__).with_name("soak_agent.py"))
PYTHON = sys.executable
PASSPHRASE = "soak passphrase 7f3a"  # secret: scanned for on disk like the keys
ROOT_ACCESS_KEY = "AKIASOAKROOT00000000"
ROOT_SECRET = "soak-root-secret-4d1c9e0b7a"
ACCOUNT = "123456789012"
USER_PATH_PREFIX = "/soak/"
ISSUE_STEPS = list(ISSUE_FAULT_POINTS)
REVOKE_STEPS = list(REVOKE_FAULT_POINTS)
REVOKE_CALLS = frozenset(
    {
        "GetUser",
        "ListAccessKeys",
        "DeleteAccessKey",
        "DeleteLoginProfile",
        "ListMFADevices",
        "DeactivateMFADevice",
        "ListSigningCertificates",
        "ListSSHPublicKeys",
        "ListServiceSpecificCredentials",
        "ListUserPolicies",
        "DeleteUserPolicy",
        "ListAttachedUserPolicies",
        "DetachUserPolicy",
        "ListGroupsForUser",
        "RemoveUserFromGroup",
        "DeleteUser",
    }
)
LIVE = {"pending", "propagating", "active", "revoking", "irrevocable"}
ENDED = {"revoked", "expired", "failed"}
INVARIANTS = [
    "iam-users-owned",
    "live-users-one-key",
    "no-lease-lost",
    "state-right",
    "audit-verify",
    "audit-complete",
    "no-secret-on-disk",
    "revoked-once",
    "revoked-on-time",
    "clear-errors",
    "corrupted-reported",
]
HOST = socket.gethostname()
ROOT = Path(__file__).resolve().parents[1]
SQLITE, POSTGRESQL = "sqlite", "postgresql"
ROW_FAULT = "corrupt_row"  # the harness's own faults; the others are the agents' AWS faults
CONN_FAULT = "kill_connections"  # PostgreSQL only
FAULT_KINDS = (*agent.FAULT_KINDS, ROW_FAULT, CONN_FAULT)
BACKEND_FAULTS = {SQLITE: (*agent.FAULT_KINDS, ROW_FAULT), POSTGRESQL: FAULT_KINDS}
# kind -> the column it damages (which the workbench's report must name)
CORRUPTIONS = {
    "credential_type": "credential_type",  # 'iam_user_v2': a type this version does not know
    "expire_time": "expire_time",  # text where a number goes
    "secret_text": "secret_key",  # bytes that are not UTF-8, typed TEXT: not a ciphertext
    "secret_bytes": "secret_key",  # bytes that are not a ciphertext, in a bytea column
    "secret_tampered": "secret_key",  # still a BLOB, one bit flipped: fails its integrity check
}
# The kinds each backend can hold: PostgreSQL enforces the column types, so a
# number's column cannot hold text, nor a bytea column text.
BACKEND_CORRUPTIONS = {
    SQLITE: ("credential_type", "expire_time", "secret_text", "secret_tampered"),
    POSTGRESQL: ("credential_type", "secret_bytes", "secret_tampered"),
}
# the row still passes the store's checks; only its secret fails to open
READABLE_CORRUPTIONS = frozenset({"secret_tampered", "secret_bytes"})
NOT_A_CIPHERTEXT = b"\xff\xfenot a ciphertext\x80\xc3("
# How the audit records an operation whose response entry was refused (workbench.audit.log).
WITHHELD = "the operation completed but its result is withheld"
# The soak's own sessions on the server: not 'lease-workbench...', so kill_connections
# never picks them.
HARNESS_APP = "soak harness"
CLIENT_APPS = "lease-workbench%"


def policy(*actions: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
    }


@dataclass
class WorkerProc:
    proc: subprocess.Popen[str]
    plain: bool
    leader_at: float | None = None
    ended_at: float | None = None


@dataclass
class CliLease:
    lease_id: str
    kind: str
    issued_at: float
    expire_low: float  # the lease expires no earlier than this
    ended: bool = False


@dataclass
class Corruption:
    """A lease row the soak damaged, and what it was before."""

    lease_id: str
    kind: str
    at: float
    credential_type: str
    role: str
    iam_user_name: str | None

    @property
    def column(self) -> str:
        return CORRUPTIONS[self.kind]

    @property
    def readable(self) -> bool:
        return self.kind in READABLE_CORRUPTIONS


class StoreDb:
    """The soak's own way into the store's database, behind the workbench's back.

    SQL is written with `?` placeholders, as SQLite takes them; the PostgreSQL side
    turns them into psycopg's. `write()` is a transaction that first waits out the
    workbench's writers: BEGIN IMMEDIATE on SQLite, the store's write lock (the
    advisory lock every PgConnection write transaction takes) on PostgreSQL.
    """

    def __init__(self, backend: str, home: Path, url: str) -> None:
        self.backend = backend
        self.home = home
        self.url = url
        self._conn: Any = None
        self._in_write = False

    @property
    def postgres(self) -> bool:
        return self.backend == POSTGRESQL

    def _connect(self) -> Any:
        if self.postgres:
            import psycopg

            return psycopg.connect(self.url, autocommit=True, application_name=HARNESS_APP)
        conn = sqlite3.connect(self.home / "workbench.db", timeout=30, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 30000")
        return conn

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """A read on the soak's connection (made again if it was lost)."""
        if self._conn is None:
            self._conn = self._connect()
        try:
            return list(self._conn.execute(self._sql(sql), params).fetchall())
        except Exception:
            if not self._in_write:
                self.close()  # made anew at the next read
            raise

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self._conn.execute(self._sql(sql), params)

    @contextlib.contextmanager
    def write(self) -> Any:
        """A transaction holding the store's write lock; committed unless it raises."""
        if self._conn is None:
            self._conn = self._connect()
        if self.postgres:
            from workbench.store.pg_conn import STORE_WRITE_LOCK

            self._conn.execute(f"BEGIN; SELECT pg_advisory_xact_lock({STORE_WRITE_LOCK})".encode())
        else:
            self._conn.execute("BEGIN IMMEDIATE")  # waits for the writer of the moment
        self._in_write = True
        try:
            yield self
        except BaseException:
            with contextlib.suppress(*self.errors()):
                self._conn.execute("ROLLBACK")
            raise
        finally:
            self._in_write = False
        self._conn.execute("COMMIT")

    def errors(self) -> tuple[type[Exception], ...]:
        if self.postgres:
            import psycopg

            return (psycopg.Error, sqlite3.Error)
        return (sqlite3.Error,)

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None


@dataclass
class Findings:
    violations: dict[str, list[str]] = field(
        default_factory=lambda: {name: [] for name in INVARIANTS}
    )

    def add(self, invariant: str, detail: str) -> None:
        self.violations[invariant].append(detail)


class Soak:
    def __init__(self, args: argparse.Namespace) -> None:
        import random

        self.args = args
        self.rng = random.Random(args.seed)
        self.rng_lock = threading.Lock()
        self.tmp = Path(tempfile.mkdtemp(prefix="wb-soak-"))
        self.home = self.tmp / "home"
        self.events_dir = self.tmp / "events"
        self.logs = self.tmp / "logs"
        self.stop_file = self.tmp / "stop"
        self.events_dir.mkdir()
        self.logs.mkdir()
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.secrets: set[str] = {PASSPHRASE, ROOT_SECRET}
        self.deaths: dict[int, float] = {}
        self.killed_pids: set[int] = set()
        self.killer_victims: set[int] = set()
        self.kills: Counter[str] = Counter()
        self.cli_ops: Counter[str] = Counter()
        self.cli_errors: Counter[str] = Counter()
        self.cli_received: list[dict[str, Any]] = []
        self.cli_leases: dict[str, CliLease] = {}
        self.unclear: list[str] = []
        self.workers: list[WorkerProc] = []
        self.loads: dict[int, subprocess.Popen[str]] = {}
        self.inflight: dict[int, subprocess.Popen[str]] = {}
        self.children: list[subprocess.Popen[str]] = []
        self.threads: list[threading.Thread] = []
        # poller observations
        self.seen_ended: set[str] = set()
        self.resurrected: dict[str, str] = {}
        self.live_states: dict[str, list[str]] = {}
        self.revocable_since: dict[str, float] = {}
        self.moto: subprocess.Popen[str] | None = None
        self.url = ""
        self.cli_events = agent.Events(self.events_dir / "cli-runner.jsonl")
        # corrupt_row: its own generator, so the kinds and moments follow the seed
        # whatever the other threads draw
        kinds = args.fault_kinds.split(",")
        self.aws_fault_kinds = [kind for kind in kinds if kind in agent.FAULT_KINDS]
        self.corrupt_rng = random.Random(f"{args.seed}-{ROW_FAULT}")
        # the kinds in a seeded order, taken in turn (so a few corruptions differ)
        self.corrupt_order = sorted(BACKEND_CORRUPTIONS[args.store])
        self.corrupt_rng.shuffle(self.corrupt_order)
        self.corruptions: list[Corruption] = []
        self.load_started = time.time()
        self.final_status: Any = None
        self.final_status_problem = ""
        # the store: a SQLite file in home, or a database on the soak's own PostgreSQL
        self.backend: str = args.store
        self.pg: Any = None  # tests/pg_server.py's PgServer
        self.store_url = ""
        # kill_connections: its own generator too
        self.conn_rng = random.Random(f"{args.seed}-{CONN_FAULT}")
        self.conn_kills: Counter[str] = Counter()
        self.conn_kill_moments = 0

    # -- plumbing ----------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKBENCH_", "SOAK_"))}
        env.update(
            WORKBENCH_HOME=str(self.home),
            WORKBENCH_PASSPHRASE=PASSPHRASE,
            PYTHONUNBUFFERED="1",
            SOAK_EVENTS=str(self.events_dir),
            SOAK_STOP=str(self.stop_file),
            # The agents fail AWS calls; an empty kind list would mean all of them there.
            SOAK_FAULT_RATE=str(self.args.fault_rate if self.aws_fault_kinds else 0.0),
            SOAK_FAULT_KINDS=",".join(self.aws_fault_kinds),
            SOAK_SEED=str(self.args.seed),
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION="us-east-1",
        )
        if self.store_url:
            env["WORKBENCH_STORE"] = self.store_url
        env.update(extra)
        return env

    def spawn(self, argv: list[str], *, stderr_name: str, **extra: str) -> subprocess.Popen[str]:
        with (self.logs / stderr_name).open("a") as stderr:
            proc = subprocess.Popen(
                argv,
                env=self.env(**extra),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                cwd=self.tmp,
            )
        with self.lock:
            self.children.append(proc)
        return proc

    def died(self, proc: subprocess.Popen[str], when: float | None = None) -> None:
        with self.lock:
            self.deaths.setdefault(proc.pid, when if when is not None else time.time())
            if proc.returncode == -signal.SIGKILL:
                self.killed_pids.add(proc.pid)

    def kill(self, proc: subprocess.Popen[str]) -> float:
        when = time.time()
        with self.lock:
            self.killer_victims.add(proc.pid)
            self.killed_pids.add(proc.pid)
            self.deaths.setdefault(proc.pid, when)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()
        return when

    def pick(self, items: list[Any]) -> Any:
        with self.rng_lock:
            return self.rng.choice(items)

    def uniform(self, low: float, high: float) -> float:
        with self.rng_lock:
            return self.rng.uniform(low, high)

    def chance(self, p: float) -> bool:
        with self.rng_lock:
            return self.rng.random() < p

    # -- setup -------------------------------------------------------------------

    def start_postgres(self) -> None:
        """The soak's own PostgreSQL server (the tests' PgServer) and a fresh database."""
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        from tests.pg_server import PgServer

        try:
            self.pg = PgServer()
        except RuntimeError as error:  # not installed, or it would not start: say why
            raise SystemExit(f"cannot start PostgreSQL for the soak: {error}") from None
        self.store_url = self.pg.new_database()

    def db(self) -> StoreDb:
        """A connection of the soak's own to the store's database (not the workbench's)."""
        return StoreDb(self.backend, self.home, self.store_url)

    def start_moto(self) -> None:
        self.moto = subprocess.Popen(
            [PYTHON, AGENT, "moto"],
            env=self.env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(self.logs / "moto.err").open("a"),
            text=True,
        )
        assert self.moto.stdout is not None
        self.url = self.moto.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise SystemExit("the moto server did not start; see logs/moto.err")

    def iam(self) -> Any:
        import boto3

        return boto3.client(
            "iam",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def setup(self) -> None:
        from workbench.service import create_workbench, parse_location
        from workbench.store import KdfParams

        iam = self.iam()
        iam.create_group(GroupName="soak-group")
        read_arn = iam.create_policy(
            PolicyName="soak-read", PolicyDocument=json.dumps(policy("s3:ListBucket"))
        )["Policy"]["Arn"]
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                }
            ],
        }
        iam.create_role(RoleName="soak-deploy", AssumeRolePolicyDocument=json.dumps(trust))
        fast = KdfParams.fresh(memory_cost_kib=1024, iterations=1, lanes=1)
        self.home.mkdir(mode=0o700, exist_ok=True)  # the audit file device's folder
        location = parse_location(self.store_url or None, self.home)
        service = create_workbench(location, PASSPHRASE, label="soak", kdf=fast)
        service.engines.point_at(
            "aws", self.url, access_key=ROOT_ACCESS_KEY, secret_key=ROOT_SECRET, max_retries=4
        )
        service.engines.write_lease("aws", "30s", "15m")
        service.audit.enable_file_device(str(self.home / "audit.log"))
        sts_ttls = {"default_sts_ttl": "15m", "max_sts_ttl": "1h"}
        roles: dict[str, dict[str, Any]] = {
            "soak-user": {
                "credential_type": "iam_user",
                "user_path": "/soak/user/",
                "policy_document": policy("s3:GetObject"),
                "policy_arns": [read_arn],
                "iam_groups": ["soak-group"],
                "iam_tags": {"team": "soak"},
            },
            "soak-plain": {
                "credential_type": "iam_user",
                "user_path": "/soak/plain/",
                "policy_document": json.dumps(policy("sqs:SendMessage")),
            },
            agent.INCIDENT_ROLE: {
                "credential_type": "iam_user",
                "user_path": "/soak/incident/",
                "policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
            },
            "soak-assume": {
                "credential_type": "assumed_role",
                "role_arns": [f"arn:aws:iam::{ACCOUNT}:role/soak-deploy"],
                **sts_ttls,
            },
            "soak-fed": {
                "credential_type": "federation_token",
                "policy_document": policy("s3:GetObject"),
                **sts_ttls,
            },
            "soak-session": {"credential_type": "session_token", **sts_ttls},
        }
        for name, body in roles.items():
            service.roles.write("aws", name, body)
        self.service = service

    # -- the worker ----------------------------------------------------------------

    def start_worker(self, *, plain: bool) -> WorkerProc:
        argv = [PYTHON, "-m", "workbench", "worker"] if plain else [PYTHON, AGENT, "cli", "worker"]
        proc = self.spawn(argv, stderr_name="worker.err")
        worker = WorkerProc(proc, plain)
        with self.lock:
            self.workers.append(worker)

        def read() -> None:
            assert proc.stdout is not None
            with (self.logs / "worker.out").open("a") as log:
                for line in proc.stdout:
                    if worker.leader_at is None and " leader " in f" {line}":
                        worker.leader_at = time.time()
                    log.write(f"[{proc.pid}] {line}")
            proc.wait()
            self.died(proc)
            if worker.ended_at is None:
                worker.ended_at = self.deaths.get(proc.pid, time.time())

        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        self.threads.append(thread)
        return worker

    def current_worker(self) -> WorkerProc | None:
        with self.lock:
            return self.workers[-1] if self.workers else None

    def kill_worker(self) -> None:
        worker = self.current_worker()
        if worker is None or worker.proc.poll() is not None:
            return
        worker.ended_at = self.kill(worker.proc)
        self.kills["worker (SIGKILL)"] += 1

    def stop_worker(self, worker: WorkerProc) -> None:
        worker.proc.send_signal(signal.SIGTERM)
        stopped_at = time.time()
        try:
            worker.proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            self.kill(worker.proc)
        # Alive until it exits: it finishes in-flight revocations first.
        worker.ended_at = max(stopped_at, time.time())

    def wait_leader(self, worker: WorkerProc, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while worker.leader_at is None and time.monotonic() < deadline:
            if worker.proc.poll() is not None:
                raise SystemExit("the worker exited at start; see logs/worker.err")
            time.sleep(0.05)

    # -- the service-API clients ------------------------------------------------------

    def start_load(self, index: int) -> None:
        proc = self.spawn([PYTHON, AGENT, "load", str(index)], stderr_name=f"load{index}.err")
        with self.lock:
            self.loads[index] = proc

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith("S "):
                    with self.lock:
                        self.secrets.add(line[2:].rstrip("\n"))
            proc.wait()
            self.died(proc)

        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        self.threads.append(thread)

    # -- CLI clients ----------------------------------------------------------------

    def cli_runner(self, number: int) -> None:
        while not self.stopping.is_set():
            now = time.time()
            with self.lock:
                open_leases = [lease for lease in self.cli_leases.values() if not lease.ended]
            renewable = [
                lease for lease in open_leases if lease.kind == "iam_user" and not lease.ended
            ]
            revocable = [
                lease
                for lease in open_leases
                if lease.expire_low - now >= agent.REVOKE_MARGIN_SECONDS + 5
            ]
            choice = self.pick(["creds"] * 6 + ["renew"] * 2 + ["revoke"] * 2)
            try:
                if choice == "renew" and renewable:
                    self.cli_renew(number, self.pick(renewable))
                elif choice == "revoke" and revocable:
                    self.cli_revoke(number, self.pick(revocable))
                else:
                    self.cli_creds(number)
            except Exception as error:  # the harness must not die silently
                self.unclear.append(f"cli runner {number}: {type(error).__name__}: {error}")
            self.stopping.wait(self.uniform(0.2, 1.0))

    def _check_errors(self, what: str, code: int, err: str) -> None:
        if code in (0, -signal.SIGKILL):
            return
        lines = [line for line in err.splitlines() if not line.startswith(("warning:", "note:"))]
        if code != 1 or "Traceback" in err or len(lines) != 1 or not lines[0].startswith("error:"):
            self.unclear.append(f"{what}: exit {code}: {err.strip()[-400:]}")
            with (self.logs / "cli-unclear.err").open("a") as log:  # the whole of it
                log.write(f"--- {what}: exit {code}\n{err}\n")

    def _run(self, what: str, args: list[str], fault: str | None) -> tuple[int, str, str]:
        extra = {"WORKBENCH_FAULT": fault} if fault else {}
        proc = subprocess.Popen(
            [PYTHON, AGENT, "cli", *args],
            env=self.env(**extra),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.tmp,
        )
        with self.lock:
            self.children.append(proc)
            self.inflight[proc.pid] = proc
        out, err = proc.communicate()
        with self.lock:
            self.inflight.pop(proc.pid, None)
        self.died(proc)
        if proc.returncode == -signal.SIGKILL:
            if proc.pid in self.killer_victims:
                pass  # counted by the killer
            elif fault:
                self.kills["cli (WORKBENCH_FAULT kill)"] += 1
            else:
                self.kills["cli (SIGKILL, unexplained)"] += 1
        self.cli_ops[f"cli {what}: exit {proc.returncode}"] += 1
        if proc.returncode == 1:
            first = next((line for line in err.splitlines() if line.startswith("error:")), err)
            masked = re.sub(r"aws/(creds|sts)/\S+|\d[\d.:smh]*", "_", first)
            self.cli_errors[f"cli {what}: {masked[7:60]}"] += 1
        self._check_errors(f"cli {what}", proc.returncode, err)
        return proc.returncode, out, err

    def cli_creds(self, number: int) -> None:
        role = self.pick([*agent.IAM_ROLES, *agent.IAM_ROLES, *agent.STS_ROLES])
        iam_user = role in agent.IAM_ROLES
        seconds = int(self.uniform(1, 61)) if iam_user else int(self.uniform(900, 1201))
        fault = f"kill:{self.pick(ISSUE_STEPS)}" if iam_user and self.chance(0.25) else None
        started = time.time()
        args = ["--as", f"cli{number}", "creds", role, "--ttl", f"{seconds}s", "--format", "json"]
        _code, out, _err = self._run("creds", args, fault)
        try:
            answer = json.loads(out)
        except ValueError:
            return  # nothing (complete) was received
        lease_id = answer["lease_id"]
        data = answer["data"]
        with self.lock:
            for secret in (data.get("secret_key"), data.get("session_token")):
                if secret:
                    self.secrets.add(secret)
            self.cli_leases[lease_id] = CliLease(
                lease_id,
                "iam_user" if iam_user else "sts",
                started,
                started + int(answer["lease_duration"]),
            )
        record = {
            "ev": "issue",
            "via": "cli",
            "lease_id": lease_id,
            "access_key": data.get("access_key"),
            "secret_sha256": agent.sha256(data.get("secret_key")),
            "token_sha256": agent.sha256(data.get("session_token")),
        }
        self.cli_events.write(**record)

    def cli_renew(self, number: int, lease: CliLease) -> None:
        seconds = int(self.uniform(1, 61))
        started = time.time()
        code, _out, _err = self._run(
            "renew",
            [
                "--as",
                f"cli{number}",
                "lease",
                "renew",
                lease.lease_id,
                "--increment",
                f"{seconds}s",
            ],
            None,
        )
        if code == 0:
            with self.lock:
                lease.expire_low = min(started + seconds, lease.issued_at + 900)
            self.cli_events.write(ev="renew", via="cli", lease_id=lease.lease_id)

    def cli_revoke(self, number: int, lease: CliLease) -> None:
        lease.ended = True
        fault = (
            f"kill:{self.pick(REVOKE_STEPS)}"
            if lease.kind == "iam_user" and self.chance(0.2)
            else None
        )
        self.cli_events.write(ev="revoke_start", via="cli", lease_id=lease.lease_id)
        code, _out, _err = self._run(
            "revoke", ["--as", f"cli{number}", "lease", "revoke", lease.lease_id], fault
        )
        self.cli_events.write(ev="revoke", via="cli", lease_id=lease.lease_id, code=code)

    # -- chaos ------------------------------------------------------------------------

    def killer(self) -> None:
        while not self.stopping.wait(self.uniform(0.5, 1.5) * self.args.kill_every):
            target = self.pick(["worker"] * 3 + ["cli"] * 4 + ["load"] * 3)
            with self.lock:
                inflight = list(self.inflight.values())
                loads = list(self.loads.items())
            if target == "cli":
                victim = self.pick(inflight) if inflight else None
                if victim is not None and victim.poll() is None:
                    self.kill(victim)
                    self.kills["cli (SIGKILL)"] += 1
            elif target == "load":
                index, proc = self.pick(loads) if loads else (0, None)
                if proc is not None and proc.poll() is None:
                    self.kill(proc)
                    self.kills["client process (SIGKILL)"] += 1
                    self.start_load(index)
            else:
                self.kill_worker()
                # no worker for a moment: the next one recovers what was in flight
                self.stopping.wait(self.uniform(0, 3))
                worker = self.current_worker()
                self.start_worker(plain=bool(worker and not worker.plain))

    def poller(self) -> None:
        """Watch lease states: an ended lease seen live again was resurrected."""
        conn = self.db()
        try:
            while not self.poll_done.is_set():
                try:
                    rows = conn.rows("SELECT lease_id, state, owner, next_attempt_time FROM leases")
                except conn.errors():
                    time.sleep(0.2)
                    continue
                now = time.time()
                for lease_id, state, owner, next_attempt in rows:
                    if state in ENDED:
                        self.seen_ended.add(lease_id)
                        continue
                    if lease_id in self.seen_ended:
                        self.resurrected.setdefault(lease_id, state)
                    seen = (
                        f"{state} (holder dead)"
                        if state in {"pending", "revoking"} and owner and self.owner_dead(owner)
                        else state
                    )
                    history = self.live_states.setdefault(lease_id, [])
                    if not history or history[-1] != seen:
                        history.append(seen)
                    revocable = (state == "pending" and self.owner_dead(owner)) or (
                        state == "revoking"
                        and (not owner or self.owner_dead(owner))
                        and (next_attempt or 0) <= now
                    )
                    if revocable:
                        self.revocable_since.setdefault(lease_id, now)
                time.sleep(0.25)
        finally:
            conn.close()

    def owner_dead(self, owner: str | None) -> bool:
        if not owner:
            return True
        host, pid = [*owner.split(":"), ""][:2]  # host:pid:token (the registry's owner)
        if host != HOST or not pid.isdigit():
            return False
        if int(pid) in self.deaths:
            return True
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    # -- kill_connections ---------------------------------------------------------------

    def connection_killer(self) -> None:
        """End a random subset of the clients' sessions at random moments of the load."""
        db = self.db()
        mean = self.args.kill_connections_every
        try:
            while not self.stopping.wait(self.conn_rng.uniform(0.25, 1.75) * mean):
                try:
                    self.kill_connections(db)
                except db.errors() as error:  # the harness must not die silently
                    self.unclear.append(f"{CONN_FAULT}: {type(error).__name__}: {error}")
        finally:
            db.close()

    def kill_connections(self, db: StoreDb) -> None:
        # Every client's session to this store's database (never the soak's own: its
        # service is idle during the load and its reads are the judge's).
        sessions = db.rows(
            "SELECT pid, application_name, query FROM pg_stat_activity "
            "WHERE application_name LIKE ? AND pid <> pg_backend_pid() "
            "AND datname = current_database() AND application_name NOT LIKE ? ORDER BY pid",
            (CLIENT_APPS, f"%:{os.getpid()}"),
        )
        if not sessions:
            return
        picked = [row for row in sessions if self.conn_rng.random() < self.args.kill_share]
        picked = picked or [self.conn_rng.choice(sessions)]
        ended = {
            pid
            for pid, terminated in db.rows(
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name LIKE ? AND pid <> pg_backend_pid() AND pid = ANY(?)",
                (CLIENT_APPS, [row[0] for row in picked]),
            )
            if terminated
        }
        self.conn_kill_moments += 1
        for pid, app, query in picked:
            if pid in ended:
                self.conn_kills[session_kind(app, query)] += 1

    # -- corrupt_row ------------------------------------------------------------------

    def corruption_count(self) -> int:
        if ROW_FAULT not in self.args.fault_kinds.split(","):
            return 0
        if self.args.corruptions is not None:
            return max(0, int(self.args.corruptions))
        return max(1, round(float(self.args.duration) / 30))

    def corrupter(self) -> None:
        """Damage lease rows at seeded moments of the load (retrying while none is live)."""
        count = self.corruption_count()
        moments = sorted(
            self.corrupt_rng.uniform(0.15, 0.85) * self.args.duration for _ in range(count)
        )
        for moment in moments:
            if self.stopping.wait(max(0.0, self.load_started + moment - time.time())):
                return
            while not self.corrupt_one():
                if self.stopping.wait(0.5):
                    return

    def corrupt_one(self) -> bool:
        """Damage one random live lease row with sqlite3 / psycopg; False if none could be."""
        damaged = {c.lease_id for c in self.corruptions}
        db = self.db()
        try:
            with db.write():
                corruption = self._corrupt_in(db, damaged)
        except db.errors() as error:  # the harness must not die silently
            self.unclear.append(f"{ROW_FAULT}: {type(error).__name__}: {error}")
            return False
        finally:
            db.close()
        if corruption is None:
            return False
        with self.lock:
            self.corruptions.append(corruption)
        return True

    def _corrupt_in(self, conn: StoreDb, damaged: set[str]) -> Corruption | None:
        # Only settled live rows: a pending or revoking row is held by a process that
        # writes the whole row back from memory, which would undo the damage.
        # (PostgreSQL enforces the types SQLite's typeof() checks here.)
        typed = (
            ("secret_key IS NOT NULL", "")
            if conn.postgres
            else (
                "secret_key IS NOT NULL AND typeof(secret_key) = 'blob'",
                "AND typeof(expire_time) IN ('integer', 'real') ",
            )
        )
        rows = conn.rows(
            f"SELECT lease_id, role, credential_type, iam_user_name, {typed[0]}, expire_time "
            f"FROM leases WHERE state IN ('active', 'propagating') {typed[1]}"
            "AND expire_time > ? ORDER BY lease_id",
            (time.time(),),
        )
        rows = [row for row in rows if row[0] not in damaged]
        # Rather one that falls due before the load ends: the worker then meets the
        # damaged row while it has other leases to revoke on time.
        due_in_load = self.load_started + self.args.duration - 5
        soon = [row for row in rows if row[5] < due_in_load]
        rows = soon or rows
        candidates = {
            "credential_type": rows,
            # Renewing writes expire_time (a renew in flight would undo the damage), so
            # only leases the soak never renews: STS ones and the incident role's.
            "expire_time": [
                row for row in rows if row[2] != "iam_user" or row[1] == agent.INCIDENT_ROLE
            ],
            "secret_text": [row for row in rows if row[4]],
            "secret_bytes": [row for row in rows if row[4]],
            "secret_tampered": [row for row in rows if row[4]],
        }
        turn = len(self.corruptions) % len(self.corrupt_order)
        kinds = self.corrupt_order[turn:] + self.corrupt_order[:turn]
        kind = next((kind for kind in kinds if candidates[kind]), None)  # the next that can be
        if kind is None:
            return None
        lease_id, role, credential_type, user, _secret, _expiry = self.corrupt_rng.choice(
            candidates[kind]
        )
        where = " WHERE lease_id = ? AND state IN ('active', 'propagating')"
        if kind == "credential_type":
            conn.execute("UPDATE leases SET credential_type = 'iam_user_v2'" + where, (lease_id,))
        elif kind == "expire_time":
            conn.execute("UPDATE leases SET expire_time = 'soon'" + where, (lease_id,))
        elif kind == "secret_text":
            conn.execute(
                "UPDATE leases SET secret_key = CAST(? AS TEXT)" + where,
                (NOT_A_CIPHERTEXT, lease_id),
            )
        elif kind == "secret_bytes":
            conn.execute("UPDATE leases SET secret_key = ?" + where, (NOT_A_CIPHERTEXT, lease_id))
        else:
            ((blob,),) = conn.rows("SELECT secret_key FROM leases WHERE lease_id = ?", (lease_id,))
            blob = bytes(blob)
            flipped = blob[:-1] + bytes([blob[-1] ^ 0x01])  # in the AEAD tag
            conn.execute("UPDATE leases SET secret_key = ?" + where, (flipped, lease_id))
        return Corruption(lease_id, kind, time.time(), credential_type, role, user)

    # -- the run ----------------------------------------------------------------------

    def run(self) -> int:
        started = time.time()
        if self.backend == POSTGRESQL:
            self.start_postgres()
        self.start_moto()
        self.setup()
        self.poll_done = threading.Event()
        poller = threading.Thread(target=self.poller, daemon=True)
        poller.start()
        first = self.start_worker(plain=True)
        self.wait_leader(first)
        for index in range(self.args.processes):
            self.start_load(index)
        runners = [
            threading.Thread(target=self.cli_runner, args=(n,), daemon=True)
            for n in range(self.args.cli_runners)
        ]
        killer = threading.Thread(target=self.killer, daemon=True)
        corrupter = threading.Thread(target=self.corrupter, daemon=True)
        chaos = [killer, corrupter]
        if CONN_FAULT in self.args.fault_kinds.split(","):
            chaos.append(threading.Thread(target=self.connection_killer, daemon=True))
        self.load_started = time.time()
        for thread in [*runners, *chaos]:
            thread.start()
        load_until = self.load_started + self.args.duration
        while time.time() < load_until:
            time.sleep(0.5)
        # Stop the load.
        self.stopping.set()
        self.stop_file.touch()
        killer.join(timeout=30)
        corrupter.join(timeout=60)
        for thread in chaos[2:]:
            thread.join(timeout=30)
        if self.corruption_count() and not self.corruptions:
            self.corrupt_one()  # none was live at its moments: one now, before the last worker
        for thread in runners:
            thread.join(timeout=180)
        with self.lock:
            loads = list(self.loads.values())
        for proc in loads:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill(proc)
        # A fresh worker: recover, then every due revocation.
        worker = self.current_worker()
        if worker is not None and worker.proc.poll() is None:
            self.stop_worker(worker)
        final = self.start_worker(plain=True)
        self.wait_leader(final)
        settled = self.wait_settled(timeout=max(120.0, self.args.duration / 4))
        # What the revoker reports about itself, while it runs (no passphrase needed).
        self.final_status, self.final_status_problem = self.workbench_json(
            "status", "--format", "json"
        )
        self.stop_worker(final)
        checked_at = final.ended_at or time.time()
        self.poll_done.set()
        poller.join(timeout=10)
        findings, figures = self.check(checked_at)
        if not settled:
            figures["note"] = "due revocations did not settle before the timeout"
        figures["wall"] = time.time() - started
        self.report(findings, figures)
        failed = any(findings.violations.values())
        return 1 if failed else 0

    def wait_settled(self, timeout: float) -> bool:
        conn = self.db()
        deadline = time.monotonic() + timeout
        # Unreadable rows are set aside, never revoked: nothing to wait for there.
        aside = [c.lease_id for c in self.corruptions if not c.readable]
        not_aside = f"AND lease_id NOT IN ({', '.join('?' * len(aside))})" if aside else ""
        try:
            while time.monotonic() < deadline:
                now = time.time()
                ((count,),) = conn.rows(
                    "SELECT count(*) FROM leases WHERE (state IN ('pending', 'revoking') "
                    "OR (state IN ('active', 'propagating', 'irrevocable') "
                    f"AND coalesce(next_attempt_time, expire_time) <= ?)) {not_aside}",
                    (now, *aside),
                )
                if count == 0:
                    time.sleep(1.0)  # let anything that just came due be picked up
                    return True
                time.sleep(0.5)
            return False
        finally:
            conn.close()

    def cleanup(self, keep: bool) -> None:
        with self.lock:
            children = list(self.children)
        for proc in children:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if self.moto is not None and self.moto.poll() is None:
            self.moto.terminate()
            try:
                self.moto.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.moto.kill()
                self.moto.wait()
        if self.pg is not None:
            if keep:  # the database goes with the server; its log is kept with the run
                with contextlib.suppress(OSError):
                    shutil.copy(self.pg.root / "log", self.logs / "postgresql.log")
            self.pg.stop()
        if keep:
            print(f"run folder kept: {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- checking ---------------------------------------------------------------------

    def workbench_json(self, *args: str) -> tuple[Any, str]:
        """The plain CLI's JSON answer (no faults injected), or None and what went wrong."""
        what = f"`workbench {' '.join(args)}`"
        try:
            run = subprocess.run(
                [PYTHON, "-m", "workbench", *args],
                env=self.env(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=120,
                cwd=self.tmp,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return None, f"{what} did not answer in 120 s"
        try:
            return json.loads(run.stdout), ""
        except ValueError:
            return None, f"{what}: exit {run.returncode}: {run.stderr.strip()[-300:]}"

    def read_events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        for path in sorted(self.events_dir.glob("*.jsonl")):
            role = path.stem.split("-")[0]
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # a line cut short by SIGKILL
                record["_proc"] = role
                events.append(record)
        events.sort(key=lambda record: record.get("t", 0))
        return events

    def worker_alive(self, start: float, end: float) -> float:
        alive = 0.0
        for worker in self.workers:
            if worker.leader_at is None:
                continue
            until = worker.ended_at if worker.ended_at is not None else end
            alive += max(0.0, min(end, until) - max(start, worker.leader_at))
        return alive

    def check(self, checked_at: float) -> tuple[Findings, dict[str, Any]]:
        findings = Findings()
        figures: dict[str, Any] = {}
        store = self.service._store
        events = self.read_events()
        # The CLI first, so the audit checks below cover its entries too.
        kept_users, figures["corrupted"] = self._check_corrupted(findings, store)
        corrupted = {c.lease_id: c for c in self.corruptions}
        leases = {lease.lease_id: lease for lease in store.leases.list(live_only=False)}
        records = list(self.service.audit.entries())

        # -- audit -----------------------------------------------------------------
        verified = self.service.audit.verify()
        if not verified.ok:
            findings.add("audit-verify", f"{verified.problem} (seq {verified.bad_seq})")
        requests: dict[str, Any] = {}
        responses: dict[str, Any] = {}
        for record in records:
            entry = record.entry
            target = requests if entry["type"] == "request" else responses
            target[entry["request"]["id"]] = record
        for request_id, record in requests.items():
            if request_id not in responses:
                pid = record.entry["auth"]["metadata"].get("pid")
                if pid not in self.killed_pids:
                    findings.add(
                        "audit-complete",
                        f"request {record.entry['request']['path']} (pid {pid}, seq "
                        f"{record.seq}) has no response and its process was not killed",
                    )
        for request_id, record in responses.items():
            if request_id not in requests:
                findings.add("audit-complete", f"response seq {record.seq} has no request")
        issued_at: dict[str, float] = {}
        # leases an operator asked to revoke (a crashed request is finished by recovery)
        asked_to_revoke = {
            record.entry["request"]["data"].get("lease_id")
            for record in requests.values()
            if record.entry["request"]["path"] == "sys/leases/revoke"
            and record.entry["request"]["data"].get("source") == "operator"
        }
        revocations: dict[str, list[Any]] = defaultdict(list)
        withheld = 0
        # Renewals done with their result withheld: the expiry each made (its ttl on from
        # its response entry's time, which follows the renewal by milliseconds).
        renewed_withheld: dict[str, list[float]] = defaultdict(list)
        for record in responses.values():
            entry = record.entry
            path = entry["request"]["path"]
            if path == "sys/leases/renew" and WITHHELD in (entry["error"] or ""):
                ttl = ((entry.get("response") or {}).get("data") or {}).get("ttl")
                renewed = entry["request"]["data"].get("lease_id")
                if renewed and isinstance(ttl, int | float):
                    renewed_withheld[renewed].append(record.time + ttl)
                    withheld += 1
            lease_id = ((entry.get("response") or {}).get("secret") or {}).get("lease_id")
            if not lease_id:
                continue
            if re.fullmatch(r"aws/(creds|sts)/[^/]+", path) and not entry["error"]:
                issued_at[lease_id] = record.time
            state = ((entry.get("response") or {}).get("data") or {}).get("state")
            if path == "sys/leases/revoke" and state in {"revoked", "expired"}:
                if not entry["error"]:
                    revocations[lease_id].append(record)
                elif WITHHELD in entry["error"]:
                    # Done, but its response entry was refused (a team store's connection
                    # cut off) and then recorded as this failure, with the outcome: the
                    # client was refused the result; the trail has it.
                    revocations[lease_id].append(record)
                    withheld += 1

        # -- what the clients received ---------------------------------------------------
        received = [e for e in events if e.get("ev") == "issue"]
        renews: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for event in events:
            if event.get("ev") in {"renew_start", "renew"} or (
                event.get("ev") == "error" and event.get("op") == "renew"
            ):
                renews[event.get("lease_id", "")].append(event)
        erased_ended = 0
        for event in received:
            lease_id = event["lease_id"]
            damage = corrupted.get(lease_id)
            try:
                stored = store.leases.get(lease_id, secrets=True)
            except StoreCorrupted as error:
                if damage is None:
                    findings.add("no-lease-lost", f"{lease_id} ({event['via']}): {error}")
                    continue
                # Damaged by the soak: how it is reported is corrupted-reported's to judge.
                if lease_id not in issued_at:
                    findings.add("audit-complete", f"{lease_id}: received, but no issue response")
                if damage.readable:  # only its secret was damaged: the rest must hold
                    stored = store.leases.get(lease_id)
                    if stored is not None and stored.access_key_id != event["access_key"]:
                        findings.add("no-lease-lost", f"{lease_id}: stored access key differs")
                    if stored is not None:
                        self._check_state(findings, stored, checked_at)
                continue
            if stored is None:
                findings.add("no-lease-lost", f"{lease_id} ({event['via']}) is not in the store")
                continue
            same = (
                agent.sha256(stored.secret_key) == event["secret_sha256"]
                and agent.sha256(stored.session_token) == event["token_sha256"]
            )
            erased = stored.secret_key is None and stored.session_token is None
            if stored.access_key_id != event["access_key"]:
                findings.add("no-lease-lost", f"{lease_id}: stored access key differs")
            elif not same and erased and stored.state.value in ENDED:
                erased_ended += 1  # a dead credential's secret dropped: reported, not counted
            elif not same:
                findings.add(
                    "no-lease-lost",
                    f"{lease_id} ({stored.state.value}): stored secret "
                    f"{'erased' if erased else 'differs from the one received'}",
                )
            if lease_id not in issued_at:
                findings.add("audit-complete", f"{lease_id}: received, but no issue response")
            self._check_state(findings, stored, checked_at)
            ended_by = revocations.get(lease_id)
            if (
                ended_by
                and lease_id not in asked_to_revoke
                and ended_by[0].entry["request"]["data"].get("source") == "worker"
                and ended_by[0].time < stored.expire_time - 0.5
            ):
                findings.add(
                    "state-right",
                    f"{lease_id}: the worker revoked it {stored.expire_time - ended_by[0].time:.1f}"
                    " s before its expiry",
                )
            if event["via"] == "api" and stored.state.value in {"active", "propagating"}:
                told = [event["expire_time"]]
                history = renews.get(lease_id, [])
                told += [e["expire_time"] for e in history if e["ev"] == "renew"]
                ambiguous = sum(e["ev"] == "renew_start" for e in history) > sum(
                    e["ev"] == "renew" for e in history
                )
                if (
                    abs(stored.expire_time - told[-1]) > 1e-3
                    and not (ambiguous and any(abs(stored.expire_time - t) < 1e-3 for t in told))
                    and not any(
                        abs(stored.expire_time - t) < 1.5 for t in renewed_withheld[lease_id]
                    )
                ):
                    findings.add(
                        "state-right",
                        f"{lease_id}: expires at {stored.expire_time:.3f}, the client was told "
                        f"{told[-1]:.3f}",
                    )
        for lease in leases.values():
            if lease.state.value in {"pending", "revoking", "irrevocable"}:
                findings.add(
                    "state-right",
                    f"{lease.lease_id} ({lease.credential_type.value}) still {lease.state.value} "
                    f"after the final worker: {lease.error}",
                )

        # -- revoked once ------------------------------------------------------------------
        # A revoke of a lease that has already ended answers with its state and changes
        # nothing (a no-op, counted apart). A second real revocation needs the lease
        # live again, so it shows as a row written after the first revocation ended,
        # or as a live state seen after an ended one.
        noop_revokes = 0
        killed_after_end = 0
        killed_revoking = {
            record.entry["request"]["data"].get("lease_id")
            for request_id, record in requests.items()
            if record.entry["request"]["path"] == "sys/leases/revoke"
            and request_id not in responses
            and record.entry["auth"]["metadata"].get("pid") in self.killed_pids
        }
        for lease_id, lease in leases.items():
            successes = sorted(revocations.get(lease_id, []), key=lambda r: r.seq)
            state = lease.state.value
            forced = "force-revoked" in (lease.error or "")
            if state in {"revoked", "expired"} and not forced:
                if not successes and lease_id in killed_revoking:
                    # Ended by a process SIGKILLed after its last write, before its response
                    # (its request stands alone, as audit-complete allows a killed process).
                    killed_after_end += 1
                    continue
                if not successes:
                    findings.add("audit-complete", f"{lease_id} is {state}: no revoke response")
                    continue
                noop_revokes += len(successes) - 1
                if lease.updated_time > successes[0].time:
                    sources = [r.entry["request"]["data"].get("source") for r in successes]
                    findings.add(
                        "revoked-once",
                        f"{lease_id}: written {lease.updated_time - successes[0].time:.2f} s "
                        f"after its revocation ended (successful revokes: {sources})",
                    )
            elif state in LIVE and successes:
                findings.add(
                    "revoked-once", f"{lease_id} is {state} after {len(successes)} revocation(s)"
                )
        for lease_id, state in self.resurrected.items():
            findings.add("revoked-once", f"{lease_id} was seen {state} after it had ended")

        # -- AWS ------------------------------------------------------------------------------
        iam = self.iam()
        users = [
            user
            for page in iam.get_paginator("list_users").paginate()
            for user in page["Users"]
            if user.get("Path", "").startswith(USER_PATH_PREFIX)
            or user.get("UserName", "").startswith("wb-")
        ]
        for user in users:
            if "UserName" not in user:
                findings.add("iam-users-owned", f"IAM listed a user without a name: {user}")
                user["UserName"] = "?"
        by_user = {lease.iam_user_name: lease for lease in leases.values() if lease.iam_user_name}
        figures["kept_users"] = 0
        for user in users:
            owner = by_user.get(user["UserName"])
            if owner is None and user["UserName"] in kept_users:
                figures["kept_users"] += 1  # its lease is unreadable, reported with this user
                continue
            if owner is None or owner.state.value not in {"active", "propagating"}:
                findings.add(
                    "iam-users-owned",
                    f"IAM user {user['UserName']}: lease "
                    f"{owner.lease_id + ' is ' + owner.state.value if owner else 'none'}"
                    f"{' (' + (owner.error or '')[:160] + ')' if owner else ''}",
                )
        present = {user["UserName"] for user in users}
        for lease in leases.values():
            if lease.credential_type.value != "iam_user" or lease.state.value not in {
                "active",
                "propagating",
            }:
                continue
            if lease.iam_user_name not in present:
                findings.add("live-users-one-key", f"{lease.lease_id}: its IAM user is gone")
                continue
            keys = [
                key["AccessKeyId"]
                for key in iam.list_access_keys(UserName=lease.iam_user_name)["AccessKeyMetadata"]
            ]
            if keys != [lease.access_key_id]:
                findings.add(
                    "live-users-one-key",
                    f"{lease.lease_id}: user has {len(keys)} key(s) {keys}, lease has "
                    f"{lease.access_key_id}",
                )

        # -- on time ----------------------------------------------------------------------
        allowance: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for event in events:
            if event.get("ev") == "fault" and event.get("user") and event["op"] in REVOKE_CALLS:
                allowance[event["user"]].append((event["t"], event["allowance"]))
        delays: list[float] = []
        threshold = self.args.threshold
        for lease in leases.values():
            state = lease.state.value
            ready = issued_at.get(lease.lease_id) or self.revocable_since.get(lease.lease_id)
            start = max(lease.expire_time, ready or lease.issue_time)
            if state in LIVE:
                end = checked_at
                if start >= end:
                    continue
            elif lease.lease_id in revocations:
                end = revocations[lease.lease_id][0].time
            elif state == "failed" and lease.lease_id in self.revocable_since:
                end = lease.updated_time or checked_at
            else:
                continue
            if end <= start:
                continue  # ended before it expired
            waited = self.worker_alive(start, end)
            delays.append(waited)
            allowed = threshold + sum(
                extra
                for when, extra in allowance.get(lease.iam_user_name or "", [])
                if start - 60 <= when <= end
            )
            if waited > allowed:
                findings.add(
                    "revoked-on-time",
                    f"{lease.lease_id} ({lease.credential_type.value}, "
                    f"seen {' > '.join(self.live_states.get(lease.lease_id, ['?']))}, now "
                    f"{state}): {waited:.1f} s expired and unrevoked with a worker alive "
                    f"(allowed {allowed:.1f} s)",
                )
        figures["delays"] = delays

        # -- secrets on disk -----------------------------------------------------------------
        if self.backend == SQLITE:
            store.checkpoint()
        for lease in leases.values():
            try:
                full = store.leases.get(lease.lease_id, secrets=True)
            except StoreCorrupted as error:
                if lease.lease_id not in corrupted:
                    findings.add("no-lease-lost", f"{lease.lease_id}: {error}")
                continue
            if full is not None:
                self.secrets.update(s for s in (full.secret_key, full.session_token) if s)
        for path, secret in scan_for_secrets(self.tmp, self.secrets):
            findings.add("no-secret-on-disk", f"{path}: a secret ({secret[:4]}...)")
        figures["secrets"] = len(self.secrets)
        figures["scanned"] = sum(1 for p in self.tmp.rglob("*") if p.is_file())
        if self.pg is not None:
            # The store's tables read raw, and the server's log.
            tables, cells = self.scan_tables(findings)
            figures["scanned_tables"] = (tables, cells)
            for _path, secret in scan_for_secrets(self.pg.root, self.secrets, only=["log"]):
                findings.add("no-secret-on-disk", f"the server's log: a secret ({secret[:4]}...)")

        # -- errors ---------------------------------------------------------------------------
        for event in events:
            if event.get("ev") == "crash":
                findings.add(
                    "clear-errors", f"{event['_proc']} {event['op']}: {event['tb'][-400:]}"
                )
            if event.get("ev") == "error" and "\n" in event.get("msg", ""):
                findings.add("clear-errors", f"{event['op']}: multi-line: {event['msg'][:200]}")
        for problem in self.unclear:
            findings.add("clear-errors", problem)

        figures["erased_ended"] = erased_ended
        figures["noop_revokes"] = noop_revokes
        figures["withheld"] = withheld
        figures["killed_after_end"] = killed_after_end
        figures["received"] = len(received)
        figures["events"] = events
        figures["leases"] = leases
        figures["revocations"] = revocations
        figures["audit_entries"] = len(records)
        return findings, figures

    def scan_tables(self, findings: Findings) -> tuple[int, int]:
        """no-secret-on-disk on PostgreSQL: every column of every row of the store's
        tables as the server holds it (bytea as its bytes, the rest as text). The
        number of tables and of values read."""
        db = self.db()
        cells = 0
        try:
            tables = [
                name
                for (name,) in db.rows(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
                    "ORDER BY table_name"
                )
            ]
            for table in tables:
                values: list[bytes] = []
                for row in db.rows(f'SELECT * FROM "{table}"'):
                    cells += len(row)
                    values.extend(
                        bytes(value)
                        if isinstance(value, bytes | memoryview)
                        else str(value).encode("utf-8")
                        for value in row
                        if value is not None
                    )
                for secret in find_secrets(b"\0".join(values), self.secrets):
                    findings.add(
                        "no-secret-on-disk", f"table {table} (raw): a secret ({secret[:4]}...)"
                    )
        finally:
            db.close()
        return len(tables), cells

    def _check_corrupted(self, findings: Findings, store: Any) -> tuple[dict[str, str], list[str]]:
        """corrupted-reported; the IAM users an unreadable lease is reported with
        (name -> lease id), and one line per corrupted row for the report."""
        bad = "corrupted-reported"
        listing, problem = self.workbench_json("lease", "list", "--all", "--format", "json")
        answer, reconcile_problem = self.workbench_json("reconcile", "--format", "json")
        reconciled: dict[str, Any] = answer if isinstance(answer, dict) else {}
        status = self.final_status if isinstance(self.final_status, dict) else {}
        for trouble in (problem, reconcile_problem, self.final_status_problem):
            if trouble:
                findings.add(bad, trouble)
        listed = {
            row.get("id"): row for row in listing or [] if isinstance(row, dict) and row.get("id")
        }
        in_status = {row.get("lease_id") for row in status.get("unreadable") or []}
        in_reconcile = {row.get("id") for row in reconciled.get("unreadable") or []}
        strays = {row.get("name") for row in reconciled.get("strays") or []}
        log = self.logs / "worker.err"
        worker_log = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        corrupted = {c.lease_id: c for c in self.corruptions}
        if self.corruption_count() and not self.corruptions:
            findings.add(bad, "corrupt_row was on, but no lease row could be corrupted")
        for lease_id, item in listed.items():
            if item.get("state") == "unreadable" and lease_id not in corrupted:
                findings.add(bad, f"{lease_id} is unreadable; the soak did not damage it: {item}")
        unreadable_count = sum(item.get("state") == "unreadable" for item in listed.values())
        kept: dict[str, str] = {}
        lines: list[str] = []
        for damage in self.corruptions:
            name = f"{damage.lease_id} ({damage.kind})"
            row = listed.get(damage.lease_id)
            if row is None:
                findings.add(bad, f"{name}: missing from `lease list --all --format json`")
                lines.append(f"{name}: MISSING from lease list")
                continue
            error = str(row.get("error"))
            if row.get("state") == "unreadable":
                outcome = f"unreadable ({error[:90]})"
                if damage.column not in error:
                    findings.add(bad, f"{name}: its error does not name {damage.column}: {error}")
                if damage.lease_id not in in_reconcile:
                    findings.add(bad, f"{name}: `reconcile` does not list it as unreadable")
                if unreadable_count <= MAX_UNREADABLE_SHOWN and damage.lease_id not in in_status:
                    findings.add(bad, f"{name}: `workbench status` does not list it as unreadable")
                if not re.search(rf"unreadable .*{re.escape(damage.lease_id)}", worker_log):
                    findings.add(bad, f"{name}: the worker's log never set it aside")
                user = damage.iam_user_name
                if damage.credential_type == "iam_user" and user:
                    if row.get("iam_user") != user:
                        findings.add(bad, f"{name}: listed without its IAM user {user}")
                    elif user in strays:
                        findings.add(bad, f"{name}: `reconcile` calls its IAM user {user} a stray")
                    else:
                        kept[user] = damage.lease_id
                        outcome += f"; its IAM user {user} left alone, named"
            elif not damage.readable:
                findings.add(bad, f"{name}: listed as {row.get('state')}, not unreadable")
                outcome = f"listed as {row.get('state')}"
            else:
                outcome = str(row.get("state"))
                try:
                    full = store.leases.get(damage.lease_id, secrets=True)
                except StoreCorrupted as failure:
                    outcome += f"; reading its secret: StoreCorrupted ({str(failure)[:70]}...)"
                    if damage.lease_id not in str(failure) or damage.column not in str(failure):
                        findings.add(bad, f"{name}: its secret's error names neither: {failure}")
                else:
                    if full is not None and full.secret_key is None and full.state.value in ENDED:
                        outcome += "; its damaged secret erased at its end"
                    else:
                        findings.add(bad, f"{name}: its damaged secret read without an error")
            lines.append(f"{name} at +{damage.at - self.load_started:.1f} s: {outcome}")
        return kept, lines

    def _check_state(self, findings: Findings, lease: Any, checked_at: float) -> None:
        state = lease.state.value
        kind = lease.credential_type.value
        if state in {"active", "propagating"}:
            if lease.expire_time < checked_at - self.args.threshold:
                findings.add(
                    "state-right",
                    f"{lease.lease_id}: {state}, "
                    f"expired {checked_at - lease.expire_time:.0f} s ago",
                )
        elif state == "expired":
            if kind == "iam_user" or lease.expire_time > lease.updated_time + 1e-3:
                findings.add("state-right", f"{lease.lease_id} ({kind}): expired before its time")
        elif state != "revoked":
            findings.add(
                "state-right", f"{lease.lease_id} ({kind}) was received, is {state}: {lease.error}"
            )

    # -- report ---------------------------------------------------------------------------

    def report(self, findings: Findings, figures: dict[str, Any]) -> None:
        events = figures["events"]
        ops: Counter[str] = Counter()
        errors: Counter[str] = Counter()
        faults: Counter[str] = Counter()
        fault_where: Counter[str] = Counter()
        for event in events:
            kind = event.get("ev")
            if kind == "issue" and event["via"] == "api":
                ops[f"api issue {event['type']}"] += 1
            elif kind in {"renew", "revoke", "revoke_prefix"} and event.get("via") != "cli":
                ops[f"api {kind}"] += 1
                if kind == "revoke_prefix":
                    ops["api revoke_prefix: leases revoked"] += len(event["revoked"])
            elif kind == "error":
                errors[f"api {event['op']}: {event['cls']}"] += 1
            elif kind == "fault":
                faults[event["kind"]] += 1
                fault_where[event["_proc"].rstrip("0123456789")] += 1
        if self.corruptions:
            faults[ROW_FAULT] += len(self.corruptions)
            tool = "psycopg" if self.backend == POSTGRESQL else "sqlite3"
            fault_where[f"soak ({tool}, lease rows)"] += len(self.corruptions)
        if self.conn_kills:
            faults[CONN_FAULT] += sum(self.conn_kills.values())
            fault_where["soak (pg_terminate_backend)"] += sum(self.conn_kills.values())
        worker_revocations = sum(
            1
            for records in figures["revocations"].values()
            if records[0].entry["request"]["data"].get("source") == "worker"
        )
        ops["worker revocations"] = worker_revocations
        ops.update(self.cli_ops)
        errors.update(self.cli_errors)
        delays = sorted(figures["delays"])
        states = Counter(lease.state.value for lease in figures["leases"].values())
        out = [
            f"soak: {self.args.duration:.0f} s of load, store {self.backend}, "
            f"{self.args.processes} API client(s), "
            f"{self.args.cli_runners} CLI runner(s), fault rate {self.args.fault_rate}, "
            f"seed {self.args.seed}, wall {figures['wall']:.0f} s",
            "",
            "operations",
        ]
        out += [f"  {name:<44} {count:>7}" for name, count in sorted(ops.items())]
        out += ["", "errors the clients got"]
        out += [f"  {name:<60} {count:>5}" for name, count in sorted(errors.items())]
        out += ["", f"kills survived: {sum(self.kills.values())}"]
        out += [f"  {name:<44} {count:>7}" for name, count in sorted(self.kills.items())]
        out += ["", f"faults injected: {sum(faults.values())}"]
        out += [f"  {name:<44} {count:>7}" for name, count in sorted(faults.items())]
        out += [f"  in {name:<41} {count:>7}" for name, count in sorted(fault_where.items())]
        if self.conn_kills:
            out.append(
                f"connections terminated: {sum(self.conn_kills.values())} "
                f"at {self.conn_kill_moments} moments"
            )
            out += [f"  {name:<44} {count:>7}" for name, count in sorted(self.conn_kills.items())]
        out += [
            "",
            "leases by final state: " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())),
        ]
        kinds = Counter(damage.kind for damage in self.corruptions)
        by_kind = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))
        out.append(f"rows corrupted: {len(self.corruptions)}" + (f" ({by_kind})" if kinds else ""))
        out += [f"  {line}" for line in figures["corrupted"]]
        out.append(
            f"IAM users left for unreadable leases (reported with them): {figures['kept_users']}"
        )
        out += [
            f"credentials received by clients: {figures['received']} (of those ended, "
            f"{figures['erased_ended']} have their secret erased from the store)",
            f"revokes of leases already ended (no-ops): {figures['noop_revokes']}",
            f"revocations and renewals done with their result withheld (response entry "
            f"refused, recorded with the outcome): {figures['withheld']}; leases ended by a "
            f"process SIGKILLed "
            f"before its response: {figures['killed_after_end']}",
            f"audit entries: {figures['audit_entries']}; secrets looked for on disk: "
            f"{figures['secrets']} in {figures['scanned']} files"
            + (
                " and the server's log, in {} tables' {} values read raw".format(
                    *figures["scanned_tables"]
                )
                if "scanned_tables" in figures
                else ""
            ),
        ]
        if delays:
            out.append(
                f"revocation delay after expiry (worker-alive s, {len(delays)} leases): "
                f"p50 {percentile(delays, 50):.2f}  p99 {percentile(delays, 99):.2f}  "
                f"max {delays[-1]:.2f}  mean {statistics.fmean(delays):.2f}"
            )
        if figures.get("note"):
            out.append(f"note: {figures['note']}")
        out += ["", "invariants (violations)"]
        for name in INVARIANTS:
            out.append(f"  {name:<24} {len(findings.violations[name]):>5}")
        print("\n".join(out), flush=True)
        details = [
            f"  {name}: {detail}"
            for name in INVARIANTS
            for detail in findings.violations[name][: self.args.details]
        ]
        if details:
            print(f"\nviolations (first {self.args.details} of each)")
            print("\n".join(details), flush=True)


def session_kind(application_name: str, query: str | None) -> str:
    """Which of a client's connections a session is, by its application_name (pg_coord's,
    pg_conn's) and, for the change feed's, its LISTEN."""
    if application_name.startswith("lease-workbench worker "):
        return "worker lock"
    if application_name.startswith("lease-workbench process "):
        return "process registry"
    if (query or "").lstrip().upper().startswith("LISTEN"):
        return "change feed (LISTEN)"
    return "pool"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[rank]


def find_secrets(data: bytes, secrets: set[str]) -> list[str]:
    """The secrets whose bytes are in `data`.

    A secret lies inside a run of characters drawn from the secrets' alphabet,
    so only those runs are cut into windows of each secret length.
    """
    wanted = {secret.encode("utf-8") for secret in secrets if len(secret) >= 8}
    if not wanted:
        return []
    alphabet = sorted({byte for secret in wanted for byte in secret})
    shortest = min(len(secret) for secret in wanted)
    lengths = sorted({len(secret) for secret in wanted})
    char_class = b"".join(re.escape(bytes([byte])) for byte in alphabet)
    runs = re.compile(b"[" + char_class + b"]{%d,}" % shortest)
    hits: set[bytes] = set()
    for match in runs.finditer(data):
        run = match.group()
        for length in lengths:
            for offset in range(len(run) - length + 1):
                window = run[offset : offset + length]
                if window in wanted:
                    hits.add(window)
    return [hit.decode() for hit in sorted(hits)]


def scan_for_secrets(
    root: Path, secrets: set[str], only: list[str] | None = None
) -> list[tuple[Path, str]]:
    """Every (file, secret) with the secret's bytes in the file (every file under
    `root`, or the files `only` names there)."""
    found: list[tuple[Path, str]] = []
    paths = sorted(root.rglob("*")) if only is None else [root / name for name in only]
    for path in paths:
        if not path.is_file():
            continue
        hits = find_secrets(path.read_bytes(), secrets)
        found.extend((path.relative_to(root), hit) for hit in hits)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of load")
    parser.add_argument("--processes", type=int, default=3, help="service-API client processes")
    parser.add_argument("--cli-runners", type=int, default=1, help="CLI invocations at once")
    parser.add_argument("--fault-rate", type=float, default=0.05, help="AWS attempts failed")
    parser.add_argument(
        "--store",
        choices=[SQLITE, POSTGRESQL],
        default=SQLITE,
        help="the store's backend: a SQLite file, or a database on a PostgreSQL server the "
        "soak starts (Debian's postgresql package)",
    )
    parser.add_argument(
        "--fault-kinds",
        default=None,
        help=f"comma-separated, of {','.join(FAULT_KINDS)} (default: all the store's; "
        f"{CONN_FAULT} is PostgreSQL's only)",
    )
    parser.add_argument(
        "--kill-connections-every",
        type=float,
        default=4.0,
        help=f"mean seconds between {CONN_FAULT} moments",
    )
    parser.add_argument(
        "--kill-share",
        type=float,
        default=0.25,
        help=f"the share of the clients' sessions {CONN_FAULT} ends at each moment (at least 1)",
    )
    parser.add_argument(
        "--corruptions",
        type=int,
        default=None,
        help=f"lease rows {ROW_FAULT} damages (default: one per 30 s of load, at least 1)",
    )
    parser.add_argument("--kill-every", type=float, default=6.0, help="mean seconds between kills")
    parser.add_argument("--threshold", type=float, default=5.0, help="revoked-on-time limit, s")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    parser.add_argument("--details", type=int, default=5, help="violations shown per invariant")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder")
    args = parser.parse_args()
    if args.fault_kinds is None:
        args.fault_kinds = ",".join(BACKEND_FAULTS[args.store])
    unknown = set(args.fault_kinds.split(",")) - set(FAULT_KINDS)
    if unknown:
        parser.error(f"unknown fault kinds {sorted(unknown)}; choose from {FAULT_KINDS}")
    if CONN_FAULT in args.fault_kinds.split(",") and args.store != POSTGRESQL:
        parser.error(f"{CONN_FAULT} ends PostgreSQL sessions: it needs --store {POSTGRESQL}")
    soak = Soak(args)
    status = 1
    try:
        status = soak.run()
    finally:
        soak.cleanup(keep=args.keep or status != 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
