"""The command palette's entries: every action of every pane, plus engine switching."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from workbench.domain.text import printable
from workbench.tui.key_reference import key_display

if TYPE_CHECKING:
    from workbench.tui.app import WorkbenchApp


class WorkbenchCommands(Provider):
    """Offers the workbench's actions by name (ctrl+p), taken from the panes' own bindings.

    Nothing here calls the service: the engines to switch to are the ones the
    app last read (off the UI thread).
    """

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        from workbench.tui.main_screen import MainScreen
        from workbench.tui.panes import PANES

        screen = self.screen
        if not isinstance(screen, MainScreen):
            return []
        app = cast("WorkbenchApp", self.app)
        commands: list[tuple[str, str, Callable[[], object]]] = [
            (
                f"Show the {pane.PANE_TITLE} pane",
                f"key {pane.PANE_KEY}",
                partial(screen.action_show_pane, pane.PANE_ID),
            )
            for pane in PANES
        ]
        for pane in PANES:
            for binding in pane.BINDINGS:
                if isinstance(binding, Binding) and binding.tooltip:
                    commands.append(
                        (
                            binding.tooltip,
                            f"{pane.PANE_TITLE} pane, key {', '.join(key_display(app, binding))}",
                            partial(screen.pane_action, pane.PANE_ID, binding.action),
                        )
                    )
            commands += [
                (
                    title,
                    f"{pane.PANE_TITLE} pane: {help_text}",
                    partial(screen.pane_action, pane.PANE_ID, action),
                )
                for action, title, help_text in pane.PALETTE_ONLY
            ]
        commands += [
            (
                f"Switch to engine {printable(name)}",
                "Every pane acts on it",
                partial(setattr, app, "engine", name),
            )
            for name in app.engine_names
            if name != app.engine
        ]
        commands += [
            (
                "Explain panel",
                "What this pane shows and what just happened (key ?)",
                screen.action_toggle_trainee,
            ),
            ("Help", "Every pane and key (f1)", app.action_help),
        ]
        return commands

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
