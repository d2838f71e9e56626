"""A lease over its day in the TUI: its detail with its audit entries, renewed by a
chosen increment there, and the history view of ended leases."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Static

from tests.tui.conftest import SIZE
from tests.tui.test_tui_leases import shown_ids
from tests.tui.tui_helpers import screen_text, settle, wait_until
from workbench.tui.confirm import PromptScreen
from workbench.tui.lease_detail import LeaseDetailScreen


def _audit_text(app: Any) -> str:
    return str(app.screen.query_one("#lease-detail-audit", Static).render())


async def test_the_detail_lists_the_leases_audit_entries_and_renews_by_a_chosen_increment(
    tui_service: Any, make_app: Any
) -> None:
    lease = tui_service.creds.issue("aws", "webapp", ttl="5m").lease
    other = tui_service.creds.issue("aws", "webapp", ttl="5m").lease
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#lease-table").select(lease.lease_id)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LeaseDetailScreen)
        await wait_until(pilot, lambda: "aws/creds/webapp" in _audit_text(app))
        assert other.lease_id not in _audit_text(app)  # only this lease's entries

        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one(Input).value = "45m"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LeaseDetailScreen)
        renewed = tui_service.leases.current(lease.lease_id)
        left = renewed.expire_time - tui_service.clock()
        assert 44 * 60 < left <= 45 * 60  # 45 minutes from now, not the default TTL
        await wait_until(pilot, lambda: "sys/leases/renew" in _audit_text(app))


async def test_history_shows_ended_leases_and_h_again_hides_them(
    tui_service: Any, make_app: Any
) -> None:
    ended = tui_service.creds.issue("aws", "webapp", ttl="5m").lease
    tui_service.leases.revoke(ended.lease_id)
    live = tui_service.creds.issue("aws", "webapp", ttl="5m").lease
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert shown_ids(app) == [live.lease_id]
        await pilot.press("h")
        await settle(pilot)
        await wait_until(pilot, lambda: set(shown_ids(app)) == {live.lease_id, ended.lease_id})
        assert "2 live and ended" in screen_text(app) and "revoked" in screen_text(app)
        await pilot.press("h")
        await settle(pilot)
        await wait_until(pilot, lambda: shown_ids(app) == [live.lease_id])
