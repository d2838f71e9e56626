"""The child processes of bench/soak.py (not meant to be run by hand).

    soak_agent.py moto              the one moto server of a soak run (prints its URL)
    soak_agent.py load INDEX        a client on the service API: issue, renew, revoke in a loop
    soak_agent.py cli ARGS...       the real `workbench ARGS...` CLI, its AWS calls fault-injected

Every process opens the store the CLI would ($WORKBENCH_STORE, else the SQLite
file in $WORKBENCH_HOME), and appends JSON lines to its own file under $SOAK_EVENTS: each
credential right after the client received it (lease id, access key id and
the SHA-256 of the secret, never the secret), each renew and revoke, each
injected AWS fault. The raw secrets go to the checker over stdout only
(`S <secret>` lines), so the disk scan at the end knows what to look for
without this harness ever putting a secret on disk itself.

AWS faults are injected the way botocore meets them against AWS: a
`before-send` handler fails a fraction ($SOAK_FAULT_RATE) of attempts with
Throttling (400), InternalFailure (500), a refused connection (nothing was
sent), or a connection dropped after the request was delivered (AWS acted,
the answer was lost). botocore's standard retry mode retries them.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sys
import threading
import time
import traceback
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

FAULT_KINDS = ("throttle", "500", "connect", "drop")
# Roles the soak writes (see soak.py); the long-TTL "incident" role is only
# ever ended by `revoke --prefix` (or at expiry), so no two clients race on it.
IAM_ROLES = ("soak-user", "soak-plain")
STS_ROLES = ("soak-assume", "soak-fed", "soak-session")
INCIDENT_ROLE = "soak-incident"
INCIDENT_PREFIX = f"aws/creds/{INCIDENT_ROLE}/"
# A client revokes a lease only while this much of it is left, so its revoke
# never races the worker's revocation at expiry (which would be a no-op revoke
# the audit cannot tell from a second revocation).
REVOKE_MARGIN_SECONDS = 10.0


def sha256(text: str | None) -> str | None:
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text else None


class Events:
    """Append-only JSON lines, one write(2) per line (O_APPEND: never interleaved)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def write(self, **fields: Any) -> None:
        fields.setdefault("t", time.time())
        line = json.dumps(fields, separators=(",", ":"), default=str) + "\n"
        os.write(self._fd, line.encode("utf-8"))


def events_for(role: str) -> Events:
    folder = Path(os.environ["SOAK_EVENTS"])
    return Events(folder / f"{role}-{os.getpid()}.jsonl")


# -- AWS fault injection ---------------------------------------------------------


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_kwargs: Any) -> Any:
        yield self._body


def _aws_error(status: int, code: str, message: str) -> Any:
    from botocore.awsrequest import AWSResponse

    body = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
        f"<Message>{message}</Message></Error><RequestId>soak</RequestId></ErrorResponse>"
    ).encode()
    return AWSResponse("http://injected", status, {"Content-Type": "text/xml"}, _Raw(body))


class NetworkFaults:
    """Fails a fraction of IAM/STS attempts on the clients it is installed on."""

    def __init__(self, rate: float, kinds: tuple[str, ...], rng: random.Random, events: Events):
        self.rate = rate
        self.kinds = kinds
        self.rng = rng
        self.events = events
        self.injected = 0
        self._lock = threading.Lock()
        self._installed: set[int] = set()

    @classmethod
    def from_env(cls, events: Events, salt: str) -> NetworkFaults:
        rate = float(os.environ.get("SOAK_FAULT_RATE", "0"))
        kinds = tuple(k for k in os.environ.get("SOAK_FAULT_KINDS", "").split(",") if k)
        seed = f"{os.environ.get('SOAK_SEED', '0')}-{salt}-{os.getpid()}"
        return cls(rate, kinds or FAULT_KINDS, random.Random(seed), events)

    def install(self, client: Any) -> None:
        if self.rate <= 0 or id(client) in self._installed:
            return
        self._installed.add(id(client))
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register_first(f"before-send.{service}", self._handler)

    def _handler(self, request: Any, event_name: str = "", **_kwargs: Any) -> Any:
        with self._lock:
            if self.rng.random() >= self.rate:
                return None
            kind = self.rng.choice(self.kinds)
            self.injected += 1
        operation = event_name.rsplit(".", 1)[-1]
        body = request.body or b""
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        params = parse_qs(body if isinstance(body, str) else "")
        user = (params.get("UserName") or [None])[0]
        attempt = int(
            (getattr(request, "context", None) or {}).get("retries", {}).get("attempt", 1)
        )
        # botocore's standard backoff before the next attempt is at most this.
        scale = 1.0 if kind == "throttle" else 0.05
        allowance = min(scale * 2 ** (attempt - 1), 20.0)
        self.events.write(
            ev="fault", kind=kind, op=operation, user=user, attempt=attempt, allowance=allowance
        )
        if kind == "throttle":
            return _aws_error(400, "Throttling", "Rate exceeded (injected)")
        if kind == "500":
            return _aws_error(500, "InternalFailure", "injected server error")
        from botocore.exceptions import ConnectionClosedError, EndpointConnectionError

        if kind == "connect":
            raise EndpointConnectionError(endpoint_url=request.url)
        # drop: AWS gets the request and acts on it; the answer never arrives.
        data = body.encode("utf-8") if isinstance(body, str) else body
        headers = {
            key: value.decode("latin-1") if isinstance(value, bytes) else str(value)
            for key, value in request.headers.items()
        }
        delivered = urllib.request.Request(request.url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(delivered, timeout=30) as answer:
                answer.read()
        except OSError:
            pass  # an HTTP error answer is lost all the same
        raise ConnectionClosedError(endpoint_url=request.url)


def patch_clients(faults: NetworkFaults) -> None:
    """Install `faults` on every client the workbench builds in this process."""
    from workbench.aws import clients as aws_clients

    original = aws_clients.AwsClients.client

    def client(self: Any, service: str) -> Any:
        made = original(self, service)
        faults.install(made)
        return made

    aws_clients.AwsClients.client = client  # type: ignore[method-assign]


# -- moto ------------------------------------------------------------------------


def run_moto() -> None:
    import logging

    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    for name in ("werkzeug", "moto"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"http://{host}:{port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # Stop with SIGTERM, or when the soak (our stdin's writer) goes away.
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    server.stop()


# -- CLI -------------------------------------------------------------------------


def run_cli(argv: list[str]) -> None:
    events = events_for("cli")
    patch_clients(NetworkFaults.from_env(events, "cli"))
    from workbench.cli.app import main

    main(argv)


# -- a service-API client --------------------------------------------------------


class Load:
    """One operator on the service API: issues, renews and revokes at random."""

    OPERATIONS = (
        ("issue_iam", 34),
        ("issue_sts", 10),
        ("issue_incident", 6),
        ("renew", 18),
        ("revoke", 16),
        ("revoke_prefix", 2),
        ("lookup", 6),
        ("list", 4),
        ("reconcile", 2),
        ("renew_bad", 2),
    )

    def __init__(self, index: int) -> None:
        from workbench.service import Workbench, parse_location

        self.index = index
        self.events = events_for(f"load{index}")
        self.faults = NetworkFaults.from_env(self.events, f"load{index}")
        self.rng = random.Random(f"{os.environ.get('SOAK_SEED', '0')}-load{index}-{os.getpid()}")
        # $WORKBENCH_STORE (a postgresql:// URL) if set, else the SQLite file in the home folder
        location = parse_location(
            os.environ.get("WORKBENCH_STORE"), Path(os.environ["WORKBENCH_HOME"])
        )
        self.service = Workbench(
            location.open(os.environ["WORKBENCH_PASSPHRASE"]), operator=f"load{index}"
        )
        clients = self.service._ctx.clients(self.service.engines.get("aws"))
        self.faults.install(clients.iam)
        self.faults.install(clients.sts)
        self.stop_file = Path(os.environ["SOAK_STOP"])
        # lease id -> what this client knows of it
        self.mine: dict[str, dict[str, Any]] = {}

    def run(self) -> None:
        from workbench.domain.errors import WorkbenchError

        names = [name for name, _ in self.OPERATIONS]
        weights = [weight for _, weight in self.OPERATIONS]
        if self.index != 0:  # one incident responder: prefix revokes never race each other
            weights[names.index("revoke_prefix")] = 0
        while not self.stop_file.exists():
            operation = self.rng.choices(names, weights)[0]
            try:
                getattr(self, operation)()
            except WorkbenchError as error:
                message = str(error)
                self.events.write(
                    ev="error", op=operation, cls=type(error).__name__, msg=message[:300]
                )
            except Exception as error:
                self.events.write(
                    ev="crash",
                    op=operation,
                    cls=type(error).__name__,
                    msg=str(error)[:300],
                    tb=traceback.format_exc()[-2000:],
                )
            time.sleep(self.rng.uniform(0.05, 0.35))
        self.service.close()

    # -- operations ------------------------------------------------------------

    def _ttl(self, seconds: int) -> str | int:
        form = self.rng.randrange(3)
        if form == 0:
            return seconds
        if form == 1 or seconds < 60:
            return f"{seconds}s"
        minutes, rest = divmod(seconds, 60)
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"

    def _issue(self, role: str, seconds: int) -> None:
        issued = self.service.creds.issue("aws", role, ttl=self._ttl(seconds))
        lease = issued.lease
        # Received: record it before anything else can happen to this process.
        self.events.write(
            ev="issue",
            via="api",
            lease_id=lease.lease_id,
            type=lease.credential_type.value,
            access_key=lease.access_key_id,
            secret_sha256=sha256(lease.secret_key),
            token_sha256=sha256(lease.session_token),
            expire_time=lease.expire_time,
        )
        for secret in (lease.secret_key, lease.session_token):
            if secret:
                print("S", secret, flush=True)
        self.mine[lease.lease_id] = {
            "type": lease.credential_type.value,
            "role": role,
            "expire": lease.expire_time,
            "ended": False,
        }

    def issue_iam(self) -> None:
        self._issue(self.rng.choice(IAM_ROLES), self.rng.randint(1, 60))

    def issue_sts(self) -> None:
        self._issue(self.rng.choice(STS_ROLES), self.rng.randint(900, 1200))

    def issue_incident(self) -> None:
        self._issue(INCIDENT_ROLE, self.rng.randint(120, 600))

    def _pick(self, *, iam_only: bool, margin: float | None) -> str | None:
        now = time.time()
        candidates = [
            lease_id
            for lease_id, known in self.mine.items()
            if not known["ended"]
            and known["role"] != INCIDENT_ROLE
            and (not iam_only or known["type"] == "iam_user")
            and (margin is None or known["expire"] - now >= margin)
        ]
        return self.rng.choice(candidates) if candidates else None

    def renew(self) -> None:
        # Any live-looking lease, even one about to expire: renewing at the last
        # second races the worker, which is what an incident looks like.
        lease_id = self._pick(iam_only=True, margin=-2.0)
        if lease_id is None:
            return
        increment = self.rng.randint(1, 60)
        self.events.write(ev="renew_start", lease_id=lease_id)
        lease, _warnings = self.service.leases.renew(lease_id, self._ttl(increment))
        self.mine[lease_id]["expire"] = lease.expire_time
        self.events.write(ev="renew", lease_id=lease_id, expire_time=lease.expire_time)

    def renew_bad(self) -> None:
        """Renew something that cannot be renewed: an STS lease or an unknown id."""
        sts = [k for k, v in self.mine.items() if v["type"] != "iam_user"]
        target = self.rng.choice(sts) if sts and self.rng.random() < 0.5 else "aws/creds/x/none"
        self.service.leases.renew(target, "30s")

    def revoke(self) -> None:
        lease_id = self._pick(iam_only=False, margin=REVOKE_MARGIN_SECONDS)
        if lease_id is None:
            return
        self.mine[lease_id]["ended"] = True  # never revoked twice by this client
        self.events.write(ev="revoke_start", lease_id=lease_id)
        lease = self.service.leases.revoke(lease_id)
        self.events.write(ev="revoke", lease_id=lease_id, state=lease.state.value)

    def revoke_prefix(self) -> None:
        self.events.write(ev="revoke_prefix_start", prefix=INCIDENT_PREFIX)
        result = self.service.leases.revoke_prefix(INCIDENT_PREFIX)
        for lease_id in result.revoked:
            if lease_id in self.mine:
                self.mine[lease_id]["ended"] = True
        self.events.write(
            ev="revoke_prefix",
            prefix=INCIDENT_PREFIX,
            revoked=result.revoked,
            failed=sorted(result.failed),
        )

    def lookup(self) -> None:
        if self.mine:
            self.service.leases.lookup(self.rng.choice(list(self.mine)))

    def list(self) -> None:
        self.service.leases.list(self.rng.choice([None, "aws/", "aws/creds/soak-user/"]))

    def reconcile(self) -> None:
        self.service.iam.reconcile("aws")


def run_load(index: int) -> None:
    Load(index).run()


def main() -> None:
    mode, *rest = sys.argv[1:]
    if mode == "moto":
        run_moto()
    elif mode == "cli":
        run_cli(rest)
    elif mode == "load":
        run_load(int(rest[0]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
