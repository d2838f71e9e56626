"""Shared fixtures: a moto server over HTTP (real boto3), fast stores, a service."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from workbench.store import KdfParams, Store

# Tests use a cheap KDF so hundreds of stores unlock quickly; the default
# parameters are exercised by the CLI tests and bench/store.py.
FAST_KDF = {"memory_cost_kib": 1024, "iterations": 1, "lanes": 1}
PASSPHRASE = "correct horse battery"

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.pop("WORKBENCH_PASSPHRASE", None)
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # AWS managed policies, as real IAM has


class MotoServer:
    """A ThreadedMotoServer on loopback; `reset()` empties the account."""

    def __init__(self) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"

    def _post(self, path: str, body: bytes = b"") -> None:
        request = urllib.request.Request(
            f"{self.url}{path}", data=body, method="POST", headers={"Content-Type": "text/plain"}
        )
        urllib.request.urlopen(request, timeout=10).read()

    def reset(self) -> None:
        self.set_authorization(False)
        self._post("/moto-api/reset")

    def set_authorization(self, on: bool) -> None:
        """moto checks keys and policies when on (all servers in a process share it)."""
        self._post("/moto-api/reset-auth", b"0" if on else str(10**12).encode())

    def client(self, service: str, **credentials: Any) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=credentials.get("access_key", "testing"),
            aws_secret_access_key=credentials.get("secret_key", "testing"),
            aws_session_token=credentials.get("session_token"),
        )

    def stop(self) -> None:
        self._server.stop()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture
def aws(moto_server: MotoServer) -> Iterator[MotoServer]:
    """A clean embedded AWS account for one test."""
    moto_server.reset()
    yield moto_server


def iam_client(server: MotoServer):  # type: ignore[no-untyped-def]
    import boto3

    return boto3.client(
        "iam",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def iam(aws: MotoServer):  # type: ignore[no-untyped-def]
    return iam_client(aws)


@pytest.fixture
def authorized(aws: MotoServer) -> Iterator[tuple[MotoServer, str, str]]:
    """The account with an admin user (returned keys) and moto's authorization on."""
    from workbench.demo.server import bootstrap_account

    access_key, secret_key = bootstrap_account(aws)  # type: ignore[arg-type]
    aws.set_authorization(True)
    yield aws, access_key, secret_key
    aws.set_authorization(False)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    created = Store.create(home, PASSPHRASE, KdfParams.fresh(**FAST_KDF))
    yield created
    created.close()


def make_service(store: Store, server: MotoServer | None, **kwargs):  # type: ignore[no-untyped-def]
    """A Workbench with engine `aws` pointed at the moto server."""
    from workbench.service import Workbench

    service = Workbench(store, operator="tester", **kwargs)
    service.enable_engine("aws")
    if server is not None:
        service.write_root_config(
            "aws",
            access_key="AKIAROOTEXAMPLE",
            secret_key="root-secret-value-123",
            iam_endpoint=server.url,
            sts_endpoint=server.url,
            max_retries=2,
        )
    return service


@pytest.fixture
def service(store: Store, aws: MotoServer):  # type: ignore[no-untyped-def]
    return make_service(store, aws)
