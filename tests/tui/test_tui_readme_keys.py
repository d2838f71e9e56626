"""The README's key table and the app's bindings agree: each key, pressed where the
table says, runs a binding of the app (and a key the table omits is not missed).

The table lives in README.md between "| where | key | what it does |" and the
first line that is not a table row.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from textual.widgets import Input

from tests.tui.conftest import SIZE
from tests.tui.tui_helpers import open_pane, settle
from workbench.tui.audit_stream import AuditStream
from workbench.tui.main_screen import MainScreen
from workbench.tui.static_pane import StaticPane

README = Path(__file__).resolve().parents[2] / "README.md"
# README writes keys as a person reads them; Textual names some of them.
KEY_NAMES = {"?": "question_mark", "/": "slash", ":": "colon"}
PANES: dict[str, Any] = {"Static": StaticPane, "Audit": AuditStream}


def readme_keys() -> list[tuple[str, str, str]]:
    """(where, key, what it does) for each key of the README's table."""
    text = README.read_text(encoding="utf-8")
    start = text.index("| where | key | what it does |")
    rows = []
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        where, keys, what = (cell.strip() for cell in line.strip("|").split("|"))
        for key in re.findall(r"`([^`]+)`", keys):
            rows.append((where, key, what))
    return rows


KEYS = readme_keys()


def test_the_table_is_read() -> None:
    assert ("Leases", "i", "issue a credential") in KEYS
    assert {where for where, _key, _what in KEYS} >= {"anywhere", "Leases", "Static", "demo"}


QUIT_KEYS = {"q", "ctrl+q"}  # each ends the app: pressed in an app of its own
GROUPS = sorted({where for where, key, _what in KEYS if key not in QUIT_KEYS})


def _app(service: Any, home: Path, where: str) -> tuple[Any, list[str]]:
    """The app for one row's place, recording every action a key runs."""
    from workbench.tui.app import WorkbenchApp

    demo = None
    if where == "demo":
        demo = SimpleNamespace(
            endpoint="http://127.0.0.1:50123",
            notes=[],
            example="AWS_ACCESS_KEY_ID=AKIAEXAMPLE aws sts get-caller-identity",
        )
    app = WorkbenchApp(home, "tester", service=service, start_worker=False, demo=demo)
    ran: list[str] = []
    run_action = app.run_action

    async def recorded(action: Any, *args: Any, **kwargs: Any) -> Any:
        ran.append(str(action))
        return await run_action(action, *args, **kwargs)

    app.run_action = recorded  # type: ignore[method-assign]
    return app, ran


async def _press(pilot: Any, ran: list[str], where: str, key: str, what: str) -> None:
    """Press `key` on the main screen; its binding's action must run."""
    app = pilot.app
    name = KEY_NAMES.get(key, key)
    bound = app.screen.active_bindings.get(name)
    assert bound is not None, f"README says {key} ({what}) on {where}; nothing binds it"
    if key == "escape":  # it leaves a text field: be in one first
        await pilot.press("slash")
        await settle(pilot)
    ran.clear()
    await pilot.press(name)
    await settle(pilot)
    assert bound.binding.action in ran, f"{where} {key}: ran {ran}, not {bound.binding.action}"


@pytest.mark.parametrize("where", GROUPS)
async def test_each_readme_key_runs_a_binding_where_the_readme_says(
    tui_service: Any, home: Path, where: str
) -> None:
    tui_service.creds.issue("aws", "webapp", ttl="15m")  # a lease for r, x, enter, c to act on
    app, ran = _app(tui_service, home, where)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for row_where, key, what in KEYS:
            if row_where != where or key in QUIT_KEYS:
                continue
            if where in PANES:
                await open_pane(pilot, PANES[where])
            await _press(pilot, ran, where, key, what)
            while not isinstance(app.screen, MainScreen):  # a dialog it opened
                app.pop_screen()
                await settle(pilot)
            if isinstance(app.focused, Input):  # the filter it focused: leave it, as users do
                await pilot.press("escape")
                await settle(pilot)


@pytest.mark.parametrize("key", sorted(QUIT_KEYS & {key for _w, key, _what in KEYS}))
async def test_the_readme_quit_keys_quit(tui_service: Any, home: Path, key: str) -> None:
    app, ran = _app(tui_service, home, "anywhere")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _press(pilot, ran, "anywhere", key, "quit")
    assert app.return_code == 0


async def test_escape_leaves_the_filter_so_keys_act_again(tui_service: Any, home: Path) -> None:
    """`/webapp`, Esc, then `s` sorts: it no longer types "webapps" into the filter."""
    from workbench.tui.lease_table import LeaseTable

    app, _ran = _app(tui_service, home, "anywhere")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"webapp")
        await settle(pilot)
        field = app.focused
        assert isinstance(field, Input) and field.value == "webapp"
        table = app.screen.query_one(LeaseTable)
        before = table.sort_column
        await pilot.press("escape", "s")
        await settle(pilot)
        assert field.value == "webapp"
        assert table.sort_column != before
        assert isinstance(app.focused, LeaseTable)
