"""The role editor: role list, type-specific fields, a JSON policy editor, live findings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Resize
from textual.message import Message
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState, get_current_worker

from workbench.domain.errors import WorkbenchError
from workbench.domain.models import Role
from workbench.tui.display import error_text, plain, report_worker_error, say, show_text
from workbench.tui.role_findings import RoleFindings
from workbench.tui.role_form import RoleFields
from workbench.tui.role_list_ops import RoleListOps

if TYPE_CHECKING:
    from workbench.service import Finding, Workbench

NEW_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:ListAllMyBuckets"],
      "Resource": "*"
    }
  ]
}
"""


class RoleEditor(RoleListOps, Horizontal):
    """Write roles with the validator watching; saving is refused while ERRORs remain."""

    PANE_ID = "roles"
    PANE_KEY = "2"
    PANE_TITLE = "Roles"
    PANE_FOCUS = "#role-list"
    PANE_WIDGET_ID = "role-editor"
    PANE_HELP = (
        "Roles: templates for credentials (Vault's aws/roles/NAME). The policy document "
        "is checked as you type, before AWS ever sees it: grammar, unknown actions, size "
        "limits and privilege-escalation risks. Saving is refused while an ERROR remains."
    )

    BINDINGS = [
        Binding(
            "ctrl+s",
            "save",
            "Save",
            id="roles.save",
            tooltip="Save the role (refused while the policy has ERRORs)",
        ),
        # Tab indents in the policy editor, so this key is the keyboard's way to the findings
        # (f8, as "next problem" in VS Code; the editor keeps f5-f7 for selecting).
        Binding(
            "f8",
            "jump('findings')",
            "Findings",
            id="roles.to-findings",
            tooltip="Jump to the policy's findings (enter on one moves the editor there)",
        ),
        Binding(
            "f8",
            "jump('editor')",
            "Editor",
            id="roles.to-editor",
            tooltip="Jump from the findings back to the policy document",
        ),
        Binding("ctrl+n", "new", "New", id="roles.new", tooltip="Start a new role"),
        Binding(
            "ctrl+o",
            "import_roles",
            "Import",
            id="roles.import",
            tooltip="Import role files (a JSON file or a folder of them)",
        ),
        Binding(
            "delete,x",
            "delete",
            "Delete",
            id="roles.delete",
            tooltip="Delete the highlighted role (asks first; offers to revoke its leases)",
        ),
    ]

    class Validated(Message):
        """The validator's verdict on the form as it was at `generation`."""

        def __init__(self, generation: int, findings: list[Finding], error: str) -> None:
            super().__init__()
            self.generation = generation
            self.findings = findings
            self.error = error

    class RolesLoaded(Message):
        def __init__(self, roles: list[Role]) -> None:
            super().__init__()
            self.roles = roles

    class RoleSaved(Message):
        def __init__(self, role: Role, findings: list[Finding]) -> None:
            super().__init__()
            self.role = role
            self.findings = findings

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._roles: dict[str, Role] = {}
        self._generation = 0
        self._verdict_generation = -1
        self._edited_since_check = False
        self._select_after_load: str | None = None
        self._list_error = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="role-sidebar"):
            yield Label("Roles", classes="section-title")
            yield OptionList(id="role-list", markup=False)
            yield Static("", id="role-list-error", classes="pane-error")
            with Horizontal(classes="button-row"):
                yield Button("New", id="role-new", compact=True)
                yield Button("Import", id="role-import", compact=True)
                yield Button("Delete", id="role-delete", variant="error", compact=True)
        with VerticalScroll(id="role-main", can_focus=False):
            with Horizontal(classes="form-row"):
                yield Label("Role name", classes="form-label")
                yield Input(placeholder="e.g. webapp", id="role-name", compact=True)
                yield Button("Save (ctrl+s)", id="role-save", variant="primary", compact=True)
            yield RoleFields(id="role-fields")
            yield Label("Policy document", id="policy-label", classes="section-title")
            yield TextArea(
                NEW_POLICY,
                language="json",
                show_line_numbers=True,
                theme=self._editor_theme(),
                id="policy",
                tab_behavior="indent",
            )
            yield RoleFindings(id="role-findings")

    def _editor_theme(self) -> str:
        """The editor's syntax colours are its own: the set made for a dark or a light ground."""
        return "css" if self.app.current_theme.dark else "github_light"

    def theme_changed(self) -> None:
        self.query_one("#policy", TextArea).theme = self._editor_theme()

    def on_mount(self) -> None:
        self.watch(self.app, "engine", self._engine_changed, init=False)
        self.load_roles(self.service, self.engine)
        self._schedule_validation()

    def _engine_changed(self) -> None:
        self.action_new()
        self.load_roles(self.service, self.engine)

    def store_changed(self) -> None:
        """Another process wrote the store: roles may have been added or deleted."""
        self.load_roles(self.service, self.engine)

    # -- the role list --------------------------------------------------------------

    @work(
        thread=True,
        group="role-list",
        exclusive=True,
        exit_on_error=False,
        description="Load roles",
    )
    def load_roles(self, service: Workbench, engine: str) -> None:
        roles = service.roles.list(engine)
        if not get_current_worker().is_cancelled:
            self.post_message(self.RolesLoaded(roles))

    def on_role_editor_roles_loaded(self, event: RolesLoaded) -> None:
        self._show_list_error("")
        roles = {role.name: role for role in event.roles}
        option_list = self.query_one("#role-list", OptionList)
        highlighted = self._highlighted_name()
        if list(roles) != list(self._roles):
            option_list.set_options(
                Option(plain(f"{role.name}  ({role.credential_type.value})"), id=role.name)
                for role in roles.values()
            )
        self._roles = roles
        target = self._select_after_load or highlighted
        if target in roles:
            option_list.highlighted = list(roles).index(target)
        elif roles and option_list.highlighted is None:
            option_list.highlighted = 0
        self._select_after_load = None

    def _show_list_error(self, message: str) -> None:
        """The role list could not be read: say why under it (and notify when it is new)."""
        if message and message != self._list_error:
            say(self, message, title="Load roles", severity="error", timeout=10)
        self._list_error = message
        error = self.query_one("#role-list-error", Static)
        show_text(error, plain(f"Cannot list the roles: {message}" if message else ""))
        error.display = bool(message)

    def _highlighted_name(self) -> str | None:
        option_list = self.query_one("#role-list", OptionList)
        if option_list.highlighted is None or not option_list.option_count:
            return None
        return option_list.get_option_at_index(option_list.highlighted).id

    @on(OptionList.OptionSelected, "#role-list")
    def _role_chosen(self, event: OptionList.OptionSelected) -> None:
        role = self._roles.get(event.option.id or "")
        if role is not None:
            self.load_role(role)

    def load_role(self, role: Role | None) -> None:
        """Put `role` (or a blank new role) in the form and validate it."""
        self.query_one("#role-name", Input).value = role.name if role else ""
        self.query_one(RoleFields).load(role)
        policy = role.policy_document if role else NEW_POLICY
        self.query_one("#policy", TextArea).load_text(policy or "")
        self._show_policy()
        self._schedule_validation()

    # -- live validation -------------------------------------------------------------

    def _show_policy(self) -> None:
        takes_policy = self.query_one(RoleFields).takes_policy
        for widget_id in ("#policy", "#policy-label"):
            self.query_one(widget_id).display = takes_policy

    @on(TextArea.Changed, "#policy")
    @on(Input.Changed, "#role-name")
    def _edited(self) -> None:
        self._schedule_validation()

    def on_role_fields_changed(self) -> None:
        self._show_policy()
        self._schedule_validation()

    def _schedule_validation(self) -> None:
        """Validate once typing pauses."""
        self._edited_since_check = True
        self.debounce(self._validate_now)

    def _body(self) -> dict[str, Any]:
        fields = self.query_one(RoleFields)
        body = fields.body()
        policy = self.query_one("#policy", TextArea).text
        if fields.takes_policy and policy.strip():
            body["policy_document"] = policy
        return body

    def _role_name(self) -> str:
        return self.query_one("#role-name", Input).value.strip()

    def _validate_now(self) -> None:
        self._debounce_timer = None
        self._edited_since_check = False
        self._generation += 1
        name = self._role_name() or "new-role"
        self.validate(self.service, self.engine, name, self._body(), self._generation)

    @work(
        thread=True,
        group="role-validate",
        exclusive=True,
        exit_on_error=False,
        description="Validate the role",
    )
    def validate(
        self, service: Workbench, engine: str, name: str, body: dict[str, Any], generation: int
    ) -> None:
        try:
            _role, findings = service.roles.check(engine, name, body)
            error = ""
        except WorkbenchError as problem:
            findings, error = [], str(problem)
        self.post_message(self.Validated(generation, findings, error))

    def on_role_editor_validated(self, event: Validated) -> None:
        if event.generation != self._generation:
            return  # the form changed since; a newer verdict is on its way
        self._verdict_generation = event.generation
        self.query_one(RoleFindings).show(event.findings, event.error)

    @property
    def error_count(self) -> int:
        return self.query_one(RoleFindings).error_count

    @property
    def can_save(self) -> bool:
        return self.query_one(RoleFindings).can_save

    def on_resize(self, event: Resize) -> None:
        self.query_one(RoleFindings).fit(event.size.height)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "jump":  # f8 says where it goes: to the findings, or back
            in_findings = self.query_one(RoleFindings).has_focus_within
            return (parameters == ("editor",)) == in_findings
        return True

    def action_jump(self, to: str) -> None:
        if to == "editor":
            editor = self.query_one("#policy", TextArea)
            (editor if editor.display else self.query_one("#role-name", Input)).focus()
        elif not self.query_one(RoleFindings).take_focus():
            say(self, "No findings to jump to: the policy has none.")

    def on_role_findings_chosen(self, event: RoleFindings.Chosen) -> None:
        finding = event.finding
        editor = self.query_one("#policy", TextArea)
        editor.cursor_location = (max(finding.line - 1, 0), max(finding.column - 1, 0))
        editor.focus()
        editor.scroll_cursor_visible(center=True)

    # -- save, new, import, delete -------------------------------------------------------

    @on(Button.Pressed, "#role-save")
    def action_save(self) -> None:
        if self._edited_since_check or self._verdict_generation != self._generation:
            self._validate_now()  # stale verdict: the service re-checks on save anyway
        elif not self.can_save:
            say(
                self,
                self.query_one(RoleFindings).form_error
                or f"Saving refused: {self.error_count} ERROR(s) remain in the policy document.",
                severity="error",
            )
            return
        self.save_role(self.service, self.engine, self._role_name(), self._body())

    @work(thread=True, group="role-ops", exit_on_error=False, description="Save the role")
    def save_role(self, service: Workbench, engine: str, name: str, body: dict[str, Any]) -> None:
        role, findings = service.roles.write(engine, name, body)
        self.post_message(self.RoleSaved(role, findings))

    def on_role_editor_role_saved(self, event: RoleSaved) -> None:
        self._select_after_load = event.role.name
        self.load_roles(self.service, self.engine)
        say(self, f"Saved role {event.role.name}.")

    @on(Button.Pressed, "#role-new")
    def action_new(self) -> None:
        self.load_role(None)
        self.query_one("#role-name", Input).focus()

    @on(Button.Pressed, "#role-import")
    def _import_pressed(self) -> None:
        self.action_import_roles()

    @on(Button.Pressed, "#role-delete")
    def _delete_pressed(self) -> None:
        self.action_delete()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "role-list":
            # Shown under the list (notified once): the list reloads whenever the store changes.
            if event.state is WorkerState.ERROR and event.worker.error is not None:
                self._show_list_error(error_text(event.worker.error))
            return
        report_worker_error(self, event)
