"""Help for everyone (the key reference) and for trainees (what each pane shows, and
what the workbench just asked AWS to do)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from workbench.tui.theme_colors import themed

EXPLAIN = {
    ("issued", "iam_user"): [
        "iam:CreateUser (path, tags, permissions boundary)",
        "iam:AttachUserPolicy for each policy ARN",
        "iam:PutUserPolicy: the role's policy plus the expiry guard (on for this engine), "
        "a Deny * once aws:CurrentTime passes the lease's expiry",
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
        "iam:UpdateAccessKey Status=Inactive: the key is refused from this call on",
        "iam:DeleteAccessKey, iam:DeleteUserPolicy, iam:DetachUserPolicy and "
        "iam:RemoveUserFromGroup for what the lease made",
        "iam:DeleteUser; only if AWS answers DeleteConflict, everything else on the "
        "user (login profile, MFA, certificates, SSH keys, other keys) is swept first",
    ],
    ("revoked", "assumed_role"): [
        "iam:GetRole for the role's id, then iam:PutRolePolicy lease-workbench-revoked: "
        "a Deny * on this session's aws:userid (ROLEID:session-name) until it expires",
    ],
    ("revoked", "federation_token"): [
        "iam:PutUserPolicy lease-workbench-revoked on the root user: a Deny * on the "
        "federated user's aws:userid (ACCOUNT:name) until it expires",
    ],
    ("revoked", "session_token"): [
        "iam:PutUserPolicy lease-workbench-revoked on the root user: a Deny * on session "
        "tokens issued around this one's issue time (aws:TokenIssueTime)",
    ],
    ("revoked", "sts"): [
        "STS credentials cannot be deleted; the session is denied in an identity policy",
    ],
    ("rotated", "static"): [
        "iam:ListAccessKeys: the user's keys (AWS allows two)",
        "iam:CreateAccessKey: the new key, stored (sealed) before anything is deleted",
        "iam:DeleteAccessKey: the old key; the user is left with one key, the new one",
    ],
}


# An iam_user lease of an engine whose expiry guard is off (`config root --no-expiry-guard`).
UNGUARDED = {
    "issued": [
        "iam:CreateUser (path, tags, permissions boundary)",
        "iam:AttachUserPolicy for each policy ARN",
        "iam:PutUserPolicy: the role's policy, if it has one; no expiry guard (it is off for "
        "this engine): the key works until the workbench revokes it",
        "iam:AddUserToGroup for each group",
        "iam:CreateAccessKey: the key pair you were shown once",
    ],
    "renewed": [
        "nothing in AWS: the expiry guard is off for this engine, so only the workbench "
        "ends the key, at the new expiry",
    ],
}


def explain(event: str, credential_type: str | None, *, expiry_guard: bool = True) -> list[str]:
    """The AWS calls behind an event, as a trainee would want them listed, as the engine
    is configured (`expiry_guard`: whether its iam_user policies carry the guard)."""
    if credential_type and credential_type != "iam_user":
        return EXPLAIN.get((event, credential_type)) or EXPLAIN.get((event, "sts"), [])
    if not expiry_guard and event in UNGUARDED:
        return UNGUARDED[event]
    return EXPLAIN.get((event, "iam_user"), [])


class TraineePanel(VerticalScroll):
    """A side panel: what the current pane shows and what just happened, a few lines each."""

    HISTORY = 4

    def __init__(self, about: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._about = about
        self._recent: deque[tuple[str, list[str]]] = deque(maxlen=self.HISTORY)

    def compose(self) -> ComposeResult:
        yield Static("", id="trainee-pane")
        yield Static("", id="trainee-recent")

    def on_mount(self) -> None:
        self._render_text()

    def show_pane(self, about: str) -> None:
        """Say what the pane now shown is for (its PANE_HELP)."""
        self._about = about
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
        about.append(self._about)
        self.query_one("#trainee-pane", Static).update(about)
        recent = [themed("\nWhat just happened\n", "bold")]
        if not self._recent:
            recent.append(
                themed(
                    "Nothing yet: issue or revoke a credential (Leases pane) to see the "
                    "AWS calls behind it.",
                    "$workbench-muted",
                )
            )
        for headline, steps in self._recent:
            recent.append(themed(f"{headline}\n", "bold"))
            recent.extend(themed(f"  • {step}\n") for step in steps)
        self.query_one("#trainee-recent", Static).update(Content.assemble(*recent))


class HelpScreen(ModalScreen[None]):
    """Every pane, and every key, taken from the bindings themselves (key_reference.py)."""

    BINDINGS = [
        Binding("escape,f1,q", "dismiss", "Close", id="help.close", tooltip="Close the help"),
    ]

    def compose(self) -> ComposeResult:
        # Deferred: Markdown brings markdown_it, ~25 ms of the main screen's first paint,
        # and only f1 shows it.
        from textual.widgets import Markdown

        from workbench.tui.key_reference import reference_markdown

        with VerticalScroll(id="help-body", classes="dialog"):
            yield Markdown(reference_markdown(self.app))
