"""No store or service call on the UI thread: every pane, the tick, the palette and the dialogs
(the lease detail with its trail refresh, containment's count, the find dialog, the static
role's form, take-over, rotate, copy and delete).

Every public method of the facade's parts (and `changes`) is wrapped to note
calls made on the thread the app's event loop runs on; walking the app as a
person would must leave that list empty (a slow store or AWS never freezes
the screen).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from textual.command import CommandList

from tests.tui.conftest import SIZE
from tests.tui.tui_helpers import settle, wait_until
from workbench.tui.confirm import ConfirmScreen, PromptScreen
from workbench.tui.find_dialog import FindLeaseScreen
from workbench.tui.issue_dialog import IssueRequestScreen
from workbench.tui.lease_detail import LeaseDetailScreen
from workbench.tui.main_screen import MainScreen
from workbench.tui.panes import PANES
from workbench.tui.static_form import StaticRoleScreen

PARTS = ("engines", "roles", "creds", "leases", "iam", "audit", "incident", "static_roles")


@pytest.fixture
def ui_thread_calls(tui_service: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The service calls made on the main (UI) thread while the test runs."""
    calls: list[str] = []
    main = threading.main_thread()

    def watched(name: str, method: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            if threading.current_thread() is main:
                calls.append(name)
            return method(*args, **kwargs)

        return call

    for part_name in PARTS:
        part = getattr(tui_service, part_name)
        for name in dir(type(part)):
            method = getattr(part, name)
            if not name.startswith("_") and callable(method):
                monkeypatch.setattr(part, name, watched(f"{part_name}.{name}", method))
    monkeypatch.setattr(tui_service, "changes", watched("changes", tui_service.changes))
    yield calls


async def test_walking_every_pane_makes_no_service_call_on_the_ui_thread(
    tui_service: Any, make_app: Any, aws: Any, ui_thread_calls: list[str]
) -> None:
    tui_service.creds.issue("aws", "webapp")
    iam = aws.client("iam")
    for user in ("legacy", "other"):
        iam.create_user(UserName=user)
        iam.create_access_key(UserName=user)
    body = {"username": "legacy", "rotation_period": "720h"}
    tui_service.static_roles.write("aws", "legacy", body, take_over=True)
    ui_thread_calls.clear()  # the set-up above ran on this thread on purpose
    app = make_app(tui_service)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        for key in [*(pane.PANE_KEY for pane in PANES[1:]), "1"]:  # a tick or two each
            await pilot.press(key)
            await settle(pilot)
            await pilot.pause(1.1)
        await pilot.press("i")  # the issue dialog needs the roles
        await wait_until(pilot, lambda: isinstance(app.screen, IssueRequestScreen))
        await pilot.press("escape")
        await pilot.press("P")  # revoke by prefix: the prompt describes matches as you type
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("escape")
        await pilot.press("enter")  # the lease detail: the lease and its trail, read again
        await wait_until(pilot, lambda: isinstance(app.screen, LeaseDetailScreen))
        detail = app.screen
        await wait_until(pilot, lambda: detail.events is not None)
        await pilot.pause(1.1)  # a countdown tick
        await pilot.press("escape")
        await pilot.press("C")  # contain: the prompt, then the count for the confirm
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await pilot.press("F")  # find from what leaked
        await wait_until(pilot, lambda: isinstance(app.screen, FindLeaseScreen))
        await pilot.press(*"AKIAUNKNOWN0000000000", "enter")
        await settle(pilot)
        await pilot.press("escape")
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("x")  # delete a role: counts its leases first
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")
        await pilot.press("6")  # static roles: the form and its take-over confirm, then the keys
        await settle(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, StaticRoleScreen))
        await pilot.press(*"other", "tab", *"other", "tab", *"1h", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await settle(pilot)
        for key in "Rd":  # rotate now and delete, each confirmed
            await pilot.press(key)
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await settle(pilot)
        await pilot.press("c")  # copy the (remaining) role's key
        await settle(pilot)
        await pilot.pause(1.1)  # a countdown tick
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"switch engine")  # the palette reads nothing as you type
        await wait_until(pilot, lambda: app.screen.query(CommandList).first().option_count >= 0)
        await pilot.press("escape")
        await settle(pilot)
    assert ui_thread_calls == []
    # The static role walk did what it meant to: `other` written, rotated, deleted.
    [kept] = tui_service.static_roles.list()
    assert kept.name == "legacy" and f"={kept.access_key_id}" in app.clipboard


async def test_the_command_line_makes_no_service_call_on_the_ui_thread(
    tui_service: Any, make_app: Any, ui_thread_calls: list[str]
) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for line in ("vault read aws/creds/webapp", "list aws/roles", "lease revoke -prefix aws/"):
            await pilot.press("colon", *line, "enter")
            await settle(pilot)
            if isinstance(app.screen, ConfirmScreen):
                await pilot.press("y")
                await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
    assert ui_thread_calls == []
    assert tui_service.leases.list() == []  # read, listed, then revoked by prefix
