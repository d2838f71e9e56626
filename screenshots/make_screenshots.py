"""Drive the workbench on the demo's embedded AWS and save an SVG of each pane.

Run: .venv/bin/python screenshots/make_screenshots.py   (or `make screenshots`)

The pictures in the README are these files: regenerated, never hand-made.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

OUT = Path(__file__).resolve().parent
SIZE = (140, 40)


async def settle(pilot: Any) -> None:
    """Let workers finish and their results be shown."""
    from textual.worker import WorkerCancelled, WorkerFailed

    for _ in range(20):
        with contextlib.suppress(WorkerCancelled, WorkerFailed):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in pilot.app.workers):
            return


async def shoot(service: Any, info: Any, home: Path) -> list[Path]:
    from textual.widgets import OptionList

    from workbench.tui.app import WorkbenchApp

    app = WorkbenchApp(home, "trainer", service=service, demo=info, start_worker=False)
    saved: list[Path] = []

    async def save(name: str) -> None:
        await settle(pilot)
        saved.append(Path(app.save_screenshot(f"{name}.svg", path=str(OUT))))

    async def roles(pilot: Any) -> None:
        await pilot.press("2")
        await settle(pilot)
        role_list = app.screen.query_one("#role-list", OptionList)
        role_list.focus()
        role_list.highlighted = 0
        await pilot.press("enter")

    steps: list[tuple[str, Callable[[Any], Awaitable[None]]]] = [
        ("leases", lambda pilot: pilot.press("1")),
        ("roles", roles),
        ("engines", lambda pilot: pilot.press("3")),
        ("audit", lambda pilot: pilot.press("4")),
        ("iam", lambda pilot: pilot.press("5")),
        ("static", lambda pilot: pilot.press("6")),
    ]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for name, step in steps:
            await step(pilot)
            await save(name)
        await pilot.press("1")
        await pilot.press("question_mark")
        await pilot.press("i", "enter")  # issue from the highlighted lease's role
        await save("issue-dialog")
        await pilot.press("escape")
        await save("trainee-panel")
    return saved


def main() -> None:
    from workbench.demo import Demo

    demo = Demo(operator="trainer")
    service = demo.start()
    try:
        assert demo.info is not None
        saved = asyncio.run(shoot(service, demo.info, demo.home))
    finally:
        demo.stop()
    for path in saved:
        print(f"saved {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
