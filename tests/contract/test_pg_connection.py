"""What only the PostgreSQL backend has to get right: the SQL it is handed, a server that drops
connections, writers that queue, the change feed, and never a password in a message."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.contract.conftest import make_lease
from tests.helpers import wait_for
from workbench.domain.errors import StoreCorrupted, StoreUnavailable
from workbench.domain.models import Engine
from workbench.store import pg_schema
from workbench.store.audit_rows import SqliteAudit
from workbench.store.crypto import Cipher, new_data_key
from workbench.store.engines import SqliteEngines
from workbench.store.leases import SqliteLeases
from workbench.store.pg import PgConnection
from workbench.store.pg_sql import redact_url, scrub, to_psycopg


def test_placeholders_are_rewritten_outside_quotes_only() -> None:
    assert to_psycopg("SELECT ? WHERE a = :name AND b::text = '?:x' AND c LIKE ? ESCAPE '\\'") == (
        "SELECT %s WHERE a = %(name)s AND b::text = '?:x' AND c LIKE %s ESCAPE '\\'"
    )
    assert to_psycopg("SELECT '50%' , 100 % 7, \"odd?\"") == "SELECT '50%%' , 100 %% 7, \"odd?\""
    assert to_psycopg("SELECT 'it''s ?'") == "SELECT 'it''s ?'"
    with pytest.raises(ValueError, match="unclosed quote"):
        to_psycopg("SELECT 'oops")


def test_a_url_is_shown_without_its_password() -> None:
    assert redact_url("postgresql://alice:s3cr%40t@db.example:5432/wb?sslmode=require") == (
        "postgresql://alice@db.example:5432/wb?sslmode=require"
    )
    assert redact_url("postgresql://alice@/wb?host=/run/pg&password=s3cret") == (
        "postgresql://alice@/wb?host=/run/pg"
    )
    assert redact_url("host=db user=alice password='s3 cret' dbname=wb") == (
        "host=db user=alice dbname=wb"
    )
    url = "postgresql://alice:s3cr%40t@db/wb"
    assert scrub("auth failed for s3cr@t and s3cr%40t", url) == "auth failed for *** and ***"


@pytest.fixture
def store_url(pg_url: str) -> Iterator[str]:
    """A migrated store database; the URL carries a password (the test server ignores it)."""
    parts = urlsplit(pg_url)
    user, _, host = parts.netloc.rpartition("@")
    url = parts._replace(netloc=f"{user}:hunter2-secret@{host}").geturl()
    conn = PgConnection(url)
    pg_schema.create_meta(conn, {"schema_version": "0"})
    pg_schema.migrate(conn, 0)
    conn.close()
    yield url


@pytest.fixture
def conn(store_url: str) -> Iterator[PgConnection]:
    opened = PgConnection(store_url)
    yield opened
    opened.close()


def _kill_sessions(pg_server: Any, url: str) -> None:
    """What a server restart or a DBA's pg_terminate_backend does to every session."""
    database = urlsplit(url).path.lstrip("/")
    pg_server.psql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{database}' AND pid <> pg_backend_pid()"
    )


def test_an_unreachable_server_is_named_without_the_password() -> None:
    url = "postgresql://alice:hunter2-secret@/wb?host=/nonexistent-socket-dir"
    with pytest.raises(StoreUnavailable) as caught:
        PgConnection(url, connect_timeout=1)
    message = str(caught.value)
    assert "cannot connect to the team store postgresql://alice@/wb?host=/nonexistent" in message
    assert "hunter2" not in message


def test_a_read_survives_the_server_dropping_every_connection(
    conn: PgConnection, store_url: str, pg_server: Any
) -> None:
    SqliteEngines(conn, Cipher(new_data_key())).put(Engine("aws"))
    _kill_sessions(pg_server, store_url)
    assert conn.query("SELECT name FROM engines") == [("aws",)]


def test_a_write_cut_off_midway_is_refused_whole(
    conn: PgConnection, store_url: str, pg_server: Any
) -> None:
    leases = SqliteLeases(conn, Cipher(new_data_key()))
    with pytest.raises(StoreUnavailable) as caught, conn.transaction():
        leases.insert(make_lease("aws/creds/web/a"))
        assert leases.get("aws/creds/web/a") is not None  # sent: the server holds it, uncommitted
        _kill_sessions(pg_server, store_url)
        leases.insert(make_lease("aws/creds/web/b"))
    assert "lost the connection to the team store postgresql://" in str(caught.value)
    assert "hunter2" not in str(caught.value)
    assert leases.list(live_only=False) == []
    leases.insert(make_lease("aws/creds/web/c"))  # the next write gets a fresh connection
    assert [x.lease_id for x in leases.list()] == ["aws/creds/web/c"]


def test_a_write_survives_the_server_dropping_every_idle_connection(
    conn: PgConnection, store_url: str, pg_server: Any
) -> None:
    """A connection dropped while idle in the pool is replaced before the transaction's first
    statement (which carries BEGIN and the write lock): nothing of it had run yet."""
    leases = SqliteLeases(conn, Cipher(new_data_key()))
    leases.insert(make_lease("aws/creds/web/a"))
    _kill_sessions(pg_server, store_url)
    with conn.transaction():
        leases.insert(make_lease("aws/creds/web/b"))
        leases.insert(make_lease("aws/creds/web/c"))
    assert [x.lease_id for x in leases.list()] == [
        "aws/creds/web/a",
        "aws/creds/web/b",
        "aws/creds/web/c",
    ]


def test_a_transaction_takes_the_write_lock_with_its_first_batch(
    conn: PgConnection, store_url: str, pg_server: Any
) -> None:
    """Another writer waits once the transaction's first batch went (with the first answer
    it needed); before that it holds nothing up, and a write queued in it is not seen."""
    second = PgConnection(store_url)
    try:
        with conn.transaction():
            conn.execute("INSERT INTO meta (key, value) VALUES ('first', '1')")  # queued
            second.execute("INSERT INTO meta (key, value) VALUES ('second', '1')")  # not held
            assert second.query("SELECT key FROM meta WHERE key = 'first'") == []
            conn.query("SELECT 1")
            blocked = threading.Thread(
                target=second.execute,
                args=("INSERT INTO meta (key, value) VALUES ('third', '1')",),
            )
            blocked.start()
            wait_for(lambda: _waiting_for_advisory_lock(pg_server) == 1, "the writer to queue")
        blocked.join()
        assert conn.query(
            "SELECT key FROM meta WHERE key IN ('first', 'second', 'third') ORDER BY key"
        ) == [("first",), ("second",), ("third",)]
    finally:
        second.close()


def test_writers_queue_on_the_write_lock_while_readers_go_on(
    conn: PgConnection, store_url: str, pg_server: Any
) -> None:
    """The second process's write waits for the first's commit, as SQLite's BEGIN IMMEDIATE."""
    second = PgConnection(store_url)
    try:
        written: list[str] = []
        holding, release = threading.Event(), threading.Event()

        def first_writer() -> None:
            with conn.transaction():
                # Its row count asked for: the write is sent, and the lock taken with it.
                assert conn.execute("INSERT INTO meta (key, value) VALUES ('first', '1')").rowcount
                holding.set()
                release.wait()
                written.append("first")

        def second_writer() -> None:
            second.execute("INSERT INTO meta (key, value) VALUES ('second', '2')")
            written.append("second")

        one = threading.Thread(target=first_writer)
        one.start()
        holding.wait()
        two = threading.Thread(target=second_writer)
        two.start()
        wait_for(lambda: _waiting_for_advisory_lock(pg_server) == 1, "the second writer to queue")
        # A reader is not held up, and sees only what is committed.
        assert second.query("SELECT key FROM meta WHERE key IN ('first', 'second')") == []
        release.set()
        one.join()
        two.join()
        assert written == ["first", "second"]
    finally:
        second.close()


def _waiting_for_advisory_lock(pg_server: Any) -> int:
    return int(
        pg_server.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    )


def test_two_processes_see_each_others_writes_and_change_tokens(store_url: str) -> None:
    cipher = Cipher(new_data_key())
    first, second = PgConnection(store_url), PgConnection(store_url)
    try:
        tokens = first.change_token(), second.change_token()
        SqliteLeases(first, cipher).insert(make_lease("aws/creds/web/from-first"))
        wait_for(lambda: second.change_token() != tokens[1], "the second's token to move")
        lease = SqliteLeases(second, cipher).get("aws/creds/web/from-first", secrets=True)
        assert lease is not None and lease.secret_key == "secret-aws/creds/web/from-first"
        moved = second.change_token()
        SqliteEngines(second, cipher).put(Engine("prod"))
        assert second.wait_for_change(moved, timeout=60) != moved  # its own writes too
        wait_for(lambda: first.change_token() != tokens[0], "the first's token to move")
        assert [e.name for e in SqliteEngines(first, cipher).list()] == ["prod"]
    finally:
        first.close()
        second.close()


def test_wait_for_change_wakes_on_a_commit_and_not_before(
    conn: PgConnection, store_url: str
) -> None:
    token = conn.change_token()
    assert conn.wait_for_change(token, timeout=0.05) == token  # nothing written
    writer = PgConnection(store_url)
    try:
        writer.execute("INSERT INTO meta (key, value) VALUES ('x', '1')")
        assert conn.wait_for_change(token, timeout=60) != token
    finally:
        writer.close()


def test_the_change_feed_comes_back_after_its_connection_is_lost(
    conn: PgConnection, store_url: str, pg_server: Any
) -> None:
    """Readers reload after the loss (anything may have changed), then follow writes again."""
    token = conn.change_token()
    _kill_sessions(pg_server, store_url)
    # It moves once listening again, so the write below is heard.
    wait_for(lambda: conn.change_token() != token, "the token to move after the reconnect")
    token = conn.change_token()
    writer = PgConnection(store_url)
    try:
        writer.execute("INSERT INTO meta (key, value) VALUES ('after', '1')")
        wait_for(lambda: conn.change_token() != token, "the token to move on a later write")
    finally:
        writer.close()


def test_a_damaged_device_is_named_by_the_audit_link(conn: PgConnection) -> None:
    """PostgreSQL's link reads the devices with the chain head: damage is named there too."""
    audit = SqliteAudit(conn)
    audit.add_device("file", "file", {"file_path": "/a"}, 1.0)
    conn.execute("UPDATE audit_devices SET options = '[1]'")
    with pytest.raises(StoreCorrupted, match="audit device 'file' has a damaged record"):
        audit.link("audit_head")
