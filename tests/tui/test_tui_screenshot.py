"""The palette's Screenshot: saved into a folder that exists, and the message says where."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import platformdirs
import pytest
import textual.app
from textual.command import CommandList

from tests.tui.conftest import SIZE
from tests.tui.tui_helpers import settle, wait_until


async def screenshot_from_the_palette(app: Any, pilot: Any) -> str:
    """Run the palette's Screenshot; the notification it ends with."""
    await settle(pilot)
    before = len(app._notifications)
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*"screenshot")
    await wait_until(pilot, lambda: app.screen.query_one(CommandList).option_count > 0)
    await pilot.press("enter")
    await wait_until(pilot, lambda: len(app._notifications) > before)
    note = list(app._notifications)[-1]
    assert note.severity == "information", note.message
    return str(note.message)


@pytest.fixture
def downloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The platform's downloads folder, as platformdirs (and Textual) name it; not made."""
    folder = tmp_path / "Downloads"
    monkeypatch.setattr(platformdirs, "user_downloads_path", lambda: folder)
    monkeypatch.setattr(textual.app, "user_downloads_path", lambda: folder)
    return folder


async def test_without_a_downloads_folder_the_screenshot_goes_to_the_current_one(
    tui_service: Any, make_app: Any, downloads: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    app = make_app(tui_service)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        message = await screenshot_from_the_palette(app, pilot)
    [saved] = here.glob("*.svg")
    assert message == f"Saved the screenshot to {saved}"  # the full path, as it is
    assert "<svg" in saved.read_text(encoding="utf-8")
    assert not downloads.exists()  # nothing made that the user did not ask for


async def test_the_downloads_folder_is_used_when_it_exists(
    tui_service: Any, make_app: Any, downloads: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    downloads.mkdir()
    monkeypatch.chdir(tmp_path)
    app = make_app(tui_service)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        message = await screenshot_from_the_palette(app, pilot)
    [saved] = downloads.glob("*.svg")
    assert message == f"Saved the screenshot to {saved}"
