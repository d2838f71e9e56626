"""The live lease table: rows drawn on demand, so 10,000 leases cost what a screenful does.

Each line is rendered when Textual asks for it (the line API, as Toolong draws
its log lines); "expires in" is computed from `expire_time` at that moment, so a
countdown tick is one `refresh()` of the visible region, whatever the row count.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.color import Color
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from workbench.domain.formatting import expires_in, utc_time
from workbench.domain.models import Lease
from workbench.domain.text import printable
from workbench.tui.display import middle_ellipsis, urgency
from workbench.tui.lease_rows import Rows, View, arrange, rows_of
from workbench.tui.theme_colors import readable


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int  # 0: takes the width left over


COLUMNS = (
    Column("lease_id", "Lease ID", 0),
    Column("engine", "Engine", 8),
    Column("role", "Role", 14),
    Column("credential_type", "Type", 16),
    Column("access_key_id", "Access key ID", 20),
    Column("issue_time", "Issued (UTC)", 12),
    Column("expire_time", "Expires in", 12),
    Column("state", "State", 11),
    Column("issued_by", "Issued by", 10),
)
MIN_ID_WIDTH = 32
# When the table is narrow (a side panel is open), these go first, in this order.
DROP_ORDER = ("issued_by", "engine", "issue_time", "access_key_id", "credential_type", "role")


class LeaseTable(ScrollView, can_focus=True):
    """One row per live lease; the cursor follows a lease id across reloads."""

    COMPONENT_CLASSES = {
        "lease-table--header",
        "lease-table--cursor",
        "lease-table--ok",
        "lease-table--soon",
        "lease-table--urgent",
        "lease-table--pending",
        "lease-table--propagating",
        "lease-table--active",
        "lease-table--revoking",
        "lease-table--irrevocable",
        "lease-table--empty",
    }

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="lease-table.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="lease-table.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="lease-table.page-up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="lease-table.page-down"),
        Binding("home", "jump(0)", "First", show=False, id="lease-table.first"),
        Binding("end", "jump(-1)", "Last", show=False, id="lease-table.last"),
    ]

    class Highlighted(Message):
        """The cursor moved to another lease (or to none)."""

        def __init__(self, lease: Lease | None) -> None:
            super().__init__()
            self.lease = lease

    class Opened(Message):
        """A lease row was double-clicked: show that lease in full."""

        def __init__(self, lease: Lease) -> None:
            super().__init__()
            self.lease = lease

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._data = rows_of((), View())
        self._leases: dict[str, Lease] = {}
        self._rows: list[Lease] = []
        self._positions: dict[str, int] = {}
        self._cursor = 0
        self._cursor_id: str | None = None
        self._styles: dict[str, Style] | None = None
        self.filter_text = ""
        self.sort_column = "expire_time"
        self.sort_reverse = False
        self.empty_message = "No live leases. Press i to issue one."

    # -- data ------------------------------------------------------------------

    @property
    def rows(self) -> list[Lease]:
        """The leases shown, filtered and sorted, top to bottom."""
        return self._rows

    @property
    def loaded(self) -> Iterable[Lease]:
        """Every live lease loaded, whatever the filter shows."""
        return self._leases.values()

    @property
    def selected(self) -> Lease | None:
        return self._rows[self._cursor] if self._rows else None

    @property
    def lease_count(self) -> int:
        return len(self._leases)

    @property
    def arranged(self) -> Rows:
        """The leases as shown now (a loader reuses the ones that did not change)."""
        return self._data

    @property
    def view(self) -> View:
        """The filter and the sort: what a loader needs to arrange rows off the UI thread."""
        return View(self.filter_text, self.sort_column, self.sort_reverse)

    def set_leases(self, leases: Iterable[Lease]) -> None:
        """Replace every lease (a reload); the cursor stays on the same lease id."""
        self.show_rows(rows_of(leases, self.view))

    def show_rows(self, rows: Rows) -> None:
        """Show leases a loader arranged in its thread (`rows_of(leases, table.view)`), so
        a reload costs the UI thread a swap; arranged again if the view changed since."""
        if rows.view != self.view:
            rows = arrange(rows.leases, self.view, rows.search)
        self._show(rows)

    def set_filter(self, text: str) -> None:
        self.filter_text = text.strip().lower()
        self._arrange()

    def sort_by(self, column: str) -> None:
        """Sort by `column`; choosing the current column again reverses the order."""
        if column == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column, False
        self._arrange()

    def select(self, lease_id: str) -> bool:
        """Move the cursor to `lease_id` if it is shown."""
        position = self._positions.get(lease_id)
        if position is None:
            return False
        self._move_to(position)
        return True

    def _arrange(self) -> None:
        self._show(arrange(self._leases, self.view, self._data.search))

    def _show(self, rows: Rows) -> None:
        self._data = rows
        self._leases, self._rows, self._positions = rows.leases, rows.shown, rows.positions
        previous = self._cursor_id
        position = self._positions.get(previous) if previous else None
        self._cursor = position if position is not None else min(self._cursor, len(self._rows) - 1)
        self._cursor = max(self._cursor, 0)
        self._size_rows()
        current = self.selected
        self._cursor_id = current.lease_id if current else None
        if self._cursor_id != previous:
            self.post_message(self.Highlighted(current))
        self._scroll_to_cursor()
        self.refresh()

    # -- cursor ----------------------------------------------------------------

    @property
    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _move_to(self, position: int) -> None:
        if not self._rows:
            return
        position = max(0, min(position, len(self._rows) - 1))
        changed = position != self._cursor
        self._cursor = position
        self._cursor_id = self._rows[position].lease_id
        self._scroll_to_cursor()
        self.refresh()
        if changed:
            self.post_message(self.Highlighted(self._rows[position]))

    def _scroll_to_cursor(self) -> None:
        top = int(self.scroll_offset.y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + self._page_height:
            self.scroll_to(y=self._cursor - self._page_height + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self._move_to(self._cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move_to(self._cursor + direction * self._page_height)

    def action_jump(self, position: int) -> None:
        self._move_to(position if position >= 0 else len(self._rows) - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            column = self._column_at(offset.x)
            if column:
                self.sort_by(column)
            return
        position = int(self.scroll_offset.y) + offset.y - 1
        self._move_to(position)
        if event.chain >= 2 and position < len(self._rows):
            self.post_message(self.Opened(self._rows[position]))

    def on_resize(self, event: events.Resize) -> None:
        self._size_rows()

    def _size_rows(self) -> None:
        # Columns are fitted to the width at each paint: there is never anything to
        # scroll sideways to (a width here let a resize show a stray scrollbar).
        self.virtual_size = Size(0, len(self._rows) + 1)

    # -- drawing ---------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None

    def _style(self, name: str) -> Style:
        """Component styles and the widget's own (`base`), computed once per style change."""
        if self._styles is None:
            _, background = self.background_colors
            self._styles = {
                component: self._component_style(component, background)
                for component in self.COMPONENT_CLASSES
            }
            self._styles["base"] = self.rich_style  # walks the ancestors: too slow per line
        return self._styles[name]

    def _component_style(self, component: str, background: Color) -> Style:
        """A component's own rules as a Rich style, its colours as drawn over `background`.

        A partial Rich style leaves out what Textual works out against the
        background: `$text-muted` is `auto 60%`, which came out white (white on a
        light theme's grey), and a translucent colour lost its alpha. A colour
        that falls short of WCAG AA there is made readable (theme_colors).
        """
        styles = self.get_component_styles(component)
        behind = background + styles.background if styles.has_rule("background") else background
        color = None
        if styles.has_rule("color"):
            color = styles.color
            if styles.has_rule("auto_color") and styles.auto_color:
                color = behind.get_contrast_text(color.a)
            color = readable(color, behind)
        return styles.text_style + Style(
            color=color.rich_color if color else None,
            bgcolor=behind.rich_color if styles.has_rule("background") else None,
        )

    def _layout(self, width: int) -> list[tuple[Column, int]]:
        """The columns that fit in `width`, each with its width; the lease id takes the rest."""
        columns = list(COLUMNS)
        for key in DROP_ORDER:
            fixed = sum(column.width + 1 for column in columns if column.width)
            if width - fixed - 1 >= MIN_ID_WIDTH:
                break
            columns = [column for column in columns if column.key != key]
        fixed = sum(column.width + 1 for column in columns if column.width)
        rest = max(MIN_ID_WIDTH, width - fixed - 1)
        return [(column, column.width or rest) for column in columns]

    def _column_at(self, x: int) -> str | None:
        left = 0
        for column, width in self._layout(self.size.width):
            if left <= x < left + width + 1:
                return column.key
            left += width + 1
        return None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self._style("base")
        if y == 0:
            return self._header(width, base)
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self._rows):
            if index == 0 and not self._rows:
                text = (
                    self.empty_message if not self.filter_text else "No lease matches the filter."
                )
                empty = base + self._style("lease-table--empty")
                return Strip([Segment(f" {text}", empty)]).adjust_cell_length(width, base)
            return Strip.blank(width, base)
        return self._row(self._rows[index], index == self._cursor, width, base)

    def _header(self, width: int, base: Style) -> Strip:
        style = base + self._style("lease-table--header")
        segments = []
        layout = self._layout(width)
        for column, cell_width in layout:
            title = column.title
            if column.key == self.sort_column:
                title += " ▼" if self.sort_reverse else " ▲"
            segments.append(Segment(title[:cell_width].ljust(cell_width + 1), style))
        return _fit(segments, sum(cell_width + 1 for _column, cell_width in layout), width, style)

    def _row(self, lease: Lease, selected: bool, width: int, base: Style) -> Strip:
        clock = getattr(self.app, "clock", time.time)
        remaining = lease.expire_time - clock()
        values = {
            "lease_id": printable(lease.lease_id),
            "engine": printable(lease.engine),
            "role": printable(lease.role),
            "credential_type": lease.credential_type.value,
            "access_key_id": printable(lease.access_key_id or "-"),
            "issue_time": utc_time(lease.issue_time),
            "issued_by": printable(lease.issued_by or "-"),
            "expire_time": expires_in(remaining),
            "state": lease.state.value,
        }
        styles = dict.fromkeys(values, base)
        styles["expire_time"] = base + self._style(f"lease-table--{urgency(remaining)}")
        state_class = f"lease-table--{lease.state.value}"
        if state_class in self.COMPONENT_CLASSES:
            styles["state"] = base + self._style(state_class)
        if selected:
            cursor = self._style("lease-table--cursor")
            styles = {key: style + cursor for key, style in styles.items()}
            base = base + cursor
        layout = self._layout(width)
        segments = [
            Segment(
                middle_ellipsis(values[column.key], cell_width).ljust(cell_width) + " ",
                styles[column.key],
            )
            for column, cell_width in layout
        ]
        return _fit(segments, sum(cell_width + 1 for _column, cell_width in layout), width, base)


def _fit(segments: list[Segment], length: int, width: int, style: Style) -> Strip:
    """One strip exactly `width` cells wide (cells are one column each: ASCII and '…').

    Building a single Strip per line, with its length given, matters: a Strip is
    not cheap to make and every visible line is redrawn each second.
    """
    if length < width:
        segments.append(Segment(" " * (width - length), style))
        return Strip(segments, width)
    strip = Strip(segments, length)
    return strip.crop(0, width) if length > width else strip
