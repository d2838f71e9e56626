"""Damaged role and engine rows are named by record and field; every other row still works."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import MotoServer
from tests.helpers import one_error_line, run_cli, setup_cli_store

ROLE = {"credential_type": "iam_user", "policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}


@pytest.fixture
def two_roles(home: Path, aws: MotoServer) -> Path:
    setup_cli_store(home, aws)
    role_file = home.parent / "role.json"
    role_file.write_text(json.dumps(ROLE))
    for name in ("web", "db"):
        assert run_cli(home, "role", "write", name, "--file", str(role_file)).returncode == 0
    return home


def damage(home: Path, sql: str) -> None:
    """Change the store behind the workbench's back, as a disk fault or a newer version would."""
    conn = sqlite3.connect(home / "workbench.db")
    with conn:
        assert conn.execute(sql).rowcount == 1
    conn.close()


ROLE_DAMAGE = [
    ("UPDATE roles SET body = '[]' WHERE name = 'web'", "a JSON object"),
    ("UPDATE roles SET body = 'not json' WHERE name = 'web'", "not JSON"),
    ("UPDATE roles SET body = json_set(body, '$.user_path', 5) WHERE name = 'web'", "user_path"),
    (
        "UPDATE roles SET body = json_set(body, '$.iam_tags', json('[1]')) WHERE name = 'web'",
        "iam_tags",
    ),
    ("UPDATE roles SET body = json_set(body, '$.ttl_v2', 5) WHERE name = 'web'", "ttl_v2"),
    ("UPDATE roles SET credential_type = 'iam_user_v2' WHERE name = 'web'", "iam_user_v2"),
    ("UPDATE roles SET updated_time = 'yesterday' WHERE name = 'web'", "updated_time"),
]


@pytest.mark.parametrize(("sql", "named"), ROLE_DAMAGE, ids=[n for _, n in ROLE_DAMAGE])
def test_a_damaged_role_is_named_and_the_others_still_issue(
    two_roles: Path, sql: str, named: str
) -> None:
    damage(two_roles, sql)
    one_error_line(run_cli(two_roles, "creds", "web"), "role 'aws/web'", named)
    one_error_line(run_cli(two_roles, "role", "list"), "role 'aws/web'", named)
    issued = run_cli(two_roles, "creds", "db", "--format", "json")
    assert issued.returncode == 0, issued.stderr
    assert json.loads(issued.stdout)["data"]["access_key"].startswith("AKIA")
    assert run_cli(two_roles, "role", "delete", "web").returncode == 0  # the way out
    assert run_cli(two_roles, "role", "list").returncode == 0


ENGINE_DAMAGE = [
    ("UPDATE engines SET config = json_set(config, '$.root.region', 5)", "region"),
    ("UPDATE engines SET config = json_set(config, '$.root.max_retries', 'x')", "max_retries"),
    ("UPDATE engines SET config = json_set(config, '$.lease.lease', 1.5)", "'lease'"),
    ("UPDATE engines SET config = json_remove(config, '$.root')", "root"),
    ("UPDATE engines SET config = json_set(config, '$.root.sts_region', 'x')", "sts_region"),
    ("UPDATE engines SET created_time = 'abc'", "created_time"),
]


@pytest.mark.parametrize(("sql", "named"), ENGINE_DAMAGE, ids=[n for _, n in ENGINE_DAMAGE])
def test_a_damaged_engine_config_is_named_and_leases_still_list(
    two_roles: Path, sql: str, named: str
) -> None:
    issued = run_cli(two_roles, "creds", "db", "--format", "json")
    lease_id = json.loads(issued.stdout)["lease_id"]
    damage(two_roles, sql)
    one_error_line(run_cli(two_roles, "config", "read"), "engine 'aws'", named)
    one_error_line(run_cli(two_roles, "creds", "db"), "engine 'aws'", named)
    listed = run_cli(two_roles, "lease", "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert lease_id in listed.stdout  # the incident path still sees what was issued
