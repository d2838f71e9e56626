"""One boto3 session and client pair per engine, shared by every call.

A new Session per call costs 60-100 ms, so clients are built once; retries
use botocore's `standard` mode with the engine's `max_retries`, not loops of
our own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.aws.errors import translate

if TYPE_CHECKING:
    from botocore.client import BaseClient

CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class ClientSpec:
    """Everything that decides how an engine's clients are built (a cache key)."""

    region: str
    access_key: str | None = None
    secret_key: str | None = None
    profile: str | None = None
    iam_endpoint: str | None = None
    sts_endpoint: str | None = None
    max_retries: int = 3
    session_token: str | None = None


class AwsClients:
    """The IAM and STS clients of one engine (thread-safe, built lazily)."""

    def __init__(self, spec: ClientSpec) -> None:
        self.spec = spec
        self._lock = threading.Lock()
        self._session: Any = None
        self._clients: dict[str, BaseClient] = {}
        # Calls this endpoint turned out not to implement (moto lacks a few).
        self.unsupported: set[str] = set()
        self.supported: set[str] = set()

    def _new_session(self) -> Any:
        import boto3  # deferred: ~0.2 s, paid only by commands that call AWS

        spec = self.spec
        if spec.access_key and spec.secret_key:
            return boto3.session.Session(
                aws_access_key_id=spec.access_key,
                aws_secret_access_key=spec.secret_key,
                aws_session_token=spec.session_token,
                region_name=spec.region,
            )
        return boto3.session.Session(profile_name=spec.profile, region_name=spec.region)

    def client(self, service: str) -> BaseClient:
        """The shared client for `iam`, `sts` or `cloudtrail`; `iam-once` is IAM without retries.

        `iam-once` serves calls an AWS-compatible endpoint may not implement,
        so one probe costs a single request, not a retried one. `SERVICE@REGION`
        is that service in another region (CloudTrail keeps IAM's own events in
        us-east-1).
        """
        client = self._clients.get(service)
        if client is not None:
            return client
        with self._lock:
            if service not in self._clients:
                from botocore.config import Config

                with translate(f"building the {service} client"):
                    if self._session is None:
                        self._session = self._new_session()
                    name, _, region = service.partition("@")
                    aws_service = name.removesuffix("-once")
                    endpoint = {
                        "iam": self.spec.iam_endpoint,
                        "sts": self.spec.sts_endpoint,
                        # An AWS-compatible endpoint (moto, the embedded AWS) serves
                        # CloudTrail where it serves IAM; real AWS, at its own.
                        "cloudtrail": self.spec.iam_endpoint,
                    }[aws_service]
                    attempts = 1 if service.endswith("-once") else self.spec.max_retries + 1
                    self._clients[service] = self._session.client(
                        aws_service,
                        region_name=region or None,
                        endpoint_url=endpoint or None,
                        config=Config(
                            retries={
                                "mode": "standard",
                                "max_attempts": max(1, attempts),
                            },
                            connect_timeout=CONNECT_TIMEOUT_SECONDS,
                            read_timeout=READ_TIMEOUT_SECONDS,
                            max_pool_connections=32,
                        ),
                    )
            return self._clients[service]

    @property
    def iam(self) -> BaseClient:
        return self.client("iam")

    @property
    def sts(self) -> BaseClient:
        return self.client("sts")

    def with_keys(self, access_key: str, secret_key: str, session_token: str | None) -> AwsClients:
        """Clients that act as an issued credential (readiness probe, tests)."""
        return AwsClients(
            ClientSpec(
                region=self.spec.region,
                access_key=access_key,
                secret_key=secret_key,
                session_token=session_token,
                iam_endpoint=self.spec.iam_endpoint,
                sts_endpoint=self.spec.sts_endpoint,
                max_retries=0,
            )
        )

    def caller_identity(self) -> dict[str, str]:
        """sts:GetCallerIdentity: the account and ARN these credentials act as."""
        with translate("GetCallerIdentity"):
            answer = self.sts.get_caller_identity()
        return {"account": answer["Account"], "arn": answer["Arn"], "user_id": answer["UserId"]}
