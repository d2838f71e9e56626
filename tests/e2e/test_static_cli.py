"""`workbench static-role ...` and `static-creds` as a user runs them: clear words, the
take-over asked for, and what delete leaves behind said plainly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import MotoServer
from tests.helpers import one_error_line, run_cli, setup_cli_store


def test_the_static_role_commands_from_write_to_delete(
    home: Path, aws: MotoServer, iam: Any
) -> None:
    setup_cli_store(home, aws)
    iam.create_user(UserName="legacy")
    old = iam.create_access_key(UserName="legacy")["AccessKey"]["AccessKeyId"]
    write = ["static-role", "write", "legacy", "--username", "legacy", "--rotation-period", "720h"]
    refused = run_cli(home, *write)  # no terminal to ask, no --yes
    line = one_error_line(refused, "has 1 access key", old, "--yes")
    assert "stops working" in line
    assert json.loads(run_cli(home, "static-role", "list", "--format", "json").stdout) == []

    written = run_cli(home, *write, "--yes")
    assert written.returncode == 0, written.stderr
    assert "next rotation" in written.stdout
    body = json.loads(run_cli(home, "static-role", "read", "legacy").stdout)
    assert body["username"] == "legacy" and body["rotation_period"] == 720 * 3600
    keys = [k["AccessKeyId"] for k in iam.list_access_keys(UserName="legacy")["AccessKeyMetadata"]]
    assert keys == [body["access_key"]] and old not in keys
    assert "secret" not in json.dumps(body)

    creds = json.loads(run_cli(home, "static-creds", "legacy", "--format", "json").stdout)
    assert creds["data"]["access_key"] == body["access_key"] and creds["data"]["secret_key"]
    process = json.loads(
        run_cli(home, "static-creds", "legacy", "--format", "credential-process").stdout
    )
    assert process["Version"] == 1 and process["Expiration"] == creds["data"]["expiration"]
    listed = run_cli(home, "static-role", "list")
    assert "legacy" in listed.stdout and "720h0m0s" in listed.stdout and "a month" in listed.stdout

    shorter = run_cli(home, *write[:-1], "10s")
    one_error_line(shorter, "--rotation-period", "at least 60s")

    deleted = run_cli(home, "static-role", "delete", "legacy")
    assert deleted.returncode == 0
    assert "stay in AWS" in deleted.stdout and body["access_key"] in deleted.stdout
    keys = [k["AccessKeyId"] for k in iam.list_access_keys(UserName="legacy")["AccessKeyMetadata"]]
    assert keys == [body["access_key"]]
    one_error_line(run_cli(home, "static-creds", "legacy"), "static role 'legacy' not found")
