"""The audit stream: live tail, filters, error highlighting, detail, verify chain."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from textual.geometry import Region
from textual.widgets import Checkbox, DataTable, Input, Select, Static

from tests.tui.conftest import SIZE
from tests.tui.tui_helpers import open_pane, screen_text, settle
from workbench.domain.errors import NotFound
from workbench.store import Store
from workbench.tui.audit_stream import AuditStream
from workbench.tui.theme_colors import theme_style


def paths(stream: AuditStream) -> list[str]:
    table = stream.query_one("#audit-table", DataTable)
    return [str(table.get_row_at(index)[3]) for index in range(table.row_count)]


def fail_once(service: Any) -> None:
    with pytest.raises(NotFound):
        service.leases.renew("aws/creds/webapp/no-such-lease")


async def test_the_tail_is_live_and_filters_by_path_operation_and_errors(
    tui_service: Any, make_app: Any
) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        stream = await open_pane(pilot, AuditStream)
        assert "aws/roles/webapp" in paths(stream)
        before = len(paths(stream))
        tui_service.creds.issue("aws", "webapp")
        fail_once(tui_service)
        app.screen.tick()  # the once-a-second tick, without waiting a second
        await settle(pilot)
        assert len(paths(stream)) == before + 4
        assert paths(stream)[-1] == "sys/leases/renew"

        stream.query_one("#audit-path", Input).value = "aws/creds/"
        await settle(pilot)
        assert set(paths(stream)) == {"aws/creds/webapp"}

        stream.query_one("#audit-path", Input).value = ""
        stream.query_one("#audit-operation", Select).value = "read"
        await settle(pilot)
        table = stream.query_one("#audit-table", DataTable)
        assert {str(table.get_row_at(i)[2]) for i in range(table.row_count)} == {"read"}

        stream.query_one("#audit-operation", Select).clear()
        table.focus()
        await pilot.press("e")  # errors only
        await settle(pilot)
        assert stream.query_one("#audit-errors", Checkbox).value
        assert paths(stream) == ["sys/leases/renew"]
        error_cell = table.get_row_at(0)[4]
        assert error_cell.style == theme_style(stream, "bold $text-error")
        assert str(error_cell).endswith("…")  # cut to its column; enter shows the entry whole
        await pilot.press("enter")
        await settle(pilot)
        assert "not found" in screen_text(app)


async def test_an_entrys_detail_is_pretty_json(tui_service: Any, make_app: Any) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        stream = await open_pane(pilot, AuditStream)
        table = stream.query_one("#audit-table", DataTable)
        table.move_cursor(row=table.row_count - 1)
        await pilot.pause()
        detail = stream.query_one("#audit-detail", Static)
        lines = detail.render_lines(Region(0, 0, detail.size.width, detail.size.height))
        shown = "\n".join(strip.text.rstrip() for strip in lines)
        assert '"path": "aws/roles/webapp",' in shown
        assert shown.startswith('{\n  "auth": {')


async def test_verify_chain_reports_ok_then_the_tampered_entry(
    tui_service: Any, make_app: Any, home: Any
) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        stream = await open_pane(pilot, AuditStream)
        await pilot.press("v")
        await settle(pilot)
        result = str(stream.query_one("#audit-verify", Static).render())
        assert "Chain verified" in result
        db = sqlite3.connect(Store.db_path(home))
        with db:
            db.execute("UPDATE audit SET entry = replace(entry, 'tester', 'mallory') WHERE seq = 3")
        db.close()
        await pilot.press("v")
        await settle(pilot)
        result = str(stream.query_one("#audit-verify", Static).render())
        assert "Chain BROKEN (entry #3)" in result
