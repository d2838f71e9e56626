"""The role editor: live findings, refusing to save with ERRORs, import, delete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, OptionList, Select, Static, TextArea

from tests.tui.conftest import POLICY, SIZE
from tests.tui.tui_helpers import open_pane, screen_text, settle
from workbench.domain.models import LeaseState
from workbench.tui.confirm import ConfirmScreen, PromptScreen
from workbench.tui.role_editor import RoleEditor
from workbench.tui.role_findings import RoleFindings

BAD_POLICY = POLICY.replace('"Effect": "Allow"', '"Effect": "Allw"')


async def test_a_role_with_an_error_is_refused_then_saved_once_fixed(
    tui_service: Any, make_app: Any
) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_pane(pilot, RoleEditor)
        await pilot.press("ctrl+n")
        await pilot.press(*"reader")
        policy = editor.query_one("#policy", TextArea)
        policy.load_text(BAD_POLICY)
        await settle(pilot)
        assert editor.error_count == 1
        assert "saving is refused" in str(editor.query_one("#role-status", Static).render())
        findings = editor.query_one("#findings", OptionList)
        assert "Allw" in str(findings.get_option_at_index(0).prompt)

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "reader" not in [role.name for role in tui_service.roles.list("aws")]

        findings.focus()
        findings.highlighted = 0
        await pilot.press("enter")  # jump to the finding
        finding = editor.query_one(RoleFindings).findings[0]
        assert policy.has_focus
        assert policy.cursor_location == (finding.line - 1, finding.column - 1)
        assert BAD_POLICY.splitlines()[finding.line - 1][finding.column - 1 :].startswith('"Allw"')

        policy.load_text(POLICY)
        await settle(pilot)
        assert editor.error_count == 0
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = tui_service.roles.read("aws", "reader")
        assert json.loads(saved.policy_document) == json.loads(POLICY)
        assert "reader" in screen_text(app)  # now in the role list


async def test_only_the_fields_of_the_credential_type_are_shown_and_sent(
    tui_service: Any, make_app: Any
) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_pane(pilot, RoleEditor)
        await pilot.press("ctrl+n")
        await pilot.press(*"session")
        editor.query_one("#role-type", Select).value = "session_token"
        await settle(pilot)
        assert not editor.query_one("#policy").display
        assert editor.query_one("#row-mfa_serial_number").display
        assert not editor.query_one("#row-iam_groups").display
        editor.query_one("#field-default_sts_ttl", Input).value = "15m"
        await settle(pilot)
        assert editor.can_save
        await pilot.press("ctrl+s")
        await settle(pilot)
        role = tui_service.roles.read("aws", "session")
        assert role.credential_type.value == "session_token"
        assert role.policy_document is None and role.default_sts_ttl == 900


async def test_a_form_error_is_shown_literally(tui_service: Any, make_app: Any) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_pane(pilot, RoleEditor)
        await pilot.press("ctrl+n")
        await pilot.press(*"tagged")
        editor.query_one("#field-iam_tags", Input).value = "[red]x[/red]=1"
        await settle(pilot)
        status = str(editor.query_one("#role-status", Static).render())
        assert "[red]x[/red]" in status
        assert not editor.can_save


async def test_import_roles_from_a_folder(tui_service: Any, make_app: Any, tmp_path: Path) -> None:
    folder = tmp_path / "roles"
    folder.mkdir()
    for name in ("alpha", "beta"):
        body = {"credential_type": "iam_user", "policy_document": json.loads(POLICY)}
        (folder / f"{name}.json").write_text(json.dumps(body))
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await open_pane(pilot, RoleEditor)
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one(Input).value = str(folder)
        await pilot.press("enter")
        await settle(pilot)
        names = {role.name for role in tui_service.roles.list("aws")}
        assert {"alpha", "beta"} <= names
        assert "alpha" in screen_text(app) and "beta" in screen_text(app)


async def test_delete_offers_to_revoke_the_roles_leases(tui_service: Any, make_app: Any) -> None:
    lease_id = tui_service.creds.issue("aws", "webapp").lease.lease_id
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_pane(pilot, RoleEditor)
        editor.query_one("#role-list", OptionList).focus()
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        assert "has 1 live lease(s)" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert tui_service.roles.list("aws") == []
        assert tui_service.leases.lookup(lease_id).state is LeaseState.REVOKED


MANY_ERRORS = POLICY.replace(
    '"s3:ListAllMyBuckets"', ", ".join(f'"s3:ListAllMyBucketz{n}"' for n in range(12))
)


@pytest.mark.parametrize("size", [(80, 24), (200, 60)], ids=["80x24", "200x60"])
async def test_findings_take_the_room_they_need_and_f8_reaches_them(
    tui_service: Any, make_app: Any, size: tuple[int, int]
) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=size) as pilot:
        editor = await open_pane(pilot, RoleEditor)
        policy = editor.query_one("#policy", TextArea)
        findings = editor.query_one("#findings", OptionList)
        await settle(pilot)
        assert not editor.query_one(RoleFindings).findings
        assert not findings.display  # no empty list: the editor has the room
        roomy = policy.outer_size.height

        policy.load_text(BAD_POLICY)
        await settle(pilot)
        assert findings.option_count == 1
        listed = findings.outer_size.height
        assert 3 <= listed <= 5  # the one finding (it may wrap) and the list's border
        assert policy.outer_size.height == roomy - listed  # the editor gives up only that

        policy.load_text(MANY_ERRORS)
        await settle(pilot)
        assert findings.option_count == 12
        third = editor.outer_size.height // 3
        assert findings.outer_size.height <= third  # at most a third of the pane
        assert findings.outer_size.height == third or findings.max_scroll_y == 0
        assert policy.outer_size.height >= 5  # the editor keeps a few lines however many

        policy.focus()
        await pilot.pause()
        await pilot.press("tab")
        assert policy.has_focus  # tab indents in the editor
        assert app.screen.active_bindings["f8"].binding.description == "Findings"
        assert "Findings" in screen_text(app)  # in the footer
        await pilot.press("f8")
        assert findings.has_focus and findings.highlighted == 0
        assert app.screen.region.contains_region(findings.region)
        assert app.screen.active_bindings["f8"].binding.description == "Editor"
        await pilot.press("down", "enter")  # the second finding: the editor goes there
        second = editor.query_one(RoleFindings).findings[1]
        assert policy.has_focus
        assert policy.cursor_location == (second.line - 1, second.column - 1)
        await pilot.press("f8", "f8")
        assert policy.has_focus


async def test_f8_on_a_policy_without_findings_says_so(tui_service: Any, make_app: Any) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        editor = await open_pane(pilot, RoleEditor)
        await settle(pilot)
        editor.query_one("#policy", TextArea).focus()
        await pilot.pause()
        await pilot.press("f8")
        await pilot.pause()
        assert editor.query_one("#policy", TextArea).has_focus
        assert any("No findings to jump to" in note.message for note in app._notifications)
