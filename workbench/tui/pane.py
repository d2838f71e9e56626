"""What every pane shares: its place in the registry, its service, and one way to call it.

A pane never calls the service on the UI thread: `call_service` runs the call
in a thread worker and hands the result back to the UI thread (a failure is
shown as a notification naming what was being done).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from workbench.tui.display import show_error
from workbench.tui.theme_colors import follow_theme

if TYPE_CHECKING:
    from textual.timer import Timer
    from textual.widget import Widget

    from workbench.service import Workbench
    from workbench.tui.app import WorkbenchApp

    _Base = Widget
else:
    _Base = object  # a mixin: the pane's own container class gives it its CSS and layout

T = TypeVar("T")


class Pane(_Base):
    """A main-screen pane, mixed into its container; `workbench.tui.panes.PANES` lists them."""

    PANE_ID: ClassVar[str]
    PANE_KEY: ClassVar[str]
    PANE_TITLE: ClassVar[str]
    PANE_FOCUS: ClassVar[str]  # the selector focused when the pane is shown
    PANE_WIDGET_ID: ClassVar[str]
    PANE_HELP: ClassVar[str]  # what the pane shows, for the trainee panel and f1
    # Palette entries for actions that have no key: (action, title, help).
    PALETTE_ONLY: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    debounce_seconds: ClassVar[float] = 0.3  # tests set 0: at once, on the next loop turn
    _debounce_timer: Timer | None = None

    def debounce(self, callback: Callable[[], object]) -> None:
        """Run `callback` once typing pauses for `debounce_seconds` (a newer call replaces it)."""
        if self._debounce_timer is not None:
            self._debounce_timer.stop()
            self._debounce_timer = None
        if self.debounce_seconds <= 0:
            self.call_after_refresh(callback)
        else:
            self._debounce_timer = self.set_timer(self.debounce_seconds, callback)

    def confirm_then(
        self, title: str, question: str, act: Callable[[], object], *, yes_label: str
    ) -> None:
        """Ask `question` in a ConfirmScreen; `act()` (a thread worker) runs only on yes."""
        from workbench.tui.confirm import ConfirmScreen

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                act()

        self.app.push_screen(ConfirmScreen(title, question, yes_label=yes_label), answered)

    def on_mount(self) -> None:
        follow_theme(self, self.theme_changed)

    def theme_changed(self) -> None:
        """The theme changed: a pane whose table cells carry theme_style colours makes them again.

        (CSS colours and `themed` text follow by themselves.)
        """

    @property
    def wb(self) -> WorkbenchApp:
        return cast("WorkbenchApp", self.app)

    @property
    def service(self) -> Workbench:
        return self.wb.service

    @property
    def engine(self) -> str:
        """The engine every pane acts on (switched in the Engines pane or the palette)."""
        return self.wb.engine

    def take_focus_if_shown(self) -> None:
        """Focus the pane's PANE_FOCUS widget if the pane is shown and focus is elsewhere.

        For a pane whose widgets fill in after a load: focusing them before it
        may not take (an empty select), and rebuilding them drops focus.
        """
        from textual.widgets import TabbedContent

        tabs = self.screen.query(TabbedContent)
        if not tabs or tabs.first().active != self.PANE_ID:
            return
        focused = self.app.focused
        if focused is None or self not in focused.ancestors_with_self:
            for widget in self.query(self.PANE_FOCUS):
                widget.focus()

    def call_service(
        self,
        call: Callable[[Workbench], T],
        then: Callable[[T], object],
        *,
        doing: str,
        group: str | None = None,
    ) -> None:
        """Run `call(service)` off the UI thread, then `then(result)` on it.

        `doing` names the work for the error notification ("Reading the roles").
        """
        service = self.service

        def job() -> None:
            try:
                result = call(service)
            except Exception as error:
                self.app.call_from_thread(show_error, self, error, f"{doing} failed")
                return
            self.app.call_from_thread(then, result)

        self.run_worker(
            job,
            thread=True,
            group=group or f"{self.PANE_ID}-call",
            exit_on_error=False,
            description=doing,
        )
