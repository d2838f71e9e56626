"""`reconcile` knows its users by tag and by recorded name, never by today's template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import MotoServer
from tests.helpers import run_cli, setup_cli_store


def _store_id(home: Path) -> str:
    import sqlite3

    with sqlite3.connect(home / "workbench.db") as conn:
        return str(conn.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0])


def _webapp(home: Path, tmp_path: Path) -> None:
    role_file = tmp_path / "r.json"
    role_file.write_text(json.dumps({"credential_type": "iam_user"}))
    assert run_cli(home, "role", "write", "webapp", "--file", str(role_file)).returncode == 0


def test_reconcile_reports_and_deletes_strays(
    home: Path, aws: MotoServer, iam: Any, tmp_path: Path
) -> None:
    setup_cli_store(home, aws)
    _webapp(home, tmp_path)
    kept = json.loads(run_cli(home, "creds", "webapp", "--format", "json").stdout)
    gone = json.loads(run_cli(home, "creds", "webapp", "--format", "json").stdout)
    # A user this store made whose lease record is gone (tagged, no lease): a stray.
    stray = "wb-mallory-webapp-1700000000-abcdefgh"
    iam.create_user(
        UserName=stray,
        Tags=[
            {"Key": "lease-workbench:store", "Value": _store_id(home)},
            {"Key": "lease-workbench:lease", "Value": "aws/creds/webapp/lost"},
        ],
    )
    iam.create_access_key(UserName=stray)
    # Not ours, whatever its name looks like: never reported, never deleted.
    iam.create_user(UserName="wb-lookalike-webapp-1700000000-zzzzzzzz")
    iam.create_user(
        UserName="other-store-user",
        Tags=[{"Key": "lease-workbench:store", "Value": "someone-elses-store"}],
    )
    missing = json.loads(run_cli(home, "lease", "lookup", gone["lease_id"]).stdout)["iam_user"]
    iam.delete_access_key(UserName=missing, AccessKeyId=gone["data"]["access_key"])
    iam.delete_user_policy(UserName=missing, PolicyName="workbench-policy")
    iam.delete_user(UserName=missing)

    report = run_cli(home, "reconcile", "--format", "json")
    assert report.returncode == 0, report.stderr
    found = json.loads(report.stdout)
    assert [s["name"] for s in found["strays"]] == [stray]
    assert found["missing_users"] == [gone["lease_id"]]

    refused = run_cli(home, "reconcile", "--delete")
    assert refused.returncode == 1 and "add --yes" in refused.stderr  # no terminal to ask
    assert stray in {u["UserName"] for u in iam.list_users()["Users"]}

    deleted = run_cli(home, "reconcile", "--delete", "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert f"deleted {stray}" in deleted.stdout
    names = sorted(u["UserName"] for u in iam.list_users()["Users"])
    kept_user = json.loads(run_cli(home, "lease", "lookup", kept["lease_id"]).stdout)["iam_user"]
    assert names == sorted(
        [kept_user, "wb-lookalike-webapp-1700000000-zzzzzzzz", "other-store-user"]
    )


def test_a_template_change_loses_no_user(
    home: Path, aws: MotoServer, iam: Any, tmp_path: Path
) -> None:
    setup_cli_store(home, aws)
    _webapp(home, tmp_path)
    live = [json.loads(run_cli(home, "creds", "webapp", "--format", "json").stdout) for _ in "ab"]
    changed = run_cli(home, "config", "root", "--username-template", "svc-{{random 12}}")
    assert changed.returncode == 0, changed.stderr
    newer = json.loads(run_cli(home, "creds", "webapp", "--format", "json").stdout)

    report = run_cli(home, "reconcile", "--format", "json")
    assert report.returncode == 0, report.stderr
    found = json.loads(report.stdout)
    assert found["strays"] == []
    assert found["missing_users"] == []  # the old-template users are still known to be there
    text = run_cli(home, "reconcile")
    assert "This store made 3 of the " in text.stdout and "--force" not in text.stdout
    users = {u["UserName"] for u in iam.list_users()["Users"]}
    assert len(users) == 3
    assert any(name.startswith("svc-") for name in users)
    for issued in [*live, newer]:
        assert run_cli(home, "lease", "revoke", issued["lease_id"]).returncode == 0
    assert iam.list_users()["Users"] == []
