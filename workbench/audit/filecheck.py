"""Checking a JSON-lines file device against the chain, line by line.

A file device is evidence too: a line deleted, changed, inserted or moved in
the file must be caught even though the store's table is intact. Every entry
appended after the device was enabled (`from_seq`, recorded with the device)
must be in the file from the offset it had then (`from_offset`), byte for byte
as `file_line` wrote it and in seq order; entries that record this device as
skipped (it failed while they were written) are the only ones it may lack.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import IO, Any

from workbench.audit.devices import describe_os_error
from workbench.audit.entries import SKIPPED_KEY, chain_hash, file_line, split_line
from workbench.store import Repositories


@dataclass(frozen=True)
class DeviceCheck:
    """What checking one file device found: its lines matched, or the first that did not."""

    name: str
    path: str
    lines: int
    problem: str | None = None
    note: str | None = None  # something found that is not a problem

    @property
    def ok(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        """One line for `audit verify`: the device, its path, and what was found."""
        lines = "1 line matches" if self.lines == 1 else f"{self.lines} lines match"
        found = self.problem or f"ok, {lines} the chain"
        if self.note and not self.problem:
            found += f"; {self.note}"
        return f"file device {self.name!r} ({self.path}): {found}"


@dataclass(frozen=True)
class _Expected:
    seq: int
    request_id: str
    line: bytes

    def named(self) -> str:
        return f"entry seq {self.seq} (request {self.request_id})"


def check_devices(store: Repositories) -> list[DeviceCheck]:
    """Check every enabled file device; a device with problems is re-checked with appends held.

    The first pass runs beside other writers, so a line appended (not yet
    committed) while it read can look extra; the second pass holds the
    store's write lock, so what it finds is what is there.
    """
    rows = store.audit.devices()
    checks = [check_device(store, row) for row in rows]
    if all(check.ok for check in checks):
        return checks
    try:
        with store.transaction():
            return [check_device(store, row) for row in store.audit.devices()]
    except Exception:  # a read-only or busy store: the first pass is the answer
        return checks


def check_device(store: Repositories, row: dict[str, Any]) -> DeviceCheck:
    """Check one device row (as `store.audit.devices()` lists it) against the chain."""
    name = str(row["name"])
    options = row.get("options") or {}
    path = str(options.get("file_path", ""))
    if "from_seq" in options:
        from_seq, from_offset = int(options["from_seq"]), int(options.get("from_offset", 0))
    else:
        from_seq, from_offset = _seq_before(store, float(row.get("created_time") or 0)), 0
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after the walk
    except OSError as error:
        return DeviceCheck(name, path, 0, f"cannot read the file ({describe_os_error(error)})")
    with handle:
        try:
            return _FileWalk(store, name, path, handle, from_seq).run(from_offset)
        except OSError as error:
            return DeviceCheck(name, path, 0, f"cannot read the file ({describe_os_error(error)})")


def _seq_before(store: Repositories, created_time: float) -> int:
    """For a device recorded without `from_seq`: the last entry written before it existed."""
    last = 0
    for row in store.audit.iterate():
        if float(row["time"]) >= created_time:
            break
        last = int(row["seq"])
    return last


class _FileWalk:
    """One pass over a device's file beside the chain rows it should hold."""

    def __init__(self, store: Repositories, name: str, path: str, handle: IO[bytes], from_seq: int):
        self._store = store
        self._name = name
        self._path = path
        self._handle = handle
        self._from_seq = from_seq

    def run(self, from_offset: int) -> DeviceCheck:
        size = os.fstat(self._handle.fileno()).st_size
        if size < from_offset:
            return self._result(
                0,
                f"the file is {size} bytes, shorter than the {from_offset} it had when the "
                "device was enabled: lines were removed or the file was replaced",
            )
        number = self._count_lines(from_offset)
        matched = 0
        with closing(self._expected()) as entries:
            while raw := self._handle.readline():
                number += 1
                if not raw.endswith(b"\n"):
                    return self._result(
                        matched,
                        f"line {number} is half-written ({len(raw)} bytes, no line end): "
                        "a write was cut off",
                    )
                entry = next(entries, None)
                if entry is None:
                    if not self._handle.readline() and self._uncommitted(raw):
                        return DeviceCheck(
                            self._name,
                            self._path,
                            matched,
                            note=f"line {number} is an entry the store never committed "
                            "(a process stopped between the two); the next entry replaces it",
                        )
                    return self._result(matched, self._extra(number, raw))
                if raw != entry.line:
                    return self._result(matched, self._diagnose(number, raw, entry))
                matched += 1
            entry = next(entries, None)
            if entry is not None:
                after = sum(1 for _ in entries)
                more = f" and the {after} after it" if after else ""
                return self._result(
                    matched,
                    f"line {number + 1} is missing {entry.named()}{more}: "
                    f"the file ends after line {number}",
                )
        return self._result(matched, None)

    def _result(self, lines: int, problem: str | None) -> DeviceCheck:
        return DeviceCheck(self._name, self._path, lines, problem)

    def _count_lines(self, offset: int) -> int:
        """Lines before `offset` (earlier content), so line numbers are the file's own."""
        count, left = 0, offset
        while left > 0:
            chunk = self._handle.read(min(left, 1 << 20))
            if not chunk:
                break
            count += chunk.count(b"\n")
            left -= len(chunk)
        return count

    def _expected(self) -> Generator[_Expected]:
        """The chain's entries from the device's start, minus those that skipped it."""
        for seq, request_id, *_, text, prev_hash, entry_hash in self._store.audit.chain(
            after_seq=self._from_seq
        ):
            if SKIPPED_KEY in text and self._name in _skipped(text):
                continue
            line = file_line(seq, text, prev_hash, entry_hash).encode("utf-8")
            yield _Expected(int(seq), str(request_id), line)

    def _chain_entry(self, raw: bytes) -> _Expected | None:
        """The chain entry this exact line was written for, if any."""
        try:
            seq = int(json.loads(raw)["seq"])
        except (ValueError, KeyError, TypeError):
            return None
        row = _first(self._store.audit.chain(after_seq=seq - 1))
        if row is None or int(row[0]) != seq:
            return None
        line = file_line(seq, row[6], row[7], row[8]).encode("utf-8")
        return _Expected(seq, str(row[1]), line) if line == raw else None

    def _uncommitted(self, raw: bytes) -> bool:
        """A well-formed line for the seq after the chain's head, linked to it."""
        head_seq, head_hash = self._store.audit.head()
        try:
            record = json.loads(raw)
            seq, text, prev_hash, entry_hash = split_line(raw.decode("utf-8"))
            request = record["request"]
            expected = chain_hash(
                seq,
                prev_hash,
                str(record["type"]),
                str(request["id"]),
                str(request["path"]),
                str(request["operation"]),
                int(bool(record["error"])),
                text,
            )
        except (ValueError, KeyError, TypeError):
            return False
        return seq == head_seq + 1 and prev_hash == head_hash and entry_hash == expected

    def _extra(self, number: int, raw: bytes) -> str:
        copy = self._chain_entry(raw)
        if copy is not None:
            return f"line {number} repeats {copy.named()}: it is not in the chain here"
        return f"line {number} is not in the chain"

    def _diagnose(self, number: int, raw: bytes, entry: _Expected) -> str:
        """Why line `number` is not `entry`: moved, a copy, missing, inserted or changed."""
        found = self._chain_entry(raw)
        if found is not None and found.seq > entry.seq:
            at = self._find_later(number, entry.line)
            if at is not None:
                return (
                    f"line {number} holds entry seq {found.seq}, but {entry.named()} belongs "
                    f"there (it is at line {at}): lines are out of order"
                )
            return f"line {number} is missing {entry.named()}: it holds entry seq {found.seq}"
        if found is not None:
            return f"line {number} repeats {found.named()}: it is not in the chain here"
        following = self._handle.readline()
        if following == entry.line:
            return f"line {number} is not in the chain ({entry.named()} follows it)"
        return f"line {number} differs from {entry.named()}"

    def _find_later(self, number: int, line: bytes) -> int | None:
        while raw := self._handle.readline():
            number += 1
            if raw == line:
                return number
        return None


def _first(rows: Iterator[tuple[Any, ...]]) -> tuple[Any, ...] | None:
    """The first row, closing the query (and the store lock it holds) right after."""
    row = next(rows, None)
    close = getattr(rows, "close", None)
    if close is not None:
        close()
    return row


def _skipped(text: str) -> list[str]:
    try:
        value = json.loads(text).get(SKIPPED_KEY) or []
    except (ValueError, AttributeError):
        return []
    return [str(name) for name in value] if isinstance(value, list) else []
