"""A damaged store: the TUI names the damaged record where it shows and keeps running."""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any

import pytest
from textual.widgets import Static

from tests.tui.conftest import SIZE
from tests.tui.tui_helpers import screen_text, settle
from workbench.tui.app import LeaseWorkerEvent
from workbench.tui.issue_dialog import IssueRequestScreen
from workbench.tui.lease_table import LeaseTable
from workbench.tui.main_screen import MainScreen
from workbench.tui.unreadable_notice import UnreadableNotice


def damage(service: Any, sql: str, params: tuple[Any, ...] = ()) -> None:
    """Change the store file behind the app's back, as a disk fault or a bad edit would."""
    with contextlib.closing(sqlite3.connect(service._store.path)) as conn:
        conn.execute(sql, params)
        conn.commit()


def flip_byte(service: Any, table: str, column: str, where: str, key: str) -> None:
    with contextlib.closing(sqlite3.connect(service._store.path)) as conn:
        (blob,) = conn.execute(f"SELECT {column} FROM {table} WHERE {where} = ?", (key,)).fetchone()
    flipped = bytes(blob[:-1]) + bytes([blob[-1] ^ 0xFF])
    damage(service, f"UPDATE {table} SET {column} = ? WHERE {where} = ?", (flipped, key))


def notices(app: Any) -> list[str]:
    return [f"{note.title}: {note.message}" for note in app._notifications]


def shown(widget: Any) -> str:
    return str(widget.render())


ROOT_SECRET = "engines record 'aws', field root_secret_key"
ENGINE_CONFIG = "engine 'aws' has a damaged config"
ROLE_BODY = "role 'aws/webapp' has a damaged body"
ROLE_POLICY = "roles record 'aws/webapp', field policy_document"

# (what is damaged, how, the error text that names it)
DAMAGE = [
    pytest.param(
        "engine",
        lambda s: flip_byte(s, "engines", "root_secret_key", "name", "aws"),
        ROOT_SECRET,
        id="root-secret-ciphertext",
    ),
    pytest.param(
        "engine",
        lambda s: damage(s, "UPDATE engines SET config = 'not json' WHERE name = 'aws'"),
        ENGINE_CONFIG,
        id="engine-config-not-json",
    ),
    pytest.param(
        "engine",
        lambda s: damage(
            s, "UPDATE engines SET config = '{\"root\": [], \"lease\": 3}' WHERE name = 'aws'"
        ),
        ENGINE_CONFIG,
        id="engine-config-wrong-types",
    ),
    pytest.param(
        "role",
        lambda s: damage(s, "UPDATE roles SET body = 'not json' WHERE name = 'webapp'"),
        ROLE_BODY,
        id="role-body-not-json",
    ),
    pytest.param(
        "role",
        lambda s: flip_byte(s, "roles", "policy_document", "name", "webapp"),
        ROLE_POLICY,
        id="role-policy-ciphertext",
    ),
]


@pytest.fixture
def damaged_leases(tui_service: Any) -> dict[str, str]:
    """Three leases; then one gets expire_time 'abc', another an unknown credential_type."""
    healthy, bad_time, bad_type = (
        tui_service.creds.issue("aws", "webapp", ttl="1h").lease.lease_id for _ in range(3)
    )
    damage(tui_service, "UPDATE leases SET expire_time = 'abc' WHERE lease_id = ?", (bad_time,))
    damage(
        tui_service,
        "UPDATE leases SET credential_type = 'iam_user_v2' WHERE lease_id = ?",
        (bad_type,),
    )
    return {"healthy": healthy, "bad_time": bad_time, "bad_type": bad_type}


@pytest.mark.parametrize(("part", "make_damage", "expected"), DAMAGE)
async def test_every_pane_survives_a_damaged_store_and_names_the_record(
    tui_service: Any,
    make_app: Any,
    damaged_leases: dict[str, str],
    part: str,
    make_damage: Any,
    expected: str,
) -> None:
    make_damage(tui_service)
    app = make_app(tui_service)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)

        # Leases: the healthy one listed, the two damaged rows named above the table.
        table = screen.query_one(LeaseTable)
        assert [lease.lease_id for lease in table.rows] == [damaged_leases["healthy"]]
        notice = screen.query_one(UnreadableNotice)
        assert notice.display
        assert "2 lease row(s) cannot be read" in shown(notice)
        first = notice.rows[0]
        assert first.lease_id in shown(notice) and first.error in shown(notice)
        errors = {row.lease_id: row.error for row in notice.rows}
        assert "expire_time is not a number ('abc')" in errors[damaged_leases["bad_time"]]
        assert "unknown credential_type 'iam_user_v2'" in errors[damaged_leases["bad_type"]]

        # Issuing reads the roles: refused with the record named, no dialog, app still up.
        await pilot.press("i")
        await settle(pilot)
        assert not isinstance(app.screen, IssueRequestScreen)
        assert any(expected in note for note in notices(app))

        for key in "23451":
            await pilot.press(key)
            await settle(pilot)
            assert app.is_running and app.screen is screen

        # The role editor says under its list why the roles cannot be listed.
        role_error = screen.query_one("#role-list-error", Static)
        assert role_error.display and expected in shown(role_error)
        if part == "engine":
            assert expected in shown(screen.query_one("#engine-result", Static))
            assert expected in shown(screen.query_one("#iam-summary", Static))

        # The ticks go on: countdowns still drawn, the damage still shown, no crash.
        await pilot.pause(1.2)
        await settle(pilot)
        assert app.is_running
        assert [lease.lease_id for lease in table.rows] == [damaged_leases["healthy"]]
        assert "2 lease row(s) cannot be read" in screen_text(app)


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("UPDATE roles SET body = '[]' WHERE name = 'webapp'", id="body-not-an-object"),
        pytest.param(
            "UPDATE roles SET credential_type = 'iam_user_v2' WHERE name = 'webapp'",
            id="unknown-credential-type",
        ),
    ],
)
async def test_a_role_row_this_version_cannot_read_is_reported_not_fatal(
    tui_service: Any, make_app: Any, damaged_leases: dict[str, str], sql: str
) -> None:
    damage(tui_service, sql)
    app = make_app(tui_service)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("i")
        await settle(pilot)
        for key in "2351":
            await pilot.press(key)
            await settle(pilot)
        assert app.is_running and app.screen is screen
        assert screen.query_one("#role-list-error", Static).display
        assert any(note.severity == "error" for note in app._notifications)
        table = screen.query_one(LeaseTable)
        assert [lease.lease_id for lease in table.rows] == [damaged_leases["healthy"]]


async def test_a_failing_revoker_pass_is_shown_once_per_new_error(
    tui_service: Any, make_app: Any
) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        for message in ("a pass failed (boom); retrying",) * 3 + ("a pass failed (bang)",):
            app.post_message(LeaseWorkerEvent("error", None, message))
        app.post_message(LeaseWorkerEvent("unreadable", "aws/creds/x/1", "lease x set aside"))
        await settle(pilot)
        shown_notes = notices(app)
        assert sum("boom" in note for note in shown_notes) == 1
        assert any("bang" in note for note in shown_notes)
        assert any(note == "Revoker: unreadable: lease x set aside" for note in shown_notes)
        severities = {note.severity for note in app._notifications}
        assert severities == {"error"}
