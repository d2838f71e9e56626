"""Terminal escapes in outside text (operator, lease rows, typed input) never reach the screen."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from typing import Any

from textual.widgets import Input

from tests.conftest import make_service
from tests.tui.conftest import POLICY, SIZE
from tests.tui.tui_helpers import screen_text, settle
from workbench.tui.app import WorkbenchApp

OSC_TITLE = "\x1b]0;pwned\x07"  # sets the terminal's title when written raw
CSI_C1 = "\x9b2J"  # the one-byte CSI: clears the screen on terminals that honour C1
RAW = ("\x1b", "\x07", "\x9b")


def assert_no_raw_control(app: WorkbenchApp) -> None:
    """Every line Textual would write to the terminal is free of ESC, BEL and C1 CSI."""
    rendered = app.export_screenshot()
    for char in RAW:
        assert char not in rendered, f"raw {char!r} on screen"


async def test_an_operator_name_with_escapes_shows_escaped_in_every_pane(
    store: Any, aws: Any, home: Any
) -> None:
    operator = OSC_TITLE + CSI_C1
    service = make_service(store, aws, operator=operator)  # as `workbench --as NAME` opens it
    service.roles.write("aws", "webapp", {"credential_type": "iam_user", "policy_document": POLICY})
    now = time.time()
    with contextlib.closing(sqlite3.connect(store.path)) as conn:
        conn.execute(
            "INSERT INTO leases (lease_id, engine, role, credential_type, state, issue_time, "
            "expire_time, max_expire_time, renewable, access_key_id, attempts) "
            "VALUES (?, 'aws', 'webapp', 'iam_user', 'active', ?, ?, ?, 1, ?, 0)",
            (f"aws/creds/webapp/x{OSC_TITLE}", now, now + 3600, now + 7200, f"AKIA{CSI_C1}"),
        )
        conn.commit()
    app = WorkbenchApp(home, operator, service=service, start_worker=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert "\\x1b]0;pwned\\x07\\x9b2J" in app.screen.sub_title
        assert not any(char in app.screen.sub_title + app.title for char in RAW)
        assert "\\x1b]0;pwned\\x07" in screen_text(app)  # the header shows the name as itself
        assert "AKIA\\x9b2J" in screen_text(app)  # and the lease table its row
        assert_no_raw_control(app)
        for key in "2345":
            await pilot.press(key)
            await settle(pilot)
            assert_no_raw_control(app)
        await pilot.press("1")
        await settle(pilot)
        # Text typed or pasted into an input is not escaped (it is the value), yet never
        # reaches the terminal raw either.
        app.screen.query_one("#lease-filter", Input).value = OSC_TITLE + "x"
        await settle(pilot)
        app.notify(f"raw {OSC_TITLE} notification", markup=False)
        await settle(pilot)
        assert_no_raw_control(app)
