"""Fixtures for the audit device: a fast-KDF store, its AuditLog, a CLI runner."""

from __future__ import annotations

import sqlite3
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from workbench.audit import AuditLog
from workbench.cli import common
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

    def __call__(self, *args: str) -> Result:
        from workbench.cli.app import cli

        env = {"WORKBENCH_HOME": str(self.home), "WORKBENCH_PASSPHRASE": PASSPHRASE}
        return self.runner.invoke(cli, list(args), env=env, catch_exceptions=True)


@pytest.fixture
def run_cli(store: Store, home: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """`workbench` with a service that is only the audit log.

    The service facade is another engineer's work in progress; these tests
    exercise the audit commands through `state.service().audit` alone.
    """

    def service(self: common.CliState) -> Any:
        if self._service is None:
            opened = self.open_store()
            audit_log = AuditLog(opened, operator=self.operator_name)
            self._service = types.SimpleNamespace(audit=audit_log, close=opened.close)
            import click

            click.get_current_context().call_on_close(opened.close)
        return self._service

    monkeypatch.setattr(common.CliState, "service", service)
    return Cli(home)
