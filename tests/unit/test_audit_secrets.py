"""After a session, no secret is anywhere in the audit trail; each HMAC is findable."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from workbench.audit import AuditLog
from workbench.domain.errors import AwsError

ROOT_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYROOTKEY"
IAM_SECRET = "9drTJvcXLB89EXAMPLEIAMUSERSECRET/abc"
STS_SECRET = "Tx2EXAMPLEstsSECRET+AccessKey/xyz"
STS_TOKEN = "FwoGZXIvYXdzEXAMPLE//////////SESSIONTOKEN=="
OLD_PASS = "old passphrase 1"
NEW_PASS = "new passphrase 2"
MFA = "123456"
SECRETS = [ROOT_SECRET, IAM_SECRET, STS_SECRET, STS_TOKEN, OLD_PASS, NEW_PASS, MFA]
HMAC = re.compile(r"hmac-sha256:[0-9a-f]{64}")


def full_session(log: AuditLog, device: Path) -> None:
    """Every kind of operation, with the secrets each one carries."""
    log.enable_file_device(str(device))
    root = {"access_key": "AKIAROOT", "secret_key": ROOT_SECRET, "region": "us-east-1"}
    with log.operation("update", "aws/config/root", root):
        pass
    with log.operation("update", "aws/config/rotate-root") as op:
        op.respond(data={"access_key": "AKIAROOT2"})
    with log.operation("update", "aws/roles/webapp", {"credential_type": "iam_user"}):
        pass
    with log.operation("update", "aws/creds/webapp", {"ttl": "15m"}) as op:
        op.respond(
            data={"access_key": "AKIAIAMUSER", "secret_key": IAM_SECRET, "session_token": None},
            lease_id="aws/creds/webapp/one",
        )
    with log.operation("update", "aws/sts/deploy", {"ttl": "1h", "mfa_code": MFA}) as op:
        op.respond(
            data={
                "access_key": "ASIASTS",
                "secret_key": STS_SECRET,
                "session_token": STS_TOKEN,
                "Credentials": {"SecretAccessKey": STS_SECRET, "SessionToken": STS_TOKEN},
            },
            lease_id="aws/sts/deploy/two",
        )
    with log.operation("update", "sys/leases/renew", {"lease_id": "aws/creds/webapp/one"}):
        pass
    with log.operation("update", "sys/leases/revoke", {"lease_id": "aws/creds/webapp/one"}):
        pass
    with pytest.raises(AwsError):
        with log.operation("update", "sys/leases/revoke-force/aws/creds"):
            raise AwsError("AccessDenied: not authorized to perform iam:DeleteUser")
    with log.operation(
        "update", "sys/passwd", {"passphrase": OLD_PASS, "new_passphrase": NEW_PASS}
    ):
        pass
    with log.operation("delete", "aws/roles/webapp"):
        pass


@pytest.fixture
def device(log: AuditLog, tmp_path: Path) -> Path:
    path = tmp_path / "audit.jsonl"
    full_session(log, path)
    return path


def test_no_secret_in_the_table_the_file_or_tail(
    device: Path,
    raw_db: sqlite3.Connection,
    invoke,  # type: ignore[no-untyped-def]
) -> None:
    table = "\n".join(
        " ".join(str(value) for value in row) for row in raw_db.execute("SELECT * FROM audit")
    )
    meta = "\n".join(str(row) for row in raw_db.execute("SELECT * FROM meta"))
    file_text = device.read_text()
    tail_text = invoke("audit", "tail", "-n", "1000").output
    tail_json = invoke("audit", "tail", "-n", "1000", "--format", "json").output
    assert "AKIAIAMUSER" in table  # access key ids stay readable
    assert "AKIAIAMUSER" in file_text
    for where, text in [
        ("table", table),
        ("meta", meta),
        ("file", file_text),
        ("tail", tail_text),
        ("tail json", tail_json),
    ]:
        for secret in SECRETS:
            assert secret not in text, f"a secret leaked into the {where}"


def audit_hash(invoke, secret: str) -> str:  # type: ignore[no-untyped-def]
    """`workbench audit hash -` with the secret on stdin, as an operator would run it."""
    result = invoke("audit", "hash", "-", input=secret + "\n")
    assert result.exit_code == 0, result.output
    return str(result.stdout.strip())


def test_every_hmac_is_the_audit_hash_of_a_secret(
    device: Path,
    invoke,  # type: ignore[no-untyped-def]
) -> None:
    hashes = {audit_hash(invoke, secret): secret for secret in SECRETS}
    found = set(HMAC.findall(device.read_text()))
    assert found
    assert found <= set(hashes), "an HMAC in the log matches no secret of the session"
    for secret in (ROOT_SECRET, IAM_SECRET, STS_SECRET, STS_TOKEN, OLD_PASS, NEW_PASS, MFA):
        assert audit_hash(invoke, secret) in found


def test_a_leaked_key_leads_to_its_lease(
    log: AuditLog,
    device: Path,
    invoke,  # type: ignore[no-untyped-def]
) -> None:
    leaked = audit_hash(invoke, IAM_SECRET)
    issued = [
        record.entry
        for record in log.entries(path_prefix="aws/creds/")
        if leaked in str(record.entry.get("response"))
    ]
    assert [entry["response"]["secret"]["lease_id"] for entry in issued] == ["aws/creds/webapp/one"]


def test_the_session_verifies(log: AuditLog, device: Path) -> None:
    result = log.verify()
    assert result.ok, result.problem
    assert result.count == 2 + 2 * 10
