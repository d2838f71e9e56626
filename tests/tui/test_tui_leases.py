"""The lease pane: issue (and the once-only credential), copy, renew, revoke, prefixes."""

from __future__ import annotations

from typing import Any

from textual.widgets import Button, Input, Static

from tests.tui.conftest import SIZE
from tests.tui.tui_helpers import screen_text, settle
from workbench.domain.models import LeaseState
from workbench.tui.confirm import ConfirmScreen, PromptScreen
from workbench.tui.issue_dialog import CredentialScreen, IssueRequestScreen
from workbench.tui.lease_table import LeaseTable
from workbench.tui.main_screen import MainScreen


def table(app: Any) -> LeaseTable:
    return app.screen.query_one(LeaseTable)


def shown_ids(app: Any) -> list[str]:
    return [lease.lease_id for lease in table(app).rows]


async def test_issue_shows_the_credential_once_with_one_key_copies(
    tui_service: Any, make_app: Any
) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("i")
        assert isinstance(app.screen, IssueRequestScreen)
        app.screen.query_one("#issue-ttl", Input).value = "15m"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CredentialScreen)
        [lease] = tui_service.leases.list()
        assert lease.state is LeaseState.ACTIVE
        assert 14 * 60 < lease.lease_duration <= 15 * 60
        secret = app.screen._issued.lease.secret_key
        assert secret and secret in screen_text(app)

        await pilot.press("e")
        assert f"export AWS_ACCESS_KEY_ID={lease.access_key_id}" in app.clipboard
        assert f"AWS_SECRET_ACCESS_KEY={secret}" in app.clipboard
        await pilot.press("p")
        assert app.clipboard.startswith("[workbench]\naws_access_key_id = ")
        await pilot.press("c")
        assert f'"SecretAccessKey": "{secret}"' in app.clipboard
        await pilot.press("v")
        assert f'"lease_id": "{lease.lease_id}"' in app.clipboard

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert secret not in screen_text(app)
        assert shown_ids(app) == [lease.lease_id]
        assert table(app).selected is not None
        assert table(app).selected.secret_key is None  # listed leases carry no secrets


async def test_copy_puts_the_selected_lease_id_on_the_clipboard(
    tui_service: Any, make_app: Any
) -> None:
    issued = tui_service.creds.issue("aws", "webapp")
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        assert app.clipboard == issued.lease.lease_id


async def test_renew_extends_the_selected_lease(tui_service: Any, make_app: Any) -> None:
    issued = tui_service.creds.issue("aws", "webapp", ttl="10m")
    before = issued.lease.expire_time
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        renewed = tui_service.leases.lookup(issued.lease.lease_id)
        assert renewed.expire_time > before + 40 * 60  # the engine's default lease: 1h
        assert table(app).selected.expire_time == renewed.expire_time


async def test_revoke_asks_then_revokes_the_selected_lease(tui_service: Any, make_app: Any) -> None:
    keep = tui_service.creds.issue("aws", "webapp", ttl="30m").lease.lease_id
    gone = tui_service.creds.issue("aws", "webapp", ttl="20m").lease.lease_id
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert table(app).selected.lease_id == gone  # sorted by expiry: soonest first
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert tui_service.leases.lookup(gone).state is LeaseState.ACTIVE
        await pilot.press("x")
        await pilot.press("y")
        await settle(pilot)
        assert tui_service.leases.lookup(gone).state is LeaseState.REVOKED
        assert shown_ids(app) == [keep]
        assert table(app).selected.lease_id == keep


async def test_revoke_prefix_confirms_with_the_count(tui_service: Any, make_app: Any) -> None:
    tui_service.roles.write("aws", "other", {"credential_type": "iam_user"})
    doomed = [tui_service.creds.issue("aws", "webapp").lease.lease_id for _ in range(3)]
    other = tui_service.creds.issue("aws", "other").lease.lease_id
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("P")
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one(Input).value = "aws/creds/webapp/"
        await pilot.pause()
        assert "3 live leases match" in str(app.screen.query_one("#prompt-hint", Static).render())
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Revoke 3 live leases under aws/creds/webapp/?" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert all(tui_service.leases.lookup(i).state is LeaseState.REVOKED for i in doomed)
        assert shown_ids(app) == [other]


async def test_revoke_prefix_types_after_the_engine_and_offers_nothing_on_no_match(
    tui_service: Any, make_app: Any
) -> None:
    kept = tui_service.creds.issue("aws", "webapp").lease.lease_id
    app = make_app(tui_service)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("P")
        prompt = app.screen
        assert isinstance(prompt, PromptScreen)
        await pilot.press(*"nobody/")  # typed after the pre-filled aws/creds/, not over it
        assert prompt.query_one(Input).value == "aws/creds/nobody/"
        hint = str(prompt.query_one("#prompt-hint", Static).render())
        assert "No live lease matches this prefix" in hint
        assert prompt.query_one("#ok", Button).disabled
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is prompt  # no "Revoke 0" to say yes to
        await pilot.press("escape")
        await settle(pilot)
        assert tui_service.leases.lookup(kept).state is LeaseState.ACTIVE


async def test_revoke_prefix_says_what_happens_to_each_type_before_asking(
    tui_service: Any, make_app: Any
) -> None:
    tui_service.roles.write("aws", "tok", {"credential_type": "session_token"})
    users = [tui_service.creds.issue("aws", "webapp").lease.lease_id for _ in range(2)]
    token = tui_service.creds.issue("aws", "tok").lease.lease_id
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("P")
        hint = str(app.screen.query_one("#prompt-hint", Static).render())
        assert "3 live leases match (2 iam_user, 1 session_token)" in hint
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        question = str(app.screen.query_one("#confirm-message", Static).render())
        assert "Revoke 3 live leases under aws/creds/?" in question
        assert "2 iam_user: each key is made inactive at once, then its IAM user is deleted" in (
            question
        )
        assert "1 session_token: AWS cannot end a token; each is denied by a policy" in question
        assert "stays valid until it expires" in question  # when AWS may not be told
        assert app.screen.query_one("#yes", Button).label.plain == "Revoke 3 (y)"
        await pilot.press("n")
        await settle(pilot)
        assert all(tui_service.leases.lookup(i).state is LeaseState.ACTIVE for i in users)
        assert tui_service.leases.lookup(token).state is LeaseState.ACTIVE


async def test_revoke_role_revokes_every_lease_of_the_selected_role(
    tui_service: Any, make_app: Any
) -> None:
    tui_service.roles.write("aws", "other", {"credential_type": "iam_user"})
    doomed = [tui_service.creds.issue("aws", "webapp", ttl="5m").lease.lease_id for _ in range(2)]
    other = tui_service.creds.issue("aws", "other", ttl="50m").lease.lease_id
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert table(app).selected.role == "webapp"
        await pilot.press("X")
        await settle(pilot)
        assert "Revoke 2 live leases under aws/creds/webapp/?" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert shown_ids(app) == [other]
        assert all(tui_service.leases.lookup(i).state is LeaseState.REVOKED for i in doomed)


async def test_filter_and_sort(tui_service: Any, make_app: Any) -> None:
    tui_service.roles.write("aws", "other", {"credential_type": "iam_user"})
    first = tui_service.creds.issue("aws", "webapp", ttl="10m").lease.lease_id
    second = tui_service.creds.issue("aws", "other", ttl="20m").lease.lease_id
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert shown_ids(app) == [first, second]
        await pilot.press("slash")
        await pilot.press(*"other")
        assert shown_ids(app) == [second]
        assert "1 of 2 live" in screen_text(app)
        await pilot.press("enter")  # back to the table
        assert table(app).has_focus
        app.screen.query_one("#lease-filter", Input).value = ""
        await pilot.pause()
        await pilot.press("S")  # reverse: latest expiry first
        assert shown_ids(app) == [second, first]
        await pilot.click(LeaseTable, offset=(60, 0))  # the header: sort by role
        assert table(app).sort_column == "role"
        assert [lease.role for lease in table(app).rows] == ["other", "webapp"]


async def test_the_countdown_ticks_and_changes_colour(tui_service: Any, make_app: Any) -> None:
    lease = tui_service.creds.issue("aws", "webapp", ttl="10m").lease
    tui_service.creds.issue("aws", "webapp", ttl="50m")
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lease_table = table(app)
        await pilot.press("down")  # the cursor's row is drawn in the cursor's colours

        def countdown_at(now: float) -> tuple[str, str]:
            app.clock = lambda: now
            strip = lease_table.render_line(1)
            text = "".join(segment.text for segment in strip)
            countdown = list(strip)[6]  # the "Expires in" column
            return text, str(countdown.style.color.name if countdown.style.color else "")

        text, calm = countdown_at(lease.expire_time - 600)
        assert "10m 00s" in text
        text, soon = countdown_at(lease.expire_time - 299)
        assert "4m 59s" in text
        text, urgent = countdown_at(lease.expire_time - 30)
        assert "30s" in text
        assert len({calm, soon, urgent}) == 3
        text, _ = countdown_at(lease.expire_time + 1)
        assert "expired" in text


async def test_a_lease_issued_by_the_cli_appears_without_a_key_press(
    tui_service: Any, make_app: Any, home: Any
) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import PASSPHRASE
    from tests.tui.tui_helpers import wait_until

    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert shown_ids(app) == []
        workbench = Path(sys.executable).with_name("workbench")
        env = {**os.environ, "WORKBENCH_HOME": str(home), "WORKBENCH_PASSPHRASE": PASSPHRASE}
        done = subprocess.run(
            [str(workbench), "creds", "webapp", "--format", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        # The next tick sees the store change; the bound only stops a hung test.
        await wait_until(pilot, lambda: len(shown_ids(app)) == 1, seconds=60)
        assert shown_ids(app)[0] in done.stdout
