"""Quitting at once: `q` pressed while the panes are still mounting and loading."""

from __future__ import annotations

from typing import Any

import pytest

SIZE = (140, 40)


@pytest.mark.parametrize("pauses", [0, 1, 2, 3, 5, 8])
async def test_q_pressed_while_the_panes_mount_quits_cleanly(
    tui_service: Any, make_app: Any, pauses: int
) -> None:
    """Whatever the panes were doing (mounting, loading in their threads), the app ends
    with no error: no traceback on the operator's terminal."""
    app = make_app(tui_service, start_worker=True)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(pauses):
            await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code in (0, None)
    assert app._exception is None
