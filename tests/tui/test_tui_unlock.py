"""Unlock (right and wrong passphrase) and creating a store from the unlock screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input, Static

from tests.conftest import PASSPHRASE
from tests.tui.tui_helpers import screen_text, settle
from workbench.store import Store
from workbench.tui.main_screen import MainScreen
from workbench.tui.unlock import UnlockScreen


async def _type(pilot: Any, selector: str, text: str) -> None:
    pilot.app.screen.query_one(selector, Input).value = text
    await pilot.pause()


async def test_unlock_with_the_right_passphrase(store: Store, make_app: Any) -> None:
    store.close()
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)  # the screen looks for the store off the UI thread
        assert isinstance(app.screen, UnlockScreen)
        await _type(pilot, "#passphrase", PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.service.engines.list() == []  # the fixture store has no engine yet


async def test_a_wrong_passphrase_shows_an_error_and_allows_another_try(
    store: Store, make_app: Any
) -> None:
    store.close()
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)  # the screen looks for the store off the UI thread
        await _type(pilot, "#passphrase", "not the passphrase")
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, UnlockScreen)
        assert "Wrong passphrase" in str(screen.query_one("#unlock-error", Static).render())
        field = screen.query_one("#passphrase", Input)
        assert field.value == "" and not field.disabled and field.has_focus
        await _type(pilot, "#passphrase", PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)


async def test_without_a_store_it_offers_to_create_one(home: Path, make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)  # the screen looks for the store off the UI thread
        assert "There is no store" in screen_text(app)
        await _type(pilot, "#passphrase", "a new passphrase")
        await pilot.press("enter")  # enter in the first field moves to the second
        assert app.screen.query_one("#confirm", Input).has_focus
        await _type(pilot, "#confirm", "a different one!")
        await pilot.press("enter")
        await pilot.pause()
        assert "differ" in str(app.screen.query_one("#unlock-error", Static).render())
        assert not Store.exists(home)
        await _type(pilot, "#passphrase", "a new passphrase")
        await _type(pilot, "#confirm", "a new passphrase")
        app.screen.query_one("#confirm", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert [engine.name for engine in app.service.engines.list()] == ["aws"]
    assert Store.exists(home)
    Store.open(home, "a new passphrase").close()


async def test_the_store_path_is_shown_literally(tmp_path: Path, make_app: Any) -> None:
    from workbench.tui.app import WorkbenchApp

    home = tmp_path / "[red]x[/red]"
    app = WorkbenchApp(home, "tester", start_worker=False)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        # Interpreted as markup, the tags would vanish from the rendered text.
        intro = app.screen.query_one("#unlock-intro", Static)
        assert "[red]x[/red]" in str(intro.render()).replace("\n", "")
