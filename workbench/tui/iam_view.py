"""The IAM view: users that exist in the engine's account, matched to leases or flagged."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState, get_current_worker

from workbench.domain.formatting import utc_stamp
from workbench.service import ReconcileReport
from workbench.tui.display import error_text, plain, report_worker_error, say
from workbench.tui.pane import Pane

if TYPE_CHECKING:
    from workbench.service import Workbench


class IamView(Pane, Vertical):
    """Refreshed every two seconds while shown, in a thread worker (it calls IAM)."""

    PANE_ID = "iam"
    PANE_KEY = "5"
    PANE_TITLE = "IAM"
    PANE_FOCUS = "#iam-table"
    PANE_WIDGET_ID = "iam-view"
    PANE_HELP = (
        "IAM: the users that exist in the engine's account right now, each matched to the "
        "lease that made it. A stray is a user with no live lease: a leftover to "
        "reconcile."
    )

    BINDINGS = [
        Binding("g", "refresh_users", "Refresh", id="iam.refresh", tooltip="List the users now"),
        Binding(
            "D",
            "delete_strays",
            "Delete strays",
            id="iam.delete-strays",
            tooltip="Delete every stray user (workbench reconcile --delete; asks first)",
        ),
    ]

    class Listed(Message):
        def __init__(self, report: ReconcileReport) -> None:
            super().__init__()
            self.report = report

    class StraysDeleted(Message):
        def __init__(self, report: ReconcileReport) -> None:
            super().__init__()
            self.report = report

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._strays = 0

    def compose(self) -> ComposeResult:
        yield Static("Listing IAM users…", id="iam-summary")
        table: DataTable[Text] = DataTable(id="iam-table", cursor_type="row")
        yield table

    def on_mount(self) -> None:
        table = self.query_one("#iam-table", DataTable)
        for label, width in (
            ("IAM user", 40),
            ("Path", 8),
            ("Created (UTC)", 19),
            ("Lease", 42),
            ("Lease state", 11),
            ("", 6),
        ):
            table.add_column(label, key=label or "flag", width=width)

    def action_refresh_users(self) -> None:
        self.refresh_users()

    def refresh_users(self) -> None:
        """List the users again, unless a listing is still on its way."""
        running = any(
            worker.group == "iam-list" and worker.is_running and worker.node is self
            for worker in self.app.workers
        )
        if not running:
            self.list_users(self.service, self.wb.engine)

    @work(thread=True, group="iam-list", exit_on_error=False, description="List IAM users")
    def list_users(self, service: Workbench, engine: str) -> None:
        report = service.iam.users(engine)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Listed(report))

    def on_iam_view_listed(self, event: Listed) -> None:
        report = event.report
        table = self.query_one("#iam-table", DataTable)
        selected = None
        if table.row_count:
            selected = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        table.clear()
        for user in sorted(report.users, key=lambda user: user.created):
            flag = Text("stray", style="bold red") if user.stray else Text("ok", style="green")
            table.add_row(
                plain(user.name),
                plain(user.path),
                Text(utc_stamp(user.created)),
                plain(user.lease_id or "-"),
                plain(user.lease_state or "-"),
                flag,
                key=user.name,
            )
        if selected is not None and selected in {user.name for user in report.users}:
            table.move_cursor(row=table.get_row_index(selected), animate=False)
        self._strays = len(report.strays)
        summary = plain(f"{len(report.users)} IAM user(s) in engine {report.engine}'s account; ")
        summary.append(f"{self._strays} stray", style="bold red" if self._strays else "green")
        summary.append(" ")
        if report.missing_users:
            summary.append(
                f"; {len(report.missing_users)} live lease(s) whose user is gone",
                style="bold yellow",
            )
        listed_at = self.wb.clock()
        summary.append(f"  (listed {utc_stamp(listed_at)[11:]} UTC)", style="dim")
        self.query_one("#iam-summary", Static).update(summary)

    def action_delete_strays(self) -> None:
        engine = self.wb.engine
        if not self._strays:
            say(self, "There are no stray users.")
            return
        self.confirm_then(
            "Delete strays",
            f"Delete {self._strays} stray IAM user(s) in engine "
            f"{engine}'s account (and their keys and policies)?",
            lambda: self.delete_strays(self.service, engine),
            yes_label="Delete",
        )

    @work(thread=True, group="iam-ops", exit_on_error=False, description="Delete stray users")
    def delete_strays(self, service: Workbench, engine: str) -> None:
        self.post_message(self.StraysDeleted(service.iam.reconcile(engine, delete=True)))

    def on_iam_view_strays_deleted(self, event: StraysDeleted) -> None:
        report = event.report
        message = f"Deleted {len(report.deleted)} stray user(s)."
        if report.errors:
            message += f" {len(report.errors)} could not be deleted: "
            message += "; ".join(f"{name}: {error}" for name, error in report.errors.items())
        say(self, message, severity="error" if report.errors else "information")
        self.refresh_users()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "iam-list":
            # Shown in place, not notified: the listing repeats every two seconds.
            if event.state is WorkerState.ERROR and event.worker.error is not None:
                self.query_one("#iam-summary", Static).update(
                    plain(f"Listing failed: {error_text(event.worker.error)}", style="bold red")
                )
            return
        report_worker_error(self, event)
