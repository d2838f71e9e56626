"""A team store in PostgreSQL, as `workbench init --store URL` and every later command open it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import PASSPHRASE, fast_kdf
from tests.contract.conftest import make_lease
from workbench.domain.errors import Conflict, StoreMissing, WrongPassphrase
from workbench.domain.models import Engine, RootConfig
from workbench.store import pg_schema
from workbench.store.pg import PgStore, pg_store_exists
from workbench.store.sqlite import Store


def _with_password(url: str) -> str:
    parts = urlsplit(url)
    user, _, host = parts.netloc.rpartition("@")
    return parts._replace(netloc=f"{user}:hunter2-secret@{host}").geturl()


def test_a_store_created_is_opened_again_with_everything_in_it(pg_url: str, tmp_path: Path) -> None:
    assert not pg_store_exists(pg_url)
    store = PgStore.create(pg_url, PASSPHRASE, fast_kdf(), operator="alice", home=tmp_path)
    store.engines.put(Engine("aws", RootConfig(access_key="AKIAROOT", secret_key="root-s3cret")))
    store.leases.insert(make_lease())
    store_id = store.store_id
    store.close()
    assert pg_store_exists(pg_url)
    again = PgStore.open(pg_url, PASSPHRASE, operator="alice", home=tmp_path)
    try:
        assert again.store_id == store_id and again.dialect == "postgresql"
        engine = again.engines.get("aws")
        assert engine is not None and engine.root.secret_key == "root-s3cret"
        lease = again.leases.get("aws/creds/web/a1", secrets=True)
        assert lease is not None and lease.secret_key == "secret-aws/creds/web/a1"
        assert again.get_meta("schema_version") == str(pg_schema.SCHEMA_VERSION)
        assert again.home == tmp_path
    finally:
        again.close()


def test_a_wrong_passphrase_opens_nothing_and_writes_nothing(pg_url: str, pg_server: Any) -> None:
    PgStore.create(pg_url, PASSPHRASE, fast_kdf(), operator="alice").close()
    database = urlsplit(pg_url).path.lstrip("/")
    before = pg_server.psql("SELECT key, value FROM meta ORDER BY key", database)
    with pytest.raises(WrongPassphrase):
        PgStore.open(pg_url, "not the passphrase", operator="alice")
    assert pg_server.psql("SELECT key, value FROM meta ORDER BY key", database) == before


def test_the_server_holds_no_secret_in_plaintext(pg_url: str, pg_server: Any) -> None:
    store = PgStore.create(pg_url, PASSPHRASE, fast_kdf(), operator="alice")
    store.engines.put(Engine("aws", RootConfig(access_key="AKIAROOT", secret_key="root-s3cret")))
    store.leases.insert(make_lease(session_token="session-s3cret"))
    store.close()
    database = urlsplit(pg_url).path.lstrip("/")
    dump = pg_server.psql(
        "SELECT string_agg(t::text, ' ') FROM (SELECT row_to_json(e)::text AS t FROM engines e "
        "UNION ALL SELECT row_to_json(l)::text FROM leases l "
        "UNION ALL SELECT row_to_json(k)::text FROM key_slots k "
        "UNION ALL SELECT row_to_json(m)::text FROM meta m) rows",
        database,
    )
    assert "AKIAROOT" in dump  # the dump is real: public fields are there
    for secret in ("root-s3cret", "session-s3cret", "secret-aws/creds", PASSPHRASE):
        assert secret not in dump
        assert secret.encode().hex() not in dump


def test_a_second_init_on_the_same_database_is_refused(pg_url: str) -> None:
    url = _with_password(pg_url)
    PgStore.create(url, PASSPHRASE, fast_kdf(), operator="alice").close()
    with pytest.raises(Conflict) as caught:
        PgStore.create(url, PASSPHRASE, fast_kdf(), operator="bob")
    assert "a store already exists in postgresql://" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_two_inits_at_once_make_one_store(pg_url: str) -> None:
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def init(operator: str) -> None:
        start.wait()
        try:
            PgStore.create(pg_url, PASSPHRASE, fast_kdf(), operator=operator).close()
            outcomes.append("created")
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=init, args=(name,)) for name in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created", "refused"]


def test_an_empty_database_is_no_store(pg_url: str) -> None:
    with pytest.raises(StoreMissing, match="no workbench store in postgresql://"):
        PgStore.open(_with_password(pg_url), PASSPHRASE, operator="alice")


def test_each_operator_opens_the_team_store_with_their_own_passphrase(pg_url: str) -> None:
    store = PgStore.create(pg_url, PASSPHRASE, fast_kdf(), operator="alice")
    store.add_operator("bob", "bob's own passphrase", now=1.0, kdf=fast_kdf())
    store.engines.put(Engine("aws", RootConfig(secret_key="root-s3cret")))
    store.close()
    bob = PgStore.open(pg_url, "bob's own passphrase", operator="bob")
    try:
        engine = bob.engines.get("aws")
        assert engine is not None and engine.root.secret_key == "root-s3cret"
        assert [slot.operator for slot in bob.operators()] == ["alice", "bob"]
        assert "hunter2" not in bob.describe()
    finally:
        bob.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_store_still_holding_a_replaced_data_key_writes_nothing(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """After `operator remove` (a new data key) another process still holding the old key is
    refused its next write, a write with its COMMIT in one batch too, and told to unlock
    again: ciphertext sealed under the old key would open for nobody."""
    if backend == "sqlite":
        where: Any = tmp_path
        create, reopen = Store.create, Store.open
    else:
        where = request.getfixturevalue("pg_url")
        create, reopen = PgStore.create, PgStore.open
    first = create(where, PASSPHRASE, fast_kdf(), operator="alice")
    first.add_operator("bob", "bob's own passphrase", now=1.0, kdf=fast_kdf())
    stale = reopen(where, PASSPHRASE, operator="alice")
    try:
        assert first.remove_operator("bob") >= 0  # every sealed cell under a new data key
        with pytest.raises(Conflict, match="data key was replaced") as refused:
            stale.leases.insert(make_lease("aws/creds/web/stale"))  # one statement, alone
        assert refused.value.hint == "unlock_again"
        with pytest.raises(Conflict, match="data key was replaced"):
            stale.engines.put(Engine("aws", RootConfig(secret_key="sealed-under-the-old-key")))
        assert first.leases.get("aws/creds/web/stale") is None
        assert first.engines.get("aws") is None
    finally:
        stale.close()
        first.close()
