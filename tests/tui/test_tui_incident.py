"""Incident response in the lease pane: a lease in full with its trail, containment, find."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from textual.widgets import Input, Static

from tests.conftest import MotoServer, make_service
from tests.helpers import as_credential
from tests.tui.conftest import POLICY, SIZE
from tests.tui.tui_helpers import open_pane, screen_text, settle, wait_until
from workbench.demo.server import DEMO_ACCOUNT
from workbench.domain.trail import TRAIL_SCOPE
from workbench.service import role_prefix
from workbench.tui.audit_stream import AuditStream
from workbench.tui.confirm import ConfirmScreen, PromptScreen
from workbench.tui.contain_dialog import ContainmentScreen
from workbench.tui.find_dialog import FindLeaseScreen
from workbench.tui.lease_detail import LeaseDetailScreen
from workbench.tui.main_screen import MainScreen

ROLE_ARN = f"arn:aws:iam::{DEMO_ACCOUNT}:role/deploy"
ALLOW_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


def text_of(app: Any, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def used_elsewhere(aws: MotoServer, lease: Any) -> None:
    """A second process (a trainee's terminal) calls AWS with the lease's key."""
    script = (
        "import sys, boto3\n"
        "url, key, secret = sys.argv[1:4]\n"
        "boto3.client('iam', endpoint_url=url, region_name='us-east-1',"
        " aws_access_key_id=key, aws_secret_access_key=secret).list_users()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, aws.url, lease.access_key_id, lease.secret_key],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


async def test_enter_shows_the_lease_in_full_and_its_trail_gains_a_call_made_with_the_key(
    tui_service: Any, make_app: Any, aws: MotoServer
) -> None:
    lease = tui_service.creds.issue("aws", "webapp", ttl="30m").lease
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, LeaseDetailScreen)
        shown = screen_text(app)
        for value in (lease.lease_id, lease.access_key_id, lease.iam_user_name, "iam_user"):
            assert value in shown
        assert "Renewable" in shown and "30m0s" in shown and "active" in shown
        assert lease.secret_key not in shown
        assert TRAIL_SCOPE in text_of(app, "#trail-scope")
        await wait_until(pilot, lambda: detail.events is not None)
        before = len(detail.events or [])

        used_elsewhere(aws, lease)

        await wait_until(
            pilot, lambda: any(e.action == "ListUsers" for e in detail.events or []), seconds=30
        )
        assert len(detail.events or []) == before + 1
        await settle(pilot)
        assert "ListUsers" in screen_text(app)  # a row of the trail table
        assert "call(s)" in text_of(app, "#trail-status")
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
    # Read again every few seconds, but one audit entry pair for the opening, not one a read.
    reads = list(tui_service.audit.entries(path_prefix="sys/leases/trail"))
    assert [r.entry["type"] for r in reads] == ["request", "response"]


@pytest.fixture
def authorized_service(authorized: tuple[MotoServer, str, str], store: Any) -> Any:
    """A workbench whose root keys are the admin's, AWS checking every call, the probe on."""
    aws, access_key, secret_key = authorized
    keys = {"access_key": access_key, "secret_key": secret_key}
    service = make_service(
        store, aws, root={**keys, "max_retries": 0, "expiry_guard": False, "dead_key_probe": True}
    )
    admin = aws.client("iam", access_key=access_key, secret_key=secret_key)
    admin.put_role_policy(RoleName="deploy", PolicyName="work", PolicyDocument=ALLOW_ALL)
    service.roles.write("aws", "webapp", {"credential_type": "iam_user", "policy_document": POLICY})
    service.roles.write(
        "aws", "deployer", {"credential_type": "assumed_role", "role_arns": [ROLE_ARN]}
    )
    return service


async def test_contain_counts_each_type_in_the_confirm_then_aws_refuses_every_credential(
    authorized_service: Any, make_app: Any, authorized: tuple[MotoServer, str, str]
) -> None:
    aws, _access_key, _secret_key = authorized
    service = authorized_service
    users = [service.creds.issue("aws", "webapp", ttl="20m").lease for _ in range(2)]
    session = service.creds.issue("aws", "deployer", ttl="40m").lease
    for lease in users:
        as_credential(aws, "sts", lease).get_caller_identity()  # the keys work before
    as_credential(aws, "iam", session).list_users()
    app = make_app(service)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("C")
        assert isinstance(app.screen, PromptScreen)
        prompt = app.screen.query_one(Input)
        assert prompt.value == role_prefix("aws", "webapp")  # the selected lease's role
        prompt.value = "aws/creds/"
        await pilot.pause()
        assert "1 assumed_role, 2 iam_user" in text_of(app, "#prompt-hint")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = text_of(app, "#confirm-message")
        assert "Contain 3 live credential(s) under aws/creds/?" in question
        assert "Deactivate 2 iam_user key(s), deny 1 assumed_role session(s)" in question
        assert "then revoke all 3" in question
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, ContainmentScreen))
        await settle(pilot)
        result = app.screen.result
        assert result.ok and len(result.results) == 3
        assert [r.refused for r in result.results if r.credential_type == "iam_user"] == [
            True,
            True,
        ]
        assert "AWS refuses 2 of the 2 key(s) probed" in text_of(app, "#containment-summary")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
    assert service.leases.list() == []
    for lease in users:
        with pytest.raises(Exception, match="InvalidClientTokenId"):
            as_credential(aws, "sts", lease).get_caller_identity()
    with pytest.raises(Exception, match="AccessDenied"):
        as_credential(aws, "iam", session).list_users()


async def test_contain_never_offers_to_contain_nothing(tui_service: Any, make_app: Any) -> None:
    tui_service.creds.issue("aws", "webapp")
    app = make_app(tui_service)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("C")
        app.screen.query_one(Input).value = "aws/creds/nobody/"
        await pilot.pause()
        assert "No live lease shown matches" in text_of(app, "#prompt-hint")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        notes = [n.message for n in app._notifications]
        assert any(
            "Nothing to contain: no live credential under aws/creds/nobody/" in n for n in notes
        )
    assert len(tui_service.leases.list()) == 1


async def test_find_by_access_key_or_secret_opens_the_lease_and_an_unknown_key_finds_none(
    tui_service: Any, make_app: Any
) -> None:
    issued = tui_service.creds.issue("aws", "webapp").lease
    secret = issued.secret_key
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("F")
        assert isinstance(app.screen, FindLeaseScreen)
        field = app.screen.query_one(Input)
        await pilot.press(*"AKIAUNKNOWN0000000000")
        assert not field.password  # an access key id is not a secret: shown as typed
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FindLeaseScreen)
        assert "No lease matches this access key id" in text_of(app, "#find-result")

        field.value = issued.access_key_id
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LeaseDetailScreen)
        assert app.screen.lease.lease_id == issued.lease_id
        await pilot.press("escape")

        await pilot.press("F")
        field = app.screen.query_one(Input)
        field.value = secret
        await pilot.pause()
        assert field.password  # a secret is masked
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, LeaseDetailScreen)
        assert detail.lease.lease_id == issued.lease_id
        assert detail.lease.secret_key is None  # the detail keeps no secret
        assert secret not in screen_text(app)
    entries = json.dumps([record.entry for record in tui_service.audit.entries()])
    assert secret not in entries


async def test_the_audit_pane_finds_the_lease_of_a_leaked_secret_too(
    tui_service: Any, make_app: Any
) -> None:
    issued = tui_service.creds.issue("aws", "webapp").lease
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_pane(pilot, AuditStream)
        await pilot.press("F")
        assert isinstance(app.screen, FindLeaseScreen)
        app.screen.query_one(Input).value = issued.secret_key or ""
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LeaseDetailScreen)
        assert app.screen.lease.lease_id == issued.lease_id
