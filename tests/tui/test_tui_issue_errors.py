"""A refused issue: the dialog stays open with what was typed, and says why in its words."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Static

from tests.tui.conftest import SIZE
from tests.tui.tui_helpers import settle
from workbench.tui.issue_dialog import CredentialScreen, IssueRequestScreen


async def test_a_refused_issue_keeps_the_dialog_and_what_was_typed(
    tui_service: Any, make_app: Any
) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, IssueRequestScreen)
        ttl = dialog.query_one("#issue-ttl", Input)
        ttl.value = "soon"
        await pilot.press("enter")
        await settle(pilot)

        assert app.screen is dialog  # still open, the TTL as typed, the cursor back in it
        assert ttl.value == "soon" and ttl.has_focus
        said = str(dialog.query_one("#issue-error", Static).render())
        assert said.startswith("TTL 'soon' is not a duration"), said  # the field's label
        assert "--ttl" not in said
        assert not [note for note in app._notifications if note.severity == "error"]
        assert tui_service.leases.list() == []

        ttl.value = "15m"  # corrected: issued, and the dialog gives way to the credential
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CredentialScreen)
        assert len(tui_service.leases.list()) == 1
