"""The static roles table: one row per role, its countdown rewritten each second.

A few roles per engine, so a plain DataTable: a reload updates only the cells
that changed, a tick only the countdown column, and the columns are fitted to
the width (cut with an ellipsis, never scrolled sideways).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from rich.text import Text
from textual.dom import DOMNode
from textual.widgets import DataTable

from workbench.domain.durations import format_duration
from workbench.domain.formatting import expires_in, utc_stamp, utc_time
from workbench.domain.models import StaticRole
from workbench.domain.text import printable
from workbench.tui.display import middle_ellipsis, plain
from workbench.tui.lease_table import Column  # width 0: shares what the fixed columns leave
from workbench.tui.theme_colors import theme_style

STEP_NOTES = {
    "claimed": "rotation starting",
    "creating": "rotating: making the new key",
    "deleting": "rotating: deleting the old key",
}
WIDE = 120  # from this width the last rotation shows its date, not only its time
MIN_FLEX = 8
MAX_NAME = 24
MIN_KEY = 10
NOTE_ROOM = 6  # what the note keeps when the names want the room (it is shown in full below)


COLUMNS = (
    Column("name", "Name", 0),
    Column("username", "IAM user", 0),
    Column("access_key_id", "Access key ID", 20),
    Column("period", "Period", 8),
    Column("last_rotated", "Last rotated (UTC)", 19),
    Column("next", "Next in", 7),
    Column("note", "Note", 0),
)
# When even the narrow layout leaves the names too little room, these go first (the
# line under the table still shows the selected role's note in full).
DROP_ORDER = ("last_rotated", "period", "note")


def layout(width: int) -> dict[str, int]:
    """Each shown column's width (text cells; one space follows each) for `width` cells."""
    usable = width - 2  # the table's left padding, and its scrollbar when it has one
    widths = {column.key: column.width for column in COLUMNS}
    if usable < WIDE:
        widths["last_rotated"] = 8
    for key in (None, *DROP_ORDER):
        if key is not None:
            del widths[key]
        flex = [name for name, cells in widths.items() if cells == 0]
        rest = usable - sum(cells + 1 for cells in widths.values() if cells) - len(flex)
        if rest >= MIN_FLEX * len(flex):
            break
    if rest < MIN_FLEX * len(flex):  # narrower still: the key id gives way, its ends kept
        give = min(widths["access_key_id"] - MIN_KEY, MIN_FLEX * len(flex) - rest)
        widths["access_key_id"] -= give
        rest += give
    rest = max(rest, len(flex))
    note_room = NOTE_ROOM if "note" in widths else 0
    widths["name"] = widths["username"] = max(1, min(MAX_NAME, (rest - note_room) // 2))
    if "note" in widths:
        widths["note"] = max(1, rest - 2 * widths["name"])
    return widths


def note(role: StaticRole, node: DOMNode) -> Text:
    """A rotation in progress, or what the last one failed on (in `node`'s theme)."""
    if role.step is not None:
        step = STEP_NOTES.get(role.step, f"rotating ({role.step})")
        return Text(step, style=theme_style(node, "bold $text-warning"))
    if role.error:
        failed = f"last rotation failed: {role.error}"
        return plain(failed, style=theme_style(node, "bold $text-error"))
    return Text("")


def _title(column: Column, width: int) -> Text:
    if column.key == "last_rotated" and width < len(column.title):
        return Text("Rotated")  # the narrow form shows a time of day (UTC)
    return Text(middle_ellipsis(column.title, width))


def _cut(text: Text, width: int) -> Text:
    """`text` in `width` cells, its middle replaced by an ellipsis when it is longer."""
    if text.cell_len <= width:
        return text
    return Text(middle_ellipsis(printable(text.plain), width), style=text.style)


class StaticTable(DataTable[Text]):
    """Row key = the role's name; the cursor stays on a role across reloads and resizes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", cell_padding=0)
        self.roles: dict[str, StaticRole] = {}
        self._widths: dict[str, int] = {}

    @property
    def selected(self) -> StaticRole | None:
        if not self.row_count:
            return None
        name = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self.roles.get(str(name))

    def select(self, name: str | None) -> None:
        if name in self.roles:
            self.move_cursor(row=self.get_row_index(name), animate=False)

    def fit(self, width: int, *, again: bool = False) -> None:
        """Lay the columns out for `width` cells (the pane's); if unchanged, only `again`."""
        if width <= 0:
            return  # a hidden tab: laid out when shown
        widths = layout(width)
        if widths == self._widths and not again:
            return
        self._widths = widths
        # Every cell is cut to its column's new width: rebuild (a resize, a few rows).
        selected = self.selected
        self.clear(columns=True)
        for column in COLUMNS:
            if column.key in widths:
                cells = widths[column.key]
                self.add_column(_title(column, cells), key=column.key, width=cells + 1)
        for name, role in self.roles.items():
            self.add_row(*self._cells(role).values(), key=name)
        self.select(selected.name if selected else None)

    def set_roles(self, roles: Iterable[StaticRole], *, select: str | None = None) -> None:
        """Show `roles` (a reload): rows removed, changed cells updated, new rows added."""
        fresh = {role.name: role for role in roles}
        selected = select or (self.selected.name if self.selected else None)
        previous, self.roles = self.roles, fresh
        if not self._widths:
            return  # not laid out yet (a hidden tab): `fit` fills it
        for name in set(previous) - set(fresh):
            self.remove_row(name)
        added = False
        for name, role in fresh.items():
            cells = self._cells(role)
            if name not in previous:
                self.add_row(*cells.values(), key=name)
                added = True
            elif role != previous[name]:
                for column, value in cells.items():
                    self.update_cell(name, column, value)
        if added:
            self.sort("name", key=lambda cell: cell.plain)
        self.select(selected)

    def show_countdowns(self) -> None:
        """Rewrite the countdown column only (once a second while shown)."""
        if "next" in self._widths:
            for name, role in self.roles.items():
                self.update_cell(name, "next", _cut(self._countdown(role), self._widths["next"]))

    def _cells(self, role: StaticRole) -> dict[str, Text]:
        """The role's cells for the shown columns, each cut to its width."""
        values = {
            "name": plain(role.name),
            "username": plain(role.username),
            "access_key_id": plain(role.access_key_id or "-"),
            "period": Text(format_duration(role.rotation_period)),
            "last_rotated": Text(self._rotated_at(role)),
            "next": self._countdown(role),
            "note": note(role, self),
        }
        return {key: _cut(values[key], width) for key, width in self._widths.items()}

    def _rotated_at(self, role: StaticRole) -> str:
        if role.last_rotated is None:
            return "never"
        if self._widths.get("last_rotated", 0) >= len(utc_stamp(0)):
            return utc_stamp(role.last_rotated)
        return utc_time(role.last_rotated)

    def _countdown(self, role: StaticRole) -> Text:
        if role.step is not None:
            return Text("now", style=theme_style(self, "bold $text-warning"))
        clock = getattr(self.app, "clock", time.time)
        remaining = role.next_rotation - clock()
        if remaining <= 0:
            return Text("due", style=theme_style(self, "bold $text-warning"))
        return Text(expires_in(remaining), style="bold" if remaining <= 60 else "")
