"""The audit file device is evidence: verify checks it line by line, writes are whole lines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, Cli
from workbench.audit import AuditLog
from workbench.domain.errors import AuditFailure
from workbench.domain.faults import AUDIT_DEVICE_WRITTEN
from workbench.store import Store


def some_operations(log: AuditLog, count: int = 5) -> None:
    for number in range(count):
        with log.operation("update", f"aws/roles/r{number}", {"ttl": "15m"}):
            pass


@pytest.fixture
def device(log: AuditLog, tmp_path: Path) -> Path:
    """A file device that took the enable's response and five operations: 11 lines."""
    path = tmp_path / "audit.jsonl"
    log.enable_file_device(str(path))
    some_operations(log)
    assert len(path.read_bytes().splitlines()) == 11
    return path


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def named(line: bytes) -> str:
    record = json.loads(line)
    return f"entry seq {record['seq']} (request {record['request']['id']})"


def verify_fails(invoke: Cli, path: Path) -> str:
    """Run `audit verify`, expect exit 1, return what it says about the device."""
    result = invoke("audit", "verify")
    assert result.exit_code == 1, result.output
    assert result.output.startswith("ok: 12 entries verified"), result.output  # the chain is fine
    prefix = f"file device 'file' ({path}): "
    found = [line for line in result.output.splitlines() if line.startswith(prefix)]
    assert len(found) == 1, result.output
    return found[0].removeprefix(prefix)


def test_an_untouched_file_verifies(device: Path, invoke: Cli) -> None:
    result = invoke("audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"file device 'file' ({device}): ok, 11 lines match the chain" in result.output


def test_a_deleted_line_is_named(device: Path, invoke: Cli) -> None:
    lines = lines_of(device)
    device.write_bytes(b"".join(lines[:4] + lines[5:]))
    problem = verify_fails(invoke, device)
    assert problem == (
        f"line 5 is missing {named(lines[4])}: it holds entry seq {json.loads(lines[5])['seq']}"
    )


def test_a_deleted_last_line_is_named(device: Path, invoke: Cli) -> None:
    lines = lines_of(device)
    device.write_bytes(b"".join(lines[:-1]))
    assert verify_fails(invoke, device) == (
        f"line 11 is missing {named(lines[-1])}: the file ends after line 10"
    )


def test_a_changed_line_is_named(device: Path, invoke: Cli) -> None:
    lines = lines_of(device)
    lines[3] = lines[3].replace(b"aws/roles/r1", b"aws/roles/r9")
    device.write_bytes(b"".join(lines))
    assert verify_fails(invoke, device) == f"line 4 differs from {named(lines[3])}"


def test_an_inserted_line_is_named(device: Path, invoke: Cli) -> None:
    lines = lines_of(device)
    forged = json.loads(lines[2])
    forged["request"]["path"] = "aws/creds/backdoor"
    lines.insert(3, json.dumps(forged).encode() + b"\n")
    device.write_bytes(b"".join(lines))
    assert verify_fails(invoke, device) == (
        f"line 4 is not in the chain ({named(lines[4])} follows it)"
    )


def test_a_line_added_at_the_end_is_named(device: Path, invoke: Cli) -> None:
    with device.open("ab") as handle:
        handle.write(lines_of(device)[0])
    assert verify_fails(invoke, device) == (
        f"line 12 repeats {named(lines_of(device)[0])}: it is not in the chain here"
    )


def test_a_reordered_pair_is_named(device: Path, invoke: Cli) -> None:
    lines = lines_of(device)
    lines[5], lines[6] = lines[6], lines[5]
    device.write_bytes(b"".join(lines))
    assert verify_fails(invoke, device) == (
        f"line 6 holds entry seq {json.loads(lines[5])['seq']}, but {named(lines[6])} "
        "belongs there (it is at line 7): lines are out of order"
    )


def test_a_truncated_last_line_is_reported_as_half_written(device: Path, invoke: Cli) -> None:
    data = device.read_bytes()
    device.write_bytes(data[:-40])
    last = len(data.splitlines()[-1]) + 1 - 40
    assert verify_fails(invoke, device) == (
        f"line 11 is half-written ({last} bytes, no line end): a write was cut off"
    )


def test_a_missing_file_is_one_clear_line(device: Path, invoke: Cli) -> None:
    device.unlink()
    assert verify_fails(invoke, device) == "cannot read the file (No such file or directory)"


def test_the_tui_result_carries_the_device_problem(device: Path, log: AuditLog) -> None:
    lines = lines_of(device)
    device.write_bytes(b"".join(lines[1:]))
    result = log.verify()
    assert not result.ok
    assert result.chain_problem is None
    assert result.problem == f"file device 'file' ({device}): " + (
        f"line 1 is missing {named(lines[0])}: it holds entry seq {json.loads(lines[1])['seq']}"
    )


def test_earlier_content_and_a_re_enabled_device_still_verify(
    log: AuditLog, tmp_path: Path, invoke: Cli
) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_bytes(b"an older log line\n" * 3)
    log.enable_file_device(str(path))
    some_operations(log, 2)
    log.disable_device("file")
    some_operations(log, 1)  # not for the file: no device is enabled
    log.enable_file_device(str(path))
    some_operations(log, 2)
    result = invoke("audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"({path}): ok, 5 lines match the chain" in result.output
    lines = lines_of(path)
    lines[-1] = lines[-1].replace(b"aws/roles/r1", b"aws/roles/rX")
    path.write_bytes(b"".join(lines))
    assert f"({path}): line {len(lines)} differs from {named(lines_of(path)[-1])}" in (
        invoke("audit", "verify").output
    )


def test_a_failing_second_device_leaves_no_line_in_the_first(
    log: AuditLog, tmp_path: Path, invoke: Cli
) -> None:
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    log.enable_file_device(str(good), name="good")
    log.enable_file_device(str(bad), name="zbad")  # written after "good"
    bad.unlink()
    bad.mkdir()
    with pytest.raises(AuditFailure, match="audit device 'zbad'"):
        with log.operation("update", "aws/creds/webapp"):
            pytest.fail("the body ran without an audit entry")
    output = invoke("audit", "verify").output
    assert f"file device 'good' ({good}): ok, 5 lines match the chain" in output
    assert f"file device 'zbad' ({bad}): cannot read the file (Is a directory)" in output


# -- whole lines or nothing, for real: a file size limit makes the OS refuse ---------

LIMITED = """
import os, resource, signal, sys
if os.environ.get("FSIZE_LIMIT"):
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(os.environ["FSIZE_LIMIT"]), hard))
from workbench.cli import main
main(sys.argv[1:])
"""


def run_workbench(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    environment = {
        **os.environ,
        "WORKBENCH_HOME": str(home),
        "WORKBENCH_PASSPHRASE": PASSPHRASE,
        "PYTHONDONTWRITEBYTECODE": "1",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", LIMITED, *args],
        env=environment,
        capture_output=True,
        check=False,
        input=b"",
    )


@pytest.mark.parametrize("room", [0, 100], ids=["efbig", "short-write"])
def test_a_write_past_the_file_size_limit_leaves_whole_lines_and_refuses(
    log: AuditLog, store: Store, home: Path, tmp_path: Path, invoke: Cli, room: int
) -> None:
    path = tmp_path / "audit.jsonl"
    # An older log already in the file keeps it larger than the store, so the
    # limit stops the device's write but not the store's.
    path.write_bytes(b"an older log line\n" * (2 * 1024 * 1024 // 18))
    log.enable_file_device(str(path))
    some_operations(log, 1)
    store.checkpoint()
    before = path.read_bytes()

    result = run_workbench(
        home,
        "audit",
        "enable",
        "file",
        "--path",
        str(tmp_path / "second.jsonl"),
        "--name",
        "second",
        FSIZE_LIMIT=str(len(before) + room),
    )

    stderr = result.stderr.decode()
    assert result.returncode == 1, stderr
    assert stderr.count("\n") == 1, stderr
    expected = f"error: audit device 'file' could not write the request entry to {path} ("
    assert stderr.startswith(expected)
    assert ("short write: 100 of" if room else "File too large") in stderr
    assert stderr.rstrip().endswith("the operation was refused")
    assert path.read_bytes() == before  # no half line: the file ends with a complete one
    assert [d["name"] for d in log.devices()] == ["store", "file"]
    refused = [r.entry for r in log.entries(errors_only=True)]
    assert [e["request"]["path"] for e in refused] == ["sys/audit/second"] * 2
    assert all(e["skipped_devices"] == ["file"] for e in refused)
    verified = invoke("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "ok, 3 lines match the chain" in verified.output


def test_a_process_killed_between_file_and_store_leaves_a_line_the_next_entry_replaces(
    device: Path, home: Path, log: AuditLog, invoke: Cli
) -> None:
    before = device.read_bytes()
    killed = run_workbench(
        home,
        "audit",
        "enable",
        "file",
        "--path",
        str(device.parent / "second.jsonl"),
        "--name",
        "second",
        WORKBENCH_FAULT=f"kill:{AUDIT_DEVICE_WRITTEN}",
    )
    assert killed.returncode == -signal.SIGKILL
    orphan = device.read_bytes()[len(before) :]
    assert json.loads(orphan)["seq"] == 13  # written, never committed: the store ends at 12
    assert log.count() == 12
    result = invoke("audit", "verify")
    assert result.exit_code == 0, result.output
    assert (
        f"({device}): ok, 11 lines match the chain; line 12 is an entry the store never "
        "committed (a process stopped between the two); the next entry replaces it"
    ) in result.output

    some_operations(log, 1)
    assert device.read_bytes().startswith(before)
    assert len(lines_of(device)) == 13
    assert orphan not in device.read_bytes()
    result = invoke("audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"({device}): ok, 13 lines match the chain\n" in result.output


def test_a_forged_line_after_the_head_is_not_taken_for_a_crash(device: Path, invoke: Cli) -> None:
    lines = lines_of(device)
    forged = json.loads(lines[-1])
    forged["seq"] += 1
    forged["prev_hash"] = forged["hash"]  # linked to the head, but its hash is not its own
    with device.open("ab") as handle:
        handle.write(json.dumps(forged).encode() + b"\n")
    assert verify_fails(invoke, device) == "line 12 is not in the chain"
