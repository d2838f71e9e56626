"""The unlock screen: a passphrase opens the store, or two create a new one."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, LoadingIndicator, Static
from textual.worker import Worker

from workbench.domain.errors import InvalidInput, WorkbenchError, WrongPassphrase
from workbench.domain.passphrase import MIN_PASSPHRASE_LENGTH, check_new_passphrase
from workbench.tui.display import error_text, report_worker_error

if TYPE_CHECKING:
    from workbench.service import StoreLocation, Workbench

# The CLI's `init` asks for the same; see the report's note on moving it into the service.

MAX_RETRY_DELAY = 60.0


def retry_delay(failures: int) -> float:
    """Seconds before the next try after `failures` wrong passphrases: 0, 1, 2, 4... up to 60."""
    if failures < 2:
        return 0.0  # one typo costs nothing
    return min(2.0 ** (failures - 2), MAX_RETRY_DELAY)


class UnlockScreen(Screen["Workbench"]):
    """Asks for the passphrase (twice when creating); dismisses with the unlocked service."""

    AUTO_FOCUS = "#passphrase"

    class Failed(Message):
        """Unlocking or creating failed with a message the person can act on."""

        def __init__(self, message: str, *, wrong_passphrase: bool = False) -> None:
            super().__init__()
            self.message = message
            self.wrong_passphrase = wrong_passphrase

    class Checked(Message):
        """Whether a store exists at `path` (found off the UI thread)."""

        def __init__(self, path: str, exists: bool) -> None:
            super().__init__()
            self.path = path
            self.exists = exists

    class Opened(Message):
        """The store is unlocked."""

        def __init__(self, service: Workbench) -> None:
            super().__init__()
            self.service = service

    def __init__(
        self,
        home: Path,
        operator: str,
        *,
        location: StoreLocation | None = None,
        slot: str | None = None,
    ) -> None:
        super().__init__(id="unlock")
        self.home = home
        self.operator = operator
        self.location = location
        self.slot = slot
        self.exists: bool | None = None  # not known until check_store answers
        self.clock: Callable[[], float] = time.monotonic  # tests give their own
        self.failures = 0
        self.next_try_at = 0.0  # on self.clock: wrong passphrases slow down guessing

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="unlock-box"):
            yield Label("Lease Workbench", id="unlock-title")
            where = self.location.describe() if self.location else str(self.home)
            yield Static(Text(f"Looking for the store in {where}…"), id="unlock-intro")
            yield Input(password=True, placeholder="Passphrase", id="passphrase")
            yield Input(password=True, placeholder="Same passphrase again", id="confirm")
            yield Static("", id="unlock-error")
            yield LoadingIndicator(id="unlock-busy")

    def on_mount(self) -> None:
        self.query_one("#unlock-busy").display = False
        self.query_one("#confirm").display = False
        self.check_store()

    @work(thread=True, group="unlock", exit_on_error=False, description="Find the store")
    def check_store(self) -> None:
        """Whether a store exists (in a thread: the service layer takes a moment to load)."""
        from workbench.service import StoreLocation

        location = self.location or StoreLocation(self.home)
        try:
            exists = location.exists()
        except WorkbenchError as error:  # a database that cannot be reached
            self.post_message(self.Failed(error_text(error)))
            return
        self.post_message(self.Checked(location.describe(), exists))

    def on_unlock_screen_checked(self, event: Checked) -> None:
        self.exists = event.exists
        intro = self.query_one("#unlock-intro", Static)
        if event.exists:
            intro.update(Text(f"Unlock the store at {event.path}"))
            return
        intro.update(
            Text(
                f"There is no store at {event.path} yet. Create one: choose a passphrase "
                f"(at least {MIN_PASSPHRASE_LENGTH} characters) and type it twice. It cannot be "
                "recovered if lost."
            )
        )
        self.query_one("#passphrase", Input).placeholder = "New passphrase"
        self.query_one("#confirm").display = True

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if self.exists is None:
            return  # still looking for the store
        if event.input.id == "passphrase" and not self.exists:
            self.query_one("#confirm", Input).focus()
            return
        passphrase = self.query_one("#passphrase", Input).value
        if self.exists:
            wait = self.next_try_at - self.clock()
            if wait > 0:
                self._show_error(f"Too many wrong passphrases; wait {math.ceil(wait)} s.")
                return
            self._busy(True)
            self.open_store(passphrase)
            return
        problem = self._check_new(passphrase, self.query_one("#confirm", Input).value)
        if problem:
            self._show_error(problem)
            return
        self._busy(True)
        self.create_store(passphrase)

    @staticmethod
    def _check_new(passphrase: str, again: str) -> str:
        try:
            check_new_passphrase(passphrase)
        except InvalidInput as error:
            return error_text(error)
        if passphrase != again:
            return "The two passphrases differ; type the same one twice."
        return ""

    @work(thread=True, group="unlock", exit_on_error=False, description="Unlock the store")
    def open_store(self, passphrase: str) -> None:
        """Run the KDF off the UI thread, then post the unlocked service (or why not)."""
        from workbench.service import open_workbench

        try:
            service = open_workbench(
                self.location or self.home, passphrase, operator=self.slot, label=self.operator
            )
        except WrongPassphrase:
            self.post_message(self.Failed("Wrong passphrase", wrong_passphrase=True))
            return
        except WorkbenchError as error:
            self.post_message(self.Failed(error_text(error)))
            return
        self.post_message(self.Opened(service))

    @work(thread=True, group="unlock", exit_on_error=False, description="Create the store")
    def create_store(self, passphrase: str) -> None:
        """Create the store and engine `aws` (as `workbench init` does)."""
        from workbench.service import create_workbench

        try:
            service = create_workbench(
                self.location or self.home, passphrase, operator=self.slot, label=self.operator
            )
        except WorkbenchError as error:
            self.post_message(self.Failed(error_text(error)))
            return
        self.post_message(self.Opened(service))

    def on_unlock_screen_failed(self, event: Failed) -> None:
        self._busy(False)
        message = event.message
        if event.wrong_passphrase:
            self.failures += 1
            delay = retry_delay(self.failures)
            self.next_try_at = self.clock() + delay
            message += f"; try again in {delay:.0f} s." if delay else "; try again."
        self._show_error(message)
        for field in self.query(Input):
            field.value = ""
        self.query_one("#passphrase", Input).focus()

    def on_unlock_screen_opened(self, event: Opened) -> None:
        self.dismiss(event.service)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if report_worker_error(self, event):
            self._busy(False)

    def _show_error(self, message: str) -> None:
        self.query_one("#unlock-error", Static).update(Text(message))

    def _busy(self, busy: bool) -> None:
        self.query_one("#unlock-busy").display = busy
        for field in self.query(Input):
            field.disabled = busy
        if busy:
            self.query_one("#unlock-error", Static).update("")
