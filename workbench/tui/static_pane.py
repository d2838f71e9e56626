"""The static roles pane: existing IAM users whose one key is rotated on a schedule.

Its keys take a user over (the form), rotate now, copy the current key and
forget a role; every service call runs off the UI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.events import Resize
from textual.message import Message
from textual.widgets import Static
from textual.worker import Worker, WorkerState, get_current_worker

from workbench.domain.durations import format_duration
from workbench.domain.formatting import expires_in, utc_stamp
from workbench.domain.models import StaticRole
from workbench.tui.display import error_text, plain, report_worker_error, say, show_text
from workbench.tui.pane import Pane
from workbench.tui.static_form import StaticRoleScreen
from workbench.tui.static_table import StaticTable, note
from workbench.tui.theme_colors import themed

if TYPE_CHECKING:
    from workbench.service import StaticCredential, Workbench


class StaticPane(Pane, Vertical):
    """Static roles of the engine: write (take a user over), rotate now, copy, delete."""

    PANE_ID = "static"
    PANE_KEY = "6"
    PANE_TITLE = "Static"
    PANE_FOCUS = "#static-table"
    PANE_WIDGET_ID = "static-pane"
    PANE_HELP = (
        "Static: existing IAM users whose access key the workbench rotates on a schedule "
        "(Vault's aws/static-roles). Unlike a lease, the user is neither made nor deleted: "
        "a static role takes an existing user over. Each rotation makes a new key, stores "
        "it (sealed), then deletes the old one, so the user has one key in AWS at all "
        "times (two only between those steps). 'Next in' counts down to the next "
        "rotation; c copies the current key, which works until then. Deleting a role "
        "leaves the user and its key in AWS, no longer rotated."
    )

    BINDINGS = [
        Binding(
            "n",
            "new",
            "New",
            id="static.new",
            tooltip="Take an existing IAM user over as a static role (asks before its keys go)",
        ),
        Binding(
            "R",
            "rotate",
            "Rotate now",
            id="static.rotate",
            tooltip="Replace the selected static role's key now (asks first)",
        ),
        Binding(
            "c",
            "copy",
            "Copy creds",
            id="static.copy",
            tooltip="Copy the selected static role's current key as env exports",
        ),
        Binding(
            "d",
            "delete",
            "Delete",
            id="static.delete",
            tooltip="Forget the selected static role; its user and key stay in AWS (asks first)",
        ),
    ]

    class Loaded(Message):
        def __init__(self, engine: str, roles: list[StaticRole]) -> None:
            super().__init__()
            self.engine = engine
            self.roles = roles

    class Rotated(Message):
        """A rotation the operator asked for (rotate now, or taking a user over) is done."""

        def __init__(self, role: StaticRole, headline: str) -> None:
            super().__init__()
            self.role = role
            self.headline = headline

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._select_on_load: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("Reading the static roles…", id="static-summary")
        yield StaticTable(id="static-table")
        yield Static("", id="static-detail")

    @property
    def table(self) -> StaticTable:
        return self.query_one(StaticTable)

    def on_mount(self) -> None:
        self.watch(self.app, "engine", self.reload, init=False)
        self.reload()

    # -- loading -----------------------------------------------------------------

    def reload(self) -> None:
        self.load_roles(self.service, self.engine)

    def tick(self, store_changed: bool, *, shown: bool) -> None:
        """Once a second: reload if another process wrote the store; count down if shown."""
        if store_changed:
            self.reload()
        if shown:
            self.show_countdowns()

    def show_countdowns(self) -> None:
        self.table.show_countdowns()

    @work(
        thread=True,
        group="static-load",
        exclusive=True,
        exit_on_error=False,
        description="Load static roles",
    )
    def load_roles(self, service: Workbench, engine: str) -> None:
        roles = service.static_roles.list(engine)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(engine, roles))

    def on_static_pane_loaded(self, event: Loaded) -> None:
        if event.engine != self.engine:
            return  # read just before the engine was switched
        self.table.set_roles(event.roles, select=self._select_on_load)
        self._select_on_load = None
        self._show_summary()
        self._show_detail()

    @property
    def selected(self) -> StaticRole | None:
        return self.table.selected

    def on_resize(self, event: Resize) -> None:
        self.table.fit(event.size.width)
        self._show_detail()

    def theme_changed(self) -> None:
        self.table.fit(self.size.width, again=True)  # cells keep the colours they were made in

    def _show_summary(self) -> None:
        count, engine = len(self.table.roles), self.engine
        if not count:
            text = Content.assemble(
                themed(f"No static roles in engine {engine}. "),
                themed("n takes an existing IAM user's key over.", "$workbench-muted"),
            )
        else:
            text = Content.assemble(
                themed(f"{count} static role(s) in engine {engine}; "),
                themed("each key is replaced when its period is up.", "$workbench-muted"),
            )
        show_text(self.query_one("#static-summary", Static), text)

    def _show_detail(self) -> None:
        """The selected role in full under the table (the columns may be cut)."""
        role = self.selected
        detail = self.query_one("#static-detail", Static)
        if role is None:
            show_text(detail, "")
            return
        text = plain(
            f"{role.name}: IAM user {role.username}, key {role.access_key_id or '-'}, "
            f"rotated every {format_duration(role.rotation_period)}; next rotation "
            f"{utc_stamp(role.next_rotation)} UTC"
        )
        extra = note(role, self)
        if extra.plain:
            text.append("\n")
            text.append_text(extra)
        show_text(detail, text)

    def on_data_table_row_highlighted(self) -> None:
        self._show_detail()

    # -- actions -----------------------------------------------------------------

    def _chosen(self) -> StaticRole | None:
        role = self.selected
        if role is None:
            say(self, "No static role is selected; n takes a user over.", severity="warning")
        return role

    def action_new(self) -> None:
        def written(role: StaticRole | None) -> None:
            if role is None:
                return
            self._select_on_load = role.name
            self.reload()
            say(
                self,
                f"Static role {role.name!r} manages IAM user {role.username}: key "
                f"{role.access_key_id}, rotated every {format_duration(role.rotation_period)}.",
                title="Static role written",
            )
            self.post_message(self.Rotated(role, f"Took IAM user {role.username} over"))

        self.app.push_screen(StaticRoleScreen(self.engine), written)

    def action_rotate(self) -> None:
        role = self._chosen()
        if role is None:
            return
        engine, name = self.engine, role.name
        current = role.access_key_id or "(none)"

        def rotated(done: StaticRole) -> None:
            self.reload()
            say(self, f"Static role {name!r} rotated: key {done.access_key_id}.", title="Rotated")
            self.post_message(self.Rotated(done, f"Rotated static role {name}"))

        self.confirm_then(
            "Rotate static role",
            f"Rotate static role {name} now?\nA new key is made and stored, then key "
            f"{current} is deleted: whatever still uses it stops working.",
            lambda: self.call_service(
                lambda service: service.static_roles.rotate(engine, name),
                rotated,
                doing="Rotating the static role",
                group="static-ops",
            ),
            yes_label="Rotate",
        )

    def action_copy(self) -> None:
        role = self._chosen()
        if role is None:
            return
        engine, name = self.engine, role.name

        def copy(credential: StaticCredential) -> None:
            self.app.copy_to_clipboard(credential.render("env"))
            left = expires_in(credential.lease.expire_time - self.wb.clock())
            say(
                self,
                f"Copied the key of static role {name!r} ({credential.lease.access_key_id}) "
                f"as env exports; it works until the next rotation, in {left}.",
            )
            self.reload()  # reading the creds finishes a rotation a dead process left

        self.call_service(
            lambda service: service.static_roles.creds(engine, name),
            copy,
            doing="Reading the static credentials",
            group="static-ops",
        )

    def action_delete(self) -> None:
        role = self._chosen()
        if role is None:
            return
        engine, name = self.engine, role.name
        kept = f"IAM user {role.username} and its current key {role.access_key_id or '(none)'}"

        def deleted(_role: StaticRole) -> None:
            self.reload()
            say(
                self,
                f"Static role {name!r} deleted. {kept} stay in AWS and are no longer rotated.",
                title="Deleted",
            )

        self.confirm_then(
            "Delete static role",
            f"Delete static role {name}?\n{kept} stay in AWS and are no longer rotated.",
            lambda: self.call_service(
                lambda service: service.static_roles.delete(engine, name),
                deleted,
                doing="Deleting the static role",
                group="static-ops",
            ),
            yes_label="Delete",
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "static-load":
            # Shown in place, not notified: the list is read again on every change.
            if event.state is WorkerState.ERROR and event.worker.error is not None:
                self.query_one("#static-summary", Static).update(
                    plain(f"Reading the static roles failed: {error_text(event.worker.error)}")
                )
            return
        report_worker_error(self, event)
