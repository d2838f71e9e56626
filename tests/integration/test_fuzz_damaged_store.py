"""A damaged store at scale: random damage to a random row of every table, then a user's paths.

One store is built against the moto server (engine `aws`, two roles, five
leases, a file audit device); each example copies it and damages one column of
one row (a flipped byte, a value of the wrong SQLite type, text that is not
UTF-8, a truncation, an empty value) in a table, for every table sqlite_master
lists. Then the CLI lists the leases, tails and verifies the audit trail, and a
revoker runs; in the TUI's examples every table but meta is damaged at once and
the app is unlocked and each pane shown.

Every step ends in success or one clear error line, never a traceback; leases
in rows the damage missed are neither lost nor left unrevoked once due (their
IAM users are gone). Damage to meta or to the audit trail may make the store
refuse to open or `audit verify` fail, which must still be one clear line.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import shutil
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from textual.widgets import Input, Static

from tests.conftest import FAST_KDF, PASSPHRASE, MotoServer, make_service
from tests.helpers import wait_for
from tests.integration.test_fuzz_input_classes import fuzz_settings, one_error_line
from tests.integration.test_fuzz_inputs import assert_clear, assert_clear_cli, run_main
from tests.tui.conftest import SIZE
from tests.tui.tui_helpers import settle
from workbench.domain.errors import WorkbenchError
from workbench.domain.models import LeaseState
from workbench.service import Workbench
from workbench.store import KdfParams, Store
from workbench.store.cache_claims import CacheClaim
from workbench.store.schema import SCHEMA_VERSION
from workbench.tui.app import WorkbenchApp
from workbench.tui.audit_stream import AuditStream
from workbench.tui.main_screen import MainScreen
from workbench.tui.role_editor import RoleEditor
from workbench.tui.unlock import UnlockScreen
from workbench.worker import LeaseWorker, WorkerEvent

DEADLINE_SECONDS = 60.0
# The revoker's clock runs two hours ahead: the 1h leases are due, the 10h ones are not.
AHEAD_SECONDS = 7200.0
LEASES = (("web", "1h"), ("web", "1h"), ("db", "1h"), ("db", "10h"), ("web", "10h"))
# Tables whose damage may stop everything: the keys and schema (meta), the trail (audit,
# its devices, its sequence) and the one engine whose root credentials revoke users.
# The key material (meta, the operator's key slot) may stop the unlock itself.
KEY_TABLES = {"meta", "key_slots"}
MAY_STOP_REVOCATION = KEY_TABLES | {"engines", "audit", "audit_devices", "sqlite_sequence"}
MAY_FAIL_VERIFY = KEY_TABLES | {"audit", "audit_devices", "sqlite_sequence"}
ENDED = {"revoked", "expired", "failed", "irrevocable"}


@dataclass(frozen=True)
class IssuedLease:
    rowid: int
    lease_id: str
    user_name: str
    user_path: str
    due: bool


@dataclass(frozen=True)
class Template:
    home: Path
    leases: tuple[IssuedLease, ...]
    tables: tuple[str, ...]
    aws: MotoServer


@dataclass(frozen=True)
class Damage:
    """One change behind the workbench's back: `value` goes in as `expression` binds it."""

    table: str
    column: str
    rowid: int
    kind: str
    value: Any
    expression: str = "?"

    def describe(self) -> str:
        return f"{self.kind} {self.table}.{self.column} (rowid {self.rowid}): {self.value!r:.60}"


@pytest.fixture
def template(tmp_path: Path, aws: MotoServer) -> Template:
    """The store every example starts from: engine, two roles, five leases, a static role,
    a file device."""
    home = tmp_path / "template"
    store = Store.create(home, PASSPHRASE, KdfParams.fresh(**FAST_KDF))
    service = make_service(store, aws)
    service.roles.write(
        "aws",
        "web",
        {
            "credential_type": "iam_user",
            "user_path": "/fuzz/",
            "policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        },
    )
    service.roles.write(
        "aws",
        "db",
        {
            "credential_type": "iam_user",
            "policy_document": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}
                ],
            },
        },
    )
    issued = [service.creds.issue("aws", role, ttl=ttl).lease for role, ttl in LEASES[:-1]]
    # The last through the credential cache (its cache_key set), with the claim a process
    # killed while issuing for the cache leaves behind.
    issued.append(service.creds.issue_cached("aws", LEASES[-1][0], ttl=LEASES[-1][1]).lease)
    store.cache_claims.put(
        CacheClaim(issued[-1].cache_key or "", "fuzz-host:1:0123456789abcdef", "t", time.time())
    )
    aws.client("iam").create_user(UserName="legacy")
    service.static_roles.write(
        "aws", "legacy", {"username": "legacy", "rotation_period": "720h"}, take_over=True
    )
    service.audit.enable_file_device(str(home / "audit.jsonl"))
    service.close()
    with contextlib.closing(sqlite3.connect(home / "workbench.db")) as conn:
        rowids = dict(conn.execute("SELECT lease_id, rowid FROM leases").fetchall())
        tables = tuple(
            name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        )
    leases = tuple(
        IssuedLease(
            rowid=rowids[lease.lease_id],
            lease_id=lease.lease_id,
            user_name=lease.iam_user_name or "",
            user_path=lease.iam_user_path or "/",
            due=ttl == "1h",
        )
        for lease, (_role, ttl) in zip(issued, LEASES, strict=True)
    )
    assert {"meta", "engines", "roles", "leases", "static_roles", "audit", "audit_devices"} <= set(
        tables
    )
    return Template(home, leases, tables, aws)


# -- damage ----------------------------------------------------------------------------


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return b"" if value is None else str(value).encode("utf-8", "surrogatepass")


def _stored_as(original: Any, raw: bytes) -> tuple[Any, str]:
    """Bytes put back with the original's SQLite type where it had one (text stays text)."""
    if isinstance(original, bytes):
        return raw, "?"
    return raw, "CAST(? AS TEXT)"


@st.composite
def damages(draw: st.DrawFn, conn: sqlite3.Connection, table: str) -> Damage:
    """A random column of a random row of `table`, damaged one of five ways."""
    columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
    rowids = [rowid for (rowid,) in conn.execute(f"SELECT rowid FROM {table} ORDER BY rowid")]
    assert rowids, f"table {table} has no rows to damage"
    column = draw(st.sampled_from(columns), label="column")
    rowid = draw(st.sampled_from(rowids), label="rowid")
    (original,) = conn.execute(f"SELECT {column} FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
    raw = _as_bytes(original)
    kind = draw(st.sampled_from(["flip", "type", "utf8", "truncate", "empty"]), label="kind")
    if kind == "flip" and raw:
        flipped = bytearray(raw)
        for _ in range(draw(st.integers(1, 4))):
            position = draw(st.integers(0, len(raw) - 1))
            flipped[position] ^= draw(st.integers(1, 255))
        value, expression = _stored_as(original, bytes(flipped))
    elif kind == "type":
        value = draw(
            st.none()
            | st.integers(-(2**63), 2**63 - 1)
            | st.floats(allow_nan=False)
            | st.text(max_size=20)
            | st.binary(max_size=20)
            | st.sampled_from(["", "0", "-1", "1e999", "[]", "{}", "null", "active", "iam_user"])
        )
        expression = "?"
    elif kind == "utf8":
        junk = draw(st.sampled_from([b"\xff", b"\xc3(", b"\xed\xa0\x80", b"\x80abc", b"\xf8\x88"]))
        cut = draw(st.integers(0, len(raw)))
        value, expression = raw[:cut] + junk + raw[cut:], "CAST(? AS TEXT)"
    elif kind == "truncate" and len(raw) > 1:
        value, expression = _stored_as(original, raw[: draw(st.integers(1, len(raw) - 1))])
    else:
        kind = "empty"
        value, expression = (b"", "?") if isinstance(original, bytes) else ("", "?")
    return Damage(table, column, rowid, kind, value, expression)


def apply(home: Path, damage: Damage) -> bool:
    """Write the damage; False when SQLite itself refuses it (NOT NULL, a duplicate key)."""
    with contextlib.closing(sqlite3.connect(home / "workbench.db")) as conn:
        try:
            with conn:
                conn.execute(
                    f"UPDATE {damage.table} SET {damage.column} = {damage.expression} "
                    "WHERE rowid = ?",
                    (damage.value, damage.rowid),
                )
        except sqlite3.IntegrityError:
            return False
    return True


def copy_store(template: Template, home: Path, aws: MotoServer) -> None:
    """A fresh copy of the template store, its file device moved with it, its users back."""
    shutil.copytree(template.home, home, ignore=shutil.ignore_patterns("processes"))
    with contextlib.closing(sqlite3.connect(home / "workbench.db")) as conn, conn:
        conn.execute(
            "UPDATE audit_devices SET options = json_set(options, '$.file_path', ?)",
            (str(home / "audit.jsonl"),),
        )
    iam = aws.client("iam")
    present = {user["UserName"] for user in iam.list_users()["Users"]}
    for lease in template.leases:
        if lease.user_name not in present:
            iam.create_user(UserName=lease.user_name, Path=lease.user_path)


def users(aws: MotoServer) -> set[str]:
    return {user["UserName"] for user in aws.client("iam").list_users()["Users"]}


# -- the paths a user takes ---------------------------------------------------------------


class ErrorLog(logging.Handler):
    """Records what the revoker logged as an unexpected failure (log.exception)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def worker_errors() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    logger = logging.getLogger("workbench.worker")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def open_service(home: Path, **kwargs: Any) -> Workbench | None:
    """The store unlocked, or None after checking its refusal is one clear line."""
    try:
        store = Store.open(home, PASSPHRASE)
    except Exception as error:
        assert_clear(error)
        assert "\n" not in str(error), str(error)
        return None
    return Workbench(store, operator="fuzz", **kwargs)


def run_revoker(home: Path, due: list[IssuedLease], where: str) -> dict[str, str] | None:
    """One revoker on the damaged store until each due lease was tried; states after."""
    service = open_service(home, clock=lambda: time.time() + AHEAD_SECONDS)
    if service is None:
        return None
    events: list[WorkerEvent] = []
    try:
        with worker_errors() as errors:
            worker = LeaseWorker(service, on_event=events.append, poll=0.05)
            worker.start()
            try:
                wait_for(
                    lambda: (
                        {e.lease_id for e in events if e.kind in ENDED}
                        >= {lease.lease_id for lease in due}
                        or not worker.alive
                    ),
                    f"every due lease tried ({where})",
                )
            finally:
                worker.stop()
        assert worker.failure is None, f"{where}: {worker.failure}"
        assert not errors.records, f"{where}: {[r.getMessage() for r in errors.records]}"
        assert not [e for e in events if e.kind in {"error", "stopped"}], (where, events)
        return {
            lease.lease_id: lease.state.value for lease in service.leases.list(include_history=True)
        }
    finally:
        service.close()


def assert_verify_clear(code: int, out: str, err: str, where: str) -> None:
    """`audit verify`: ok, a report naming what is broken (exit 1), or one error line."""
    assert "Traceback" not in out + err, (where, out, err)
    if err.strip():  # the store did not open
        assert_clear_cli(["audit", "verify"], code, err)
        assert code == 1, (where, err)
        return
    assert out.startswith(("ok: ", "audit chain broken: ")), (where, out)
    if code == 1 and out.startswith("ok: "):
        devices = [line for line in out.splitlines() if line.startswith("file device ")]
        assert any(": ok, " not in line for line in devices), (where, out)
    else:
        assert code == (0 if out.startswith("ok: ") else 1), (where, code, out)


def check_damaged_store(template: Template, home: Path, aws: MotoServer, damage: Damage) -> None:
    """List, verify, revoke: clear answers, and no lease the damage missed is lost."""
    where = damage.describe()
    spared = [
        lease
        for lease in template.leases
        if damage.table != "leases" or lease.rowid != damage.rowid
    ]

    code, out, err = run_main(home, ["lease", "list", "--format", "json"])
    assert_clear_cli(["lease", "list"], code, err)
    if code == 0:
        listed = {row["id"] for row in json.loads(out)}
        assert {lease.lease_id for lease in spared} <= listed, (where, listed)
    elif damage.table not in KEY_TABLES:
        raise AssertionError(f"{where}: the store refused to list leases: {err}")

    code, _out, err = run_main(home, ["audit", "tail", "-n", "50"])
    assert_clear_cli(["audit", "tail"], code, err)

    code, out, err = run_main(home, ["audit", "verify"])
    assert_verify_clear(code, out, err, where)
    if damage.table not in MAY_FAIL_VERIFY:
        assert code == 0, (where, out, err)

    due = [lease for lease in spared if lease.due]
    states = run_revoker(home, due, where)
    if states is None:
        assert damage.table in KEY_TABLES, f"{where}: the store no longer opens"
        states = {}
    present = users(aws)
    for lease in spared:
        state = states.get(lease.lease_id)
        if lease.user_name in present:
            # Never recorded as ended while its user still holds keys in AWS.
            assert state not in {"revoked", "expired"}, (where, lease, state)
        if damage.table in KEY_TABLES and not states:
            continue
        assert state is not None, f"{where}: lease {lease.lease_id} lost"
        if lease.due and damage.table not in MAY_STOP_REVOCATION:
            assert state == LeaseState.REVOKED.value, (where, lease, state)
            assert lease.user_name not in present, (where, lease)
        if not lease.due:
            assert state in {"active", "propagating"}, (where, lease, state)
            assert lease.user_name in present, (where, lease)


def fuzz_tables(
    template: Template,
    folder: Path,
    tables: list[str],
    check: Callable[[Path, list[Damage]], None],
    *,
    examples: int,
) -> int:
    """Examples of damage to one random row and column of each of `tables`, each checked on a
    fresh copy of the template; how many examples were written."""
    written: list[list[Damage]] = []
    homes = (folder / f"{'+'.join(tables)}-{number}" for number in itertools.count())
    with contextlib.closing(sqlite3.connect(template.home / "workbench.db")) as conn:

        @fuzz_settings(examples)
        @given(data=st.data())
        def fuzz(data: st.DataObject) -> None:
            damage = [data.draw(damages(conn, table), label=table) for table in tables]
            home = next(homes)
            copy_store(template, home, template.aws)
            if all(apply(home, one) for one in damage):
                written.append(damage)
                check(home, damage)

        fuzz()
    return len(written)


def test_every_table_damaged_at_random(template: Template, aws: MotoServer, tmp_path: Path) -> None:
    def check(home: Path, damage: list[Damage]) -> None:
        check_damaged_store(template, home, aws, damage[0])

    for table in template.tables:
        written = fuzz_tables(template, tmp_path, [table], check, examples=5)
        assert written, f"no damage to {table} was written"


# -- the TUI -------------------------------------------------------------------------------


@pytest.fixture
def unexpected_errors(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """Errors the TUI showed that are not WorkbenchErrors (a worker's TypeError, say).

    Validation and the audit filter run at once, too: the tests wait on workers, not timers.
    """
    from workbench.tui import display

    seen: list[BaseException] = []
    original = display.error_text

    def recording(error: BaseException) -> str:
        if not isinstance(error, WorkbenchError):
            seen.append(error)
        return original(error)

    for name, module in list(sys.modules.items()):
        if name.startswith("workbench.tui") and getattr(module, "error_text", None) is original:
            monkeypatch.setattr(module, "error_text", recording)
    monkeypatch.setattr(RoleEditor, "debounce_seconds", 0.0)
    monkeypatch.setattr(AuditStream, "debounce_seconds", 0.0)
    return seen


async def mount_tui(home: Path, where: str) -> None:
    """Unlock the damaged store in the TUI and visit every pane; it must keep running."""
    app = WorkbenchApp(home, "fuzz", start_worker=False)
    app.animation_level = "none"  # nothing to wait for between panes
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen), where
        app.screen.query_one("#passphrase", Input).value = PASSPHRASE
        await pilot.press("enter")
        await settle(pilot)
        if isinstance(app.screen, UnlockScreen):  # the store refused to open: said in one line
            shown = str(app.screen.query_one("#unlock-error", Static).render()).strip()
            assert shown and "\n" not in shown and "Traceback" not in shown, (where, shown)
            return
        screen = app.screen
        assert isinstance(screen, MainScreen), where
        for key in "23451":  # each pane shows (and loads) what it reads from the store
            await pilot.press(key)
            await pilot.pause()
        await settle(pilot)
        assert app.is_running and app.screen is screen, where
    for note in app._notifications:
        assert "Traceback" not in note.message, (where, note.message)


def test_the_tui_survives_every_table_damaged(
    template: Template, tmp_path: Path, unexpected_errors: list[BaseException]
) -> None:
    def check(home: Path, damage: list[Damage]) -> None:
        where = "; ".join(one.describe() for one in damage)
        asyncio.run(mount_tui(home, where))
        assert not unexpected_errors, (where, unexpected_errors)

    # Each mount costs seconds: every table but the key material damaged at once, then
    # that alone (damaged keys mostly stop the unlock, which would hide the rest).
    everything_else = [table for table in template.tables if table not in KEY_TABLES]
    assert fuzz_tables(template, tmp_path, everything_else, check, examples=4)
    assert fuzz_tables(template, tmp_path, sorted(KEY_TABLES), check, examples=2)


# -- what the fuzzing found: each case on its own -----------------------------------------


def damage_row(home: Path, statement: str, params: tuple[Any, ...] = ()) -> None:
    """One row changed behind the workbench's back."""
    with contextlib.closing(sqlite3.connect(home / "workbench.db")) as conn, conn:
        assert conn.execute(statement, params).rowcount == 1, statement


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM meta WHERE key = 'schema_version'",
        "UPDATE meta SET value = '0' WHERE key = 'schema_version'",
    ],
    ids=["missing", "zero"],
)
def test_a_schema_version_the_tables_do_not_match_is_named_not_migrated_again(
    service: Workbench, home: Path, statement: str
) -> None:
    service.roles.write("aws", "web", {"credential_type": "iam_user"})
    service.close()
    damage_row(home, statement)
    for argv in (["lease", "list"], ["role", "list"]):
        code, _out, err = run_main(home, argv)
        one_error_line(argv, code, err, "meta.schema_version", "damaged")
    # Nothing was changed: with the version put back, the role is still there.
    damage_row(
        home,
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
        (str(SCHEMA_VERSION),),
    )
    code, out, err = run_main(home, ["role", "list", "--format", "json"])
    assert (code, json.loads(out)) == (0, ["web"]), err


@pytest.mark.parametrize(
    ("column", "expression", "value"),
    [
        ("request_id", "CAST(? AS TEXT)", b"\xff-x"),  # text that is not UTF-8
        ("entry", "?", b""),  # a blob where text goes
        ("path", "?", 5),  # a number where text goes
    ],
    ids=["not-utf8", "blob", "number"],
)
def test_an_audit_row_of_the_wrong_type_breaks_the_chain_by_seq(
    service: Workbench, home: Path, column: str, expression: str, value: Any
) -> None:
    service.roles.write("aws", "web", {"credential_type": "iam_user"})
    damage_row(home, f"UPDATE audit SET {column} = {expression} WHERE seq = 2", (value,))
    code, out, err = run_main(home, ["audit", "verify"])
    assert code == 1 and not err, (out, err)
    assert out.startswith("audit chain broken: ") and "seq 2" in out.splitlines()[0], out
    code, out, err = run_main(home, ["audit", "tail"])
    assert_clear_cli(["audit", "tail"], code, err)
    if column != "entry":
        assert code == 0 and "aws/roles/web" in out, (out, err)  # the entries still read


@pytest.mark.parametrize(
    ("column", "value"), [("entry", "{"), ("time", "yesterday")], ids=["entry", "time"]
)
def test_a_damaged_audit_entry_is_named_by_seq_in_audit_tail(
    service: Workbench, home: Path, column: str, value: str
) -> None:
    service.roles.write("aws", "web", {"credential_type": "iam_user"})
    damage_row(home, f"UPDATE audit SET {column} = ? WHERE seq = 3", (value,))
    code, _out, err = run_main(home, ["audit", "tail"])
    one_error_line(["audit", "tail"], code, err, "audit entry seq 3", "damaged", "audit verify")
    if column == "entry":  # hashed into the chain (the row's time is not: the entry has its own)
        code, out, _err = run_main(home, ["audit", "verify"])
        assert code == 1 and out.startswith("audit chain broken: "), out


def test_a_damaged_audit_entry_read_on_a_thread_leaves_the_store_usable(
    service: Workbench, home: Path
) -> None:
    """The TUI's audit pane reads entries on a worker thread and keeps the error it raised."""
    service.roles.write("aws", "web", {"credential_type": "iam_user"})
    damage_row(home, "UPDATE audit SET entry = '{' WHERE seq = 1")
    errors: list[BaseException] = []
    roles: list[Any] = []

    def read_entries() -> None:
        try:
            list(service.audit.entries())
        except WorkbenchError as error:
            errors.append(error)  # its traceback, and every frame in it, kept alive

    reader = threading.Thread(target=read_entries)
    reader.start()
    reader.join()
    assert errors and "audit entry seq 1" in str(errors[0])
    lister = threading.Thread(target=lambda: roles.extend(service.roles.list("aws")))
    lister.start()
    lister.join(DEADLINE_SECONDS)  # only stops a hung test
    assert not lister.is_alive(), "the store's connection lock was left held by the reader"
    assert [role.name for role in roles] == ["web"]


def test_a_damaged_audit_device_record_is_named_and_no_lease_is_lost(
    service: Workbench, home: Path, aws: MotoServer, tmp_path: Path
) -> None:
    service.roles.write("aws", "web", {"credential_type": "iam_user"})
    issued = service.creds.issue("aws", "web", ttl="1h").lease
    service.audit.enable_file_device(str(tmp_path / "audit.jsonl"))
    service.close()
    damage_row(home, "UPDATE audit_devices SET options = '{'")
    role_file = tmp_path / "db.json"
    role_file.write_text(json.dumps({"credential_type": "iam_user"}))
    for argv in (
        ["audit", "verify"],
        ["lease", "revoke", issued.lease_id],
        ["role", "write", "db", "--file", str(role_file)],
    ):
        code, _out, err = run_main(home, argv)
        one_error_line(argv, code, err, "audit device 'file'", "damaged", "options")

    # The revoker, two hours on: the due lease is tried, refused, kept live with its user.
    lease = IssuedLease(0, issued.lease_id, issued.iam_user_name or "", "/", due=True)
    states = run_revoker(home, [lease], "damaged device options")
    assert states is not None and states[issued.lease_id] in {"active", "revoking"}, states
    assert lease.user_name in users(aws)
    code, out, err = run_main(home, ["lease", "list", "--format", "json"])
    assert code == 0 and [row["id"] for row in json.loads(out)] == [issued.lease_id], err
