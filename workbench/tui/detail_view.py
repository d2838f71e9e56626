"""One row of a table in full (an audit entry, an IAM user): what its cut cells hold.

Enter on the audit stream or the IAM view opens it; it scrolls when the screen
is small, and copies what it shows as text.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from workbench.tui.display import plain, say
from workbench.tui.lease_detail import FieldList


class DetailScreen(ModalScreen[None]):
    """A title, the row's fields (or a renderable such as JSON), and how to copy them."""

    BINDINGS = [
        Binding(
            "escape,enter",
            "close",
            "Close",
            id="detail-view.close",
            tooltip="Close the detail view",
        ),
        Binding("c", "copy", "Copy", id="detail-view.copy", tooltip="Copy what is shown, as text"),
    ]

    AUTO_FOCUS = "#detail-body"

    def __init__(
        self,
        title: str,
        body: list[tuple[str, str]] | RenderableType,
        *,
        copy_text: str,
        copy_what: str,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self._title = title
        self._body = body
        self.copy_text = copy_text
        self._copy_what = copy_what

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="detail-view"):
            yield Label(plain(self._title), classes="dialog-title")
            with VerticalScroll(id="detail-body"):
                if isinstance(self._body, list):
                    yield FieldList(id="detail-fields")
                else:
                    yield Static(self._body, id="detail-text")
            yield Static(
                Text(f"esc close · c copy {self._copy_what} · ↑↓ pgup pgdn scroll"),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        if isinstance(self._body, list):
            self.query_one(FieldList).show(self._body)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.copy_text)
        say(self, f"Copied {self._copy_what}.")

    def action_close(self) -> None:
        self.dismiss(None)
