"""Shared fixtures: a moto server over HTTP (real boto3), fast stores, an audit log,
the CLI in-process, a service, and a private policy-catalogue cache."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from workbench.audit import AuditLog
from workbench.demo.server import EmbeddedAws
from workbench.policy import catalogue
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


def fast_kdf() -> KdfParams:
    return KdfParams.fresh(**FAST_KDF)


@pytest.fixture
def kdf() -> KdfParams:
    return fast_kdf()


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    created = Store.create(home, PASSPHRASE, fast_kdf())
    yield created
    created.close()


@pytest.fixture
def log(store: Store) -> AuditLog:
    return AuditLog(store, operator="alice")


@pytest.fixture
def raw_db(store: Store) -> Iterator[sqlite3.Connection]:
    """A second, plain connection: what someone editing the file by hand has."""
    conn = sqlite3.connect(store.path, isolation_level=None)
    yield conn
    conn.close()


class Cli:
    """Runs `workbench ...` in-process (CliRunner) against a store in `home`."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | bytes | None = None) -> Result:
        from workbench.cli.app import cli

        env = {"WORKBENCH_HOME": str(self.home), "WORKBENCH_PASSPHRASE": PASSPHRASE}
        return self.runner.invoke(cli, list(args), input=input, env=env, catch_exceptions=True)


@pytest.fixture
def invoke(store: Store, home: Path) -> Cli:
    """`workbench` in-process on the test's store (the e2e tests run it as a process)."""
    return Cli(home)


@pytest.fixture(scope="session", autouse=True)
def policy_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The policy catalogue's index, built once into a private folder, never the user's."""
    folder = tmp_path_factory.mktemp("policy-cache")
    previous = os.environ.get(catalogue.CACHE_DIR_ENV)
    os.environ[catalogue.CACHE_DIR_ENV] = str(folder)
    catalogue.reset_catalogue()
    yield folder
    catalogue.reset_catalogue()
    if previous is None:
        os.environ.pop(catalogue.CACHE_DIR_ENV, None)
    else:
        os.environ[catalogue.CACHE_DIR_ENV] = previous


def make_service(  # type: ignore[no-untyped-def]
    store: Store,
    server: MotoServer | None,
    *,
    operator: str = "tester",
    root: dict[str, Any] | None = None,
    **kwargs,
):
    """A Workbench with engine `aws` pointed at the moto server (`root` changes its config)."""
    from workbench.service import Workbench

    service = Workbench(store, operator=operator, **kwargs)
    service.engines.enable("aws")
    if server is not None:
        settings = {
            "access_key": "AKIAROOTEXAMPLE",
            "secret_key": "root-secret-value-123",
            "max_retries": 2,
            **(root or {}),
        }
        service.engines.point_at("aws", server.url, **settings)
    return service


@pytest.fixture
def service(store: Store, aws: MotoServer):  # type: ignore[no-untyped-def]
    return make_service(store, aws)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """A real PostgreSQL server for the session (Debian's package, Unix socket only)."""
    from tests.pg_server import PgServer

    server = PgServer()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: Any) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; its URL."""
    url = pg_server.new_database()
    yield url
    pg_server.drop_database(url)


@pytest.fixture(scope="session")
def aws_cli(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real AWS CLI, in a venv of its own (as an operator's machine has it)."""
    venv = tmp_path_factory.mktemp("awscli") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "awscli"],
        check=True,
        timeout=600,
    )
    return venv / "bin" / "aws"
