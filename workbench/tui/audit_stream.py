"""The audit stream: a live tail with filters, entry detail as JSON, chain verification."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Resize
from textual.message import Message
from textual.widgets import Button, Checkbox, DataTable, Input, Select, Static
from textual.worker import Worker, get_current_worker

from workbench.domain.formatting import utc_stamp
from workbench.domain.models import AuditRecord, Lease
from workbench.domain.text import printable
from workbench.service import OPERATIONS, VerifyResult
from workbench.tui.detail_view import DetailScreen
from workbench.tui.display import plain, report_worker_error, say
from workbench.tui.find_dialog import FindLeaseScreen
from workbench.tui.fitted_table import FitColumn, FittedTable
from workbench.tui.lease_detail import LeaseDetailScreen
from workbench.tui.pane import Pane
from workbench.tui.theme_colors import theme_style, themed

if TYPE_CHECKING:
    from rich.syntax import Syntax

    from workbench.service import Workbench

INITIAL_ENTRIES = 500
MAX_ROWS = 2000
NARROW = 110  # below this the entry's JSON leaves the side (enter shows it) and the
# filters go compact
COLUMNS = (
    FitColumn("time", "Time (UTC)", 14),
    FitColumn("type", "Type", 8),
    FitColumn("operation", "Op", 6),
    FitColumn("path", "Path", least=14, weight=5, middle=True),
    FitColumn("error", "Error", least=8),
)


class AuditStream(Pane, Vertical):
    """Every request and response as it is written; errors stand out."""

    PANE_ID = "audit"
    PANE_KEY = "4"
    PANE_TITLE = "Audit"
    PANE_FOCUS = "#audit-table"
    PANE_WIDGET_ID = "audit-stream"
    PANE_HELP = (
        "Audit: every request and response, in Vault's audit format. Secrets appear only "
        "as hmac-sha256 digests. Each entry's hash covers the one before it, so 'verify "
        "chain' finds the first entry that was changed, inserted or removed."
    )

    BINDINGS = [
        Binding(
            "v",
            "verify",
            "Verify chain",
            id="audit.verify",
            tooltip="Walk the hash chain and report the first broken entry",
        ),
        Binding(
            "e",
            "toggle_errors",
            "Errors only",
            id="audit.errors",
            tooltip="Show only entries that carry an error",
        ),
        Binding(
            "slash", "filter", "Filter path", id="audit.filter", tooltip="Filter by path prefix"
        ),
        Binding(
            "F",
            "find",
            "Find leaked",
            id="audit.find",
            tooltip="The lease of a leaked access key or secret (matched by its audit HMAC)",
        ),
        Binding(
            "enter",
            "details",
            "Details",
            id="audit.details",
            tooltip="Show the selected entry in full (its JSON), whatever the width",
        ),
    ]

    class Loaded(Message):
        """Entries read in a worker: the whole view (`replace`) or the new tail."""

        def __init__(self, records: list[AuditRecord], cursor: int, replace: bool) -> None:
            super().__init__()
            self.records = records
            self.cursor = cursor
            self.replace = replace

    class Verified(Message):
        def __init__(self, result: VerifyResult) -> None:
            super().__init__()
            self.result = result

    """How long typing in the path filter must pause before reloading (tests: 0)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._records: dict[int, AuditRecord] = {}
        self._cursor = 0
        self._loaded = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="audit-toolbar"):
            yield Input(placeholder="/ path prefix, e.g. aws/creds/", id="audit-path")
            yield Select(
                [(Text(operation), operation) for operation in sorted(OPERATIONS)],
                prompt="any operation",
                id="audit-operation",
            )
            yield Checkbox("errors only (e)", id="audit-errors")
            yield Button("Verify chain (v)", id="audit-verify-button")
        verdict = Static("", id="audit-verify")
        verdict.display = False  # a line for the chain's verdict, once there is one
        yield verdict
        with Horizontal(id="audit-body"):
            yield FittedTable(COLUMNS, drop=("type", "error"), id="audit-table")
            with VerticalScroll(id="audit-detail-box"):
                yield Static("", id="audit-detail")

    def on_resize(self, event: Resize) -> None:
        narrow = event.size.width < NARROW
        self.set_class(narrow, "-narrow")
        for widget in self.query("#audit-toolbar > *"):
            widget.compact = narrow  # type: ignore[attr-defined]

    # -- loading --------------------------------------------------------------------

    def _filters(self) -> tuple[str | None, str | None, bool]:
        path = self.query_one("#audit-path", Input).value.strip() or None
        operation = self.query_one("#audit-operation", Select).value
        errors = self.query_one("#audit-errors", Checkbox).value
        return path, operation if isinstance(operation, str) else None, errors

    def tick(self) -> None:
        """Fetch what was appended since the last look (the pane is visible)."""
        if not self._loaded:
            self.reload()
        else:
            self.load_entries(self.service, self._cursor, *self._filters())

    def theme_changed(self) -> None:
        if self._loaded:  # rows keep the colours they were made in
            self.reload()

    def reload(self) -> None:
        self._loaded = True
        self.load_entries(self.service, None, *self._filters())

    @work(
        thread=True,
        group="audit-load",
        exclusive=True,
        exit_on_error=False,
        description="Read the audit trail",
    )
    def load_entries(
        self,
        service: Workbench,
        after: int | None,
        path: str | None,
        operation: str | None,
        errors_only: bool,
    ) -> None:
        # Entries up to the count taken first are all committed before the read, so the
        # next tail can start there even when the filter matched none of them.
        count = service.audit.count()
        records = list(
            service.audit.entries(
                newest=INITIAL_ENTRIES if after is None else None,
                after_seq=after or 0,
                path_prefix=path,
                operation=operation,
                errors_only=errors_only,
            )
        )
        cursor = max([count, after or 0, *(record.seq for record in records)])
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(records, cursor, replace=after is None))

    def on_audit_stream_loaded(self, event: Loaded) -> None:
        table = self.query_one("#audit-table", FittedTable)
        following = table.cursor_row >= table.row_count - 1
        if event.replace:
            table.clear()
            self._records.clear()
        self._cursor = max(self._cursor, event.cursor) if not event.replace else event.cursor
        for record in event.records:
            if record.seq in self._records:
                continue
            self._records[record.seq] = record
            table.put(str(record.seq), self._cells(record))
        while table.row_count > MAX_ROWS:
            oldest = min(self._records)
            del self._records[oldest]
            table.remove_row(str(oldest))
        if event.records and (following or event.replace):
            table.move_cursor(row=table.row_count - 1, animate=False)
        if not self._records:
            none = themed("No entries match.", "$workbench-muted")
            self.query_one("#audit-detail", Static).update(none)

    def _cells(self, record: AuditRecord) -> dict[str, Text]:
        entry = record.entry
        request = entry.get("request") or {}
        error = str(entry.get("error") or "")
        style = theme_style(self, "bold $text-error" if error else "")
        return {
            "time": Text(utc_stamp(record.time)[5:], style=style),
            "type": plain(str(entry.get("type", "")), style=style),
            "operation": plain(str(request.get("operation", "")), style=style),
            "path": plain(str(request.get("path", "")), style=style),
            "error": plain(error, style=style),
        }

    @staticmethod
    def _json(record: AuditRecord) -> str:
        # json.dumps escapes C0 controls; printable also catches C1 (CSI 0x9b) and U+2028.
        return printable(
            json.dumps(record.entry, indent=2, sort_keys=True, ensure_ascii=False),
            keep_newlines=True,
        )

    def _syntax(self, text: str) -> Syntax:
        # Deferred: rich.syntax brings Pygments, ~8 ms of the main screen's first paint.
        from rich.syntax import Syntax

        # A dark theme: the terminal palette's JSON colours; a light one: Pygments' own.
        palette = "ansi_dark" if self.app.current_theme.dark else "default"
        return Syntax(text, "json", word_wrap=True, background_color="default", theme=palette)

    @on(DataTable.RowHighlighted, "#audit-table")
    def _show_detail(self, event: DataTable.RowHighlighted) -> None:
        record = self._records.get(int(event.row_key.value or 0))
        if record is not None:
            self.query_one("#audit-detail", Static).update(self._syntax(self._json(record)))

    @on(DataTable.RowSelected, "#audit-table")
    def action_details(self) -> None:
        """The entry in full: at 80 columns the side detail is hidden and paths are cut."""
        key = self.query_one("#audit-table", FittedTable).cursor_key
        record = self._records.get(int(key)) if key else None
        if record is None:
            say(self, "No audit entry is selected.", severity="warning")
            return
        text = self._json(record)
        self.app.push_screen(
            DetailScreen(
                f"Audit entry #{record.seq}",
                self._syntax(text),
                copy_text=text,
                copy_what="the entry as JSON",
            )
        )

    # -- filters ------------------------------------------------------------------------

    @on(Input.Changed, "#audit-path")
    def _path_changed(self) -> None:
        self.debounce(self.reload)

    @on(Input.Submitted, "#audit-path")
    def _path_done(self) -> None:
        self.query_one("#audit-table").focus()

    @on(Select.Changed, "#audit-operation")
    @on(Checkbox.Changed, "#audit-errors")
    def _filter_changed(self) -> None:
        self.reload()

    def action_filter(self) -> None:
        self.query_one("#audit-path", Input).focus()

    def action_toggle_errors(self) -> None:
        self.query_one("#audit-errors", Checkbox).toggle()

    def action_find(self) -> None:
        """The lease-pane search, here too: the match opens in full with its trail."""

        def found(lease: Lease | None) -> None:
            if lease is not None:
                self.app.push_screen(LeaseDetailScreen(lease))

        self.app.push_screen(FindLeaseScreen(), found)

    # -- verify ---------------------------------------------------------------------------

    @on(Button.Pressed, "#audit-verify-button")
    def action_verify(self) -> None:
        verdict = self.query_one("#audit-verify", Static)
        verdict.update(Text("Verifying the chain…"))
        verdict.display = True
        self.verify_chain(self.service)

    @work(
        thread=True,
        group="audit-verify",
        exclusive=True,
        exit_on_error=False,
        description="Verify the audit chain",
    )
    def verify_chain(self, service: Workbench) -> None:
        self.post_message(self.Verified(service.audit.verify()))

    def on_audit_stream_verified(self, event: Verified) -> None:
        result = event.result
        if result.ok:
            text = themed(
                f"Chain verified ✓  {result.count} entries, head #{result.head_seq} "
                f"{result.head_hash[:16]}…",
                "bold $text-success",
            )
            say(self, f"Audit chain verified: {result.count} entries.")
        else:
            where = f" (entry #{result.bad_seq})" if result.bad_seq is not None else ""
            text = themed(f"Chain BROKEN{where}: {result.problem}", "bold $text-error")
            say(self, f"Audit chain broken{where}: {result.problem}", severity="error", timeout=15)
            if result.bad_seq is not None and result.bad_seq in self._records:
                table = self.query_one("#audit-table", FittedTable)
                table.move_cursor(row=table.get_row_index(str(result.bad_seq)))
        self.query_one("#audit-verify", Static).update(text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)
