"""What the integration tests share: a service on a fresh team store (PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, MotoServer, fast_kdf, make_service
from workbench.service import Workbench


@pytest.fixture
def pg_service(pg_url: str, aws: MotoServer, tmp_path: Path) -> Iterator[Workbench]:
    from workbench.store.pg import PgStore

    store = PgStore.create(pg_url, PASSPHRASE, fast_kdf(), operator="alice", home=tmp_path)
    service = make_service(store, aws)
    yield service
    service.close()
