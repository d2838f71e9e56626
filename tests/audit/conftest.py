"""Fixtures for the audit device: a fast-KDF store, its AuditLog, a CLI runner."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from workbench.audit import AuditLog
from workbench.store import KdfParams, Store

PASSPHRASE = "correct horse battery"


def fast_kdf() -> KdfParams:
    return KdfParams.fresh(memory_cost_kib=1024, iterations=1, lanes=1)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    created = Store.create(home, PASSPHRASE, fast_kdf())
    yield created
    created.close()


@pytest.fixture
def log(store: Store) -> AuditLog:
    return AuditLog(store, operator="alice")


@pytest.fixture
def kdf() -> KdfParams:
    return fast_kdf()


@pytest.fixture
def raw_db(store: Store) -> Iterator[sqlite3.Connection]:
    """A second, plain connection: what someone editing the file by hand has."""
    conn = sqlite3.connect(store.path, isolation_level=None)
    yield conn
    conn.close()


class Cli:
    """Runs `workbench ...` in-process against the fixture store."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | bytes | None = None) -> Result:
        from workbench.cli.app import cli

        env = {"WORKBENCH_HOME": str(self.home), "WORKBENCH_PASSPHRASE": PASSPHRASE}
        return self.runner.invoke(cli, list(args), input=input, env=env, catch_exceptions=True)


@pytest.fixture
def run_cli(store: Store, home: Path) -> Cli:
    """`workbench` in-process (CliRunner) on the test's store."""
    return Cli(home)
