"""The static roles pane: an existing IAM user taken over, its key rotated, copied, forgotten."""

from __future__ import annotations

import time
from typing import Any

from textual.widgets import DataTable, Input, Static

from tests.conftest import make_service
from tests.tui.conftest import SIZE
from tests.tui.tui_helpers import open_pane, screen_text, settle, wait_until
from workbench.tui.confirm import ConfirmScreen
from workbench.tui.help import HelpScreen, TraineePanel
from workbench.tui.main_screen import MainScreen
from workbench.tui.static_form import StaticRoleScreen
from workbench.tui.static_pane import StaticPane

PERIOD = {"username": "legacy", "rotation_period": "720h"}


def make_user(aws: Any, name: str = "legacy") -> str:
    """An existing IAM user with one key of its own; returns the key's id."""
    iam = aws.client("iam")
    iam.create_user(UserName=name)
    return str(iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"])


def keys_in_aws(aws: Any, name: str = "legacy") -> list[str]:
    listed = aws.client("iam").list_access_keys(UserName=name)["AccessKeyMetadata"]
    return [key["AccessKeyId"] for key in listed]


def table(app: Any) -> DataTable[Any]:
    return app.screen.query_one("#static-table", DataTable)


def cell(app: Any, name: str, column: str) -> str:
    return str(table(app).get_cell(name, column))


def status(app: Any) -> str:
    return str(app.screen.query_one("#static-form-status", Static).render())


async def asked(pilot: Any, key: str) -> str:
    """Press `key` and return the question of the confirm it opens."""
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
    return str(pilot.app.screen.query_one("#confirm-message", Static).render())


async def test_the_pane_shows_a_static_role_and_counts_down(
    tui_service: Any, make_app: Any, aws: Any
) -> None:
    make_user(aws)
    role = tui_service.static_roles.write("aws", "legacy", PERIOD, take_over=True)
    app = make_app(tui_service)
    rotated = role.last_rotated
    app.clock = lambda: rotated + 3600
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_pane(pilot, StaticPane)
        assert app.screen.query_one("#panes").active == "static"
        shown = screen_text(app)
        assert "6 Static" in shown
        assert "legacy" in cell(app, "legacy", "username")
        assert cell(app, "legacy", "access_key_id") == role.access_key_id
        assert role.access_key_id in shown and "720h0m0s" in shown
        assert cell(app, "legacy", "next") == "29d 23h"
        app.clock = lambda: rotated + 720 * 3600 - 65
        await wait_until(pilot, lambda: cell(app, "legacy", "next") == "1m 05s", seconds=5)
        app.clock = lambda: rotated + 720 * 3600 - 64
        await wait_until(pilot, lambda: cell(app, "legacy", "next") == "1m 04s", seconds=5)


async def test_new_shows_errors_in_the_dialog_then_takes_the_user_over(
    tui_service: Any, make_app: Any, aws: Any
) -> None:
    old_key = make_user(aws)
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_pane(pilot, StaticPane)
        await pilot.press("n")
        assert isinstance(app.screen, StaticRoleScreen)
        form = app.screen
        await pilot.press(*"legacy", "tab", *"legacy", "tab", *"soon", "enter")
        await wait_until(pilot, lambda: "not a duration" in status(app))
        assert app.screen is form  # still open, with what was typed
        assert "Rotation period 'soon' is not a duration" in status(app)
        assert form.query_one("#static-name", Input).value == "legacy"
        assert form.query_one("#static-username", Input).value == "legacy"
        assert form.focused is form.query_one("#static-period", Input)
        assert tui_service.static_roles.list() == []

        form.query_one("#static-period", Input).value = "24h"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = str(app.screen.query_one("#confirm-message", Static).render())
        assert old_key in question and "stops working" in question
        assert tui_service.static_roles.list() == []  # nothing written without consent
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await settle(pilot)
        [role] = tui_service.static_roles.list("aws")
        assert keys_in_aws(aws) == [role.access_key_id] != [old_key]
        assert table(app).row_count == 1
        assert cell(app, "legacy", "access_key_id") == role.access_key_id
        assert cell(app, "legacy", "period") == "24h0m0s"
        recent = str(app.screen.query_one(TraineePanel).query_one("#trainee-recent").render())
        assert "Took IAM user legacy over" in recent and "iam:DeleteAccessKey" in recent


async def test_declining_the_take_over_keeps_the_dialog_and_the_users_keys(
    tui_service: Any, make_app: Any, aws: Any
) -> None:
    old_key = make_user(aws)
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_pane(pilot, StaticPane)
        await pilot.press("n", *"legacy", "tab", *"legacy", "tab", *"1h", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, StaticRoleScreen))
        assert "keeps its keys" in status(app)
        assert keys_in_aws(aws) == [old_key]
        assert tui_service.static_roles.list() == []


async def test_rotate_now_replaces_the_key(tui_service: Any, make_app: Any, aws: Any) -> None:
    make_user(aws)
    before = tui_service.static_roles.write("aws", "legacy", PERIOD, take_over=True)
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_pane(pilot, StaticPane)
        question = await asked(pilot, "R")
        assert before.access_key_id in question
        await pilot.press("y")
        await settle(pilot)
        await wait_until(
            pilot, lambda: cell(app, "legacy", "access_key_id") != before.access_key_id
        )
        new_key = cell(app, "legacy", "access_key_id")
        assert keys_in_aws(aws) == [new_key]
        assert tui_service.static_roles.read("aws", "legacy").access_key_id == new_key


async def test_copy_puts_the_current_key_on_the_clipboard_not_on_screen(
    tui_service: Any, make_app: Any, aws: Any
) -> None:
    make_user(aws)
    role = tui_service.static_roles.write("aws", "legacy", PERIOD, take_over=True)
    secret = tui_service.static_roles.creds("aws", "legacy").lease.secret_key
    app = make_app(tui_service)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await open_pane(pilot, StaticPane)
        await pilot.press("c")
        await settle(pilot)
        assert f"export AWS_ACCESS_KEY_ID={role.access_key_id}" in app.clipboard
        assert f"AWS_SECRET_ACCESS_KEY={secret}" in app.clipboard
        [note] = [n.message for n in app._notifications]
        assert f"({role.access_key_id}) as env exports" in note
        assert "until the next rotation" in note
        assert secret and secret not in screen_text(app) and secret not in note


async def test_delete_forgets_the_role_and_leaves_the_user_its_key(
    tui_service: Any, make_app: Any, aws: Any
) -> None:
    make_user(aws)
    role = tui_service.static_roles.write("aws", "legacy", PERIOD, take_over=True)
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_pane(pilot, StaticPane)
        question = await asked(pilot, "d")
        assert "stay in AWS and are no longer rotated" in question
        await pilot.press("y")
        await settle(pilot)
        await wait_until(pilot, lambda: table(app).row_count == 0)
        assert tui_service.static_roles.list() == []
        assert keys_in_aws(aws) == [role.access_key_id]


async def test_a_rotation_by_the_revoker_shows_in_the_table(
    store: Any, make_app: Any, aws: Any
) -> None:
    make_user(aws)
    now = [time.time()]
    service = make_service(store, aws, clock=lambda: now[0])
    body = {"username": "legacy", "rotation_period": "60s"}
    before = service.static_roles.write("aws", "legacy", body, take_over=True)
    app = make_app(service, start_worker=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_pane(pilot, StaticPane)
        assert cell(app, "legacy", "access_key_id") == before.access_key_id
        now[0] += 61  # its period is up: the revoker's next pass rotates it
        await wait_until(
            pilot, lambda: cell(app, "legacy", "access_key_id") != before.access_key_id
        )
        assert keys_in_aws(aws) == [cell(app, "legacy", "access_key_id")]
        recent = str(app.screen.query_one(TraineePanel).query_one("#trainee-recent").render())
        assert "The revoker rotated a static role" in recent


async def test_at_80x24_columns_are_cut_with_an_ellipsis(
    tui_service: Any, make_app: Any, aws: Any
) -> None:
    make_user(aws, "payroll-batch-exporter-legacy-user")
    name = "payroll-batch-exporter-nightly"
    body = {"username": "payroll-batch-exporter-legacy-user", "rotation_period": "720h"}
    role = tui_service.static_roles.write("aws", name, body, take_over=True)
    app = make_app(tui_service)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pane = await open_pane(pilot, StaticPane)
        shown = table(app)
        assert shown.virtual_size.width <= shown.scrollable_content_region.width
        assert "…" in cell(app, name, "name") and "…" in cell(app, name, "username")
        assert cell(app, name, "access_key_id") == role.access_key_id
        # The selected role in full under the table.
        assert name in str(pane.query_one("#static-detail", Static).render())


async def test_help_lists_the_static_keys_and_the_dialog(tui_service: Any, make_app: Any) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_pane(pilot, StaticPane)
        assert "Rotate now" in screen_text(app)  # the footer
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await settle(pilot)
        text = app.screen.query_one("Markdown").source
        assert "## Static (6)" in text and "## New static role (n on Static)" in text
        for key in ("`n`", "`R`", "`c`", "`d`"):
            assert key in text
        assert "one key in AWS at all times" in text
