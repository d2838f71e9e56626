"""`workbench demo`: a temporary store wired to an embedded AWS, seeded with activity."""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from workbench.demo.server import LEGACY_USER, EmbeddedAws, bootstrap_account
from workbench.service import Workbench, create_workbench

# Shipped inside the package; the repository's sample-roles/ links here.
SAMPLE_ROLES = Path(__file__).resolve().parent / "sample_roles"
# (role, ttl): staggered so expiry happens while the audience watches.
SEEDED_LEASES = (
    ("webapp", "30s"),
    ("analytics", "60s"),
    ("backup", "90s"),
    ("deploy", "15m"),
)
DEMO_LEASE, DEMO_LEASE_MAX = "2m", "5m"
# The trainees' key: a webapp lease at the engine's max TTL, replaced by a fresh one
# when less than this share of it is left (or when someone revokes it), so the
# banner always shows a key that works for a while yet.
TRAINEE_ROLE = "webapp"
TRAINEE_RENEW_SHARE = 0.3
DEMO_ROTATION = "3m"  # the demo's static role rotates this often (real ones: 720h...)


@dataclass
class DemoInfo:
    """What the banner and the terminal say about the running demo."""

    endpoint: str
    home: Path
    notes: list[str] = field(default_factory=list)
    example: str = ""
    # The trainees' command now (a live key: a new one once the last runs low or ended).
    current_example: Callable[[], str] | None = field(default=None, compare=False, repr=False)


def trainee_command(endpoint: str, access_key: str, secret_key: str) -> str:
    """`aws sts get-caller-identity` against the embedded account with a key, on one line."""
    return (
        f"AWS_ACCESS_KEY_ID={access_key} AWS_SECRET_ACCESS_KEY={secret_key} "
        f"aws --endpoint-url {endpoint} --region us-east-1 sts get-caller-identity"
    )


def sample_roles_dir() -> Path:
    """The repository's sample-roles/ folder."""
    if not SAMPLE_ROLES.is_dir():
        raise FileNotFoundError(f"sample roles not found at {SAMPLE_ROLES}")
    return SAMPLE_ROLES


class Demo:
    """Start and stop the demo: server, store, engine, roles and seeded leases."""

    def __init__(
        self,
        *,
        keep: bool = False,
        authorization: bool = True,
        operator: str = "trainer",
        seeded: tuple[tuple[str, str], ...] = SEEDED_LEASES,
        lease: tuple[str, str] = (DEMO_LEASE, DEMO_LEASE_MAX),
    ) -> None:
        self.keep = keep
        self.lease, self.lease_max = lease
        self.authorization = authorization
        self.operator = operator
        self.seeded = seeded
        self.passphrase = secrets.token_urlsafe(24)
        self.home = Path(tempfile.mkdtemp(prefix="workbench-demo-")) / "store"
        self.aws: EmbeddedAws | None = None
        self.service: Workbench | None = None
        self.info: DemoInfo | None = None
        self._trainee: tuple[str, str, str] | None = None  # lease id, access key, secret
        self._trainee_lock = threading.Lock()

    def start(self) -> Workbench:
        self.aws = aws = EmbeddedAws()
        access_key, secret_key = bootstrap_account(aws)
        if self.authorization:
            aws.set_authorization(True)
        service = self.service = create_workbench(
            self.home, self.passphrase, label=self.operator
        )  # with engine `aws`
        service.engines.point_at(
            "aws",
            aws.url,
            access_key=access_key,
            secret_key=secret_key,
            max_retries=2,
            readiness_probe=False,
        )
        service.engines.write_lease("aws", self.lease, self.lease_max)
        service.roles.import_files("aws", [str(sample_roles_dir())])
        # A static role on the pre-existing user: its key rotates live, every few minutes.
        service.static_roles.write(
            "aws",
            LEGACY_USER,
            {"username": LEGACY_USER, "rotation_period": DEMO_ROTATION},
            take_over=True,
        )
        for role, ttl in self.seeded:
            service.creds.issue("aws", role, ttl=ttl)
        notes = [
            f"Leases default to {self.lease} (max {self.lease_max}) so expiry happens live; "
            f"static role {LEGACY_USER} rotates its user's key every {DEMO_ROTATION}.",
        ]
        if self.authorization:
            notes.append(
                "Keys and policies are checked as IAM does: a revoked key or a denied "
                "session is refused."
            )
        self.info = DemoInfo(
            endpoint=aws.url,
            home=self.home,
            notes=notes,
            example=self.trainee_example(),
            current_example=self.trainee_example,
        )
        return service

    def trainee_example(self) -> str:
        """The trainees' command with a live key, issuing a fresh key when the last one
        has less than TRAINEE_RENEW_SHARE of its TTL left or has ended."""
        service, aws = self.service, self.aws
        if service is None or aws is None:
            return ""
        with self._trainee_lock:
            if self._trainee is None or not self._trainee_fresh(service, self._trainee[0]):
                issued = service.creds.issue("aws", TRAINEE_ROLE, ttl=self.lease_max)
                lease = issued.lease
                self._trainee = (lease.lease_id, lease.access_key_id or "", lease.secret_key or "")
            _lease_id, access_key, secret_key = self._trainee
        return trainee_command(aws.url, access_key, secret_key)

    @staticmethod
    def _trainee_fresh(service: Workbench, lease_id: str) -> bool:
        lease = service.leases.current(lease_id)
        if lease is None or lease.state.value != "active":
            return False
        left = lease.expire_time - service.clock()
        return left > TRAINEE_RENEW_SHARE * lease.lease_duration

    def stop(self) -> None:
        """Close the store, stop the server, remove the store unless --keep."""
        if self.service is not None:
            self.service.close()
            self.service = None
        if self.aws is not None:
            self.aws.stop()
            self.aws = None
        if not self.keep:
            shutil.rmtree(self.home.parent, ignore_errors=True)
