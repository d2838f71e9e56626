"""The main screen's footer: Textual's, rebuilt only when the keys it shows change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Footer as TextualFooter

if TYPE_CHECKING:
    from textual.screen import Screen


class Footer(TextualFooter):
    """Textual's Footer, except that it is rebuilt once for a burst of binding changes, and
    only if the keys it would show changed.

    Textual rebuilds the footer for each `refresh_bindings` (the screen resuming,
    focus set, then the same again after a refresh): five times before the main
    screen's first paint, each 20-45 ms of CSS work on the UI thread for its 16
    keys, the same keys every time. Here a change schedules one check unless one
    is pending; the check reads the bindings when it runs and rebuilds if they
    differ from the ones shown, so the footer always ends showing the current keys.
    """

    _check_pending = False
    _shown: tuple[Any, ...] | None = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._check_pending:
            self._check_pending = True
            self.call_after_refresh(self._rebuild_if_changed)

    async def _rebuild_if_changed(self) -> None:
        self._check_pending = False  # a change from here on schedules another check
        shown = (
            self.show_command_palette,
            *(
                (key, active.binding, active.enabled, active.tooltip)
                for key, active in self.screen.active_bindings.items()
            ),
        )
        if shown != self._shown:
            self._shown = shown
            await self.recompose()
