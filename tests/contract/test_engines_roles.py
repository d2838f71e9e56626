"""Engines, roles and static roles on both backends."""

from __future__ import annotations

import threading

import pytest

from tests.contract.conftest import Backend
from workbench.domain.errors import StoreCorrupted
from workbench.domain.models import CredentialType, Engine, Role, RootConfig, StaticRole


def test_an_engine_keeps_its_config_and_its_sealed_root_secret(backend: Backend) -> None:
    engine = Engine("aws", RootConfig(access_key="AKIAROOT", secret_key="root-secret-123"))
    backend.engines.put(engine)
    stored = backend.engines.get("aws")
    assert stored is not None
    assert (stored.root.access_key, stored.root.secret_key) == ("AKIAROOT", "root-secret-123")
    (blob,) = backend.conn.query("SELECT root_secret_key FROM engines")[0]
    assert b"root-secret-123" not in bytes(blob)
    assert backend.engines.get("gcp") is None


def test_writing_an_engine_again_changes_it_in_place(backend: Backend) -> None:
    backend.engines.put(Engine("aws", RootConfig(region="us-east-1"), created_time=100.0))
    backend.engines.put(
        Engine("aws", RootConfig(region="eu-west-1"), enabled=False, created_time=200.0)
    )
    (engine,) = backend.engines.list()
    assert (engine.root.region, engine.enabled) == ("eu-west-1", False)
    assert engine.created_time == 100.0  # created once


def test_names_sort_byte_by_byte_on_both(backend: Backend) -> None:
    """Upper case before lower case, as SQLite sorts: lists look the same on both backends."""
    for name in ("beta", "Alpha", "alpha", "Zeta"):
        backend.engines.put(Engine(name))
    assert [engine.name for engine in backend.engines.list()] == ["Alpha", "Zeta", "alpha", "beta"]


def test_a_damaged_engine_is_named(backend: Backend) -> None:
    backend.engines.put(Engine("aws"))
    backend.conn.execute("UPDATE engines SET config = 'not json' WHERE name = 'aws'")
    with pytest.raises(StoreCorrupted, match="engine 'aws' has a damaged config: not JSON"):
        backend.engines.get("aws")


def test_roles_are_listed_by_engine_and_deleted(backend: Backend) -> None:
    policy = '{"Version": "2012-10-17", "Statement": []}'
    backend.roles.put(Role("aws", "web", CredentialType.IAM_USER, policy_document=policy))
    backend.roles.put(Role("aws", "deploy", CredentialType.ASSUMED_ROLE, role_arns=["arn:x"]))
    backend.roles.put(Role("prod", "web", CredentialType.IAM_USER, iam_tags={"team": "a"}))
    assert [(r.engine, r.name) for r in backend.roles.list()] == [
        ("aws", "deploy"),
        ("aws", "web"),
        ("prod", "web"),
    ]
    assert [r.name for r in backend.roles.list("aws")] == ["deploy", "web"]
    web = backend.roles.get("aws", "web")
    assert web is not None and web.policy_document == policy
    (blob,) = backend.conn.query(
        "SELECT policy_document FROM roles WHERE engine = 'aws' AND name = 'web'"
    )[0]
    assert b"2012-10-17" not in bytes(blob)
    prod = backend.roles.get("prod", "web")
    assert prod is not None and prod.iam_tags == {"team": "a"}
    assert backend.roles.delete("aws", "web")
    assert not backend.roles.delete("aws", "web")
    assert backend.roles.get("aws", "web") is None


def test_a_static_role_is_replaced_whole_and_its_key_sealed(backend: Backend) -> None:
    role = StaticRole("aws", "app", "legacy-app", 3600, access_key_id="AKIA1", secret_key="s1")
    backend.static_roles.put(role)
    backend.static_roles.put(
        StaticRole("aws", "app", "legacy-app", 7200, access_key_id="AKIA2", secret_key="static-2")
    )
    stored = backend.static_roles.get("aws", "app")
    assert stored is not None
    assert (stored.rotation_period, stored.access_key_id) == (7200, "AKIA2")
    assert stored.secret_key == "static-2"
    assert stored.step is None and stored.owner is None
    listed = backend.static_roles.list()
    assert [(r.name, r.secret_key) for r in listed] == [("app", None)]
    (blob,) = backend.conn.query("SELECT secret_key FROM static_roles")[0]
    assert b"static-2" not in bytes(blob)


def test_one_rotation_at_a_time_and_a_dead_owners_is_taken_over(backend: Backend) -> None:
    backend.static_roles.put(StaticRole("aws", "app", "legacy-app", 3600))
    other = backend.other()
    results: list[bool] = []
    start = threading.Barrier(2)

    def rotate(side: Backend, owner: str) -> None:
        start.wait()
        results.append(side.static_roles.claim("aws", "app", owner=owner, now=1.0))

    threads = [
        threading.Thread(target=rotate, args=(side, f"p{n}"))
        for n, side in enumerate((backend, other))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    holder = backend.static_roles.get("aws", "app", secrets=False)
    assert holder is not None and holder.step == "claimed"
    assert not backend.static_roles.claim("aws", "app", owner="p2", now=2.0, orphaned="h:9")
    assert backend.static_roles.claim("aws", "app", owner="p2", now=2.0, orphaned=holder.owner)
    taken = backend.static_roles.get("aws", "app", secrets=False)
    assert taken is not None and (taken.owner, taken.updated_time) == ("p2", 2.0)


def test_a_damaged_static_role_is_skipped_by_the_worker_only(backend: Backend) -> None:
    backend.static_roles.put(StaticRole("aws", "bad", "u1", 3600))
    backend.static_roles.put(StaticRole("aws", "good", "u2", 3600))
    backend.conn.execute("UPDATE static_roles SET step = 'dancing' WHERE name = 'bad'")
    with pytest.raises(StoreCorrupted, match="static role 'aws/bad' has a damaged record: step"):
        backend.static_roles.list()
    assert [r.name for r in backend.static_roles.list(skip_damaged=True)] == ["good"]
    assert backend.static_roles.delete("aws", "bad")
    assert not backend.static_roles.delete("aws", "bad")
