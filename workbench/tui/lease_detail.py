"""One lease in full: every field, how it was revoked, and its AWS calls (its trail).

The trail is CloudTrail's LookupEvents for the lease's key (and its IAM user or
session name), read off the UI thread at the engine's pace (each second on the
embedded AWS, every 30 s on real CloudTrail, which is about 15 minutes behind
and allows 2 lookups a second), so a second process using the key shows up
within a second of the embedded AWS recording the call.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import TYPE_CHECKING, Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from workbench.domain.durations import format_duration, parse_duration
from workbench.domain.errors import InvalidInput
from workbench.domain.formatting import expires_in, in_words, utc_stamp
from workbench.domain.lifecycle import LIVE
from workbench.domain.models import AuditRecord, Lease
from workbench.domain.text import printable
from workbench.domain.trail import TRAIL_SCOPE, TrailEvent
from workbench.tui.display import error_text, plain, say
from workbench.tui.pane import Pane
from workbench.tui.trail_table import TRAIL_ROWS, TrailView

if TYPE_CHECKING:
    from workbench.service import Workbench


def _text(value: str | None) -> Text:
    """Outside text as one literal cell ("-" when there is none)."""
    return Text(printable(value) if value else "-")


def lease_fields(lease: Lease, now: float) -> list[tuple[str, str]]:
    """Every field of `lease` a person can act on, in words (never the secret)."""
    live = lease.state in LIVE
    remaining = lease.expire_time - now
    left = f"in {expires_in(remaining)}" if remaining > 0 else "expired"
    if not live:
        left = f"ended: {lease.state.value}"
    user = lease.iam_user_name or ""
    if user and lease.iam_user_path and lease.iam_user_path != "/":
        user += f" (path {lease.iam_user_path})"
    rows = [
        ("Lease ID", lease.lease_id),
        ("Engine", lease.engine),
        ("Role", lease.role),
        ("Type", lease.credential_type.value),
        ("State", lease.state.value),
        ("Issued", f"{utc_stamp(lease.issue_time)} UTC"),
        ("Issued by", lease.issued_by or ""),
        ("Expires", f"{utc_stamp(lease.expire_time)} UTC ({left})"),
        ("Max expiry", f"{utc_stamp(lease.max_expire_time)} UTC"),
        ("TTL", format_duration(lease.lease_duration)),
        ("Renewable", "yes" if lease.renewable else "no"),
        ("IAM user", user),
        ("Access key ID", lease.access_key_id or ""),
        ("Session name", lease.session_name or ""),
        ("Role ARN", lease.role_arn or ""),
        ("Error", lease.error or ""),
    ]
    if lease.attempts:
        retry = lease.next_attempt_time
        when = f"; next at {utc_stamp(retry)} UTC" if retry else ""
        rows.append(("Attempts", f"{lease.attempts}{when}"))
    if lease.owner:
        rows.append(("Held by", lease.owner))
    return rows


def revocation_words(record: dict[str, Any] | None, headline: str) -> list[tuple[str, str]]:
    """How a revocation cut access, from its record; `headline` is its one-line summary."""
    if not record:
        return []
    rows = [("Outcome", headline)]
    path = str(record.get("path") or "")
    if path and path not in headline:
        rows.append(("Path", path))
    if record.get("reason"):
        rows.append(("Why", str(record["reason"])))
    if record.get("key_inactive_time"):
        rows.append(("Key inactive", f"{utc_stamp(float(record['key_inactive_time']))} UTC"))
    deny = record.get("deny") or {}
    if deny:
        rows.append(
            (
                "Denied by",
                f"policy {deny.get('policy', '')} (statement {deny.get('sid', '')}) "
                f"on the {deny.get('target', '')}",
            )
        )
        if deny.get("condition"):
            rows.append(("Condition", json.dumps(deny["condition"], sort_keys=True)))
    probe = record.get("probe") or {}
    if probe.get("refused"):
        code = f" ({probe['code']})" if probe.get("code") else ""
        after = float(probe.get("after", 0))
        rows.append(("AWS refuses", f"yes{code}, {after:.1f} s after the key was cut"))
    elif probe:
        rows.append(("AWS refuses", f"no: {probe.get('warning', 'the probe gave up')}"))
    for key in ("warning", "widened"):
        if record.get(key) and str(record[key]) != headline:
            rows.append(("Warning", str(record[key])))
    if record.get("accepted_until"):
        rows.append(("Valid until", f"{utc_stamp(float(record['accepted_until']))} UTC"))
    if record.get("calls"):
        rows.append(("Calls", ", ".join(str(call) for call in record["calls"])))
    return rows


class FieldList(Static):
    """Label / value rows, in two columns when there is room; values wrap, never cut."""

    COMPONENT_CLASSES = {"field-list--label"}
    TWO_COLUMNS = 110  # cells wide enough for two label / value columns

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[tuple[str, str]] = []
        self._columns = 0

    def show(self, rows: list[tuple[str, str]]) -> None:
        self._rows = rows
        self._draw()

    def on_resize(self) -> None:
        if self._wanted_columns() != self._columns:
            self._draw()

    def _wanted_columns(self) -> int:
        return 2 if self.size.width >= self.TWO_COLUMNS and len(self._rows) > 4 else 1

    def _draw(self) -> None:
        self._columns = columns = self._wanted_columns()
        label = self.get_component_rich_style("field-list--label")
        grid = Table.grid(padding=(0, 2, 0, 0), expand=True)
        for _ in range(columns):
            grid.add_column(no_wrap=True, style=label)
            grid.add_column(overflow="fold", ratio=1)
        height = -(-len(self._rows) // columns)  # filled down the first column, then the next
        for line in range(height):
            cells: list[Text | str] = []
            for column in range(columns):
                index = column * height + line
                if index < len(self._rows):
                    name, value = self._rows[index]
                    cells += [name, _text(value)]
                else:
                    cells += ["", ""]
            grid.add_row(*cells)
        self.update(grid)


def trail_status(events: list[TrailEvent] | None, error: str, seconds: float) -> str:
    """The line above the trail: how many calls, how often it is read, or why it is not."""
    if error:
        return f"The trail could not be read: {error} (tried again every {seconds:g} s)"
    if events is None:
        return "Reading the trail from CloudTrail..."
    shown = f", the newest {TRAIL_ROWS} shown" if len(events) > TRAIL_ROWS else ""
    flagged = sum(1 for event in events if event.flags)
    flags = f", {flagged} flagged" if flagged else ""
    return f"{len(events)} call(s){flags}{shown}; newest first, read again every {seconds:g} s."


@dataclasses.dataclass
class _Reading:
    """What one refresh read: the lease as stored now, and its trail (or why not)."""

    lease: Lease | None
    events: list[TrailEvent] | None
    error: str
    poll: float | None = None  # how often to read again (the engine says: embedded or AWS)
    audit: list[AuditRecord] = dataclasses.field(default_factory=list)


def _read(service: Workbench, lease_id: str, *, audited: bool, after_seq: int) -> _Reading:
    """The lease (live or ended, unaudited), its new audit entries, its trail (the first read
    audited)."""
    matches = service.leases.list(lease_id, include_history=True)
    lease = next((found for found in matches if found.lease_id == lease_id), None)
    since = lease.issue_time - 1 if lease is not None and not after_seq else None
    audit = service.audit.lease_entries(lease_id, after_seq=after_seq, since=since)
    try:
        poll = service.incident.trail_poll_seconds(lease_id)
        events = service.incident.trail(lease_id, audited=audited)
        return _Reading(lease, events, "", poll, audit)
    except Exception as error:  # shown on the status line, read again on the next refresh
        return _Reading(lease, None, error_text(error), audit=audit)


def audit_line(record: AuditRecord) -> Text:
    """One audit entry of a lease: when, who, what, and its error if it has one."""
    entry = record.entry
    request = entry.get("request") or {}
    who = (entry.get("auth") or {}).get("display_name") or "-"
    line = (
        f"{utc_stamp(record.time)}  {entry.get('type', ''):<8}  {who}  "
        f"{request.get('operation', '')} {request.get('path', '')}"
    )
    if entry.get("error"):
        line += f"  error: {entry['error']}"
    return Text(printable(line))


class LeaseDetailScreen(Pane, ModalScreen[None]):
    """Every field of one lease, how it ended, and its trail; esc closes.

    A Pane for `call_service`: the refreshes run off the UI thread.
    """

    PANE_ID = "lease-detail"
    refresh_seconds: ClassVar[float] = 1.0  # until the first read says how often

    BINDINGS = [
        Binding("escape", "close", "Close", id="detail.close", tooltip="Close the lease detail"),
        Binding("c", "copy", "Copy id", id="detail.copy", tooltip="Copy the lease id"),
        Binding("t", "trail", "Trail", id="detail.trail", tooltip="Scroll to the AWS calls"),
        Binding(
            "r",
            "renew",
            "Renew by…",
            id="detail.renew",
            tooltip="Renew this lease by a chosen increment (empty: the engine's default TTL)",
        ),
    ]

    AUTO_FOCUS = "#lease-detail-body"

    def __init__(self, lease: Lease) -> None:
        super().__init__(classes="dialog-screen")
        # Only what is shown is kept: a lease found by its secret may carry it.
        self.lease = dataclasses.replace(lease, secret_key=None, session_token=None)
        self.events: list[TrailEvent] | None = None
        self._error = ""
        self._reading = False
        self._audited = False
        self._next_read = 0.0
        self.poll_seconds = self.refresh_seconds
        self._shown_events: tuple[tuple[str, tuple[str, ...]], ...] | None = None
        self.audit: list[AuditRecord] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="lease-detail"):
            yield Label(plain(f"Lease {self.lease.lease_id}"), classes="dialog-title")
            with VerticalScroll(id="lease-detail-body"):
                yield FieldList(id="lease-detail-fields")
                yield Label("How it was revoked", classes="section-title", id="revocation-title")
                yield FieldList(id="lease-detail-revocation")
                yield Label("Audit entries", classes="section-title", id="audit-title")
                yield Static("", id="lease-detail-audit")
                yield Label("AWS calls (trail)", classes="section-title", id="trail-title")
                yield Static(Text(f"Scope: {TRAIL_SCOPE}."), id="trail-scope")
                yield Static("", id="trail-status")
                yield TrailView(id="lease-detail-trail")
            yield Static(
                Text("esc close · r renew by… · t AWS calls · c copy id · ↑↓ scroll"),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self._show_lease()
        self._show_trail()
        self.refresh_trail()
        self.set_interval(1.0, self._show_lease, name="lease-detail-countdown")
        self.set_interval(self.refresh_seconds, self.refresh_trail, name="lease-detail-trail")

    def refresh_trail(self) -> None:
        """Read the lease and its trail again (one read at a time, at the engine's pace)."""
        if self._reading or time.monotonic() < self._next_read:
            return
        self._reading = True
        lease_id = self.lease.lease_id
        audited, self._audited = not self._audited, True  # one audit entry per opening
        after_seq = self.audit[-1].seq if self.audit else 0
        self.call_service(
            lambda service: _read(service, lease_id, audited=audited, after_seq=after_seq),
            self._read_done,
            doing="Reading the lease and its trail",
        )

    def _read_done(self, reading: _Reading) -> None:
        self._reading = False
        if not self.is_attached:
            return  # closed while the read ran
        if reading.lease is not None:
            self.lease = dataclasses.replace(reading.lease, secret_key=None, session_token=None)
        if reading.poll is not None:
            self.poll_seconds = reading.poll
        self._next_read = time.monotonic() + self.poll_seconds - 0.05
        if reading.events is not None:
            self.events = reading.events
        if reading.audit:
            self.audit.extend(reading.audit)
            lines = Text("\n").join(audit_line(record) for record in self.audit)
            self.query_one("#lease-detail-audit", Static).update(lines)
        self._error = reading.error
        self._show_lease()
        self._show_trail()

    def _show_lease(self) -> None:
        lease = self.lease
        self.query_one("#lease-detail-fields", FieldList).show(lease_fields(lease, self.wb.clock()))
        rows: list[tuple[str, str]] = []
        if lease.revocation:
            # Deferred: the service's revocation module loads the AWS layer, which the
            # lease table's first paint does not need.
            from workbench.service import describe_revocation

            rows = revocation_words(lease.revocation, describe_revocation(lease.revocation))
        self.query_one("#revocation-title").display = bool(rows)
        revocation = self.query_one("#lease-detail-revocation", FieldList)
        revocation.display = bool(rows)
        if rows:
            revocation.show(rows)

    def _show_trail(self) -> None:
        status = trail_status(self.events, self._error, self.poll_seconds)
        self.query_one("#trail-status", Static).update(Text(status))
        events = self.events or []
        shown = tuple((event.event_id, tuple(event.flags)) for event in events)
        if self.events is not None and shown != self._shown_events:
            self._shown_events = shown
            self.query_one(TrailView).show(events, self.wb.clock())

    def action_renew(self) -> None:
        from workbench.tui.confirm import PromptScreen

        lease_id = self.lease.lease_id

        def describe(text: str) -> str:
            if not text.strip():
                return "Empty: the engine's default TTL, counted from now (up to the max TTL)."
            try:
                return f"Counted from now: {format_duration(parse_duration(text.strip()))}."
            except InvalidInput as error:
                return error_text(error)

        def renew(increment: str | None) -> None:
            if increment is None:
                return
            self.call_service(
                lambda service: service.leases.renew(lease_id, increment.strip() or None),
                self._renewed,
                doing="Renewing the lease",
            )

        prompt = PromptScreen(
            f"Renew {lease_id} by", placeholder="30m, 1h, 90s…", describe=describe
        )
        self.app.push_screen(prompt, renew)

    def _renewed(self, result: tuple[Lease, list[str]]) -> None:
        lease, warnings = result
        self.lease = dataclasses.replace(lease, secret_key=None, session_token=None)
        self._show_lease()
        left = in_words(lease.expire_time - self.wb.clock())
        say(self, "\n".join([f"Renewed; it now expires in {left}.", *warnings]), title="Renewed")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.lease.lease_id)
        say(self, f"Copied {self.lease.lease_id}")

    def action_trail(self) -> None:
        body = self.query_one("#lease-detail-body", VerticalScroll)
        body.scroll_to_widget(self.query_one("#trail-title"), top=True, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
