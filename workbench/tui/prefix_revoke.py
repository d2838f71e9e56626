"""Revoking by prefix from the lease pane: a role's leases, or any typed prefix (asks first).

A mixin of LeasePane: it counts the matches among the leases shown, asks,
revokes in a worker, and says what happened (failures, unreadable rows, and
STS credentials AWS keeps valid until their own expiry).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.notifications import SeverityLevel

from workbench.service import PrefixRevocation, role_prefix
from workbench.tui.confirm import PromptScreen
from workbench.tui.display import say
from workbench.tui.pane import Pane

if TYPE_CHECKING:
    from workbench.domain.models import Lease
    from workbench.service import Workbench
    from workbench.tui.lease_table import LeaseTable

OPS_GROUP = "lease-ops"  # the lease pane's issue, renew and revoke workers


def describe_revoked(lease: Lease) -> tuple[str, SeverityLevel]:
    """One lease's revocation in a notification: its state and how AWS was cut off."""
    how = lease.how_revoked
    message = f"{lease.lease_id} is {lease.state.value}." + (
        f" {how[:1].upper()}{how[1:]}." if how else ""
    )
    return message, "warning" if "warning" in (lease.revocation or {}) else "information"


def describe_outcome(outcome: PrefixRevocation) -> tuple[str, SeverityLevel]:
    """What a prefix revocation did, in a notification's words and severity."""
    message = f"Revoked {len(outcome.revoked)} lease(s) under {outcome.prefix}."
    if outcome.sts_still_valid:
        message += (
            f"\n{len(outcome.sts_still_valid)} STS credential(s) could not be denied in "
            "AWS and stay valid until they expire."
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
                value=f"{self.wb.engine}/creds/",
            ),
            typed,
        )

    def _matching(self, prefix: str) -> int:
        return sum(1 for lease in self.table.rows if lease.lease_id.startswith(prefix))

    def _describe_prefix(self, prefix: str) -> str:
        if not prefix.strip():
            return "Type a prefix: an engine (aws/), a role (aws/creds/webapp/) or a lease id."
        return f"{self._matching(prefix.strip())} live lease(s) shown match this prefix."

    def _confirm_prefix(self, prefix: str) -> None:
        count = self._matching(prefix)
        self.confirm_then(
            "Revoke by prefix",
            f"Revoke {count} live lease(s) under {prefix}?",
            lambda: self.revoke_prefix(self.service, prefix),
            yes_label=f"Revoke {count}",
        )

    @work(thread=True, group=OPS_GROUP, exit_on_error=False, description="Revoke by prefix")
    def revoke_prefix(self, service: Workbench, prefix: str) -> None:
        self.post_message(self.PrefixRevoked(service.leases.revoke_prefix(prefix)))

    def on_lease_pane_prefix_revoked(self, event: PrefixRevoked) -> None:
        self.reload()
        message, severity = describe_outcome(event.outcome)
        say(self, message, title="Revoke by prefix", severity=severity)
