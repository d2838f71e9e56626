"""The shapes an issued credential is handed over in (CLI `--format`, TUI copy keys)."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any

from workbench.domain.formatting import iso_utc
from workbench.domain.models import Lease


@dataclass
class IssuedCredential:
    """An issued credential: fresh, or (`cached`) a cached lease's read back for its requester."""

    lease: Lease
    request_id: str
    region: str
    iam_endpoint: str | None = None
    sts_endpoint: str | None = None
    warnings: list[str] = field(default_factory=list)
    cached: bool = False

    def vault_json(self) -> dict[str, Any]:
        """`vault read -format=json aws/creds/ROLE`."""
        return {
            "request_id": self.request_id,
            "lease_id": self.lease.lease_id,
            "lease_duration": self.lease.lease_duration,
            "renewable": self.lease.renewable,
            "data": {
                "access_key": self.lease.access_key_id,
                "secret_key": self.lease.secret_key,
                "session_token": self.lease.session_token,
            },
            "warnings": self.warnings or None,
        }

    def credential_process(self) -> dict[str, Any]:
        """The AWS CLI's credential_process JSON."""
        answer: dict[str, Any] = {
            "Version": 1,
            "AccessKeyId": self.lease.access_key_id,
            "SecretAccessKey": self.lease.secret_key,
            "Expiration": iso_utc(self.lease.expire_time),
        }
        if self.lease.session_token:
            answer["SessionToken"] = self.lease.session_token
        return answer

    def environment(self) -> dict[str, str]:
        """The AWS_* variables a program needs to use the credential."""
        env = {
            "AWS_ACCESS_KEY_ID": self.lease.access_key_id or "",
            "AWS_SECRET_ACCESS_KEY": self.lease.secret_key or "",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }
        if self.lease.session_token:
            env["AWS_SESSION_TOKEN"] = self.lease.session_token
        if self.iam_endpoint:
            env["AWS_ENDPOINT_URL_IAM"] = self.iam_endpoint
        if self.sts_endpoint:
            env["AWS_ENDPOINT_URL_STS"] = self.sts_endpoint
        if self.iam_endpoint and self.iam_endpoint == self.sts_endpoint:
            # One endpoint for everything (the demo's moto, LocalStack): every service.
            env["AWS_ENDPOINT_URL"] = self.iam_endpoint
        return env

    def env_exports(self) -> str:
        return "\n".join(f"export {k}={shlex.quote(v)}" for k, v in self.environment().items())

    def credentials_profile(self, profile: str = "workbench") -> str:
        """An `~/.aws/credentials` section that works as it is: the keys, the region and a
        custom endpoint (`endpoint_url`, read by the AWS CLI v2 and boto3 from either file)."""
        lines = [
            f"[{profile}]",
            f"aws_access_key_id = {self.lease.access_key_id}",
            f"aws_secret_access_key = {self.lease.secret_key}",
        ]
        if self.lease.session_token:
            lines.append(f"aws_session_token = {self.lease.session_token}")
        lines.append(f"region = {self.region}")
        if self.iam_endpoint and self.iam_endpoint == self.sts_endpoint:
            lines.append(f"endpoint_url = {self.iam_endpoint}")  # one endpoint: every service
        else:
            # A profile has one endpoint_url; one per service needs a [services] section.
            lines += [
                f"# {service} endpoint: {url} (AWS_ENDPOINT_URL_{service.upper()}={url})"
                for service, url in (("iam", self.iam_endpoint), ("sts", self.sts_endpoint))
                if url
            ]
        return "\n".join(lines)

    def render(self, fmt: str) -> str:
        """One of the formats by name: json, env, credential-process, profile."""
        if fmt == "json":
            return json.dumps(self.vault_json(), indent=2)
        if fmt == "credential-process":
            return json.dumps(self.credential_process())
        if fmt == "env":
            return self.env_exports()
        if fmt == "profile":
            return self.credentials_profile()
        raise ValueError(fmt)


@dataclass
class StaticCredential(IssuedCredential):
    """A static role's current key (`lease` is its shape: expiry = the next rotation)."""

    def vault_json(self) -> dict[str, Any]:
        """`vault read -format=json aws/static-creds/NAME`."""
        return {
            "request_id": self.request_id,
            "lease_id": "",
            "lease_duration": 0,
            "renewable": False,
            "data": {
                "access_key": self.lease.access_key_id,
                "secret_key": self.lease.secret_key,
                "expiration": iso_utc(self.lease.expire_time),
            },
            "warnings": self.warnings or None,
        }
