"""A table whose columns always fit its width, so there is nothing to scroll sideways to.

Fixed columns keep their width and flexible ones share what is left, by weight;
when the flexible ones would fall under their least, the columns named droppable
go, in order. A cell wider than its column is cut with an ellipsis (in its
middle for ids and paths, which differ at the end; at its end for prose), and
Enter asks for the row in full (the pane opens a detail view), so a cut value is
one key away.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from workbench.tui.display import middle_ellipsis

LAYOUT_WIDTH = 80  # the columns before the table has a size (a pane not shown yet)


@dataclass(frozen=True)
class FitColumn:
    key: str
    title: str
    width: int = 0  # cells; 0: flexible, sharing what the fixed columns leave
    least: int = 8  # a flexible column's narrowest
    weight: int = 1  # a flexible column's share of the room
    middle: bool = False  # cut in the middle (ids, paths), not at the end


def fit_widths(
    columns: Iterable[FitColumn], width: int, *, padding: int, drop: Iterable[str] = ()
) -> dict[str, int]:
    """Each shown column's width (in order) in `width` cells; each also takes `padding`."""
    shown = list(columns)
    for key in (None, *drop):
        shown = [column for column in shown if column.key != key]
        flexible = [column for column in shown if not column.width]
        room = width - sum(column.width + padding for column in shown)
        if room >= sum(column.least for column in flexible):
            break
    flexible_widths = _share(room, flexible)
    return {column.key: column.width or flexible_widths[column.key] for column in shown}


def _share(room: int, flexible: list[FitColumn]) -> dict[str, int]:
    """`room` shared by weight; a column whose share is under its least gets its least."""
    widths: dict[str, int] = {}
    rest = list(flexible)
    while rest:
        weights = sum(column.weight for column in rest)
        small = [column for column in rest if room * column.weight // weights < column.least]
        if not small:
            break
        for column in small:
            widths[column.key] = column.least
            room -= column.least
        rest = [column for column in rest if column not in small]
    weights = sum(column.weight for column in rest) or 1
    for column in rest:
        widths[column.key] = room * column.weight // weights
    if rest:  # the rounding's leftover goes to the last
        widths[rest[-1].key] += room - sum(widths[column.key] for column in rest)
    return widths


def cut(text: Text, width: int, *, middle: bool = False) -> Text:
    """`text` in `width` cells: as it is if it fits, else cut with an ellipsis."""
    if text.cell_len <= width:
        return text
    if middle:
        return Text(middle_ellipsis(text.plain, width), style=text.style)
    shortened = text.copy()
    shortened.truncate(width, overflow="ellipsis")
    return shortened


class FittedTable(DataTable[Text]):
    """Rows of named cells; the table keeps every cell, shown or not, to lay out again."""

    BINDINGS = [
        Binding(
            "enter",
            "select_cursor",
            "Details",
            id="table.details",
            tooltip="Show the selected row in full (cut values end in …)",
        ),
    ]

    def __init__(
        self, columns: tuple[FitColumn, ...], *, drop: tuple[str, ...] = (), id: str | None = None
    ) -> None:
        super().__init__(id=id, cursor_type="row")
        self.fit_columns = columns
        self.drop = drop
        self.widths: dict[str, int] = {}
        self._cells: dict[str, dict[str, Text]] = {}

    def on_mount(self) -> None:
        self._lay_out(LAYOUT_WIDTH)

    def on_resize(self) -> None:
        # The vertical scrollbar's room is kept whether it shows or not: a table that
        # fills up must not be laid out again (nor one that empties).
        self._lay_out(self.size.width - self.styles.scrollbar_size_vertical)

    def put(self, key: str, cells: dict[str, Text]) -> None:
        """Add a row: every column's cell, by column key (the hidden ones are kept too)."""
        self._cells[key] = cells
        self.add_row(*self._shown(cells), key=key)

    def _shown(self, cells: dict[str, Text]) -> list[Text]:
        """The row's cells for the columns shown, each cut to its column."""
        return [
            cut(cells[column.key], self.widths[column.key], middle=column.middle)
            for column in self.fit_columns
            if column.key in self.widths
        ]

    def remove_row(self, row_key: object) -> None:
        self._cells.pop(str(getattr(row_key, "value", row_key)), None)
        super().remove_row(row_key)  # type: ignore[arg-type]

    def clear(self, columns: bool = False) -> FittedTable:
        self._cells.clear()
        super().clear(columns)
        return self

    @property
    def cursor_key(self) -> str | None:
        """The row the cursor is on."""
        if not self.row_count:
            return None
        return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)

    def _lay_out(self, width: int) -> None:
        if width <= 0:
            return  # hidden: laid out when shown
        padding = 2 * self.cell_padding
        widths = fit_widths(self.fit_columns, width, padding=padding, drop=self.drop)
        if widths == self.widths:
            return
        self.widths = widths
        selected = self.cursor_key
        super().clear(columns=True)  # the cells stay in self._cells
        for column in self.fit_columns:
            if column.key in widths:
                title = cut(Text(column.title), widths[column.key])
                self.add_column(title, key=column.key, width=widths[column.key])
        for key, cells in self._cells.items():
            self.add_row(*self._shown(cells), key=key)
        if selected is not None:
            self.move_cursor(row=self.get_row_index(selected), animate=False)
