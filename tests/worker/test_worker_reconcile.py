"""`reconcile` finds IAM users made behind the workbench's back, and users gone missing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import MotoServer
from tests.helpers import run_cli, setup_cli_store


def test_reconcile_reports_and_deletes_strays(
    home: Path, aws: MotoServer, iam: Any, tmp_path: Path
) -> None:
    setup_cli_store(home, aws)
    role_file = tmp_path / "r.json"
    role_file.write_text(json.dumps({"credential_type": "iam_user"}))
    assert run_cli(home, "role", "write", "webapp", "--file", str(role_file)).returncode == 0
    kept = json.loads(run_cli(home, "creds", "webapp", "--format", "json").stdout)
    gone = json.loads(run_cli(home, "creds", "webapp", "--format", "json").stdout)
    iam.create_user(UserName="wb-mallory-webapp-1700000000-abcdefgh")
    iam.create_access_key(UserName="wb-mallory-webapp-1700000000-abcdefgh")
    iam.create_user(UserName="someone-else")  # not ours: the template prefix does not match
    missing = json.loads(run_cli(home, "lease", "lookup", gone["lease_id"]).stdout)["iam_user"]
    iam.delete_access_key(UserName=missing, AccessKeyId=gone["data"]["access_key"])
    iam.delete_user_policy(UserName=missing, PolicyName="workbench-policy")
    iam.delete_user(UserName=missing)

    report = run_cli(home, "reconcile", "--format", "json")
    assert report.returncode == 0, report.stderr
    found = json.loads(report.stdout)
    assert [s["name"] for s in found["strays"]] == ["wb-mallory-webapp-1700000000-abcdefgh"]
    assert found["missing_users"] == [gone["lease_id"]]

    deleted = run_cli(home, "reconcile", "--delete")
    assert deleted.returncode == 0, deleted.stderr
    assert "deleted wb-mallory-webapp-1700000000-abcdefgh" in deleted.stdout
    names = sorted(u["UserName"] for u in iam.list_users()["Users"])
    kept_user = json.loads(run_cli(home, "lease", "lookup", kept["lease_id"]).stdout)["iam_user"]
    assert names == sorted([kept_user, "someone-else"])
