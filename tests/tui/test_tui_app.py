"""App-wide conventions: the background revoker, the command palette, help, panes by key."""

from __future__ import annotations

from typing import Any

from textual.command import CommandList
from textual.widgets import Input, TabbedContent

from tests.tui.conftest import SIZE
from tests.tui.tui_helpers import settle, wait_until
from workbench.domain.models import LeaseState
from workbench.tui.confirm import PromptScreen
from workbench.tui.help import HelpScreen, TraineePanel
from workbench.tui.lease_table import LeaseTable


async def test_the_revoker_ends_an_expired_lease_and_the_table_follows(
    tui_service: Any, make_app: Any
) -> None:
    lease = tui_service.creds.issue("aws", "webapp", ttl="1s").lease
    app = make_app(tui_service, start_worker=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(LeaseTable)
        await wait_until(pilot, lambda: table.lease_count == 0, seconds=60)
        assert tui_service.leases.lookup(lease.lease_id).state is LeaseState.REVOKED
        trainee = app.screen.query_one(TraineePanel)
        assert "The revoker ended a lease" in str(trainee.query_one("#trainee-recent").render())
        assert app._lease_worker is not None and app._lease_worker.is_leader
    assert app._lease_worker is None  # stopped with the app


async def test_panes_by_key_and_the_command_palette(tui_service: Any, make_app: Any) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tabs = app.screen.query_one("#panes", TabbedContent)
        for key, pane in zip("23451", ("roles", "engines", "audit", "iam", "leases"), strict=True):
            await pilot.press(key)
            await settle(pilot)
            assert tabs.active == pane
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"under a typed prefix")
        # The palette searches in the background: wait for its results.
        await wait_until(pilot, lambda: app.screen.query_one(CommandList).option_count > 0)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        assert app.screen.query_one(Input).value == "aws/creds/"


async def test_help_and_the_trainee_panel(tui_service: Any, make_app: Any) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        trainee = app.screen.query_one(TraineePanel)
        assert not trainee.display
        await pilot.press("question_mark")
        assert trainee.display
        await pilot.press("i", "enter")
        await settle(pilot)
        await pilot.press("escape")
        recent = str(trainee.query_one("#trainee-recent").render())
        assert "Issued a credential (iam_user)" in recent
        assert "iam:CreateUser" in recent and "iam:CreateAccessKey" in recent


async def test_the_demo_banner_shows_the_endpoint_and_hides_on_b(
    tui_service: Any, make_app: Any
) -> None:
    from types import SimpleNamespace

    from workbench.tui.main_screen import DemoBanner

    demo = SimpleNamespace(endpoint="http://127.0.0.1:50123", notes=["[b]note[/b]"], example="aws")
    app = make_app(tui_service, demo=demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        banner = app.screen.query_one(DemoBanner)
        shown = str(banner.render())
        assert "http://127.0.0.1:50123" in shown and "[b]note[/b]" in shown
        await pilot.press("b")
        assert not banner.display
    plain = make_app(tui_service)
    async with plain.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not plain.screen.query(DemoBanner)
        assert plain.screen.check_action("toggle_banner", ()) is False
