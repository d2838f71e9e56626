"""Shared fixtures: a moto server over HTTP (real boto3), fast stores, a service."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from workbench.demo.server import EmbeddedAws
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


# The demo's embedded AWS serves the tests too (moto's state is process-wide:
# one server per test session, emptied before each test by the `aws` fixture).
MotoServer = EmbeddedAws


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


def iam_client(server: MotoServer) -> Any:
    return server.client("iam")


@pytest.fixture
def iam(aws: MotoServer):  # type: ignore[no-untyped-def]
    return iam_client(aws)


@pytest.fixture
def authorized(aws: MotoServer) -> Iterator[tuple[MotoServer, str, str]]:
    """The account with an admin user (returned keys) and moto's authorization on."""
    from workbench.demo.server import bootstrap_account

    access_key, secret_key = bootstrap_account(aws)
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
    service.engines.enable("aws")
    if server is not None:
        service.engines.write_root(
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
