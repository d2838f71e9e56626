"""Every pane and dialog at 80x24 and at 200x60: each button and field is on screen or
reachable by scrolling, the focused one is scrolled into view, and a column that is cut
ends in an ellipsis with the full value one key away."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.containers import ScrollableContainer
from textual.errors import NoWidget
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, DataTable, Input, OptionList, Select, TextArea

from tests.tui.snapshot_data import NOW, POLICY, build_service, deterministic_audit, iam_report
from tests.tui.tui_helpers import screen_text, settle
from workbench.domain.models import CredentialType, Lease, LeaseState
from workbench.domain.trail import TrailEvent
from workbench.service import Contained, Containment, IssuedCredential
from workbench.tui.app import WorkbenchApp
from workbench.tui.audit_stream import AuditStream
from workbench.tui.confirm import ConfirmScreen, PromptScreen
from workbench.tui.contain_dialog import ContainmentScreen
from workbench.tui.detail_view import DetailScreen
from workbench.tui.find_dialog import FindLeaseScreen
from workbench.tui.fitted_table import FittedTable
from workbench.tui.help import HelpScreen
from workbench.tui.issue_dialog import CredentialScreen, IssueRequestScreen
from workbench.tui.lease_detail import LeaseDetailScreen
from workbench.tui.lease_table import LeaseTable
from workbench.tui.pane import Pane
from workbench.tui.panes import PANES
from workbench.tui.static_form import StaticRoleScreen

SIZES = [(80, 24), (200, 60)]
# What a person acts on: buttons, fields, lists and tables, and regions that scroll.
FIELDS = (
    Button,
    Input,
    Select,
    Checkbox,
    OptionList,
    TextArea,
    DataTable,
    LeaseTable,
    ScrollableContainer,
)
# An STS session token is long (AssumeRole's run to ~1,000 characters with session tags).
LONG_ROLE = "payments-reconciliation-nightly-batch"  # its audit path is cut at 80 columns
SESSION_TOKEN = "FwoGZXIvYXdzEBYaDH" + "q7Rk2mXv9TnB4sLpW0yZa" * 44


def lease(kind: CredentialType, suffix: str, **fields: Any) -> Lease:
    return Lease(
        lease_id=f"aws/creds/{'webapp' if kind is CredentialType.IAM_USER else 'deploy'}/{suffix}",
        engine="aws",
        role="webapp" if kind is CredentialType.IAM_USER else "deploy",
        credential_type=kind,
        state=LeaseState.ACTIVE,
        issue_time=NOW,
        expire_time=NOW + 900,
        max_expire_time=NOW + 43200,
        renewable=kind is CredentialType.IAM_USER,
        **fields,
    )


def issued(kind: CredentialType) -> IssuedCredential:
    sts = kind is not CredentialType.IAM_USER
    return IssuedCredential(
        lease=lease(
            kind,
            "Z3aB5cD7eF9gH1iJ3kL5mN7o",
            access_key_id="ASIAZ3AB5CD7EF9GH1IJ" if sts else "AKIAZ3AB5CD7EF9GH1IJ",
            secret_key="pX7+example/SECRET/only/shown/once0123456",
            session_token=SESSION_TOKEN if sts else None,
        ),
        request_id="00000000-0000-0000-0000-000000000001",
        region="us-east-1",
        warnings=["AWS keeps an STS credential valid until it expires."] if sts else [],
    )


@pytest.fixture
def app(store: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> WorkbenchApp:
    return make_app(store, home, monkeypatch)


def make_app(store: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> WorkbenchApp:
    """The snapshot tests' data; no AWS is called (IAM users and trails are given)."""
    deterministic_audit(monkeypatch, store)
    service = build_service(store)
    service.roles.write(
        "aws",
        "ops-admin",
        {
            "credential_type": "assumed_role",
            "role_arns": [
                "arn:aws:iam::123456789012:role/ops-admin",
                "arn:aws:iam::123456789012:role/ops-readonly",
            ],
        },
    )
    service.roles.write(
        "aws", LONG_ROLE, {"credential_type": "iam_user", "policy_document": POLICY}
    )
    service.roles.write(
        "aws",
        "break-glass",
        {
            "credential_type": "session_token",
            "mfa_serial_number": "arn:aws:iam::123456789012:mfa/trainer",
        },
    )
    monkeypatch.setattr(service.iam, "users", lambda engine: iam_report())
    events = [
        TrailEvent(f"event-{n}", NOW - 60 * n, "iam", action, None, "10.0.0.7", "aws-cli/2", "AKIA")
        for n, action in enumerate(["CreateAccessKey", "GetUser", "ListBuckets"])
    ]
    events[0].flags.append("persistence")
    monkeypatch.setattr(service.incident, "trail", lambda lease_id, **kw: events)
    monkeypatch.setattr(service.incident, "trail_poll_seconds", lambda lease_id: 60.0)
    monkeypatch.setattr(
        service.incident, "find", lambda **kw: service.leases.list(include_history=True)[:3]
    )
    app = WorkbenchApp(home, "trainer", service=service, start_worker=False)
    app.clock = lambda: NOW
    return app


# -- what "reachable" means ------------------------------------------------------


def fully_shown(widget: Widget) -> bool:
    """The whole widget is on screen: not clipped by a scrolled container or the screen."""
    try:
        geometry = widget.screen.find_widget(widget)
    except NoWidget:
        return False
    screen = widget.screen.region
    region = geometry.region
    return (
        bool(region.area) and geometry.visible_region == region and screen.contains_region(region)
    )


def controls(node: Widget) -> list[Widget]:
    """Every button and field `node` shows (hidden ones, and a Select's list, aside)."""
    return [
        widget
        for widget in node.query("*").results(Widget)
        if isinstance(widget, FIELDS)
        and (widget.can_focus or not isinstance(widget, ScrollableContainer))
        and all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))
        and not any(type(node).__name__ == "SelectOverlay" for node in widget.ancestors_with_self)
    ]


async def assert_reachable(pilot: Any, screen: Screen[Any]) -> None:
    """Each control scrolled into view is whole on screen; tabbing keeps focus in view."""
    shown = controls(screen)
    assert shown, f"{type(screen).__name__} shows no button or field"
    for widget in shown:
        widget.scroll_visible(animate=False, immediate=True)
        await pilot.pause()
        assert fully_shown(widget), f"{widget!r} cannot be brought on screen"
    for _ in range(len(screen.focus_chain) + 1):
        await pilot.press("tab")
        await pilot.pause()
        focused = screen.focused
        if focused is not None and not isinstance(focused, TextArea):
            assert fully_shown(focused), f"focused {focused!r} is not scrolled into view"


# -- the dialogs, opened as a person would ----------------------------------------

Opener = Callable[[Any], Awaitable[None]]


async def press(pilot: Any, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def push(pilot: Any, screen: Screen[Any]) -> None:
    pilot.app.push_screen(screen)
    await settle(pilot)


async def select_lease(pilot: Any, lease_id: str) -> None:
    assert pilot.app.screen.query_one(LeaseTable).select(lease_id)
    await pilot.pause()


def open_issue(role: str) -> Opener:
    """The issue dialog with `role` chosen (its type's extra field shown)."""

    async def opener(pilot: Any) -> None:
        roles = pilot.app.service.roles.list("aws")
        await push(pilot, IssueRequestScreen(roles, selected=role))

    return opener


async def open_containment(pilot: Any) -> None:
    results = [
        Contained(
            f"aws/creds/webapp/{n:02d}mX8kTzL0aB7cD1eF3gH5jK",
            "iam_user",
            "revoked",
            "key inactive, user deleted",
            refused=True,
            key_inactive_after=0.21 + n / 100,
        )
        for n in range(12)
    ]
    await push(pilot, ContainmentScreen(Containment("aws/creds/webapp/", results, seconds=1.4)))


async def open_lease_detail(pilot: Any) -> None:
    await select_lease(pilot, "aws/creds/webapp/Q2mX8kTzL0aB7cD1eF3gH5jK")
    await press(pilot, "enter")


async def open_find_matches(pilot: Any) -> None:
    await press(pilot, "F")
    pilot.app.screen.query_one("#find-input", Input).value = "a-leaked-secret"
    await press(pilot, "enter")


DIALOGS: dict[str, tuple[Opener, type[Screen[Any]]]] = {
    "issue-role-arn": (open_issue("ops-admin"), IssueRequestScreen),
    "issue-mfa": (open_issue("break-glass"), IssueRequestScreen),
    "credential-iam-user": (
        lambda p: push(p, CredentialScreen(issued(CredentialType.IAM_USER))),
        CredentialScreen,
    ),
    "credential-sts": (
        lambda p: push(p, CredentialScreen(issued(CredentialType.ASSUMED_ROLE))),
        CredentialScreen,
    ),
    "revoke": (lambda p: press(p, "x"), ConfirmScreen),
    "revoke-prefix": (lambda p: press(p, "P"), PromptScreen),
    "revoke-prefix-confirm": (lambda p: press(p, "P", "enter"), ConfirmScreen),
    "contain": (lambda p: press(p, "C"), PromptScreen),
    "contain-confirm": (lambda p: press(p, "C", "enter"), ConfirmScreen),
    "containment-result": (open_containment, ContainmentScreen),
    "find-leaked": (lambda p: press(p, "F"), FindLeaseScreen),
    "find-leaked-matches": (open_find_matches, FindLeaseScreen),
    "lease-detail": (open_lease_detail, LeaseDetailScreen),
    "static-role-form": (lambda p: press(p, "6", "n"), StaticRoleScreen),
    "help": (lambda p: press(p, "f1"), HelpScreen),
    "audit-entry": (lambda p: press(p, "4", "enter"), DetailScreen),
    "iam-user": (lambda p: press(p, "5", "enter"), DetailScreen),
    "role-import": (lambda p: press(p, "2", "ctrl+o"), PromptScreen),
}


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
@pytest.mark.parametrize("name", list(DIALOGS))
async def test_every_control_of_each_dialog_can_be_reached(
    app: WorkbenchApp, name: str, size: tuple[int, int]
) -> None:
    opener, kind = DIALOGS[name]
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await opener(pilot)
        assert isinstance(app.screen, kind)
        await assert_reachable(pilot, app.screen)


# -- the panes ------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
@pytest.mark.parametrize("pane", PANES, ids=lambda pane: pane.PANE_ID)
async def test_every_pane_fits_its_controls_and_tables(
    app: WorkbenchApp, pane: type[Pane], size: tuple[int, int]
) -> None:
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await press(pilot, pane.PANE_KEY)
        shown = app.screen.query_one(pane)
        for widget in controls(shown):
            widget.scroll_visible(animate=False, immediate=True)
            await pilot.pause()
            assert fully_shown(widget), f"{widget!r} cannot be brought on screen"
        for table in shown.query(DataTable):
            # Columns fit: nothing is hidden off to the side.
            assert table.virtual_size.width <= table.scrollable_content_region.width


async def test_audit_cuts_a_long_path_with_an_ellipsis_and_enter_shows_it_whole(
    app: WorkbenchApp,
) -> None:
    path = f"aws/roles/{LONG_ROLE}"
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "4")
        table = app.screen.query_one("#audit-table", FittedTable)
        assert table.widths["path"] < len(path)
        row = next(
            index
            for index, key in enumerate(table.rows)
            if app.screen.query_one(AuditStream)
            ._records[int(key.value or 0)]
            .entry["request"]["path"]
            == path
        )
        shown = str(table.get_row_at(row)[table.get_column_index("path")])
        assert "…" in shown and shown.replace("…", "") != path
        assert path not in screen_text(app)
        table.move_cursor(row=row)
        await press(pilot, "enter")
        assert isinstance(app.screen, DetailScreen)
        await press(pilot, "end")  # the entry's JSON scrolls; its request path is near the end
        assert f'"{path}"' in screen_text(app)
        await press(pilot, "c")
        assert f'"path": "{path}"' in app.clipboard
        await press(pilot, "escape")
        assert not isinstance(app.screen, DetailScreen)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
async def test_the_iam_view_keeps_lease_and_state_and_enter_shows_the_user(
    app: WorkbenchApp, size: tuple[int, int]
) -> None:
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await press(pilot, "5")
        table = app.screen.query_one("#iam-table", FittedTable)
        shown = [str(column.label) for column in table.ordered_columns]
        assert {"IAM user", "Lease", "Lease state"} <= set(shown)
        if size[0] >= 200:
            assert {"Path", "Created (UTC)"} <= set(shown)
        lease_id = "aws/creds/webapp/Q2mX8kTzL0aB7cD1eF3gH5jK"
        row = next(
            index
            for index in range(table.row_count)
            if "Q2mX8kTz" in str(table.get_row_at(index)[0])
        )
        table.move_cursor(row=row)
        await press(pilot, "enter")
        assert isinstance(app.screen, DetailScreen)
        text = screen_text(app)
        assert lease_id in text and "2027-01-15 07:45:00 UTC" in text  # cut or dropped


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
async def test_the_create_store_screen_fits(tmp_path: Path, size: tuple[int, int]) -> None:
    app = WorkbenchApp(tmp_path / "no-store-yet", "trainer", start_worker=False)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#confirm").display  # creating: the passphrase twice
        assert "There is no store" in screen_text(app)
        await assert_reachable(pilot, app.screen)
