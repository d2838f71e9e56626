"""File devices: enable, disable, list, 0600, Vault-shaped JSON lines."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.audit import AuditLog, chain_hash, split_line
from workbench.cli.common import cli_message
from workbench.domain.errors import Conflict, InvalidInput, NotFound
from workbench.store import Store


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_enabling_a_file_device_lists_it_and_audits_the_change(
    log: AuditLog, tmp_path: Path
) -> None:
    log.enable_file_device(str(tmp_path / "audit.jsonl"))
    devices = log.devices()
    assert [(d["name"], d["kind"]) for d in devices] == [("store", "table"), ("file", "file")]
    assert devices[1]["path"] == str(tmp_path / "audit.jsonl")
    paths = [
        (r.entry["type"], r.entry["request"]["operation"], r.entry["request"]["path"])
        for r in log.entries()
    ]
    assert paths == [
        ("request", "update", "sys/audit/file"),
        ("response", "update", "sys/audit/file"),
    ]


def test_the_file_is_created_0600_under_a_permissive_umask(
    log: AuditLog, tmp_path: Path, permissive_umask: None
) -> None:
    path = tmp_path / "audit.jsonl"
    log.enable_file_device(str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_existing_world_readable_file_is_tightened(log: AuditLog, tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_text("")
    path.chmod(0o644)
    log.enable_file_device(str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_each_line_is_vault_shaped_json_chained_like_the_table(
    log: AuditLog, tmp_path: Path
) -> None:
    path = tmp_path / "audit.jsonl"
    log.enable_file_device(str(path))
    with log.operation("update", "aws/creds/webapp", {"ttl": "15m"}) as op:
        op.respond(data={"access_key": "AKIA1", "secret_key": "s"}, lease_id="aws/creds/webapp/1")
    with pytest.raises(NotFound):
        with log.operation("read", "aws/roles/nope"):
            raise NotFound("role 'nope' not found")

    lines = path.read_text().splitlines()
    table = {r.seq: r for r in log.entries()}
    assert len(lines) == 5  # enable's response, then two pairs
    for line in lines:
        record = json.loads(line)
        assert {"time", "type", "auth", "request", "error"} <= set(record)
        assert {"id", "operation", "path", "data", "remote_address"} <= set(record["request"])
        assert record["auth"]["display_name"] == "alice"
        if record["type"] == "response":
            assert "response" in record
        seq, text, prev_hash, entry_hash = split_line(line)
        request = record["request"]
        assert entry_hash == chain_hash(
            seq,
            prev_hash,
            record["type"],
            request["id"],
            request["path"],
            request["operation"],
            int(bool(record["error"])),
            text,
        )
        assert (table[seq].prev_hash, table[seq].hash) == (prev_hash, entry_hash)
    assert json.loads(lines[2])["response"]["secret"]["lease_id"] == "aws/creds/webapp/1"


def test_disable_stops_writing_and_is_audited(log: AuditLog, tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log.enable_file_device(str(path))
    log.disable_device("file")
    with log.operation("read", "aws/config/root"):
        pass
    assert [d["name"] for d in log.devices()] == ["store"]
    types = [json.loads(line)["type"] for line in path.read_text().splitlines()]
    assert types == ["response", "request"]  # enable's response, disable's request
    last = list(log.entries())[-3].entry
    assert (last["request"]["operation"], last["request"]["path"]) == ("delete", "sys/audit/file")


def test_two_named_file_devices_both_receive_entries(log: AuditLog, tmp_path: Path) -> None:
    log.enable_file_device(str(tmp_path / "a.jsonl"))
    log.enable_file_device(str(tmp_path / "b.jsonl"), name="siem")
    with log.operation("read", "aws/config/root"):
        pass
    assert (tmp_path / "a.jsonl").read_text().splitlines()[-1] == (
        (tmp_path / "b.jsonl").read_text().splitlines()[-1]
    )


def test_a_second_device_of_the_same_name_is_refused(log: AuditLog, tmp_path: Path) -> None:
    log.enable_file_device(str(tmp_path / "a.jsonl"))
    with pytest.raises(Conflict, match="already enabled"):
        log.enable_file_device(str(tmp_path / "b.jsonl"))
    assert list(log.entries())[-1].entry["error"].startswith("audit device 'file' is already")


@pytest.mark.parametrize("name", ["store", "", "a/b", "x" * 80])
def test_bad_device_names_are_refused(log: AuditLog, tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidInput, match="cannot name an audit device"):
        log.enable_file_device(str(tmp_path / "a.jsonl"), name=name)


def test_a_path_that_cannot_be_written_is_refused(log: AuditLog, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"cannot write audit entries to .*missing"):
        log.enable_file_device(str(tmp_path / "missing" / "audit.jsonl"))
    with pytest.raises(InvalidInput, match="is a directory"):
        log.enable_file_device(str(tmp_path))
    assert [d["name"] for d in log.devices()] == ["store"]


def test_the_store_table_cannot_be_disabled(log: AuditLog) -> None:
    with pytest.raises(InvalidInput, match="cannot be disabled"):
        log.disable_device("store")


def test_disabling_an_unknown_device_is_not_found(log: AuditLog) -> None:
    with pytest.raises(NotFound) as missing:
        log.disable_device("siem")
    assert cli_message(missing.value) == (
        "no audit device named 'siem'; `workbench audit list` shows them"
    )


def test_another_process_sees_a_device_enabled_after_it_opened(
    log: AuditLog, home: Path, tmp_path: Path
) -> None:
    other_store = Store.open(home, "correct horse battery")
    try:
        other = AuditLog(other_store, operator="bob")
        with other.operation("read", "aws/config/root"):
            pass  # the device list is now cached in `other`
        path = tmp_path / "audit.jsonl"
        log.enable_file_device(str(path))
        with other.operation("read", "aws/config/lease"):
            pass
        paths = [json.loads(line)["request"]["path"] for line in path.read_text().splitlines()]
        assert paths[-2:] == ["aws/config/lease", "aws/config/lease"]
    finally:
        other_store.close()
