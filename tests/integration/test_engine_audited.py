"""Every service operation writes a request entry before it acts and a response after."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from workbench.domain.errors import WorkbenchError
from workbench.service import Workbench
from workbench.worker import LeaseWorker

ROLE = {"credential_type": "iam_user"}


def _issue(service: Workbench, ttl: str = "15m") -> str:
    return service.creds.issue("aws", "webapp", ttl=ttl).lease.lease_id


def _worker_revocation(service: Workbench) -> None:
    from tests.helpers import wait_for

    lease_id = _issue(service, "1s")
    worker = LeaseWorker(service)
    worker.start()
    try:
        wait_for(lambda: not service.leases.list(prefix=lease_id))
    finally:
        worker.stop()


OPERATIONS: list[tuple[str, Callable[[Workbench, Path], Any], str, str]] = [
    ("engine enable", lambda s, _: s.engines.enable("prod"), "update", "sys/mounts/prod"),
    (
        "engine disable",
        lambda s, _: (s.engines.enable("old"), s.engines.disable("old")),
        "delete",
        "sys/mounts/old",
    ),
    (
        "config root",
        lambda s, _: s.engines.write_root("aws", region="eu-west-1"),
        "update",
        "aws/config/root",
    ),
    (
        "config lease",
        lambda s, _: s.engines.write_lease("aws", "1h", "2h"),
        "update",
        "aws/config/lease",
    ),
    ("config read", lambda s, _: s.engines.read_config("aws"), "read", "aws/config/root"),
    ("role write", lambda s, _: s.roles.write("aws", "extra", ROLE), "update", "aws/roles/extra"),
    ("role delete", lambda s, _: s.roles.delete("aws", "webapp"), "delete", "aws/roles/webapp"),
    ("creds", lambda s, _: _issue(s), "read", "aws/creds/webapp"),
    ("renew", lambda s, _: s.leases.renew(_issue(s), "20m"), "update", "sys/leases/renew"),
    ("revoke", lambda s, _: s.leases.revoke(_issue(s)), "update", "sys/leases/revoke"),
    (
        "revoke prefix",
        lambda s, _: (_issue(s), s.leases.revoke_prefix("aws/creds/webapp/")),
        "update",
        "sys/leases/revoke-prefix/aws/creds/webapp/",
    ),
    (
        "force revoke",
        lambda s, _: s.leases.revoke(_issue(s), force=True),
        "update",
        "sys/leases/revoke-force",
    ),
    ("worker revocation", lambda s, _: _worker_revocation(s), "update", "sys/leases/revoke"),
    ("reconcile", lambda s, _: s.iam.reconcile("aws"), "read", "aws/reconcile"),
    ("passwd", lambda s, _: s.change_passphrase("another passphrase"), "update", "sys/passwd"),
    (
        "audit enable",
        lambda s, tmp: s.audit.enable_file_device(str(tmp / "audit.jsonl")),
        "update",
        "sys/audit/file",
    ),
    (
        "rotate root refused",
        lambda s, _: s.engines.rotate_root("nope"),
        "update",
        "nope/config/rotate-root",
    ),
]


@pytest.mark.parametrize(
    ("name", "action", "operation", "path"), OPERATIONS, ids=[op[0] for op in OPERATIONS]
)
def test_operation_is_audited_as_a_pair(
    service: Workbench,
    tmp_path: Path,
    name: str,
    action: Callable[[Workbench, Path], Any],
    operation: str,
    path: str,
) -> None:
    service.roles.write("aws", "webapp", ROLE)
    before = service.audit.count()
    with contextlib.suppress(WorkbenchError):  # a refused operation is audited too
        action(service, tmp_path)
    new = list(service.audit.entries(after_seq=before))
    matching = [r for r in new if r.entry["request"]["path"] == path]
    if name == "rotate root refused":
        assert matching == []  # unknown engine: refused before anything is requested
        return
    types = [r.entry["type"] for r in matching]
    assert "request" in types and "response" in types, (
        name,
        [r.entry["request"]["path"] for r in new],
    )
    request = [r for r in matching if r.entry["type"] == "request"][-1]
    response = next(
        r
        for r in matching
        if r.entry["type"] == "response"
        and r.entry["request"]["id"] == request.entry["request"]["id"]
    )
    assert request.seq < response.seq
    assert request.entry["request"]["operation"] == operation
    assert request.entry["auth"]["display_name"] == "tester"
    assert service.audit.verify().ok


def test_secrets_appear_only_as_hmacs(service: Workbench, tmp_path: Path) -> None:
    device = tmp_path / "audit.jsonl"
    service.audit.enable_file_device(str(device))
    service.roles.write("aws", "webapp", ROLE)
    issued = service.creds.issue("aws", "webapp")
    secret = issued.lease.secret_key or ""
    stored = "\n".join(json.dumps(r.entry) for r in service.audit.entries())
    on_file = device.read_text()
    for text in (stored, on_file):
        assert secret not in text
        assert "root-secret-value-123" not in text
        assert service.audit.hash_value(secret) in text
    # The root secret was written (and audited) before the file device existed.
    assert service.audit.hash_value("root-secret-value-123") in stored
    assert issued.lease.access_key_id in stored  # readable: incidents start from it


def test_unwritable_audit_device_refuses_issuance(
    service: Workbench, tmp_path: Path, iam: Any
) -> None:
    device = tmp_path / "audit.jsonl"
    service.audit.enable_file_device(str(device))
    service.roles.write("aws", "webapp", ROLE)
    device.unlink()
    device.mkdir()  # root ignores file modes; a directory in its place cannot be appended to
    with pytest.raises(WorkbenchError, match="audit device 'file' could not write"):
        service.creds.issue("aws", "webapp")
    assert iam.list_users()["Users"] == []
    assert service.leases.list(include_history=True) == []
