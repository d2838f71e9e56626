"""The IAM view: users that exist in the engine's account, matched to leases or flagged."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState, get_current_worker

from workbench.domain.formatting import counted, utc_stamp
from workbench.service import ReconcileReport
from workbench.tui.detail_view import DetailScreen
from workbench.tui.display import error_text, plain, report_worker_error, say
from workbench.tui.fitted_table import FitColumn, FittedTable
from workbench.tui.pane import Pane
from workbench.tui.theme_colors import theme_style, themed

if TYPE_CHECKING:
    from workbench.service import IamUserView, Workbench

COLUMNS = (
    FitColumn("user", "IAM user", least=20, weight=4, middle=True),
    FitColumn("path", "Path", 12, middle=True),
    FitColumn("created", "Created (UTC)", 14),  # MM-DD hh:mm:ss: the year is in the detail
    FitColumn("lease", "Lease", least=20, weight=4, middle=True),
    FitColumn("state", "Lease state", 11),
    FitColumn("flag", "", 5),
)
# At 80 columns the lease and its state matter most: path and creation time go first.
DROP = ("path", "created")


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
        Binding(
            "enter",
            "details",
            "Details",
            id="iam.details",
            tooltip="Show the selected user in full: path, creation time, lease and state",
        ),
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
        self._users: dict[str, IamUserView] = {}

    def compose(self) -> ComposeResult:
        yield Static("Listing IAM users…", id="iam-summary")
        yield FittedTable(COLUMNS, drop=DROP, id="iam-table")

    def action_refresh_users(self) -> None:
        self.refresh_users()

    def theme_changed(self) -> None:
        self.refresh_users()  # the flags keep the colours they were made in

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
        table = self.query_one("#iam-table", FittedTable)
        selected = table.cursor_key
        table.clear()
        self._users = {user.name: user for user in report.users}
        for user in sorted(report.users, key=lambda user: user.created):
            flag = Text(
                "stray" if user.stray else "ok",
                style=theme_style(self, "bold $text-error" if user.stray else "$text-success"),
            )
            cells = {
                "user": plain(user.name),
                "path": plain(user.path),
                "created": Text(utc_stamp(user.created)[5:]),
                "lease": plain(user.lease_id or "-"),
                "state": plain(user.lease_state or "-"),
                "flag": flag,
            }
            table.put(user.name, cells)
        if selected is not None and selected in {user.name for user in report.users}:
            table.move_cursor(row=table.get_row_index(selected), animate=False)
        self._strays = len(report.strays)
        summary = [
            themed(
                f"This store made {len(report.users)} of the "
                f"{counted(report.account_users, 'IAM user')} in engine {report.engine}'s account; "
            ),
            themed(
                counted(self._strays, "stray"),
                "bold $text-error" if self._strays else "$text-success",
            ),
        ]
        if report.missing_users:
            summary.append(
                themed(
                    f"; {counted(len(report.missing_users), 'live lease')} whose user is gone",
                    "bold $text-warning",
                )
            )
        listed_at = self.wb.clock()
        summary.append(themed(f"  (listed {utc_stamp(listed_at)[11:]} UTC)", "$workbench-muted"))
        self.query_one("#iam-summary", Static).update(Content.assemble(*summary))

    @on(DataTable.RowSelected, "#iam-table")
    def action_details(self) -> None:
        """The user in full (at 80 columns the path and creation time are not shown)."""
        key = self.query_one("#iam-table", FittedTable).cursor_key
        user = self._users.get(key or "")
        if user is None:
            say(self, "No IAM user is selected.", severity="warning")
            return
        status = (
            "stray: no live lease owns it (D deletes the strays)"
            if user.stray
            else "matched to a live lease"
        )
        rows = [
            ("IAM user", user.name),
            ("Path", user.path),
            ("Created", f"{utc_stamp(user.created)} UTC"),
            ("Lease", user.lease_id or "-"),
            ("Lease state", user.lease_state or "-"),
            ("Status", status),
        ]
        self.app.push_screen(
            DetailScreen(
                f"IAM user {user.name}", rows, copy_text=user.name, copy_what="the user name"
            )
        )

    def action_delete_strays(self) -> None:
        engine = self.wb.engine
        if not self._strays:
            say(self, "There are no stray users.")
            return
        self.confirm_then(
            "Delete strays",
            f"Delete {counted(self._strays, 'stray IAM user')} in engine "
            f"{engine}'s account (and their keys and policies)?",
            lambda: self.delete_strays(self.service, engine),
            yes_label="Delete",
        )

    @work(thread=True, group="iam-ops", exit_on_error=False, description="Delete stray users")
    def delete_strays(self, service: Workbench, engine: str) -> None:
        self.post_message(self.StraysDeleted(service.iam.reconcile(engine, delete=True)))

    def on_iam_view_strays_deleted(self, event: StraysDeleted) -> None:
        report = event.report
        message = f"Deleted {counted(len(report.deleted), 'stray IAM user')}."
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
                    themed(f"Listing failed: {error_text(event.worker.error)}", "bold $text-error")
                )
            return
        report_worker_error(self, event)
