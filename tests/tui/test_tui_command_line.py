"""The `:` command line: Vault's own commands typed in the TUI, run through the service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input, Markdown, Static

from tests.tui.conftest import POLICY, SIZE
from tests.tui.tui_helpers import screen_text, settle
from workbench.domain.models import LeaseState
from workbench.tui.command_line import CommandBar, VaultResultScreen
from workbench.tui.confirm import ConfirmScreen
from workbench.tui.help import HelpScreen
from workbench.tui.lease_table import LeaseTable
from workbench.tui.main_screen import MainScreen
from workbench.tui.role_editor import RoleEditor


def shown_ids(app: Any) -> list[str]:
    return [lease.lease_id for lease in app.screen.query_one(LeaseTable).rows]


def notes(app: Any) -> str:
    return "\n".join(f"{note.title}: {note.message}" for note in app._notifications)


def status(app: Any) -> str:
    return str(app.screen.query_one("#command-status", Static).render())


async def type_command(pilot: Any, line: str) -> None:
    """`:` then the line, as a person types it, then enter."""
    await pilot.press("colon")
    assert pilot.app.focused is pilot.app.screen.query_one("#command-input", Input)
    await pilot.press(*line)
    await pilot.press("enter")
    await settle(pilot)


async def test_vault_read_creds_issues_and_the_lease_table_shows_it(
    tui_service: Any, make_app: Any
) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_command(pilot, "vault read aws/creds/webapp")
        assert isinstance(app.screen, VaultResultScreen)
        [lease] = tui_service.leases.list()
        text = screen_text(app)
        for key in ("lease_id", "lease_duration", "lease_renewable", "access_key", "secret_key"):
            assert key in text
        assert lease.lease_id in text and (lease.access_key_id or "") in text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert shown_ids(app) == [lease.lease_id]
        panel = str(app.screen.query_one("#trainee-recent", Static).render())
        assert "vault read aws/creds/webapp (iam_user)" in panel
        assert "iam:CreateAccessKey" in panel
        assert not app.screen.query_one(CommandBar).is_open
        assert app.focused is app.screen.query_one(LeaseTable)  # back where it was


async def test_the_vault_word_is_optional_and_a_revoke_asks_first(
    tui_service: Any, make_app: Any
) -> None:
    lease = tui_service.creds.issue("aws", "webapp").lease
    app = make_app(tui_service)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await type_command(pilot, "read aws/creds/webapp")
        assert isinstance(app.screen, VaultResultScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert len(shown_ids(app)) == 2

        await type_command(pilot, f"lease revoke {lease.lease_id}")
        assert isinstance(app.screen, ConfirmScreen)
        assert f"vault lease revoke {lease.lease_id}" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert tui_service.leases.current(lease.lease_id).state is LeaseState.ACTIVE
        assert "not run" in status(app)

        await pilot.press("enter")  # the line still holds what was typed
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert tui_service.leases.current(lease.lease_id).state is LeaseState.REVOKED
        assert lease.lease_id not in shown_ids(app)
        assert f"Success! Revoked lease: {lease.lease_id}" in notes(app)


async def test_an_unknown_command_names_the_closest_and_keeps_the_line(
    tui_service: Any, make_app: Any
) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await type_command(pilot, "vault raed aws/creds/webapp")
        bar = app.screen.query_one(CommandBar)
        assert bar.is_open and bar.input.value == "vault raed aws/creds/webapp"
        assert "did you mean `vault read`?" in status(app)
        assert "did you mean `vault read`?" in screen_text(app)  # on screen, above the footer
        bar.input.value = "write aws/config/lease lease=2h lease_max=1h"
        await pilot.press("enter")
        await settle(pilot)
        assert "lease is longer than lease_max" in status(app)
        bar.input.value = "write aws/config/root access_key=AKIAX secret_key=-"
        await pilot.press("enter")
        await settle(pilot)
        assert "there is no stdin here" in status(app)
        await pilot.press("escape")
        assert not bar.is_open and bar.input.value == ""
        assert tui_service.leases.list() == []


async def test_a_role_written_from_a_file_shows_in_the_roles_pane(
    tui_service: Any, make_app: Any, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(POLICY)
    app = make_app(tui_service)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        line = f"vault write aws/roles/from-docs credential_type=iam_user policy_document=@{policy}"
        await type_command(pilot, line)
        assert "Success! Data written to: aws/roles/from-docs" in notes(app)
        assert tui_service.roles.read("aws", "from-docs").policy_document == POLICY
        assert app.screen.query_one(RoleEditor).is_attached
        assert "from-docs" in screen_text(app)  # the roles pane listed it at once


async def test_the_answer_and_the_line_are_readable_at_80x24(
    tui_service: Any, make_app: Any
) -> None:
    tui_service.roles.write(
        "aws", "fed", {"credential_type": "federation_token", "policy_document": POLICY}
    )
    app = make_app(tui_service)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        assert "read aws/creds/webapp   (enter: run" in screen_text(app)  # the placeholder
        await pilot.press(*"read aws/sts/fed ttl=15m", "enter")
        await settle(pilot)
        assert isinstance(app.screen, VaultResultScreen)
        [lease] = tui_service.leases.list()
        text = screen_text(app)
        assert "lease_duration" in text and "15m" in text and lease.lease_id in text
        assert "Close (esc)" in text
        await pilot.press("c")
        assert (lease.session_token or "") in app.clipboard
        assert app.clipboard.splitlines()[0].split() == ["Key", "Value"]


async def test_help_lists_the_command_line_and_its_keys(tui_service: Any, make_app: Any) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        source = app.screen.query_one(Markdown).source
        assert "## Command line (:)" in source
        assert "Type a Vault command" in source  # the `:` binding's tooltip
        assert "Close the command line" in source
        assert "## A Vault command's answer" in source
