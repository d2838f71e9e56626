"""SIGKILL at every step of a static role's rotation (and of a take-over): the next start
finishes or rolls it back, leaving exactly one working key, the one `static-creds` returns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MotoServer
from tests.helpers import run_cli
from workbench.domain.faults import ROTATE_FAULT_POINTS


@pytest.fixture
def cli_home(authorized: tuple[MotoServer, str, str], home: Path) -> tuple[Path, Any, MotoServer]:
    """A CLI store whose engine's root keys are the authorizing account's admin."""
    aws, access_key, secret_key = authorized
    assert run_cli(home, "init").returncode == 0
    configured = run_cli(
        home,
        "config",
        "root",
        "--access-key",
        access_key,
        "--secret-key",
        "-",
        "--iam-endpoint",
        aws.url,
        "--sts-endpoint",
        aws.url,
        input=secret_key + "\n",
    )
    assert configured.returncode == 0, configured.stderr
    admin = aws.client("iam", access_key=access_key, secret_key=secret_key)
    admin.create_user(UserName="legacy")
    admin.create_access_key(UserName="legacy")
    return home, admin, aws


def static_write(home: Path, **env: str) -> Any:
    return run_cli(
        home,
        "static-role",
        "write",
        "legacy",
        "--username",
        "legacy",
        "--rotation-period",
        "720h",
        "--yes",
        **env,
    )


def one_working_key(home: Path, admin: Any, aws: MotoServer) -> str:
    """After the restart: static-creds answers, and its key is the user's only one, working."""
    answer = run_cli(home, "static-creds", "legacy", "--format", "json")
    assert answer.returncode == 0, answer.stderr
    data = json.loads(answer.stdout)["data"]
    keys = [
        k["AccessKeyId"] for k in admin.list_access_keys(UserName="legacy")["AccessKeyMetadata"]
    ]
    assert keys == [data["access_key"]]
    sts = aws.client("sts", access_key=data["access_key"], secret_key=data["secret_key"])
    assert sts.get_caller_identity()["Arn"].endswith(":user/legacy")
    return str(data["access_key"])


@pytest.mark.parametrize("step", ROTATE_FAULT_POINTS)
def test_kill_while_rotating(cli_home: tuple[Path, Any, MotoServer], step: str) -> None:
    home, admin, aws = cli_home
    assert static_write(home).returncode == 0
    before = one_working_key(home, admin, aws)
    killed = run_cli(home, "static-role", "rotate", "legacy", WORKBENCH_FAULT=f"kill:{step}")
    assert killed.returncode == -9, killed.stderr
    after = one_working_key(home, admin, aws)
    if step in ("static.stored", "static.deleted"):
        assert after != before  # the new key was stored: the rotation is finished
    else:
        assert after == before  # rolled back: the recorded key still works
    audit = run_cli(home, "audit", "verify")
    assert audit.returncode == 0, audit.stdout


@pytest.mark.parametrize("step", ["static.claimed", "static.created", "static.stored"])
def test_kill_while_taking_over(cli_home: tuple[Path, Any, MotoServer], step: str) -> None:
    home, admin, aws = cli_home
    killed = static_write(home, WORKBENCH_FAULT=f"kill:{step}")
    assert killed.returncode == -9, killed.stderr
    one_working_key(home, admin, aws)
