"""Small text helpers shared by the panes: countdowns, UTC times, error text, safe output."""

from __future__ import annotations

import re

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.content import Content
from textual.dom import DOMNode
from textual.filter import LineFilter
from textual.notifications import SeverityLevel
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from workbench.domain.errors import WorkbenchError
from workbench.domain.text import printable

SOON_SECONDS = 300
URGENT_SECONDS = 60


def urgency(seconds: float) -> str:
    """`ok`, `soon` (under five minutes) or `urgent` (under a minute): the countdown colour."""
    if seconds <= URGENT_SECONDS:
        return "urgent"
    if seconds <= SOON_SECONDS:
        return "soon"
    return "ok"


# The TUI's words for what an error concerns (WorkbenchError.field and .hint).
FIELD_LABELS = {
    "ttl": "TTL",
    "lease": "Lease (default TTL)",
    "lease_max": "Lease max",
    "increment": "the increment",
    "role_arn": "Role ARN",
    "mfa_code": "MFA code",
    "access_key": "Access key ID",
    "secret_key": "Secret key",
    "profile": "Profile",
    "iam_endpoint": "IAM endpoint",
    "sts_endpoint": "STS endpoint",
    "username": "IAM user",
    "rotation_period": "Rotation period",
    "secret": "Secret key",
    "since": "Since",
    "label": "The name shown",
    "region": "Region",
    "name": "Name",
    "cache_min_left": "The cache's least share left",
}
TUI_HINTS = {
    "create_store": "start the workbench again to create one",
    "unlock_as_operator": (
        "start the workbench as one of them (--operator NAME), or ask one of them to add "
        "{operator} (`workbench operator add {operator}`)"
    ),
    "list_operators": "`workbench operator list` shows the operators",
    "unlock_again": "quit and start the workbench again to unlock the store with its new key",
    "confirm_take_over": "confirm taking it over when asked",
    "verify_audit": "Verify chain (v) on the Audit pane (4) shows where the chain breaks",
    "list_audit_devices": "`workbench audit list` shows them",
    "check_root": "check the engine's root credentials on the Engines pane (3)",
    "set_root": "set the root credentials or a profile on the Engines pane (3)",
    "check_profile": "check the profile on the Engines pane (3)",
    "enable_engine": "enable it on the Engines pane (3)",
    "list_roles": "the Roles pane (2) shows the roles",
    "list_all_leases": "it may have ended: the Leases pane (1) shows the live ones",
    "list_leases": "the Leases pane (1) shows them",
    "revoke_prefix": "revoke by prefix ({prefix}) on the Leases pane (1, then P)",
    "delete_role_with_leases": "revoke them on the Leases pane (1, then P, prefix {prefix})",
}


def field_label(name: str) -> str:
    """An input as the TUI labels it."""
    return FIELD_LABELS.get(name, name.replace("_", " "))


def error_text(error: BaseException) -> str:
    """The message a person can act on, in the TUI's words; unexpected errors keep their type."""
    if isinstance(error, WorkbenchError):
        return error.phrased(field_label, TUI_HINTS)
    return f"{type(error).__name__}: {error}"


def middle_ellipsis(text: str, width: int) -> str:
    """Shorten `text` to `width` cells keeping both ends (lease ids differ at the end)."""
    if len(text) <= width:
        return text
    if width <= 1:
        return text[:width]
    head = (width - 1) // 2
    tail = width - 1 - head
    return text[:head] + "…" + text[len(text) - tail :]


def plain(text: str, style: str | Style = "") -> Text:
    """Outside text as a Rich Text: literal (no markup), control characters shown escaped."""
    return Text(printable(text, keep_newlines=True), style=style)


def show_text(static: Static, content: Content | Text | str) -> None:
    """`static.update(content)`, unless it shows that already (the same text and styles).

    Each update lays the whole screen out again, as the text may change size: with every
    pane mounted that is 15-25 ms of the UI thread, and the panes read again (and set
    their summaries) whenever the store changes, which can be every second.
    """
    shown = static.content
    if type(shown) is type(content):
        if isinstance(shown, Content) and isinstance(content, Content):
            if shown.plain == content.plain and shown.spans == content.spans:
                return
        elif shown == content:  # str, or rich Text: its plain text and spans
            return
    static.update(content)


def say(
    node: DOMNode,
    message: str,
    *,
    title: str = "",
    severity: SeverityLevel = "information",
    timeout: float | None = None,
) -> None:
    """A notification of literal text, control characters escaped (every `notify` goes here)."""
    node.app.notify(
        printable(message, keep_newlines=True),
        title=printable(title),
        severity=severity,
        markup=False,
        timeout=timeout,
    )


def show_error(node: DOMNode, error: BaseException, title: str) -> None:
    """Tell the person what failed, as an error notification, and carry on."""
    say(node, error_text(error), title=title, severity="error", timeout=10)


def report_worker_error(node: DOMNode, event: Worker.StateChanged) -> bool:
    """Show a failed worker's error as a notification (literal text); True if it failed."""
    if event.state is not WorkerState.ERROR or event.worker.error is None:
        return False
    show_error(node, event.worker.error, event.worker.description or "Failed")
    return True


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class ControlCharacterFilter(LineFilter):
    """Drops any control character left in a line before it is written to the terminal.

    Outside text is escaped with `printable` where it is shown; this is the last
    guard for text that slips past (an Input holding a stored value, say), so an
    ESC or OSC can never reach the terminal. The characters dropped take no cell,
    so the layout is unchanged.
    """

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        search = _CONTROL.search
        if not any(search(segment.text) for segment in segments if not segment.control):
            return segments
        return [
            segment
            if segment.control or not search(segment.text)
            else Segment(_CONTROL.sub("", segment.text), segment.style)
            for segment in segments
        ]
