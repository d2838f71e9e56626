"""The new static role dialog: name, IAM user and rotation period, then the take-over consent.

The write runs off the UI thread. What the service refuses (a bad period, a
user that does not exist) is shown in the dialog, which keeps what was typed;
a user that already has keys is taken over only after a confirm that lists
the keys it will lose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from workbench.domain.errors import Conflict, WorkbenchError
from workbench.domain.formatting import utc_stamp
from workbench.domain.models import StaticRole
from workbench.tui.confirm import ConfirmScreen
from workbench.tui.display import error_text, plain
from workbench.tui.pane import Pane

if TYPE_CHECKING:
    from workbench.service import Workbench

TAKE_OVER = "confirm_take_over"
# The inputs, by the field name the service's errors give (`WorkbenchError.field`).
INPUTS = {
    "name": "#static-name",
    "username": "#static-username",
    "rotation_period": "#static-period",
}


@dataclass(frozen=True)
class HeldKey:
    """One access key the user has now, which taking it over deletes."""

    access_key_id: str
    status: str
    created: float


@dataclass(frozen=True)
class Outcome:
    """What a write came to: the role, a refusal to show, or keys to ask about."""

    role: StaticRole | None = None
    refused: Exception | None = None
    keys: tuple[HeldKey, ...] = ()


def take_over_question(username: str, keys: tuple[HeldKey, ...]) -> str:
    """The confirm's text: every key that goes, and what that means for whatever uses it."""
    lines = [f"IAM user {username} has {len(keys)} access key(s); taking it over deletes:"]
    lines += [
        f"  {key.access_key_id}  {key.status}, created {utc_stamp(key.created)} UTC" for key in keys
    ]
    lines.append(
        "A new key is made and stored first, then these are deleted: whatever "
        "still uses them stops working. Take the user over?"
    )
    return "\n".join(lines)


class StaticRoleScreen(Pane, ModalScreen[StaticRole | None]):
    """Write a static role; answers the role written (None if cancelled).

    A Pane for `call_service`: the write runs off the UI thread.
    """

    PANE_ID = "static-form"

    BINDINGS = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="static-form.cancel",
            tooltip="Close without writing the static role",
        ),
    ]

    AUTO_FOCUS = "#static-name"

    def __init__(self, engine: str) -> None:
        super().__init__(classes="dialog-screen")
        self._engine = engine
        self._writing = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="static-form"):
            yield Label("New static role", classes="dialog-title")
            for label, widget_id, placeholder in (
                ("Name", "static-name", "e.g. legacy-app"),
                ("IAM user name", "static-username", "an existing user, e.g. legacy-app"),
                ("Rotation period", "static-period", "e.g. 720h, 24h, 30m (at least 1m)"),
            ):
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="form-label")
                    yield Input(placeholder=placeholder, id=widget_id, compact=True)
            yield Static(
                Text(
                    "The user is taken over at once: a key of ours is made and stored, "
                    "then the keys it had are deleted (asks first if it has any)."
                ),
                classes="dialog-hint",
            )
            yield Static("", id="static-form-status")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Write (enter)", variant="primary", id="write", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    @on(Input.Submitted)
    @on(Button.Pressed, "#write")
    def _submit(self) -> None:
        self._write(take_over=False)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def _write(self, *, take_over: bool) -> None:
        if self._writing:
            return
        engine, name = self._engine, self._value(INPUTS["name"])
        body = {
            "username": self._value(INPUTS["username"]),
            "rotation_period": self._value(INPUTS["rotation_period"]),
        }

        def write(service: Workbench) -> Outcome:
            roles = service.static_roles
            try:
                return Outcome(role=roles.write(engine, name, body, take_over=take_over))
            except Conflict as refused:
                if refused.hint != TAKE_OVER or take_over:
                    return Outcome(refused=refused)
                try:  # the keys it would lose, for the confirm
                    keys = roles.preflight(engine, name, body, take_over=True)[2]
                except Exception as error:
                    return Outcome(refused=error)
                held = tuple(HeldKey(k.access_key_id, k.status, k.created) for k in keys)
                return Outcome(refused=refused, keys=held)
            except Exception as error:  # shown in the dialog, which keeps what was typed
                return Outcome(refused=error)

        self._writing = True
        self._show("Taking the user over…" if take_over else "Writing…", error=False)
        self.call_service(
            write,
            lambda outcome: self._written(str(body["username"]), outcome),
            doing="Writing the static role",
        )

    def _written(self, username: str, outcome: Outcome) -> None:
        self._writing = False
        if not self.is_attached:
            return
        if outcome.role is not None:
            self.dismiss(outcome.role)
            return
        if outcome.keys:
            self._show("", error=False)
            self.app.push_screen(
                ConfirmScreen(
                    "Take the IAM user over",
                    take_over_question(username, outcome.keys),
                    yes_label="Take over",
                ),
                self._answered,
            )
            return
        error = outcome.refused
        if error is not None:
            self._show(error_text(error), error=True)
            field = error.field if isinstance(error, WorkbenchError) else None
            if field is not None and field in INPUTS:
                self.query_one(INPUTS[field], Input).focus()

    def _answered(self, confirmed: bool | None) -> None:
        if confirmed:
            self._write(take_over=True)
        else:
            self._show("Not taken over: the user keeps its keys.", error=False)

    def _show(self, message: str, *, error: bool) -> None:
        status = self.query_one("#static-form-status", Static)
        status.update(plain(message))
        status.set_class(error, "-error")
