"""Helpers the TUI tests share: let the app settle, wait for the tick, read the screen."""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Callable
from typing import Any, TypeVar

from textual.app import App
from textual.pilot import Pilot
from textual.widget import Widget
from textual.worker import WorkerCancelled, WorkerFailed

W = TypeVar("W", bound=Widget)


async def settle(pilot: Pilot[Any], rounds: int = 20) -> None:
    """Let workers finish and their messages be handled (handlers may start more)."""
    app = pilot.app
    for _ in range(rounds):
        # An exclusive worker may be replaced, or one may fail (the app notifies it).
        with contextlib.suppress(WorkerCancelled, WorkerFailed):
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            await pilot.pause()
            if not any(worker.is_running for worker in app.workers):
                return


async def open_pane(pilot: Pilot[Any], pane: type[W]) -> W:
    """Show `pane` by its key from the registry, as a user would, and return it."""
    await pilot.press(pane.PANE_KEY)  # type: ignore[attr-defined]
    await settle(pilot)
    return pilot.app.screen.query_one(pane)


async def wait_until(
    pilot: Pilot[Any], condition: Callable[[], bool], *, seconds: float = 60.0, step: float = 0.1
) -> None:
    """A bounded wait for something another process or the tick makes happen."""
    for _ in range(int(seconds / step)):
        if condition():
            return
        await pilot.pause(step)
    assert condition(), "the condition never held"


def screen_text(app: App[Any]) -> str:
    """Everything on screen as plain text (spaces restored), for literal-text checks."""
    svg = app.export_screenshot()
    texts = re.findall(r">([^<]*)</text>", svg)
    return html.unescape(" ".join(texts)).replace("\xa0", " ")
