"""Walking the hash chain, and the authenticated head that catches truncation.

A pure hash chain shows an entry changed, removed from the middle, inserted
or moved; it cannot show the newest entries cut off, or a well-formed entry
appended by someone who can compute SHA-256. So every append also stores the
head (seq, hash) with an HMAC under the store's key (meta `audit_head`), and
`verify` checks the chain ends exactly there. A head hash recorded outside
the store (`audit verify --head HASH`) catches what that cannot: the whole
store swapped for an older copy, or the chain rewritten with the store's key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from workbench.audit.entries import chain_hash
from workbench.audit.filecheck import DeviceCheck, check_devices
from workbench.audit.redact import Hasher
from workbench.store import Repositories

HEAD_META_KEY = "audit_head"
_MAX_CATCH_UP_ROUNDS = 50  # appends racing a verify: re-walk the new tail this often


@dataclass(frozen=True)
class VerifyResult:
    """What `audit verify` found: the chain's length and head, or its first problem.

    `problem` is the first of everything checked (the chain, then each file
    device, then a recorded head); the fields after it say which failed.
    """

    ok: bool
    count: int
    head_hash: str
    problem: str | None = None
    bad_seq: int | None = None
    head_seq: int = 0
    chain_problem: str | None = None  # the store's own chain, file devices aside
    devices: tuple[DeviceCheck, ...] = ()
    recorded_head: RecordedHead | None = None


@dataclass(frozen=True)
class RecordedHead:
    """Where a head hash recorded elsewhere sits in this store's chain, if anywhere."""

    hash: str
    seq: int | None  # None: not in the chain (up to where the walk got)
    later: int = 0  # entries appended after it

    @property
    def ok(self) -> bool:
        return self.seq is not None

    def describe(self, head_seq: int) -> str:
        """One line for `audit verify --head`."""
        if self.seq is None:
            return (
                f"recorded head {self.hash} is not in this store's chain (head seq {head_seq}): "
                "the store is an older copy restored in its place, or its chain was rewritten"
            )
        if not self.later:
            return f"recorded head {self.hash} is the current head (seq {self.seq})"
        return (
            f"recorded head {self.hash} is entry seq {self.seq}; {self.later} "
            f"{'entry' if self.later == 1 else 'entries'} came after it"
        )


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


def head_meta_value(hasher: Hasher, seq: int, entry_hash: str) -> str:
    """The meta value recording (seq, hash) as the chain's authenticated head."""
    mac = hasher.mac(_head_message(seq, entry_hash))
    return json.dumps({"seq": seq, "hash": entry_hash, "mac": mac}, sort_keys=True)


def _head_message(seq: int, entry_hash: str) -> str:
    return f"workbench-audit-head\n{seq}\n{entry_hash}"


class _Broken(Exception):
    """Raised inside the walk to stop at the first problem."""

    def __init__(self, problem: str, bad_seq: int | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.bad_seq = bad_seq


def _read_head(store: Repositories, hasher: Hasher) -> Head | None:
    raw = store.get_meta(HEAD_META_KEY)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
        head = Head(int(value["seq"]), str(value["hash"]))
        mac = str(value["mac"])
    except (ValueError, KeyError, TypeError):
        raise _Broken("the authenticated head (meta audit_head) is damaged", None) from None
    if not _equal(mac, hasher.mac(_head_message(head.seq, head.hash))):
        raise _Broken("the authenticated head (meta audit_head) was changed", None)
    return head


def _equal(left: str, right: str) -> bool:
    import hmac

    return hmac.compare_digest(left.encode(), right.encode())


class ChainWalker:
    """One pass over the chain; stops at the first entry that breaks it."""

    def __init__(self, store: Repositories, hasher: Hasher, *, find_hash: str = "") -> None:
        self._store = store
        self._hasher = hasher
        self._find_hash = find_hash
        self.found_seq: int | None = None
        self.count = 0
        self.last_seq = 0
        self.last_hash = ""
        self._last_prev = ""  # the prev_hash of the last entry walked
        self._last_request = ""

    def run(self) -> VerifyResult:
        try:
            head = self._walk_to_head()
            self._check_head(head)
        except _Broken as broken:
            return VerifyResult(
                ok=False,
                count=self.count,
                head_hash=self.last_hash,
                problem=broken.problem,
                bad_seq=broken.bad_seq,
                head_seq=self.last_seq,
                chain_problem=broken.problem,
            )
        return VerifyResult(
            ok=True, count=self.count, head_hash=self.last_hash, head_seq=self.last_seq
        )

    def _walk_to_head(self) -> Head | None:
        """Walk everything, then again whatever was appended meanwhile."""
        head = None
        for _ in range(_MAX_CATCH_UP_ROUNDS):
            self._walk(self._store.audit.chain(after_seq=self.last_seq))
            head = _read_head(self._store, self._hasher)
            if head is None or head.seq <= self.last_seq:
                break
        return head

    def _walk(self, rows: Iterator[tuple[Any, ...]]) -> None:
        last_seq, last_hash = self.last_seq, self.last_hash
        count = self.count
        try:
            for seq, request_id, entry_type, path, operation, is_error, text, prev, stored in rows:
                if chain_hash(
                    seq, prev, entry_type, request_id, path, operation, is_error, text
                ) != (stored):
                    self._sync(count, last_seq, last_hash)
                    self._diagnose_changed(
                        seq,
                        request_id,
                        prev,
                        stored,
                        row=(entry_type, request_id, path, operation, is_error, text),
                    )
                if prev != last_hash or seq != last_seq + 1:
                    self._sync(count, last_seq, last_hash)
                    self._diagnose_link(seq, request_id, prev)
                self._last_prev, self._last_request = prev, request_id
                last_seq, last_hash = seq, stored
                if stored == self._find_hash:
                    self.found_seq = seq
                count += 1
        finally:
            self._sync(count, last_seq, last_hash)

    def _sync(self, count: int, last_seq: int, last_hash: str) -> None:
        self.count, self.last_seq, self.last_hash = count, last_seq, last_hash

    def _written_as(self, seq: int, prev: str, stored: str, row: tuple[Any, ...]) -> int | None:
        """The seq an entry's hash was computed for, nearest first (failure path only)."""
        entry_type, request_id, path, operation, is_error, text = row
        upper = max(self._store.audit.head()[0], seq) + 1
        for distance in range(1, upper):
            for candidate in (seq - distance, seq + distance):
                if 0 < candidate <= upper and stored == chain_hash(
                    candidate, prev, entry_type, request_id, path, operation, is_error, text
                ):
                    return candidate
        return None

    def _diagnose_changed(
        self, seq: int, request_id: str, prev: str, stored: str, *, row: tuple[Any, ...]
    ) -> None:
        """An entry whose contents do not match its hash: changed, or moved here."""
        written_as = self._written_as(seq, prev, stored, row)
        if written_as is not None:
            if written_as == seq - 1 and prev == self._last_prev:
                raise _Broken(
                    f"entry seq {seq - 1} (request {self._last_request}) was inserted: "
                    f"the entry after it was written as seq {seq - 1}",
                    seq - 1,
                )
            raise _Broken(
                f"entry seq {seq} (request {request_id}) was reordered: it was written "
                f"as seq {written_as}",
                seq,
            )
        raise _Broken(
            f"entry seq {seq} (request {request_id}) was changed: its contents do not "
            "match its hash",
            seq,
        )

    def _diagnose_link(self, seq: int, request_id: str, prev: str) -> None:
        """An intact entry that does not follow the one before it."""
        expected = self.last_seq + 1
        if seq > expected:
            missing = str(expected) if seq == expected + 1 else f"{expected}..{seq - 1}"
            raise _Broken(
                f"entry seq {missing} was removed: the chain jumps from seq "
                f"{self.last_seq} to seq {seq} (request {request_id})",
                expected,
            )
        if prev == self._last_prev and self.last_seq:
            raise _Broken(
                f"entry seq {self.last_seq} (request {self._last_request}) was inserted: "
                f"entry seq {seq} follows the entry before it",
                self.last_seq,
            )
        raise _Broken(
            f"entry seq {seq} (request {request_id}) does not follow seq {self.last_seq}: "
            "an entry was inserted or reordered here",
            seq,
        )

    def _check_head(self, head: Head | None) -> None:
        """The chain must end exactly at the authenticated head."""
        if head is None:
            if self.count:
                raise _Broken("the authenticated head (meta audit_head) is missing", None)
            return
        if head.seq > self.last_seq:
            missing = (
                str(head.seq)
                if head.seq == self.last_seq + 1
                else f"{self.last_seq + 1}..{head.seq}"
            )
            raise _Broken(
                f"entry seq {missing} was removed: the chain ends at seq {self.last_seq} "
                f"but the authenticated head is seq {head.seq}",
                self.last_seq + 1,
            )
        if head.seq < self.last_seq:
            extra = next(self._store.audit.chain(after_seq=head.seq), None)
            request_id = extra[1] if extra else "?"
            raise _Broken(
                f"entry seq {head.seq + 1} (request {request_id}) was inserted after the "
                f"authenticated head (seq {head.seq})",
                head.seq + 1,
            )
        if head.hash != self.last_hash:
            raise _Broken(
                f"entry seq {head.seq} (request {self._last_request}) was replaced: its hash "
                "is not the authenticated head's",
                head.seq,
            )


def verify_chain(
    store: Repositories, hasher: Hasher, *, recorded_head: str | None = None
) -> VerifyResult:
    """Walk the chain, check its head, and every file device; see `ChainWalker`."""
    walker = ChainWalker(store, hasher, find_hash=recorded_head or "")
    result = walker.run()
    devices = tuple(check_devices(store))
    recorded = None
    if recorded_head is not None:
        found = walker.found_seq
        later = result.head_seq - found if found is not None else 0
        recorded = RecordedHead(recorded_head, found, later)
    problems = [result.problem] if result.problem else []
    problems += [device.describe() for device in devices if not device.ok]
    if recorded is not None and not recorded.ok:
        problems.append(recorded.describe(result.head_seq))
    return replace(
        result,
        ok=not problems,
        problem=problems[0] if problems else None,
        devices=devices,
        recorded_head=recorded,
    )
