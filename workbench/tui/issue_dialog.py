"""Issuing: pick a role and TTL, then see the new credential exactly once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from workbench.domain.formatting import utc_stamp
from workbench.domain.models import CredentialType, Role
from workbench.service import IssuedCredential
from workbench.tui.display import error_text, plain, say
from workbench.tui.theme_colors import themed

COPY_FORMATS = {
    "env": "env exports",
    "profile": "~/.aws/credentials profile",
    "credential-process": "credential_process JSON",
    "json": "Vault JSON",
}


class IssueSelect(Select[str]):
    """A select of the issue dialog: down, up or space open it; enter, while it is closed,
    issues (the dialog's button says "Issue (enter)")."""

    BINDINGS = [
        Binding(
            "enter",
            "screen.submit",
            "Issue",
            show=False,
            id="issue.submit",
            tooltip="Issue with what is chosen (down, up or space open the list)",
        ),
    ]


@dataclass(frozen=True)
class IssueRequest:
    """What the person asked for: a role, and optionally a TTL, role ARN or MFA code."""

    role: str
    ttl: str | None = None
    role_arn: str | None = None
    mfa_code: str | None = None


# The dialog's input for each field an issue error can concern (WorkbenchError.field).
FIELD_INPUTS = {"ttl": "#issue-ttl", "role_arn": "#issue-role-arn", "mfa_code": "#issue-mfa"}


class IssueRequestScreen(ModalScreen[IssueRequest | None]):
    """Choose the role and TTL; only the fields the role's type needs are shown.

    With `on_request`, the dialog stays open while the credential is issued: the
    lease pane closes it when it is, or hands a refusal back (`failed`), shown
    here in the TUI's words with what was typed kept. Without, it is dismissed
    with the request.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="issue.cancel", tooltip="Close without issuing"),
    ]

    def __init__(
        self,
        roles: list[Role],
        *,
        selected: str | None = None,
        on_request: Callable[[IssueRequest], object] | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self._roles = {role.name: role for role in roles}
        self._selected = selected if selected in self._roles else next(iter(self._roles), None)
        self._on_request = on_request
        self.issuing = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="issue-request"):
            yield Label("Issue a credential", classes="dialog-title")
            yield Label("Role")
            yield IssueSelect(
                [
                    (plain(f"{name}  ({role.credential_type.value})"), name)
                    for name, role in self._roles.items()
                ],
                value=self._selected or Select.NULL,
                allow_blank=False,
                id="issue-role",
            )
            yield Label("TTL (blank: the role's or engine's default)")
            yield Input(placeholder="e.g. 15m, 1h", id="issue-ttl")
            yield Label("Role ARN", id="issue-role-arn-label")
            yield IssueSelect([], id="issue-role-arn", allow_blank=True)
            yield Label("MFA code", id="issue-mfa-label")
            yield Input(placeholder="6 digits", id="issue-mfa")
            yield Static("", id="issue-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Issue (enter)", variant="primary", id="issue")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self._show_fields()
        self.query_one("#issue-error").display = False
        self.query_one("#issue-ttl", Input).focus()

    @on(Select.Changed, "#issue-role")
    def _role_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self._selected = event.value
        self._show_fields()

    def _show_fields(self) -> None:
        role = self._roles.get(self._selected or "")
        arns = (
            role.role_arns if role and role.credential_type is CredentialType.ASSUMED_ROLE else []
        )
        needs_arn = len(arns) > 1
        arn_select: Select[str] = self.query_one("#issue-role-arn", Select)
        arn_select.set_options([(plain(arn), arn) for arn in arns])
        for widget_id in ("#issue-role-arn", "#issue-role-arn-label"):
            self.query_one(widget_id).display = needs_arn
        needs_mfa = bool(role and role.mfa_serial_number)
        for widget_id in ("#issue-mfa", "#issue-mfa-label"):
            self.query_one(widget_id).display = needs_mfa

    def action_submit(self) -> None:
        self._submit()

    @on(Input.Submitted)
    @on(Button.Pressed, "#issue")
    def _submit(self) -> None:
        if not self._selected or self.issuing:
            return
        arn = self.query_one("#issue-role-arn", Select).value
        request = IssueRequest(
            role=self._selected,
            ttl=self.query_one("#issue-ttl", Input).value.strip() or None,
            role_arn=arn if isinstance(arn, str) else None,
            mfa_code=self.query_one("#issue-mfa", Input).value.strip() or None,
        )
        if self._on_request is None:
            self.dismiss(request)
            return
        self.issuing = True
        self.query_one("#issue", Button).disabled = True
        self._say(themed("Issuing…", "$workbench-muted"))
        self._on_request(request)

    def failed(self, error: BaseException) -> None:
        """The issue was refused: say why here, in the TUI's words, and keep what was typed."""
        self.issuing = False
        self.query_one("#issue", Button).disabled = False
        self._say(themed(error_text(error), "bold $text-error"))
        concerned = FIELD_INPUTS.get(getattr(error, "field", None) or "")
        if concerned and self.query_one(concerned).display:
            self.query_one(concerned).focus()

    def _say(self, text: Content) -> None:
        shown = self.query_one("#issue-error", Static)
        shown.update(text)
        shown.display = True

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class CredentialScreen(ModalScreen[None]):
    """The new credential, shown once: copy it in one key, then it is gone from the UI."""

    BINDINGS = [
        Binding(
            "e",
            "copy('env')",
            "Copy env",
            id="credential.copy-env",
            tooltip="Copy as `export AWS_...` lines",
        ),
        Binding(
            "p",
            "copy('profile')",
            "Copy profile",
            id="credential.copy-profile",
            tooltip="Copy as an ~/.aws/credentials section",
        ),
        Binding(
            "c",
            "copy('credential-process')",
            "Copy credential_process",
            id="credential.copy-process",
            tooltip="Copy the AWS CLI's credential_process JSON",
        ),
        Binding(
            "v",
            "copy('json')",
            "Copy Vault JSON",
            id="credential.copy-json",
            tooltip="Copy as `vault read -format=json` prints it",
        ),
        Binding(
            "escape,enter",
            "close",
            "Close",
            id="credential.close",
            tooltip="Close; the secret is not shown again",
        ),
    ]

    AUTO_FOCUS = "#credential-scroll"  # arrows scroll it; enter and esc close

    def __init__(self, issued: IssuedCredential) -> None:
        super().__init__(classes="dialog-screen")
        self._issued: IssuedCredential | None = issued

    def compose(self) -> ComposeResult:
        issued = self._issued
        assert issued is not None
        lease = issued.lease
        rows = [
            ("lease_id", lease.lease_id),
            ("type", lease.credential_type.value),
            ("expires", f"{utc_stamp(lease.expire_time)} UTC"),
            ("access_key", lease.access_key_id or ""),
            ("secret_key", lease.secret_key or ""),
        ]
        if lease.session_token:
            rows.append(("session_token", lease.session_token))
        body = Text()
        for name, value in rows:
            body.append(f"{name:<14}", style="bold")
            body.append(plain(f"{value}\n"))
        with Vertical(classes="dialog", id="credential"):
            yield Label("New credential (shown once)", classes="dialog-title")
            # Scrolls on its own (an STS token is long), so the copy keys stay in sight.
            with VerticalScroll(id="credential-scroll"):
                yield Static(body, id="credential-body")
            for warning in issued.warnings:
                yield Static(plain(f"warning: {warning}"), classes="credential-warning")
            yield Static(
                Text(
                    "Copy it now: e env exports, p profile, c credential_process, v Vault JSON. "
                    "After this dialog closes the secret is never shown again."
                ),
                classes="dialog-hint",
            )
            with Horizontal(classes="dialog-buttons", id="credential-buttons"):
                yield Button("env (e)", id="copy-env")
                yield Button("profile (p)", id="copy-profile")
                yield Button("credential_process (c)", id="copy-credential-process")
                yield Button("Vault JSON (v)", id="copy-json")
                yield Button("Close (esc)", variant="primary", id="close")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        if button == "close":
            self.action_close()
        elif button.startswith("copy-"):
            self.action_copy(button.removeprefix("copy-"))

    def action_copy(self, fmt: str) -> None:
        if self._issued is None:
            return
        self.app.copy_to_clipboard(self._issued.render(fmt))
        say(self, f"Copied the credential as {COPY_FORMATS[fmt]}.")

    def action_close(self) -> None:
        self._issued = None
        self.query_one("#credential-body", Static).update("")
        self.dismiss(None)
