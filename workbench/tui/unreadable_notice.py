"""A red line above the lease table naming the lease rows the store set aside as unreadable."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

from workbench.domain.text import printable
from workbench.tui.display import error_text, plain

if TYPE_CHECKING:
    from workbench.domain.models import UnreadableLease
    from workbench.service import Workbench

TOOLTIP_ROWS = 20


def read_unreadable(service: Workbench) -> tuple[list[UnreadableLease], str]:
    """The unreadable lease rows, and what went wrong if even that listing failed."""
    try:
        return service.leases.unreadable(), ""
    except Exception as error:  # shown in the notice, not raised: the healthy leases still load
        return [], error_text(error)


class UnreadableNotice(Static):
    """Hidden while every lease row reads; else how many do not, the first one's error."""

    DEFAULT_CSS = """
    UnreadableNotice {
        color: $error;
        text-style: bold;
        height: auto;
        display: none;
    }
    UnreadableNotice.-shown {
        display: block;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.rows: list[UnreadableLease] = []
        self.problem = ""

    def show(self, rows: list[UnreadableLease], problem: str = "") -> None:
        """Show `rows` (set aside, not revoked) or `problem` (the listing itself failed)."""
        if not (rows or problem or self.rows or self.problem):
            return  # still nothing to show: an update would lay out the whole screen again
        self.rows, self.problem = rows, problem
        self.set_class(bool(rows or problem), "-shown")
        if problem:
            self.update(plain(f"Cannot check for unreadable lease rows: {problem}"))
            self.tooltip = None
            return
        if not rows:
            self.update("")
            self.tooltip = None
            return
        first = rows[0]
        self.update(
            plain(
                f"{len(rows)} lease row(s) cannot be read and are set aside, not revoked "
                f"(`workbench lease list` shows them). First: {first.lease_id}: {first.error}"
            )
        )
        lines = [f"{row.lease_id} ({row.stored_state}): {row.error}" for row in rows]
        if len(lines) > TOOLTIP_ROWS:
            lines = [*lines[:TOOLTIP_ROWS], f"... and {len(lines) - TOOLTIP_ROWS} more"]
        self.tooltip = printable("\n".join(lines), keep_newlines=True)
