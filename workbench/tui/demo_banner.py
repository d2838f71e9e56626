"""The demo's banner: the embedded AWS's endpoint, and a command to try in another terminal."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from workbench.tui.display import plain

if TYPE_CHECKING:
    from workbench.tui.app import DemoInfo

COMPACT_WIDTH, COMPACT_HEIGHT = 100, 30  # below either, the banner drops its notes


class DemoBanner(Static):
    """Says the app runs on an embedded AWS, and how to reach it from another terminal.

    The command is broken between its arguments only (one per line), so it reads
    whole at 80 columns; `y` copies it on one line.
    """

    def __init__(self, demo: DemoInfo) -> None:
        self.demo = demo
        self.example = demo.example
        self._compact = False
        super().__init__(self._text(), id="demo-banner")

    def on_resize(self) -> None:
        """A small terminal keeps the endpoint and the command (the notes are in `?`).

        Judged by the terminal's size, not the banner's: opening a side panel
        must not change what the banner says."""
        width, height = self.app.size
        compact = width < COMPACT_WIDTH or height < COMPACT_HEIGHT
        if compact != self._compact:
            self._compact = compact
            self.update(self._text())

    def _text(self) -> Text:
        text = Text()
        text.append("DEMO", style="bold")
        text.append(plain(f"  embedded AWS (moto) at {self.demo.endpoint}"))
        if not self._compact:
            for note in self.demo.notes:
                text.append(plain(f"\n{note}"))
        if self.example:
            text.append("\nTry in another terminal (y copies it):\n", style="bold")
            text.append(plain(" \\\n  ".join(_arguments(self.example))))
        return text

    def show_example(self, example: str) -> None:
        """Show a new trainee command (the last key ran low or was revoked)."""
        if example and example != self.example:
            self.example = example
            self.update(self._text())


def _arguments(command: str) -> list[str]:
    """The trainee command's lines: each NAME=value, then `aws` and its options, then the call."""
    words = command.split()
    lines = []
    while words and _ASSIGNMENT.fullmatch(words[0]):
        lines.append(words.pop(0))
    call = words.index("sts") if "sts" in words[1:] else len(words)
    lines += [" ".join(part) for part in (words[:call], words[call:]) if part]
    return lines


_ASSIGNMENT = re.compile(r"[A-Z_][A-Z0-9_]*=\S*")
