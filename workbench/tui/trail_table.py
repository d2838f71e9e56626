"""A lease's AWS calls as a table: newest first, flagged calls in bold, cut to the width.

Columns take what their cells need, up to a cap; when the width is short they
are cut in a fixed order (the user agent first) and end in an ellipsis, so the
table never overflows the dialog.
"""

from __future__ import annotations

import time

from rich.console import RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from workbench.domain.formatting import utc_stamp, utc_time
from workbench.domain.text import printable
from workbench.domain.trail import TrailEvent

TRAIL_ROWS = 200  # the newest calls shown; the status line says how many there are in all

# The trail's columns: title, the most a cell may take, the least it is cut to (in the
# order they are cut when the width is short: the user agent first, the time never).
TRAIL_COLUMNS = (
    ("Time (UTC)", 19, 19),
    ("Service", 10, 3),
    ("Action", 28, 12),
    ("Result", 22, 8),
    ("Source IP", 15, 7),
    ("User agent", 200, 8),
    ("Flags", 30, 11),
)
CUT_ORDER = ("User agent", "Service", "Source IP", "Action", "Result", "Flags")


def column_widths(cells: list[list[str]], width: int) -> list[int]:
    """Each column's width: what its cells need (capped), cut in CUT_ORDER to fit `width`.

    The user agent takes whatever is left over, so the table is exactly `width` wide.
    """
    titles = [title for title, _most, _least in TRAIL_COLUMNS]
    wanted = {
        title: min(most, max([len(title), *(len(row[index]) for row in cells)]))
        for index, (title, most, _least) in enumerate(TRAIL_COLUMNS)
    }
    least = {title: min(floor, wanted[title]) for title, _most, floor in TRAIL_COLUMNS}
    room = max(len(titles), width - (len(titles) - 1))  # one space between columns
    excess = sum(wanted.values()) - room
    for title in CUT_ORDER:
        if excess <= 0:
            break
        cut = min(excess, wanted[title] - least[title])
        wanted[title] -= cut
        excess -= cut
    if excess < 0:
        wanted["User agent"] -= excess
    return [wanted[title] for title in titles]


class TrailView(Static):
    """A lease's AWS calls, newest first; columns end in an ellipsis rather than overflow."""

    COMPONENT_CLASSES = {"trail-view--flag", "trail-view--refused", "trail-view--empty"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._events: list[TrailEvent] = []
        self._now = 0.0
        self._drawn_width = -1

    def show(self, events: list[TrailEvent], now: float) -> None:
        self._events, self._now = events, now
        self._draw()

    def on_resize(self) -> None:
        if self.size.width != self._drawn_width:
            self._draw()

    def _draw(self) -> None:
        self._drawn_width = self.size.width
        if not self._events:
            style = self.get_component_rich_style("trail-view--empty")
            self.update(Text("No calls recorded yet.", style=style))
            return
        self.update(self._table(self._events[-TRAIL_ROWS:], self.size.width or 80))

    def _table(self, events: list[TrailEvent], width: int) -> RenderableType:
        flagged = self.get_component_rich_style("trail-view--flag")
        refused = self.get_component_rich_style("trail-view--refused")
        today = time.gmtime(self._now)[:3]
        cells = [
            [
                utc_time(event.time)
                if time.gmtime(event.time)[:3] == today
                else utc_stamp(event.time),
                printable(event.service),
                printable(event.action),
                printable(event.result),
                printable(event.source_ip or "-"),
                printable(event.user_agent or "-"),
                ", ".join(event.flags),
            ]
            for event in reversed(events)
        ]
        table = Table(
            box=None, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0), header_style="bold"
        )
        for (title, _most, _least), size in zip(
            TRAIL_COLUMNS, column_widths(cells, width), strict=True
        ):
            table.add_column(title, width=size, no_wrap=True, overflow="ellipsis")
        for event, row in zip(reversed(events), cells, strict=True):
            texts = [Text(cell) for cell in row]
            if event.error_code:
                texts[3].stylize(refused)
            texts[6].stylize(flagged)
            table.add_row(*texts, style=Style(bold=True) if event.flags else None)
        return table
