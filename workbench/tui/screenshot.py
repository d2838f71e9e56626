"""The palette's Screenshot: saved into a folder that exists, and the notification says where.

Textual saves into the platform's downloads folder and, when that folder does
not exist (a server, a container, a fresh account), only says "Failed to save
screenshot". Here the folder is the downloads folder if it exists, else the
current folder, else the store's home: nothing is created but the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events

from workbench.tui.display import say

if TYPE_CHECKING:
    from textual.app import App

    _Base = App[None]
else:
    _Base = object  # a mixin of WorkbenchApp


def screenshot_folder(home: Path) -> Path:
    """The first writable folder of: the platform's downloads folder, the current one, `home`."""
    import platformdirs  # deferred: only a screenshot needs it

    for folder in (platformdirs.user_downloads_path(), Path.cwd(), Path(home)):
        if folder.is_dir() and os.access(folder, os.W_OK | os.X_OK):
            return folder.resolve()
    return Path(home).resolve()


class ScreenshotDelivery(_Base):
    """WorkbenchApp's screenshots: the folder picked as above, its full path in the message."""

    home: Path

    def deliver_screenshot(
        self,
        filename: str | None = None,
        path: str | None = None,
        time_format: str | None = None,
    ) -> str | None:
        folder = Path(path) if path else screenshot_folder(self.home)
        self._screenshot_folder = folder
        return super().deliver_screenshot(filename, str(folder), time_format)

    def on_delivery_complete(self, event: events.DeliveryComplete) -> None:
        if event.name != "screenshot":
            return
        event.prevent_default()  # Textual's own message would show the path as markup
        where = str(event.path) if event.path else "your browser's downloads"
        say(self, f"Saved the screenshot to {where}", title="Screenshot")

    def on_delivery_failed(self, event: events.DeliveryFailed) -> None:
        if event.name != "screenshot":
            return
        event.prevent_default()
        folder = getattr(self, "_screenshot_folder", None)
        say(
            self,
            f"Could not save the screenshot in {folder}: {event.exception}",
            title="Screenshot",
            severity="error",
        )
