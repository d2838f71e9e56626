"""Which lease a leaked credential is: paste its access key id or its secret key.

The text is masked unless it is an access key id. A secret is matched by its
audit HMAC in the service (`wb.incident.find(secret=...)`), off the UI thread;
the dialog forgets it as soon as the search starts, and the search forgets it
once the service has answered.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from workbench.domain.models import Lease
from workbench.domain.text import printable
from workbench.tui.display import plain
from workbench.tui.pane import Pane

if TYPE_CHECKING:
    from workbench.service import Workbench

ACCESS_KEY_ID = re.compile(r"^(AKIA|ASIA)[A-Z0-9]{12,}$")


def is_access_key_id(text: str) -> bool:
    """True for an access key id (AKIA... or ASIA...); anything else is taken as a secret."""
    return bool(ACCESS_KEY_ID.match(text.strip()))


class FindLeaseScreen(Pane, ModalScreen[Lease | None]):
    """Find a lease by what leaked; answers the one match (the pane opens its detail).

    A Pane for `call_service`: the search runs off the UI thread.
    """

    PANE_ID = "find-lease"

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="find.cancel", tooltip="Close without opening"),
    ]

    AUTO_FOCUS = "#find-input"

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")
        self._matches: dict[str, Lease] = {}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="find-lease"):
            yield Label("Find the lease of a leaked credential", classes="dialog-title")
            yield Input(
                placeholder="access key id (AKIA..., ASIA...) or secret access key",
                password=True,
                id="find-input",
            )
            yield Static(
                Text(
                    "Masked unless it is an access key id. A secret is matched by its audit "
                    "HMAC: never stored, logged or shown, and cleared once the search starts."
                ),
                classes="dialog-hint",
            )
            yield Static("", id="find-result")
            yield OptionList(id="find-matches")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Find (enter)", variant="primary", id="find")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#find-matches", OptionList).display = False

    @on(Input.Changed, "#find-input")
    def _changed(self, event: Input.Changed) -> None:
        event.input.password = not is_access_key_id(event.value)

    @on(Input.Submitted, "#find-input")
    def _submitted(self) -> None:
        self._search()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "find":
            self._search()
        else:
            self.dismiss(None)

    def _search(self) -> None:
        field = self.query_one("#find-input", Input)
        text = field.value.strip()
        if not text:
            self._say("Paste an access key id or a secret access key first.")
            return
        by_key = is_access_key_id(text)
        if not by_key:
            field.value = ""  # the widget does not keep a secret once it is sent
        what = "access key id" if by_key else "secret"
        held = [text]  # emptied by the search, so no worker or closure keeps the text
        del text

        def find(service: Workbench) -> list[Lease]:
            value = held.pop()
            if by_key:
                return service.incident.find(access_key=value)
            return service.incident.find(secret=value)

        self._say(f"Searching by {what}...")
        self.call_service(find, lambda leases: self._found(what, leases), doing="Finding the lease")

    def _found(self, what: str, leases: list[Lease]) -> None:
        if not self.is_attached:
            return
        if len(leases) == 1:
            self.dismiss(leases[0])
            return
        matches = self.query_one("#find-matches", OptionList)
        matches.clear_options()
        self._matches = {lease.lease_id: lease for lease in leases}
        matches.display = bool(leases)
        if not leases:
            self._say(f"No lease matches this {what}: it was not issued by this workbench.")
            return
        self._say(f"{len(leases)} leases match this {what}; pick one to open.")
        matches.add_options(
            Option(
                Text(
                    printable(
                        f"{lease.lease_id}  {lease.credential_type.value}  {lease.state.value}"
                    )
                ),
                id=lease.lease_id,
            )
            for lease in leases
        )
        matches.focus()

    @on(OptionList.OptionSelected, "#find-matches")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        lease = self._matches.get(event.option.id or "")
        if lease is not None:
            self.dismiss(lease)

    def _say(self, message: str) -> None:
        self.query_one("#find-result", Static).update(plain(message))

    def action_cancel(self) -> None:
        self.dismiss(None)
