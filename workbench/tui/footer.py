"""The main screen's footer: Textual's, recomposed once for a burst of binding changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Footer as TextualFooter

if TYPE_CHECKING:
    from textual.screen import Screen


class Footer(TextualFooter):
    """Textual's Footer, except that a burst of binding changes recomposes it once.

    Textual recomposes the footer for each `refresh_bindings` (the screen
    resuming, focus moving, a focus restored): five times before the main
    screen's first paint, each ~20 ms of CSS work on the UI thread for its 16
    keys. Here a change schedules one recompose unless one is pending; it reads
    the bindings when it runs, so the last state is the one shown, as before.
    """

    _recompose_pending = False

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._recompose_pending:
            self._recompose_pending = True
            self.call_after_refresh(self._recompose_bindings)

    async def _recompose_bindings(self) -> None:
        self._recompose_pending = False  # a change from here on schedules another
        await self.recompose()
