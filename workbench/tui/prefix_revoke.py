"""Revoking by prefix from the lease pane: a role's leases, or any typed prefix (asks first).

A mixin of LeasePane: the prompt counts the matches among the leases loaded
(OK only when there is one), the store's count per credential type is read off
the UI thread, and the confirm says what revoking does to each type (STS
sessions are denied in AWS, or stay valid until their expiry) before anything
is done; then it revokes in a worker and says what happened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.notifications import SeverityLevel

from workbench.domain.formatting import counted
from workbench.service import PrefixRevocation, role_prefix
from workbench.tui.confirm import PromptScreen
from workbench.tui.display import say
from workbench.tui.pane import Pane

if TYPE_CHECKING:
    from workbench.domain.models import Lease
    from workbench.service import Workbench
    from workbench.tui.lease_table import LeaseTable

OPS_GROUP = "lease-ops"  # the lease pane's issue, renew and revoke workers

# What revoking does to each credential type (README: "How a revocation cuts access").
EFFECTS = {
    "iam_user": "each key is made inactive at once, then its IAM user is deleted",
    "assumed_role": "AWS cannot end a session; each is denied by a policy on its IAM role",
    "federation_token": (
        "AWS cannot end a session; each is denied by a policy on the engine's root user"
    ),
    "session_token": (
        "AWS cannot end a token; each is denied by a policy on the engine's root user, "
        "as is any session token it issued from 2 minutes before to 30 s after"
    ),
}
STS_CAVEAT = (
    "Where the root credentials may not write that policy, an STS credential stays "
    "valid until it expires; the result counts those."
)


def describe_revoked(lease: Lease) -> tuple[str, SeverityLevel]:
    """One lease's revocation in a notification: its state and how AWS was cut off."""
    how = lease.how_revoked
    message = f"{lease.lease_id} is {lease.state.value}." + (
        f" {how[:1].upper()}{how[1:]}." if how else ""
    )
    return message, "warning" if "warning" in (lease.revocation or {}) else "information"


def describe_outcome(outcome: PrefixRevocation) -> tuple[str, SeverityLevel]:
    """What a prefix revocation did, in a notification's words and severity."""
    message = f"Revoked {counted(len(outcome.revoked), 'lease')} under {outcome.prefix}."
    if outcome.sts_still_valid:
        message += (
            f"\n{counted(len(outcome.sts_still_valid), 'STS credential')} could not be "
            "denied in AWS and stay valid until they expire."
        )
    severity: SeverityLevel = "information"
    if outcome.failed:
        severity = "error"
        first = next(iter(outcome.failed.values()))
        message += f"\n{len(outcome.failed)} failed; first error: {first}"
    if outcome.unreadable:
        severity = "error"
        bad = outcome.unreadable[0]
        message += (
            f"\n{len(outcome.unreadable)} unreadable lease row(s) not revoked; first: "
            f"{bad.lease_id}: {bad.error}"
        )
    return message, severity


def prefix_question(prefix: str, plan: dict[str, int], unreadable: int) -> str:
    """The confirm's question: how many of each type, and what revoking does to each."""
    lines = [f"Revoke {counted(sum(plan.values()), 'live lease')} under {prefix}?", ""]
    for kind, count in plan.items():
        if count:
            effect = EFFECTS.get(kind, "revoked as its type is")
            lines.append(f"• {count} {kind}: {effect}.")
    if any(count for kind, count in plan.items() if kind != "iam_user"):
        lines.append(STS_CAVEAT)
    if unreadable:
        lines.append(f"{counted(unreadable, 'unreadable lease row')} under it: set aside, kept.")
    lines.append("This cannot be undone.")
    return "\n".join(lines)


class PrefixRevoking(Pane):
    """The lease pane's `X` (the selected lease's role) and `P` (a typed prefix)."""

    if TYPE_CHECKING:  # LeasePane's, which this is mixed into

        @property
        def table(self) -> LeaseTable: ...
        def reload(self) -> None: ...
        def _selected(self) -> Lease | None: ...

    class PrefixRevoked(Message, namespace="lease_pane"):
        def __init__(self, outcome: PrefixRevocation) -> None:
            super().__init__()
            self.outcome = outcome

    def action_revoke_role(self) -> None:
        lease = self._selected()
        if lease is not None:
            self._confirm_prefix(role_prefix(lease.engine, lease.role))

    def action_revoke_prefix(self) -> None:
        def typed(prefix: str | None) -> None:
            if prefix and prefix.strip():
                self._confirm_prefix(prefix.strip())

        self.app.push_screen(
            PromptScreen(
                "Revoke every live lease under a prefix",
                placeholder="e.g. aws/creds/webapp/",
                describe=self._describe_prefix,
                accepts=lambda prefix: bool(self._matching(prefix.strip())),
                value=f"{self.wb.engine}/creds/",
            ),
            typed,
        )

    def _matching(self, prefix: str) -> dict[str, int]:
        """Live leases loaded under `prefix` (whatever the filter shows), per type."""
        kinds: dict[str, int] = {}
        if prefix:
            for lease in self.table.loaded:
                if lease.lease_id.startswith(prefix):
                    kind = lease.credential_type.value
                    kinds[kind] = kinds.get(kind, 0) + 1
        return dict(sorted(kinds.items()))

    def _describe_prefix(self, prefix: str) -> str:
        prefix = prefix.strip()
        if not prefix:
            return "Type a prefix: an engine (aws/), a role (aws/creds/webapp/) or a lease id."
        kinds = self._matching(prefix)
        if not kinds:
            return "No live lease matches this prefix: nothing to revoke."
        counts = ", ".join(f"{count} {kind}" for kind, count in kinds.items())
        total = counted(sum(kinds.values()), "live lease")
        return f"{total} match ({counts}). Enter shows what revoking does to each, then asks."

    def _confirm_prefix(self, prefix: str) -> None:
        """Count the store's live leases under `prefix` per type, then ask."""
        self.call_service(
            lambda service: (service.incident.plan(prefix), len(service.leases.unreadable(prefix))),
            lambda counts: self._ask_prefix(prefix, *counts),
            doing="Counting what to revoke",
        )

    def _ask_prefix(self, prefix: str, plan: dict[str, int], unreadable: int) -> None:
        total = sum(plan.values())
        if not total:
            say(self, f"No live lease under {prefix}: nothing to revoke.", severity="warning")
            return
        self.confirm_then(
            "Revoke by prefix",
            prefix_question(prefix, plan, unreadable),
            lambda: self.revoke_prefix(self.service, prefix),
            yes_label=f"Revoke {total}",
        )

    @work(thread=True, group=OPS_GROUP, exit_on_error=False, description="Revoke by prefix")
    def revoke_prefix(self, service: Workbench, prefix: str) -> None:
        self.post_message(self.PrefixRevoked(service.leases.revoke_prefix(prefix)))

    def on_lease_pane_prefix_revoked(self, event: PrefixRevoked) -> None:
        self.reload()
        message, severity = describe_outcome(event.outcome)
        say(self, message, title="Revoke by prefix", severity=severity)
