"""How each pane looks, on fixed data and a frozen clock (SVGs under __snapshots__)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from textual.widgets import DataTable, OptionList, TextArea

from tests.tui.snapshot_data import NOW, POLICY, build_service, deterministic_audit, iam_report
from tests.tui.tui_helpers import settle
from workbench.domain.models import CredentialType, Lease, LeaseState
from workbench.service.formats import IssuedCredential
from workbench.tui.app import WorkbenchApp
from workbench.tui.issue_dialog import CredentialScreen

SIZE = (140, 40)


@pytest.fixture
def snapshot_app(store: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> WorkbenchApp:
    deterministic_audit(monkeypatch, store)
    service = build_service(store)
    monkeypatch.setattr(service.iam, "users", lambda engine: iam_report())
    app = WorkbenchApp(home, "trainer", service=service, start_worker=False)
    app.clock = lambda: NOW
    return app


def show(pane: str) -> Any:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press(pane)
        await settle(pilot)

    return run_before


def test_leases_pane(snap_compare: Any, snapshot_app: WorkbenchApp) -> None:
    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=show("1"))


async def webapp_in_the_editor(pilot: Any) -> None:
    """The roles pane, role webapp opened in its editor."""
    await show("2")(pilot)
    roles = pilot.app.screen.query_one("#role-list", OptionList)
    roles.highlighted = [option.id for option in roles.options].index("webapp")
    await pilot.press("enter")
    await settle(pilot)


def test_roles_pane(snap_compare: Any, snapshot_app: WorkbenchApp) -> None:
    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=webapp_in_the_editor)


def test_engines_pane(snap_compare: Any, snapshot_app: WorkbenchApp) -> None:
    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=show("3"))


def test_audit_pane(snap_compare: Any, snapshot_app: WorkbenchApp) -> None:
    async def run_before(pilot: Any) -> None:
        await show("4")(pilot)
        table = pilot.app.screen.query_one("#audit-table", DataTable)
        table.move_cursor(row=table.row_count - 1)
        await settle(pilot)

    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=run_before)


def test_iam_pane(snap_compare: Any, snapshot_app: WorkbenchApp) -> None:
    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=show("5"))


def test_credential_dialog(snap_compare: Any, snapshot_app: WorkbenchApp) -> None:
    lease = Lease(
        lease_id="aws/creds/webapp/Z3aB5cD7eF9gH1iJ3kL5mN7o",
        engine="aws",
        role="webapp",
        credential_type=CredentialType.IAM_USER,
        state=LeaseState.ACTIVE,
        issue_time=NOW,
        expire_time=NOW + 900,
        max_expire_time=NOW + 43200,
        renewable=True,
        access_key_id="AKIAZ3AB5CD7EF9GH1IJ",
        secret_key="pX7+example/SECRET/only/shown/once0123456",
    )
    issued = IssuedCredential(
        lease=lease, request_id="00000000-0000-0000-0000-000000000001", region="us-east-1"
    )

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        pilot.app.push_screen(CredentialScreen(issued))
        await settle(pilot)

    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=run_before)


def test_demo_banner_and_trainee_panel(snap_compare: Any, snapshot_app: WorkbenchApp) -> None:
    snapshot_app.demo = SimpleNamespace(
        endpoint="http://127.0.0.1:50123",
        notes=[
            "Keys and policies are checked as IAM does: a revoked key or a denied "
            "session is refused."
        ],
        example="aws --endpoint-url http://127.0.0.1:50123 sts get-caller-identity",
    )

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=run_before)


def test_create_store_screen(snap_compare: Any) -> None:
    app = WorkbenchApp(Path("/nonexistent/lease-workbench"), "trainer", start_worker=False)
    assert snap_compare(app, terminal_size=(100, 30), run_before=settle)


# -- the same at 80x24 (every pane and the dialogs that were cut there) ------------------

SMALL = (80, 24)
STS_TOKEN = "FwoGZXIvYXdzEBYaDH" + "q7Rk2mXv9TnB4sLpW0yZa" * 30
MANY_FINDINGS = POLICY.replace(
    '"s3:GetObject", "s3:ListBucket"', ", ".join(f'"s3:GetObjekt{n}"' for n in range(6))
)


def credential(kind: CredentialType) -> IssuedCredential:
    sts = kind is not CredentialType.IAM_USER
    role = "deploy" if sts else "webapp"
    lease = Lease(
        lease_id=f"aws/creds/{role}/Z3aB5cD7eF9gH1iJ3kL5mN7o",
        engine="aws",
        role=role,
        credential_type=kind,
        state=LeaseState.ACTIVE,
        issue_time=NOW,
        expire_time=NOW + 900,
        max_expire_time=NOW + 43200,
        renewable=not sts,
        access_key_id=("ASIA" if sts else "AKIA") + "Z3AB5CD7EF9GH1IJ",
        secret_key="pX7+example/SECRET/only/shown/once0123456",
        session_token=STS_TOKEN if sts else None,
    )
    return IssuedCredential(
        lease=lease, request_id="00000000-0000-0000-0000-000000000001", region="us-east-1"
    )


def shown_credential(kind: CredentialType) -> Any:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        pilot.app.push_screen(CredentialScreen(credential(kind)))
        await settle(pilot)

    return run_before


async def roles_with_findings(pilot: Any) -> None:
    await webapp_in_the_editor(pilot)
    policy = pilot.app.screen.query_one("#policy", TextArea)
    policy.load_text(MANY_FINDINGS)
    await settle(pilot)
    policy.focus()
    await pilot.press("f8")  # to the findings
    await settle(pilot)


async def trainee_panel(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("question_mark")
    await settle(pilot)


SMALL_VIEWS = {
    "leases": show("1"),
    "roles-findings": roles_with_findings,
    "engines": show("3"),
    "audit": show("4"),
    "iam": show("5"),
    "static": show("6"),
    "credential-iam-user": shown_credential(CredentialType.IAM_USER),
    "credential-sts": shown_credential(CredentialType.ASSUMED_ROLE),
    "trainee-panel": trainee_panel,
}


@pytest.mark.parametrize("view", list(SMALL_VIEWS))
def test_small_screen(snap_compare: Any, snapshot_app: WorkbenchApp, view: str) -> None:
    assert snap_compare(snapshot_app, terminal_size=SMALL, run_before=SMALL_VIEWS[view])


def test_small_create_store_screen(snap_compare: Any) -> None:
    app = WorkbenchApp(Path("/nonexistent/lease-workbench"), "trainer", start_worker=False)
    assert snap_compare(app, terminal_size=SMALL, run_before=settle)
