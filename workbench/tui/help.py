"""Help for everyone (the key reference) and for trainees (what each pane shows, and
what the workbench just asked AWS to do)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

PANE_HELP = {
    "leases": (
        "Leases: one row per live credential. 'Expires in' counts down every second and turns "
        "yellow under 5 minutes, red under 1. States: pending (written before AWS is called), "
        "propagating (IAM has not spread the new key yet), active, revoking (being deleted, "
        "retried on failure), irrevocable (retries exhausted: needs a person). The graph counts "
        "credentials issued and revoked per minute."
    ),
    "roles": (
        "Roles: templates for credentials (Vault's aws/roles/NAME). The policy document is "
        "checked as you type, before AWS ever sees it: grammar, unknown actions, size limits "
        "and privilege-escalation risks. Saving is refused while an ERROR remains."
    ),
    "engines": (
        "Engines: each engine (Vault: mount) is one AWS account. Its root credentials create "
        "and delete the short-lived ones; the secret key is stored encrypted and never shown "
        "again. 'Test connection' asks sts:GetCallerIdentity who those credentials are."
    ),
    "audit": (
        "Audit: every request and response, in Vault's audit format. Secrets appear only as "
        "hmac-sha256 digests. Each entry's hash covers the one before it, so 'verify chain' "
        "finds the first entry that was changed, inserted or removed."
    ),
    "iam": (
        "IAM: the users that exist in the engine's account right now, each matched to the "
        "lease that made it. A stray is a user with no live lease: a leftover to reconcile."
    ),
}

EXPLAIN = {
    ("issued", "iam_user"): [
        "iam:CreateUser (path, tags, permissions boundary)",
        "iam:AttachUserPolicy for each policy ARN",
        "iam:PutUserPolicy: the role's policy plus the expiry guard, a Deny * once "
        "aws:CurrentTime passes the lease's expiry",
        "iam:AddUserToGroup for each group",
        "iam:CreateAccessKey: the key pair you were shown once",
    ],
    ("issued", "assumed_role"): [
        "sts:AssumeRole with the role's session policy and tags; AWS ends it at expiry",
    ],
    ("issued", "federation_token"): [
        "sts:GetFederationToken with the role's policy; AWS ends it at expiry",
    ],
    ("issued", "session_token"): [
        "sts:GetSessionToken (with MFA if the role asks for it); AWS ends it at expiry",
    ],
    ("renewed", "iam_user"): [
        "iam:PutUserPolicy rewrites the expiry guard with the new expiry",
    ],
    ("revoked", "iam_user"): [
        "iam:ListAccessKeys, then iam:DeleteAccessKey for each key",
        "iam:DeleteLoginProfile, MFA devices, certificates, SSH keys (if any)",
        "iam:DeleteUserPolicy for each inline policy (the expiry guard too)",
        "iam:DetachUserPolicy for each managed policy",
        "iam:RemoveUserFromGroup for each group",
        "iam:DeleteUser: the credential can no longer be used",
    ],
    ("revoked", "sts"): [
        "Nothing to delete in AWS: STS credentials stay valid until their expiry; "
        "the lease is closed in the workbench",
    ],
}


def explain(event: str, credential_type: str | None) -> list[str]:
    """The AWS calls behind an event, as a trainee would want them listed."""
    if credential_type and credential_type != "iam_user":
        return EXPLAIN.get((event, credential_type)) or EXPLAIN.get((event, "sts"), [])
    return EXPLAIN.get((event, "iam_user"), [])


class TraineePanel(VerticalScroll):
    """A side panel: what the current pane shows and what just happened, a few lines each."""

    HISTORY = 4

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._pane = "leases"
        self._recent: deque[tuple[str, list[str]]] = deque(maxlen=self.HISTORY)

    def compose(self) -> ComposeResult:
        yield Static("", id="trainee-pane")
        yield Static("", id="trainee-recent")

    def on_mount(self) -> None:
        self._render_text()

    def show_pane(self, pane: str) -> None:
        self._pane = pane
        self._render_text()

    def happened(self, headline: str, steps: Iterable[str]) -> None:
        """Record an event (newest first) with the calls that made it happen."""
        self._recent.appendleft((headline, list(steps)))
        self._render_text()

    def _render_text(self) -> None:
        if not self.is_mounted:
            return
        about = Text()
        about.append("What this pane shows\n", style="bold")
        about.append(PANE_HELP.get(self._pane, ""))
        self.query_one("#trainee-pane", Static).update(about)
        recent = Text()
        recent.append("\nWhat just happened\n", style="bold")
        if not self._recent:
            recent.append(
                "Nothing yet: issue or revoke a credential (Leases pane) to see the "
                "AWS calls behind it.",
                style="dim",
            )
        for headline, steps in self._recent:
            recent.append(f"{headline}\n", style="bold")
            for step in steps:
                recent.append(f"  • {step}\n")
        self.query_one("#trainee-recent", Static).update(recent)


def _binding_rows(bindings: Iterable[BindingType]) -> list[str]:
    rows = []
    for binding in bindings:
        if not isinstance(binding, Binding):
            continue
        keys = ", ".join(f"`{key.strip()}`" for key in binding.key.split(","))
        rows.append(f"| {keys} | {binding.description} | {binding.tooltip} |")
    return rows


class HelpScreen(ModalScreen[None]):
    """Every pane, and every key, taken from the bindings themselves."""

    BINDINGS = [
        Binding("escape,f1,q", "dismiss", "Close", id="help.close", tooltip="Close the help"),
    ]

    def compose(self) -> ComposeResult:
        from workbench.tui.audit_stream import AuditStream
        from workbench.tui.engine_form import EngineForm
        from workbench.tui.iam_view import IamView
        from workbench.tui.issue_dialog import CredentialScreen
        from workbench.tui.lease_pane import LeasePane
        from workbench.tui.main_screen import MainScreen
        from workbench.tui.role_editor import RoleEditor

        sections = [
            "# Lease Workbench",
            "Keyboard first; everything is also on the mouse and in the command palette "
            "(`ctrl+p`). Destructive actions always ask first.",
        ]
        for title, widget in (
            ("Everywhere", MainScreen),
            ("Leases", LeasePane),
            ("New credential dialog", CredentialScreen),
            ("Roles", RoleEditor),
            ("Engines", EngineForm),
            ("Audit", AuditStream),
            ("IAM", IamView),
        ):
            sections.append(f"## {title}")
            pane = title.lower()
            if pane in PANE_HELP:
                sections.append(PANE_HELP[pane])
            sections.append("| Key | Action | What it does |\n|---|---|---|")
            sections[-1] += "\n" + "\n".join(_binding_rows(widget.BINDINGS))
        with VerticalScroll(id="help-body", classes="dialog"):
            yield Markdown("\n\n".join(sections))
