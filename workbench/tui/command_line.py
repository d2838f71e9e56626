"""The `:` command line (k9s's command mode): Vault's own commands, typed in the TUI.

`:vault read aws/creds/webapp` (the word `vault` is optional) takes the words
`workbench vault` takes on the shell: the service parses and runs them
(`workbench.service.parse_vault_command` / `run_vault_command`) in a thread
worker, so the call is audited and the panes show it as it happens. A table
answer opens a small dialog, a one-line answer is a notification, and an
error stays under the line with what was typed, to be fixed and run again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import RenderableType
from rich.table import Table
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from workbench.domain.errors import WorkbenchError
from workbench.tui.display import TUI_HINTS, error_text, plain, say
from workbench.tui.theme_colors import theme_style

if TYPE_CHECKING:
    from workbench.service import VaultCommand, VaultResult, Workbench

VAULT_GROUP = "vault-command"
HISTORY = 50
# Commands that end or remove something: the TUI asks first, as everywhere else.
DESTRUCTIVE = {
    "lease revoke": "Its credentials stop working.",
    "delete": "The role is deleted (refused while it has live leases).",
    "secrets disable": "The engine is turned off (refused while it has live leases).",
}
PLACEHOLDER = "vault read aws/creds/webapp   (enter: run · esc: close · ↑↓: history)"


def vault_error_text(error: BaseException) -> str:
    """An error in the TUI's words, its fields named as the keys that were typed (`lease_max`)."""
    if isinstance(error, WorkbenchError):
        return error.phrased(str, TUI_HINTS)
    return error_text(error)


class CommandBar(Vertical):
    """A one-line command input at the bottom of the main screen, shown by `:`."""

    DEFAULT_CSS = """
    CommandBar {
        height: auto;
        max-height: 8;
        display: none;
        background: $surface;
        border-top: tall $primary;
        padding: 0 1;
    }
    CommandBar.-open {
        display: block;
    }
    CommandBar #command-row {
        height: 1;
    }
    CommandBar #command-prompt {
        width: 2;
        color: $primary;
        text-style: bold;
    }
    CommandBar #command-input {
        width: 1fr;
    }
    CommandBar #command-status {
        height: auto;
        color: $text-muted;
    }
    CommandBar #command-status.-error {
        color: $error;
    }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="command.close", tooltip="Close the command line"),
        Binding(
            "up",
            "history(-1)",
            "Previous",
            id="command.previous",
            show=False,
            tooltip="The command typed before (commands holding a secret are not kept)",
        ),
        Binding(
            "down",
            "history(1)",
            "Next",
            id="command.next",
            show=False,
            tooltip="The command typed after",
        ),
    ]

    class Ran(Message):
        """CommandTyped -> Ran: the service answered; the panes and the trainee panel follow."""

        def __init__(self, result: VaultResult) -> None:
            super().__init__()
            self.result = result

    class Confirm(Message):
        """A destructive command was parsed: ask before it runs."""

        def __init__(self, line: str, command: VaultCommand) -> None:
            super().__init__()
            self.line = line
            self.command = command

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._history: list[str] = []
        self._position = 0
        self._return_focus: Widget | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="command-row"):
            yield Label(":", id="command-prompt")
            yield Input(placeholder=PLACEHOLDER, id="command-input", compact=True)
        yield Static("", id="command-status")

    @property
    def input(self) -> Input:
        return self.query_one("#command-input", Input)

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self) -> None:
        """Show the line and put the cursor in it."""
        if not self.is_open:
            self._return_focus = self.app.focused
            self._status("")
        self.add_class("-open")
        self._position = len(self._history)
        self.input.focus()

    def action_close(self) -> None:
        self.remove_class("-open")
        self.input.value = ""
        self._status("")
        if self._return_focus is not None and self._return_focus.is_attached:
            self._return_focus.focus()
        self._return_focus = None

    def action_history(self, step: int) -> None:
        if not self._history:
            return
        self._position = max(0, min(len(self._history), self._position + step))
        line = self._history[self._position] if self._position < len(self._history) else ""
        self.input.value = line
        self.input.cursor_position = len(line)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#command-status", Static)
        status.update(plain(text))
        status.set_class(error, "-error")
        status.display = bool(text)

    # -- running -------------------------------------------------------------------

    @on(Input.Submitted, "#command-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        line = event.value.strip()
        if not line:
            self.action_close()
            return
        self._status("running…")
        self.run_line(self._service(), line, confirmed=False)

    def _service(self) -> Workbench:
        from workbench.tui.app import WorkbenchApp

        assert isinstance(self.app, WorkbenchApp)
        return self.app.service

    @work(thread=True, group=VAULT_GROUP, exit_on_error=False, description="Vault command")
    def run_line(self, service: Workbench, line: str, *, confirmed: bool) -> None:
        """Parse and run one typed line (off the UI thread: it reads files and calls AWS)."""
        from workbench.service import parse_vault_command, run_vault_command, split_line

        command = parse_vault_command(split_line(line), stdin=None)
        if command.command in DESTRUCTIVE and not confirmed:
            self.post_message(self.Confirm(line, command))
            return
        self.post_message(self.Ran(run_vault_command(service, command)))

    def on_command_bar_confirm(self, event: Confirm) -> None:
        event.stop()
        from workbench.tui.confirm import ConfirmScreen

        line = event.line

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.run_line(self._service(), line, confirmed=True)
            else:
                self._status("not run")

        question = f"Run `{event.command.text}`?\n{DESTRUCTIVE[event.command.command]}"
        self.app.push_screen(ConfirmScreen("Vault command", question, yes_label="Run"), answered)

    def on_command_bar_ran(self, event: Ran) -> None:
        """Show the answer; the event goes on to the main screen, which refreshes the panes."""
        result = event.result
        if not result.command.secret_on_command_line:
            line = self.input.value.strip()
            if line and (not self._history or self._history[-1] != line):
                self._history = [*self._history, line][-HISTORY:]
        self.action_close()
        shown = result.render()
        notes = "\n".join([*result.warnings, *result.errors])
        if result.table() is None and result.command.field is None and shown == result.message:
            severity: SeverityLevel = (
                "error" if result.errors else "warning" if result.warnings else "information"
            )
            text = "\n".join(part for part in (shown, notes) if part)
            say(self, text, title=result.command.text, severity=severity, timeout=8)
            return
        self.app.push_screen(VaultResultScreen(result))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != VAULT_GROUP:
            return
        event.stop()
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self._status(vault_error_text(event.worker.error), error=True)
            self.input.focus()


class VaultResultScreen(ModalScreen[None]):
    """A Vault command's answer: its Key/Value table (or JSON), as `vault` would print it."""

    BINDINGS = [
        Binding("escape,enter,q", "close", "Close", id="vault-result.close", tooltip="Close"),
        Binding(
            "c",
            "copy",
            "Copy",
            id="vault-result.copy",
            tooltip="Copy the answer as `workbench vault` prints it (secrets included)",
        ),
    ]

    DEFAULT_CSS = """
    VaultResultScreen #vault-result {
        width: 100;
    }
    VaultResultScreen #vault-result-body {
        height: auto;
    }
    """

    def __init__(self, result: VaultResult) -> None:
        super().__init__(classes="dialog-screen")
        self._result = result

    def compose(self) -> ComposeResult:
        result = self._result
        with VerticalScroll(classes="dialog", id="vault-result"):
            yield Label(plain(result.command.text), classes="dialog-title")
            notes = [*result.warnings, *(f"error: {line}" for line in result.errors)]
            if notes:
                yield Static(plain("\n".join(notes)), classes="credential-warning")
            yield Static(self._body(), id="vault-result-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Copy (c)", id="vault-result-copy")
                yield Button("Close (esc)", variant="primary", id="vault-result-close")

    def _body(self) -> RenderableType:
        result = self._result
        shown = result.table()
        if shown is None or result.command.format == "json" or result.command.field is not None:
            return plain(result.render())
        headers, rows = shown
        # Vault's own look: the headers, a dashed rule under each, then the rows.
        table = Table(box=None, show_header=True, pad_edge=False, padding=(0, 4, 0, 0))
        for index, header in enumerate(headers):
            last = index == len(headers) - 1
            table.add_column(
                plain(header), no_wrap=not last, overflow="fold" if last else "ellipsis"
            )
        rule = theme_style(self, "$text-muted")
        table.add_row(*(plain("-" * len(header), style=rule) for header in headers))
        for row in rows:
            table.add_row(*(plain(cell or "n/a") for cell in row))
        return table

    def on_mount(self) -> None:
        # The scroll itself, not a button: the answer shows from its first line, arrows scroll.
        self.query_one("#vault-result", VerticalScroll).focus()

    @on(Button.Pressed, "#vault-result-close")
    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#vault-result-copy")
    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self._result.render())
        say(self, "Copied the answer to the clipboard.")


def refresh_panes(screen: Widget, result: VaultResult) -> None:
    """The command wrote through this process's own connection: reload what it may change."""
    from workbench.tui.engine_form import EngineForm
    from workbench.tui.lease_pane import LeasePane
    from workbench.tui.role_editor import RoleEditor

    for leases in screen.query(LeasePane):
        leases.reload()
    if result.event in {"role-written", "role-deleted"}:
        for roles in screen.query(RoleEditor):
            roles.store_changed()
    if result.event in {"engine-enabled", "engine-disabled", "config-written"}:
        for engines in screen.query(EngineForm):
            engines.reload()


def trainee_note(result: VaultResult) -> tuple[str, str, str] | None:
    """(headline, event, credential type) for the trainee panel, if the command moved a lease."""
    if result.event == "revoked-prefix":
        return result.command.text, "revoked", "iam_user"
    lease = result.lease
    if lease is None or result.event not in {"issued", "renewed", "revoked"}:
        return None
    kind = lease.credential_type.value
    return f"{result.command.text} ({kind})", result.event, kind
