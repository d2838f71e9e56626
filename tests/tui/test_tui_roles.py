"""The role editor: live findings, refusing to save with ERRORs, import, delete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
