"""The embedded AWS: moto's threaded server on loopback, a free port."""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from typing import Any

DEMO_ACCOUNT = "123456789012"  # moto's default account id


class EmbeddedAws:
    """A moto server other terminals can use too (the aws CLI, boto3)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        # AWS managed policies exist in real IAM; moto loads them only if asked.
        os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        for name in ("werkzeug", "moto"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        from moto.server import ThreadedMotoServer  # deferred: ~0.4 s

        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self._server.start()
        bound_host, bound_port = self._server.get_host_and_port()
        self.url = f"http://{bound_host}:{bound_port}"

    def _post(self, path: str, body: bytes = b"", content_type: str = "text/plain") -> None:
        request = urllib.request.Request(
            f"{self.url}{path}", data=body, method="POST", headers={"Content-Type": content_type}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()

    def reset(self) -> None:
        """Empty the account (and switch authorization off)."""
        self.set_authorization(False)
        self._post("/moto-api/reset")

    def set_authorization(self, on: bool) -> None:
        """Make moto check signatures and IAM policies (process-wide in moto)."""
        # moto authorizes once a count of free calls is used up; off = a count never reached.
        self._post("/moto-api/reset-auth", b"0" if on else str(10**12).encode())

    def client(self, service: str, **credentials: Any) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=credentials.get("access_key", "bootstrap"),
            aws_secret_access_key=credentials.get("secret_key", "bootstrap"),
            aws_session_token=credentials.get("session_token"),
        )

    def stop(self) -> None:
        self._server.stop()


def bootstrap_account(aws: EmbeddedAws) -> tuple[str, str]:
    """Create what the sample roles refer to and an admin user for the engine.

    Returns the admin's access key pair (the engine's root credentials).
    """
    iam = aws.client("iam")
    iam.create_group(GroupName="analysts")
    iam.create_role(
        RoleName="deploy",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {
                            "AWS": [
                                f"arn:aws:iam::{DEMO_ACCOUNT}:root",
                                f"arn:aws:iam::{DEMO_ACCOUNT}:user/workbench-root",
                            ]
                        },
                        "Action": ["sts:AssumeRole", "sts:TagSession"],
                    }
                ],
            }
        ),
    )
    iam.create_user(UserName="workbench-root")
    iam.put_user_policy(
        UserName="workbench-root",
        PolicyName="admin",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        ),
    )
    key = iam.create_access_key(UserName="workbench-root")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]
