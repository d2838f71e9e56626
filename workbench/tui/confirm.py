"""Modal dialogs: a yes/no confirm for anything destructive, and a one-line prompt."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from workbench.tui.display import plain


class ConfirmScreen(ModalScreen[bool]):
    """Ask before doing something that cannot be undone: y confirms, n or escape declines."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes", tooltip="Go ahead"),
        Binding("n", "answer(False)", "No", id="confirm.no", tooltip="Leave things as they are"),
        Binding("escape", "answer(False)", "Cancel", id="confirm.cancel", show=False),
    ]

    def __init__(self, title: str, message: str, *, yes_label: str = "Yes") -> None:
        super().__init__(classes="dialog-screen")
        self._dialog_title = title
        self._message = message
        self._yes_label = yes_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self._dialog_title), classes="dialog-title")
            yield Static(plain(self._message), id="confirm-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self._yes_label} (y)", variant="error", id="yes")
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line of text; `describe` (optional) comments on it as it is typed.

    A pre-filled value is there to be extended, so the cursor starts after it
    (nothing selected). With `accepts`, OK is disabled, and Enter does nothing,
    while the text is not worth acting on (the hint says why).
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel", tooltip="Close without acting"),
    ]

    def __init__(
        self,
        title: str,
        *,
        placeholder: str = "",
        value: str = "",
        describe: Callable[[str], str] | None = None,
        accepts: Callable[[str], bool] | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self._dialog_title = title
        self._placeholder = placeholder
        self._value = value
        self._describe = describe
        self._accepts = accepts

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self._dialog_title), classes="dialog-title")
            yield Input(
                value=self._value,
                placeholder=self._placeholder,
                select_on_focus=False,
                id="prompt-input",
            )
            yield Static("", id="prompt-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK (enter)", variant="primary", id="ok")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self._update_hint(self._value)

    @on(Input.Changed, "#prompt-input")
    def _changed(self, event: Input.Changed) -> None:
        self._update_hint(event.value)

    def _update_hint(self, value: str) -> None:
        if self._describe is not None:
            self.query_one("#prompt-hint", Static).update(plain(self._describe(value)))
        self.query_one("#ok", Button).disabled = not self._acceptable(value)

    def _acceptable(self, value: str) -> bool:
        return self._accepts is None or self._accepts(value)

    @on(Input.Submitted, "#prompt-input")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._acceptable(event.value):
            self.dismiss(event.value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self.dismiss(self.query_one("#prompt-input", Input).value)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
