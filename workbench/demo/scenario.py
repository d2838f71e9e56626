"""`workbench demo`: a temporary store wired to an embedded AWS, seeded with activity."""

from __future__ import annotations

import secrets
import shutil
import tempfile
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
    ("webapp", "2m"),
    ("deploy", "15m"),
)
DEMO_LEASE, DEMO_LEASE_MAX = "2m", "5m"
DEMO_ROTATION = "3m"  # the demo's static role rotates this often (real ones: 720h...)


@dataclass
class DemoInfo:
    """What the banner and the terminal say about the running demo."""

    endpoint: str
    home: Path
    notes: list[str] = field(default_factory=list)
    example: str = ""


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
    ) -> None:
        self.keep = keep
        self.authorization = authorization
        self.operator = operator
        self.seeded = seeded
        self.passphrase = secrets.token_urlsafe(24)
        self.home = Path(tempfile.mkdtemp(prefix="workbench-demo-")) / "store"
        self.aws: EmbeddedAws | None = None
        self.service: Workbench | None = None
        self.info: DemoInfo | None = None

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
        service.engines.write_lease("aws", DEMO_LEASE, DEMO_LEASE_MAX)
        service.roles.import_files("aws", [str(sample_roles_dir())])
        # A static role on the pre-existing user: its key rotates live, every few minutes.
        service.static_roles.write(
            "aws",
            LEGACY_USER,
            {"username": LEGACY_USER, "rotation_period": DEMO_ROTATION},
            take_over=True,
        )
        issued = []
        for role, ttl in self.seeded:
            issued.append(service.creds.issue("aws", role, ttl=ttl))
        notes = [
            f"Embedded AWS (moto) at {aws.url}; account {'123456789012'}.",
            f"Leases default to {DEMO_LEASE} (max {DEMO_LEASE_MAX}) so expiry happens live; "
            f"static role {LEGACY_USER} rotates its user's key every {DEMO_ROTATION}.",
        ]
        if self.authorization:
            notes.append(
                "Keys and policies are checked as IAM does: a revoked key or a denied "
                "session is refused."
            )
        example = ""
        live = [c for c in issued if c.lease.credential_type.value == "iam_user"]
        if live:
            sample = max(live, key=lambda c: c.lease.expire_time)
            example = (
                f"AWS_ACCESS_KEY_ID={sample.lease.access_key_id} "
                f"AWS_SECRET_ACCESS_KEY={sample.lease.secret_key} "
                f"aws --endpoint-url {aws.url} --region us-east-1 sts get-caller-identity"
            )
        self.info = DemoInfo(endpoint=aws.url, home=self.home, notes=notes, example=example)
        return service

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
