"""Small text helpers shared by the panes: countdowns, UTC times, error text."""

from __future__ import annotations

import time

from textual.dom import DOMNode
from textual.worker import Worker, WorkerState

from workbench.domain.errors import WorkbenchError

SOON_SECONDS = 300
URGENT_SECONDS = 60


def expires_in(seconds: float) -> str:
    """A countdown a person reads at a glance: `1h 05m`, `4m 09s`, `12s`, `expired`."""
    if seconds <= 0:
        return "expired"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 24:
        days, hours = divmod(hours, 24)
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def urgency(seconds: float) -> str:
    """`ok`, `soon` (under five minutes) or `urgent` (under a minute): the countdown colour."""
    if seconds <= URGENT_SECONDS:
        return "urgent"
    if seconds <= SOON_SECONDS:
        return "soon"
    return "ok"


def utc_time(timestamp: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(timestamp))


def utc_stamp(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(timestamp))


def error_text(error: BaseException) -> str:
    """The message a person can act on; unexpected errors keep their type name."""
    if isinstance(error, WorkbenchError):
        return str(error)
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


def report_worker_error(node: DOMNode, event: Worker.StateChanged) -> bool:
    """Show a failed worker's error as a notification (literal text); True if it failed."""
    if event.state is not WorkerState.ERROR or event.worker.error is None:
        return False
    node.app.notify(
        error_text(event.worker.error),
        title=event.worker.description or "Failed",
        severity="error",
        markup=False,
        timeout=10,
    )
    return True
