"""The role's credential type and the fields that type takes (and no others)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select

from workbench.domain.models import CredentialType, Role
from workbench.service import ROLE_FIELDS_BY_TYPE as FIELDS

# Every field but credential_type and policy_document (the editor holds that), in order.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "policy_arns": ("Policy ARNs", "managed policy ARNs, comma-separated"),
    "iam_groups": ("IAM groups", "group names, comma-separated"),
    "iam_tags": ("IAM tags", "key=value, comma-separated"),
    "user_path": ("User path", "/ or /workbench/"),
    "permissions_boundary_arn": ("Boundary ARN", "arn:aws:iam::ACCOUNT:policy/NAME"),
    "role_arns": ("Role ARNs", "arn:aws:iam::ACCOUNT:role/NAME, comma-separated"),
    "default_sts_ttl": ("Default STS TTL", "e.g. 15m"),
    "max_sts_ttl": ("Max STS TTL", "e.g. 1h"),
    "session_tags": ("Session tags", "key=value, comma-separated"),
    "external_id": ("External ID", "the ID the trusting account expects"),
    "mfa_serial_number": ("MFA serial", "arn:aws:iam::ACCOUNT:mfa/NAME"),
}


def _as_text(value: Any) -> str:
    """A role body value as the one-line text Vault also accepts for it."""
    if isinstance(value, dict):
        return ", ".join(f"{key}={item}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


class RoleFields(Vertical):
    """Credential type selector plus one input per field; hidden fields are not sent."""

    class Changed(Message):
        """A field or the credential type changed (the editor re-validates)."""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label("Credential type", classes="form-label")
            yield Select(
                [(Text(kind.value), kind.value) for kind in CredentialType],
                value=CredentialType.IAM_USER.value,
                allow_blank=False,
                id="role-type",
                compact=True,
            )
        for name, (label, placeholder) in FIELD_LABELS.items():
            with Horizontal(classes="form-row", id=f"row-{name}"):
                yield Label(label, classes="form-label")
                yield Input(placeholder=placeholder, id=f"field-{name}", compact=True)

    def on_mount(self) -> None:
        self._show_fields()

    @property
    def credential_type(self) -> CredentialType:
        value = self.query_one("#role-type", Select).value
        return CredentialType(value) if isinstance(value, str) else CredentialType.IAM_USER

    @property
    def takes_policy(self) -> bool:
        return "policy_document" in FIELDS[self.credential_type]

    def _show_fields(self) -> None:
        fields = FIELDS[self.credential_type]
        for name in FIELD_LABELS:
            self.query_one(f"#row-{name}").display = name in fields

    @on(Select.Changed, "#role-type")
    def _type_changed(self) -> None:
        self._show_fields()
        self.post_message(self.Changed())

    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed())

    def body(self) -> dict[str, Any]:
        """Vault's role body from the visible, non-empty fields (policy not included)."""
        kind = self.credential_type
        body: dict[str, Any] = {"credential_type": kind.value}
        for name in FIELD_LABELS:
            if name in FIELDS[kind]:
                value = self.query_one(f"#field-{name}", Input).value.strip()
                if value:
                    body[name] = value
        return body

    def load(self, role: Role | None) -> None:
        """Show `role`'s fields (or empty ones for a new role)."""
        body = role.body() if role else {}
        kind = role.credential_type if role else CredentialType.IAM_USER
        self.query_one("#role-type", Select).value = kind.value
        for name in FIELD_LABELS:
            self.query_one(f"#field-{name}", Input).value = _as_text(body.get(name))
        self._show_fields()
