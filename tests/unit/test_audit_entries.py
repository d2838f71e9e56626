"""Entry shape (Vault's audit JSON) and secret redaction."""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path

import pytest

from workbench.audit import AuditLog, is_secret_key
from workbench.store import KdfParams, Store

RFC3339_MICROS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def test_hash_value_is_vaults_hmac_sha256_with_the_store_key(log: AuditLog, store: Store) -> None:
    expected = hmac.new(store.hmac_key, b"wJalrXUtnFEMI/K7MDENG", hashlib.sha256).hexdigest()
    assert log.hash_value("wJalrXUtnFEMI/K7MDENG") == f"hmac-sha256:{expected}"
    assert log.hash_value("a") != log.hash_value("b")


def test_another_store_hashes_the_same_secret_differently(
    log: AuditLog, tmp_path: Path, kdf: KdfParams
) -> None:
    other = Store.create(tmp_path / "other", "pw", kdf)
    try:
        assert AuditLog(other, operator="x").hash_value("s") != log.hash_value("s")
    finally:
        other.close()


def test_request_and_response_entries_have_vaults_shape(log: AuditLog) -> None:
    with log.operation("update", "aws/creds/webapp", {"ttl": "15m"}) as op:
        op.respond(data={"access_key": "AKIAEXAMPLE"}, lease_id="aws/creds/webapp/abc123")
    request, response = (record.entry for record in log.entries())

    assert request["type"] == "request"
    assert set(request) == {"time", "type", "auth", "request", "error"}
    assert RFC3339_MICROS.match(request["time"])
    assert request["auth"]["display_name"] == "alice"
    assert request["auth"]["policies"] == ["root"]
    assert request["auth"]["metadata"]["operator"] == "alice"
    assert request["request"]["operation"] == "update"
    assert request["request"]["path"] == "aws/creds/webapp"
    assert request["request"]["data"] == {"ttl": "15m"}
    assert request["request"]["remote_address"] == "local"

    assert response["type"] == "response"
    assert set(response) == {"time", "type", "auth", "request", "response", "error"}
    assert response["request"]["id"] == request["request"]["id"]
    assert response["response"]["secret"] == {"lease_id": "aws/creds/webapp/abc123"}
    assert response["response"]["data"] == {"access_key": "AKIAEXAMPLE"}
    assert response["error"] == ""


def test_remote_address_can_say_web(store: Store) -> None:
    web_log = AuditLog(store, operator="alice", remote_address="127.0.0.1")
    with web_log.operation("read", "aws/config/root"):
        pass
    assert next(web_log.entries()).entry["request"]["remote_address"] == "127.0.0.1"


def test_revoke_is_not_a_vault_operation(log: AuditLog) -> None:
    with pytest.raises(ValueError, match="revoke"):
        with log.operation("revoke", "sys/leases/revoke"):
            pass
    assert log.count() == 0


@pytest.mark.parametrize(
    "key",
    [
        "secret_key",
        "secret_access_key",
        "SecretAccessKey",
        "AWS_SECRET_ACCESS_KEY",
        "session_token",
        "SessionToken",
        "security_token",
        "passphrase",
        "new_passphrase",
        "old_passphrase",
        "mfa_code",
        "token",
    ],
)
def test_secret_keys_are_recognised(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["access_key", "AccessKeyId", "lease_id", "role_arn", "ttl"])
def test_identifiers_stay_readable(key: str) -> None:
    assert not is_secret_key(key)


def test_secrets_are_hmacd_deep_in_request_and_response_data(log: AuditLog) -> None:
    request_data = {
        "access_key": "AKIAROOT",
        "secret_key": "root-secret",
        "nested": [{"Credentials": {"SecretAccessKey": "deep-secret", "AccessKeyId": "ASIA1"}}],
        "mfa_code": "123456",
        "empty_token": None,
    }
    with log.operation("update", "aws/config/root", request_data) as op:
        op.respond(data={"session_token": "tok", "tokens": ["a"], "token": ["t1", "t2"]})
    request, response = (record.entry for record in log.entries())

    data = request["request"]["data"]
    assert data["access_key"] == "AKIAROOT"
    assert data["secret_key"] == log.hash_value("root-secret")
    credentials = data["nested"][0]["Credentials"]
    assert credentials == {"SecretAccessKey": log.hash_value("deep-secret"), "AccessKeyId": "ASIA1"}
    assert data["mfa_code"] == log.hash_value("123456")
    assert data["empty_token"] is None
    assert response["response"]["data"]["session_token"] == log.hash_value("tok")
    assert response["response"]["data"]["token"] == [log.hash_value("t1"), log.hash_value("t2")]
    assert response["response"]["data"]["tokens"] == ["a"]  # not a secret key
    assert request_data["secret_key"] == "root-secret"  # the caller's data is not mutated
