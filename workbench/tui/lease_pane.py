"""The lease pane: the live table, its filter and graph, and the keys that act on leases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from workbench.domain.formatting import in_words
from workbench.domain.models import Lease, UnreadableLease
from workbench.service import IssuedCredential
from workbench.tui.activity import ActivityGraph, count_history
from workbench.tui.contain_dialog import Containing
from workbench.tui.display import report_worker_error, say, show_text
from workbench.tui.find_dialog import FindLeaseScreen
from workbench.tui.heap import collections_paused, settle_heap
from workbench.tui.issue_dialog import CredentialScreen, IssueRequest, IssueRequestScreen
from workbench.tui.lease_detail import LeaseDetailScreen
from workbench.tui.lease_keys import LEASE_BINDINGS
from workbench.tui.lease_rows import Rows, View, rows_of
from workbench.tui.lease_table import COLUMNS, LeaseTable
from workbench.tui.prefix_revoke import OPS_GROUP, PrefixRevoking, describe_revoked
from workbench.tui.unreadable_notice import UnreadableNotice, read_unreadable

if TYPE_CHECKING:
    from workbench.domain.models import Role
    from workbench.service import Workbench

ISSUE_WORKER = "issue-credential"  # its failure is shown in the issue dialog, kept open


class LeasePane(PrefixRevoking, Containing, Vertical):
    """Live leases: issue, renew, revoke (one, a role's, a prefix), contain, find, inspect."""

    PANE_ID = "leases"
    PANE_KEY = "1"
    PANE_TITLE = "Leases"
    PANE_FOCUS = "#lease-table"
    PANE_WIDGET_ID = "lease-pane"
    PANE_HELP = (
        "Leases: one row per live credential. 'Expires in' counts down every second and "
        "turns yellow under 5 minutes, red under 1. States: pending (written before AWS "
        "is called), propagating (IAM has not spread the new key yet), active, revoking "
        "(being deleted, retried on failure), irrevocable (retries exhausted: needs a "
        "person). The graph counts credentials issued and revoked per minute. Enter "
        "shows a lease in full with its AWS calls; C contains a prefix in an incident."
    )

    BINDINGS = LEASE_BINDINGS
    history = False
    """Whether the table shows ended leases too (`lease list --all`)."""

    class Loaded(Message):
        """The live leases arranged for the table, and the rows set aside as unreadable,
        read in a worker."""

        def __init__(self, rows: Rows, unreadable: list[UnreadableLease], problem: str) -> None:
            super().__init__()
            self.rows = rows
            self.unreadable = unreadable
            self.problem = problem

    class HistoryLoaded(Message):
        """Per-minute counts from the lease history, to seed the activity graph once."""

        def __init__(self, issued: Counter[int], revoked: Counter[int]) -> None:
            super().__init__()
            self.issued = issued
            self.revoked = revoked

    class CredentialIssued(Message):
        """IssueRequested -> CredentialIssued: the dialog shows it once."""

        def __init__(self, issued: IssuedCredential) -> None:
            super().__init__()
            self.issued = issued

    class LeaseRenewed(Message):
        def __init__(self, lease: Lease, warnings: list[str]) -> None:
            super().__init__()
            self.lease = lease
            self.warnings = warnings

    class LeaseRevoked(Message):
        """RevokeRequested -> LeaseRevoked (the lease's final state)."""

        def __init__(self, lease: Lease) -> None:
            super().__init__()
            self.lease = lease

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._history_requested = False
        self._graph_minute: int | None = None
        self._reload_after_ops = False
        self._select_on_load: str | None = None
        self._issue_dialog: IssueRequestScreen | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="lease-toolbar"):
            yield Input(
                placeholder="/ filter: lease id, role, type, state, access key", id="lease-filter"
            )
            yield Static("", id="lease-count")
        yield UnreadableNotice(id="lease-unreadable")
        yield LeaseTable(id="lease-table")
        yield ActivityGraph(id="lease-activity")

    @property
    def table(self) -> LeaseTable:
        return self.query_one(LeaseTable)

    def on_mount(self) -> None:
        settle_heap()  # the app's modules and widgets: the load's collections skip them
        self.reload()

    # -- loading ---------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """True while an issue/renew/revoke of ours runs (its writes do not move the token)."""
        return any(
            worker.group == OPS_GROUP and worker.is_running and worker.node is self
            for worker in self.app.workers
        )

    def tick(self, store_changed: bool) -> None:
        """Called once a second: redraw the countdowns (the table's visible lines), the graph
        when a new minute starts (its bars move by the minute); reload if anything may have
        changed (the reload's answer redraws the table, countdowns too: not twice)."""
        minute = int(self.wb.clock() // 60)
        if minute != self._graph_minute:
            self._graph_minute = minute
            self.query_one(ActivityGraph).refresh()
        if store_changed or self.busy or self._reload_after_ops:
            self._reload_after_ops = self.busy
            self.reload()
        else:
            self.table.refresh()

    def reload(self) -> None:
        table = self.table
        self.load_leases(self.service, table.view, table.arranged.leases, self.history)

    @work(
        thread=True,
        group="lease-load",
        exclusive=True,
        exit_on_error=False,
        description="Load leases",
    )
    def load_leases(
        self,
        service: Workbench,
        view: View,
        shown: Mapping[str, Lease],
        history: bool = False,
    ) -> None:
        """Read the leases and arrange them for the table's `view` here, off the UI thread
        (10-20 ms at 10,000 leases, and the store can change every second), reusing the
        `shown` ones that did not change."""
        with collections_paused():
            rows = rows_of(service.leases.list(include_history=history), view, shown)
            settle_heap()  # before the UI thread's collections can walk the new leases
        unreadable, problem = read_unreadable(service)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(rows, unreadable, problem))

    def seed_graph(self) -> None:
        """Read the lease history into the activity graph, once.

        The main screen asks once the leases are drawn and the other panes are
        mounted: the read builds every lease ever issued (ended ones too), and a
        thread doing that at the same time holds the GIL the UI thread needs to
        draw the first paint.
        """
        if not self._history_requested:
            self._history_requested = True
            self.load_history(self.service, self.wb.clock())

    @work(thread=True, group="lease-history", exit_on_error=False, description="Load lease history")
    def load_history(self, service: Workbench, now: float) -> None:
        with collections_paused():  # the list is freed as soon as it is counted
            counts = count_history(service.leases.list(include_history=True), now)
        self.post_message(self.HistoryLoaded(*counts))

    def on_lease_pane_loaded(self, event: Loaded) -> None:
        self.table.show_rows(event.rows)
        self.query_one(UnreadableNotice).show(event.unreadable, event.problem)
        if self._select_on_load and self.table.select(self._select_on_load):
            self._select_on_load = None
        if not self.history:  # the graph counts issues and revocations among live leases
            self.query_one(ActivityGraph).observe(event.rows.leases, event.rows.ids)
        self._show_count()

    def on_lease_pane_history_loaded(self, event: HistoryLoaded) -> None:
        self.query_one(ActivityGraph).seed(event.issued, event.revoked)

    def _show_count(self) -> None:
        table = self.table
        shown, total = len(table.rows), table.lease_count
        kind = "live and ended" if self.history else "live"
        text = f"{total} {kind}" if shown == total else f"{shown} of {total} {kind}"
        show_text(self.query_one("#lease-count", Static), Text(text))

    def action_history(self) -> None:
        self.history = not self.history
        self.table.empty_message = (
            "No leases yet." if self.history else "No live leases. Press i to issue one."
        )
        self.reload()
        say(self, "Showing ended leases too (h: live only)" if self.history else "Live leases")

    # -- filter and sort ---------------------------------------------------------

    @on(Input.Changed, "#lease-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value)
        self._show_count()

    @on(Input.Submitted, "#lease-filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_filter(self) -> None:
        self.query_one("#lease-filter", Input).focus()

    def action_sort(self) -> None:
        keys = [column.key for column in COLUMNS]
        table = self.table
        table.sort_by(keys[(keys.index(table.sort_column) + 1) % len(keys)])

    def action_reverse(self) -> None:
        self.table.sort_by(self.table.sort_column)

    # -- issue ---------------------------------------------------------------

    def action_issue(self, role: str | None = None) -> None:
        engine = self.engine
        self.call_service(
            lambda service: service.roles.list(engine),
            lambda roles: self._ask_issue(engine, roles, role),
            doing="Reading the roles",
        )

    def _ask_issue(self, engine: str, roles: list[Role], role: str | None) -> None:
        if not roles:
            say(
                self,
                f"Engine {engine!r} has no roles yet; write one in the Roles pane (key 2).",
                severity="warning",
            )
            return
        selected = role or (self.table.selected.role if self.table.selected else None)

        def issue(request: IssueRequest) -> None:
            self.issue_credential(self.service, engine, request)

        # It stays open while issuing: closed once issued, or shown why not (on_worker_...).
        self._issue_dialog = IssueRequestScreen(roles, selected=selected, on_request=issue)
        self.app.push_screen(self._issue_dialog)

    @work(
        thread=True,
        group=OPS_GROUP,
        exit_on_error=False,
        description="Issue a credential",
        name=ISSUE_WORKER,
    )
    def issue_credential(self, service: Workbench, engine: str, request: IssueRequest) -> None:
        issued = service.creds.issue(
            engine,
            request.role,
            ttl=request.ttl,
            role_arn=request.role_arn,
            mfa_code=request.mfa_code,
        )
        self.post_message(self.CredentialIssued(issued))

    def on_lease_pane_credential_issued(self, event: LeasePane.CredentialIssued) -> None:
        dialog, self._issue_dialog = self._issue_dialog, None
        if dialog is not None and self.app.screen is dialog:
            dialog.dismiss(None)
        self._reload_after_ops = True
        self._select_on_load = event.issued.lease.lease_id
        self.reload()
        self.app.push_screen(CredentialScreen(event.issued))

    # -- renew, revoke, copy --------------------------------------------------------

    def _selected(self) -> Lease | None:
        lease = self.table.selected
        if lease is None:
            say(self, "No lease is selected.", severity="warning")
        return lease

    def action_renew(self) -> None:
        lease = self._selected()
        if lease is not None:
            self.renew_lease(self.service, lease.lease_id)

    @work(thread=True, group=OPS_GROUP, exit_on_error=False, description="Renew the lease")
    def renew_lease(self, service: Workbench, lease_id: str) -> None:
        lease, warnings = service.leases.renew(lease_id)
        self.post_message(self.LeaseRenewed(lease, warnings))

    def on_lease_pane_lease_renewed(self, event: LeaseRenewed) -> None:
        self.reload()
        left = in_words(event.lease.expire_time - self.wb.clock())
        message = f"Renewed {event.lease.lease_id}; it now expires in {left}."
        for warning in event.warnings:
            message += f"\n{warning}"
        say(self, message, title="Renewed")

    def action_revoke(self) -> None:
        lease = self._selected()
        if lease is None:
            return
        lease_id = lease.lease_id
        self.confirm_then(
            "Revoke lease",
            f"Revoke {lease_id}?\nIts credentials stop working.",
            lambda: self.revoke_lease(self.service, lease_id),
            yes_label="Revoke",
        )

    @work(thread=True, group=OPS_GROUP, exit_on_error=False, description="Revoke the lease")
    def revoke_lease(self, service: Workbench, lease_id: str) -> None:
        self.post_message(self.LeaseRevoked(service.leases.revoke(lease_id)))

    def on_lease_pane_lease_revoked(self, event: LeaseRevoked) -> None:
        self.reload()
        message, severity = describe_revoked(event.lease)
        say(self, message, title="Revoked", severity=severity)

    def action_details(self, lease: Lease | None = None) -> None:
        lease = lease or self._selected()
        if lease is not None:
            self.app.push_screen(LeaseDetailScreen(lease))

    def on_lease_table_opened(self, event: LeaseTable.Opened) -> None:
        self.action_details(event.lease)

    def action_find(self) -> None:
        def found(lease: Lease | None) -> None:
            if lease is not None:
                self.action_details(lease)

        self.app.push_screen(FindLeaseScreen(), found)

    def action_copy(self) -> None:
        lease = self._selected()
        if lease is not None:
            self.app.copy_to_clipboard(lease.lease_id)
            say(self, f"Copied {lease.lease_id}")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        dialog, error = self._issue_dialog, event.worker.error
        if (
            event.worker.name == ISSUE_WORKER
            and event.state is WorkerState.ERROR
            and error is not None
            and dialog is not None
            and dialog in self.app.screen_stack
        ):
            dialog.failed(error)  # shown in the dialog, which keeps what was typed
            self.reload()
            return
        if report_worker_error(self, event) and event.worker.group == OPS_GROUP:
            self.reload()
