"""Static roles against the embedded AWS over HTTP, authorization on: an existing user's
key taken over and rotated, exactly one key of ours in AWS, the old one refused."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FAST_KDF, PASSPHRASE, MotoServer, make_service
from tests.helpers import wait_for
from workbench.domain.errors import Conflict, InvalidInput, NotFound
from workbench.store import KdfParams, Store
from workbench.worker import LeaseWorker

PERIOD = {"username": "legacy", "rotation_period": "720h"}


@pytest.fixture
def account(authorized: tuple[MotoServer, str, str], tmp_path: Path) -> Any:
    """The authorizing account with user `legacy` holding one key, and a workbench on it."""
    aws, access_key, secret_key = authorized
    admin = aws.client("iam", access_key=access_key, secret_key=secret_key)
    admin.create_user(UserName="legacy")
    old = admin.create_access_key(UserName="legacy")["AccessKey"]
    store = Store.create(tmp_path / "h", PASSPHRASE, KdfParams.fresh(**FAST_KDF))
    keys = {"access_key": access_key, "secret_key": secret_key, "max_retries": 0}
    service = make_service(store, aws, root=keys)
    yield aws, service, admin, old
    service.close()


def keys_of(admin: Any, user: str = "legacy") -> list[str]:
    return [k["AccessKeyId"] for k in admin.list_access_keys(UserName=user)["AccessKeyMetadata"]]


def works(aws: MotoServer, access_key: str, secret_key: str) -> bool:
    try:
        aws.client("sts", access_key=access_key, secret_key=secret_key).get_caller_identity()
    except Exception as error:
        assert "InvalidClientTokenId" in str(error), error
        return False
    return True


def test_taking_a_user_over_needs_consent_and_leaves_one_key_of_ours(account: Any) -> None:
    aws, service, admin, old = account
    with pytest.raises(Conflict, match="has 1 access key"):
        service.static_roles.write("aws", "legacy", PERIOD)
    assert service.static_roles.list() == []  # nothing stored without consent
    role = service.static_roles.write("aws", "legacy", PERIOD, take_over=True)
    assert keys_of(admin) == [role.access_key_id] != [old["AccessKeyId"]]
    assert not works(aws, old["AccessKeyId"], old["SecretAccessKey"])
    creds = service.static_roles.creds("aws", "legacy")
    assert works(aws, creds.lease.access_key_id or "", creds.lease.secret_key or "")
    body = creds.vault_json()["data"]
    assert set(body) == {"access_key", "secret_key", "expiration"}


def test_rotate_replaces_the_key_and_the_old_one_is_refused(account: Any) -> None:
    aws, service, admin, _old = account
    service.static_roles.write("aws", "legacy", PERIOD, take_over=True)
    before = service.static_roles.creds("aws", "legacy").lease
    rotated = service.static_roles.rotate("aws", "legacy")
    assert keys_of(admin) == [rotated.access_key_id]
    assert rotated.access_key_id != before.access_key_id
    assert not works(aws, before.access_key_id or "", before.secret_key or "")
    after = service.static_roles.creds("aws", "legacy").lease
    assert works(aws, after.access_key_id or "", after.secret_key or "")


def test_a_user_with_two_keys_loses_the_older_first(account: Any) -> None:
    _aws, service, admin, old = account
    newer = admin.create_access_key(UserName="legacy")["AccessKey"]
    deleted: list[str] = []
    client = service._ctx.clients(service.engines.get("aws")).iam

    def record(params: Any, model: Any, **_kwargs: Any) -> None:
        if model.name in ("DeleteAccessKey", "CreateAccessKey"):
            deleted.append(f"{model.name} {params.get('AccessKeyId', '')}".strip())

    client.meta.events.register("provide-client-params.iam", record)
    role = service.static_roles.write("aws", "legacy", PERIOD, take_over=True)
    assert deleted == [
        f"DeleteAccessKey {old['AccessKeyId']}",  # the older, to make room
        "CreateAccessKey",
        f"DeleteAccessKey {newer['AccessKeyId']}",  # the one it replaced
    ]
    assert keys_of(admin) == [role.access_key_id]


def test_a_shorter_period_rotates_at_the_new_time(account: Any) -> None:
    _aws, service, admin, _old = account
    clock = [time.time()]
    service._ctx.clock = lambda: clock[0]
    first = service.static_roles.write("aws", "legacy", PERIOD, take_over=True)
    assert first.next_rotation == pytest.approx(clock[0] + 720 * 3600)
    clock[0] += 600
    changed = service.static_roles.write("aws", "legacy", {**PERIOD, "rotation_period": "15m"})
    assert changed.next_rotation == pytest.approx((first.last_rotated or 0) + 900)
    assert changed.access_key_id == first.access_key_id  # no rotation yet: 10 of 15 minutes
    worker = LeaseWorker(service)
    worker.start()
    try:
        time.sleep(0.5)
        assert keys_of(admin) == [first.access_key_id]
        clock[0] += 301  # past last rotation + 15 minutes
        wait_for(lambda: keys_of(admin) != [first.access_key_id], "the scheduled rotation")
    finally:
        worker.stop()
    (role,) = service.static_roles.list()
    assert keys_of(admin) == [role.access_key_id]
    assert role.last_rotated == pytest.approx(clock[0])


def test_delete_leaves_the_user_and_its_key(account: Any) -> None:
    _aws, service, admin, _old = account
    role = service.static_roles.write("aws", "legacy", PERIOD, take_over=True)
    service.static_roles.delete("aws", "legacy")
    assert keys_of(admin) == [role.access_key_id]
    with pytest.raises(NotFound):
        service.static_roles.creds("aws", "legacy")


def test_every_write_read_and_rotation_is_audited_without_the_secret(account: Any) -> None:
    _aws, service, _admin, _old = account
    service.static_roles.write("aws", "legacy", PERIOD, take_over=True)
    secret = service.static_roles.creds("aws", "legacy").lease.secret_key or ""
    service.static_roles.rotate("aws", "legacy")
    records = [r.entry for r in service.audit.entries()]
    paths = [(e["type"], e["request"]["path"]) for e in records]
    for path in (
        "aws/static-roles/legacy",
        "aws/static-creds/legacy",
        "aws/static-roles/legacy/rotate",
    ):
        assert ("request", path) in paths and ("response", path) in paths, path
    text = json.dumps(records)
    assert secret not in text
    assert service.audit.hash_value(secret) in text


def test_bad_fields_are_named(account: Any) -> None:
    _aws, service, _admin, _old = account
    with pytest.raises(InvalidInput, match="rotation_period"):
        service.static_roles.write("aws", "x", {"username": "legacy", "rotation_period": "5s"})
    with pytest.raises(NotFound, match="IAM user 'nobody' does not exist"):
        service.static_roles.write("aws", "x", {"username": "nobody", "rotation_period": "1h"})
    with pytest.raises(InvalidInput, match="unknown static role field"):
        service.static_roles.write("aws", "x", {**PERIOD, "ttl": "1h"})


def test_role_import_takes_vaults_static_role_json(account: Any, tmp_path: Path) -> None:
    _aws, service, admin, _old = account
    folder = tmp_path / "roles"
    folder.mkdir()
    (folder / "legacy.json").write_text(json.dumps(PERIOD))
    (folder / "web.json").write_text(json.dumps({"credential_type": "iam_user"}))
    with pytest.raises(Conflict):
        service.roles.import_files("aws", [str(folder)])
    assert service.roles.list("aws") == []  # asked before anything was written
    written = service.roles.import_files("aws", [str(folder)], take_over=True)
    assert sorted(role.name for role, _ in written) == ["legacy", "web"]
    (role,) = service.static_roles.list("aws")
    assert keys_of(admin) == [role.access_key_id]
