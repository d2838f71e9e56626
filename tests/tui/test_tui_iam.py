"""The IAM view: users in the account, each matched to its lease or flagged as a stray."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, Static

from tests.tui.conftest import SIZE
from tests.tui.tui_helpers import open_pane, settle, wait_until
from workbench.domain.naming import STORE_TAG
from workbench.tui.confirm import ConfirmScreen
from workbench.tui.iam_view import IamView


def rows(view: IamView) -> dict[str, tuple[str, str]]:
    table = view.query_one("#iam-table", DataTable)
    found = {}
    for index in range(table.row_count):
        name, _path, _created, lease, _state, flag = table.get_row_at(index)
        found[str(name)] = (str(lease), str(flag))
    return found


async def test_users_are_matched_to_leases_and_strays_flagged(
    tui_service: Any, make_app: Any, iam: Any
) -> None:
    lease = tui_service.creds.issue("aws", "webapp").lease
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_pane(pilot, IamView)
        assert rows(view) == {lease.iam_user_name: (lease.lease_id, "ok")}

        # A user this store made (its tag says so) that no lease owns any more.
        iam.create_user(
            UserName="wb-someone-webapp-1-leftover",
            Tags=[{"Key": STORE_TAG, "Value": tui_service._store.store_id}],
        )
        # The view lists the users again every second tick, by itself.
        await wait_until(pilot, lambda: "wb-someone-webapp-1-leftover" in rows(view))
        await settle(pilot)
        assert rows(view)["wb-someone-webapp-1-leftover"] == ("-", "stray")
        assert "1 stray" in str(view.query_one("#iam-summary", Static).render())

        await pilot.press("D")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert list(rows(view)) == [lease.iam_user_name]
