"""`workbench audit tail|verify|hash|enable|disable|list`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from workbench.audit import AuditLog
from workbench.domain.errors import NotFound


@pytest.fixture
def session(log: AuditLog) -> AuditLog:
    with log.operation("update", "aws/config/root", {"access_key": "AKIAROOT"}):
        pass
    with log.operation("update", "aws/creds/webapp") as op:
        op.respond(data={"access_key": "AKIA1"}, lease_id="aws/creds/webapp/abc")
    with pytest.raises(NotFound):
        with log.operation("read", "aws/roles/[bold]ghost[/bold]\x1b[31m"):
            raise NotFound("role '[bold]ghost' not found")
    with log.operation("delete", "aws/roles/webapp"):
        pass
    return log


def test_tail_prints_one_text_line_per_entry(session: AuditLog, invoke) -> None:  # type: ignore[no-untyped-def]
    result = invoke("audit", "tail")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 8
    assert lines[2].split()[1:] == ["request", "alice", "update", "aws/creds/webapp", "-"]
    response = lines[3].split()
    assert response[1:] == [
        "response",
        "alice",
        "update",
        "aws/creds/webapp",
        "aws/creds/webapp/abc",
    ]


def test_tail_shows_outside_text_literally(session: AuditLog, invoke) -> None:  # type: ignore[no-untyped-def]
    output = invoke("audit", "tail", "--errors").output
    assert "aws/roles/[bold]ghost[/bold]\\x1b[31m" in output
    assert "error: role '[bold]ghost' not found" in output
    assert "\x1b" not in output


def test_tail_n_and_filters(session: AuditLog, invoke) -> None:  # type: ignore[no-untyped-def]
    assert len(invoke("audit", "tail", "-n", "3").output.splitlines()) == 3
    by_path = invoke("audit", "tail", "--path", "aws/creds/").output.splitlines()
    assert len(by_path) == 2
    assert all("aws/creds/webapp" in line for line in by_path)
    deletes = invoke("audit", "tail", "--operation", "delete").output.splitlines()
    assert len(deletes) == 2
    assert all(" delete " in line for line in deletes)
    errors = invoke("audit", "tail", "--errors", "-n", "1").output.splitlines()
    assert len(errors) == 1
    assert "error: role" in errors[0]


def test_tail_json_lines_are_the_file_device_shape(session: AuditLog, invoke) -> None:  # type: ignore[no-untyped-def]
    lines = invoke("audit", "tail", "--format", "json", "-n", "2").output.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["seq"] for r in records] == [7, 8]
    assert records[1]["prev_hash"] == records[0]["hash"]
    assert records[1]["request"]["path"] == "aws/roles/webapp"


def test_tail_follow_prints_new_entries(
    session: AuditLog,
    invoke,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    from workbench.cli import audit_cmd

    polls = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 1:
            with session.operation("list", "aws/roles"):
                pass
        else:
            raise KeyboardInterrupt

    monkeypatch.setattr(audit_cmd.time, "sleep", sleep)
    result = invoke("audit", "tail", "-n", "1", "--follow")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 3
    assert " list " in lines[1]
    assert " list " in lines[2]
    assert polls[0] == audit_cmd.FOLLOW_POLL_SECONDS


def test_verify_ok_prints_count_and_head(session: AuditLog, invoke) -> None:  # type: ignore[no-untyped-def]
    result = invoke("audit", "verify")
    assert result.exit_code == 0
    head = session.verify().head_hash
    assert "ok: 8 entries verified; head seq 8" in result.output
    assert head in result.output


def test_verify_fails_with_exit_1_naming_the_entry(
    session: AuditLog,
    invoke,
    raw_db: sqlite3.Connection,  # type: ignore[no-untyped-def]
) -> None:
    raw_db.execute("UPDATE audit SET entry = replace(entry, 'AKIA1', 'AKIA2') WHERE seq = 4")
    result = invoke("audit", "verify")
    assert result.exit_code == 1
    assert "audit chain broken: entry seq 4 " in result.output
    assert "changed" in result.output


def test_hash_prints_the_hmac_entries_use(log: AuditLog, invoke) -> None:  # type: ignore[no-untyped-def]
    result = invoke("audit", "hash", "wJalrXUtnFEMI")
    assert result.exit_code == 0
    assert result.stdout.strip() == log.hash_value("wJalrXUtnFEMI")
    assert "visible in `ps` and shell history" in result.stderr
    assert "audit hash -" in result.stderr


def test_enable_list_disable(log: AuditLog, invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "siem.jsonl"
    assert invoke("audit", "enable", "file", "--path", str(path)).exit_code == 0
    listed = invoke("audit", "list").output
    assert "store" in listed
    assert f"file   file   {path}" in listed
    assert invoke("audit", "disable", "file").exit_code == 0
    assert "file" not in invoke("audit", "list").output.split("\n", 2)[2]
    assert len(path.read_text().splitlines()) == 2  # enable's response, disable's request


def test_user_errors_are_workbench_errors(log: AuditLog, invoke) -> None:  # type: ignore[no-untyped-def]
    result = invoke("audit", "disable", "siem")
    assert result.exit_code == 1
    assert isinstance(result.exception, NotFound)
    assert invoke("audit", "enable", "file").exit_code == 2  # --path is required


def test_as_names_the_operator_in_entries(log: AuditLog, invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("--as", "carol", "audit", "enable", "file", "--path", str(tmp_path / "a"))
    assert result.exit_code == 0, result.output
    entry = list(log.entries())[-1].entry
    assert entry["auth"]["display_name"] == "carol"
    assert entry["auth"]["metadata"]["operator"] == "carol"
