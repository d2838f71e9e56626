"""What the TUI says, said right: counts, durations, the engine's own config, a copied
profile that works as it is, and the issue dialog's enter."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from tests.conftest import MotoServer, make_service
from tests.tui.conftest import POLICY, SIZE
from tests.tui.tui_helpers import open_pane, settle, wait_until
from workbench.tui.help import TraineePanel
from workbench.tui.iam_view import IamView
from workbench.tui.issue_dialog import CredentialScreen, IssueRequestScreen


def notes(app: Any) -> list[str]:
    return [str(note.message) for note in app._notifications]


def trainee_text(app: Any) -> str:
    return str(app.screen.query_one(TraineePanel).query_one("#trainee-recent").render())


async def issue_and_renew(app: Any, pilot: Any) -> None:
    """Issue a webapp credential from the dialog, close it, renew the lease (r)."""
    await settle(pilot)
    await pilot.press("question_mark", "i", "enter")
    await settle(pilot)
    assert isinstance(app.screen, CredentialScreen)
    await pilot.press("escape", "r")
    await settle(pilot)


async def test_the_trainee_panel_says_the_expiry_guard_as_the_engine_has_it(
    store: Any, aws: MotoServer, make_app: Any
) -> None:
    service = make_service(store, aws, root={"expiry_guard": False})
    service.roles.write("aws", "webapp", {"credential_type": "iam_user", "policy_document": POLICY})
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await issue_and_renew(app, pilot)
        told = trainee_text(app)
    assert "no expiry guard (it is off for this engine)" in told
    assert "the expiry guard is off for this engine" in told  # the renewal
    assert "plus the expiry guard" not in told


async def test_with_the_guard_on_the_trainee_panel_says_it_and_renewing_speaks_in_words(
    tui_service: Any, make_app: Any
) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await issue_and_renew(app, pilot)
        told = trainee_text(app)
        [renewed] = [note for note in notes(app) if note.startswith("Renewed")]
    assert "plus the expiry guard (on for this engine)" in told
    assert "rewrites the expiry guard" in told
    # The engine's default lease is an hour: humanize's words, as the CLI says it.
    assert re.search(r"it now expires in (an hour|59 minutes)\.$", renewed), renewed
    assert not re.search(r"\d+s\b", renewed)


async def test_the_iam_pane_counts_the_users_the_store_made_of_all_in_the_account(
    tui_service: Any, make_app: Any, aws: MotoServer
) -> None:
    aws.client("iam").create_user(UserName="someone-else")  # the account's own user
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        iam = await open_pane(pilot, IamView)
        summary = iam.query_one("#iam-summary", Static)
        await wait_until(pilot, lambda: "This store made" in str(summary.render()))
        assert str(summary.render()).startswith(
            "This store made 0 of the 1 IAM user in engine aws's account; 0 strays"
        )
        tui_service.creds.issue("aws", "webapp")
        await pilot.press("g")
        await wait_until(pilot, lambda: "made 1 of the 2 IAM users" in str(summary.render()))
        assert "user(s)" not in str(summary.render())


async def test_enter_on_the_closed_role_select_issues(tui_service: Any, make_app: Any) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, IssueRequestScreen)
        app.screen.query_one("#issue-role").focus()
        await pilot.press("enter")  # the button says "Issue (enter)"
        await settle(pilot)
        assert isinstance(app.screen, CredentialScreen)
        assert len(tui_service.leases.list()) == 1


@pytest.fixture
def no_aws_settings(tmp_path: Path) -> dict[str, str]:
    """An environment with no AWS settings at all: only the copied profile's file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_CONFIG_FILE"] = str(tmp_path / "no-config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "credentials")
    env["AWS_MAX_ATTEMPTS"] = "1"
    return env


async def test_the_copied_profile_works_as_it_is(
    tui_service: Any, make_app: Any, aws: MotoServer, no_aws_settings: dict[str, str]
) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("i", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CredentialScreen)
        await pilot.press("p")
        profile = app.clipboard
    assert "region = us-east-1" in profile
    assert f"endpoint_url = {aws.url}" in profile
    Path(no_aws_settings["AWS_SHARED_CREDENTIALS_FILE"]).write_text(profile + "\n")
    script = (
        "import boto3, json\n"
        "session = boto3.Session(profile_name='workbench')\n"
        "print(json.dumps(session.client('sts').get_caller_identity()['Arn']))\n"
    )
    called = subprocess.run(
        [sys.executable, "-c", script],
        env=no_aws_settings,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert called.returncode == 0, called.stderr
    [lease] = tui_service.leases.list()
    assert json.loads(called.stdout).endswith(f"user/{lease.iam_user_name}")
