"""Containment from the lease pane: stop every live credential under a prefix, fastest first.

`C` asks for the prefix (the selected lease's role is filled in), counts what
is live under it off the UI thread, says in the confirm what will be done to
how many of each type, then runs `wb.incident.contain` in a worker and shows
what was done to each credential and whether AWS now refuses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from workbench.domain.text import printable
from workbench.service import role_prefix
from workbench.tui.confirm import PromptScreen
from workbench.tui.display import plain, say
from workbench.tui.pane import Pane
from workbench.tui.prefix_revoke import OPS_GROUP

if TYPE_CHECKING:
    from workbench.domain.models import Lease
    from workbench.service import Containment, Workbench
    from workbench.tui.lease_table import LeaseTable

REFUSED_WORDS = {True: "yes", False: "NO", None: "-"}


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def plan_question(prefix: str, plan: dict[str, int]) -> str:
    """The confirm's question: what containment will do, to how many of each type."""
    total = sum(plan.values())
    keys = plan.get("iam_user", 0)
    sessions = [f"{count} {kind}" for kind, count in plan.items() if kind != "iam_user" and count]
    steps = []
    if keys:
        steps.append(f"Deactivate {keys} iam_user key(s)")
    if sessions:
        deny = "deny" if steps else "Deny"
        steps.append(f"{deny} {_and(sessions)} session(s) in AWS")
    steps.append("then revoke it" if total == 1 else f"then revoke all {total}")
    probe = " Each key is then called until AWS refuses it." if keys else ""
    return (
        f"Contain {total} live credential(s) under {prefix}?\n\n"
        f"{', '.join(steps)}.{probe} This cannot be undone."
    )


def describe_containment(result: Containment) -> tuple[str, SeverityLevel]:
    """What containment did, in a summary's words and severity."""
    probed = [r for r in result.results if r.refused is not None]
    refused = sum(1 for r in probed if r.refused)
    errors = [r for r in result.results if r.error]
    message = (
        f"Contained {len(result.results)} credential(s) under {result.prefix} in "
        f"{result.seconds:.1f} s"
    )
    message += f"; AWS refuses {refused} of the {len(probed)} key(s) probed." if probed else "."

    severity: SeverityLevel = "information"
    not_refused = sum(1 for r in result.results if r.refused is False)
    if not_refused:
        severity = "warning"
        message += f"\n{not_refused} key(s) still accepted by AWS when the probe gave up."
    if errors:
        severity = "error"
        message += f"\n{len(errors)} failed; first: {errors[0].error}"
    if result.unreadable:
        severity = "error"
        bad = result.unreadable[0]
        message += (
            f"\n{len(result.unreadable)} unreadable lease row(s) not contained; first: "
            f"{bad.lease_id}: {bad.error}"
        )
    return message, severity


class ContainmentScreen(ModalScreen[None]):
    """Containment's result, one row per credential: what was done, whether AWS refuses it."""

    BINDINGS = [
        Binding(
            "escape,enter",
            "dismiss",
            "Close",
            id="containment.close",
            tooltip="Close the containment result",
        ),
    ]

    AUTO_FOCUS = "#containment-body"

    def __init__(self, result: Containment) -> None:
        super().__init__(classes="dialog-screen")
        self.result = result

    def compose(self) -> ComposeResult:
        result = self.result
        message, severity = describe_containment(result)
        with Vertical(classes="dialog", id="containment"):
            yield Label(plain(f"Contained: {result.prefix}"), classes="dialog-title")
            yield Static(plain(message), id="containment-summary", classes=f"-{severity}")
            with VerticalScroll(id="containment-body"):
                yield Static(self._table(), id="containment-table")
            yield Static(
                Text(
                    "Lease: the id after the prefix. Key off: seconds from the start until the "
                    "iam_user key was inactive. Refused: whether AWS refused the key when "
                    "probed (- not probed: STS sessions are denied by policy)."
                ),
                classes="dialog-hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close (esc)", variant="primary", id="close")

    def _table(self) -> Table:
        prefix = self.result.prefix
        table = Table(expand=True, box=None, show_edge=False, pad_edge=False, header_style="bold")
        cut: dict[str, Any] = {"no_wrap": True, "overflow": "ellipsis"}
        table.add_column("Lease", ratio=3, overflow="fold")  # whole: ids differ at the end
        table.add_column("Type", **cut, min_width=8, max_width=16)
        table.add_column("Key off", no_wrap=True, min_width=7)
        table.add_column("Refused", no_wrap=True, min_width=7)
        table.add_column("What was done", ratio=4, overflow="fold")
        for row in self.result.results:
            short = row.lease_id.removeprefix(prefix) if prefix.endswith("/") else row.lease_id
            off = row.key_inactive_after
            table.add_row(
                Text(printable(short or row.lease_id)),
                Text(row.credential_type),
                f"{off:.2f} s" if off is not None else "-",
                Text(REFUSED_WORDS[row.refused], style="bold" if row.refused is False else ""),
                Text(printable(row.error or row.done), style="bold" if row.error else ""),
            )
        for bad in self.result.unreadable:
            table.add_row(
                Text(printable(bad.lease_id.removeprefix(prefix) or bad.lease_id)),
                Text(printable(bad.credential_type)),
                "-",
                "-",
                Text(printable(f"unreadable, not contained: {bad.error}"), style="bold"),
            )
        return table

    def on_button_pressed(self) -> None:
        self.dismiss(None)


class Containing(Pane):
    """The lease pane's `C`: contain everything under a prefix (asks first)."""

    if TYPE_CHECKING:  # LeasePane's, which this is mixed into

        @property
        def table(self) -> LeaseTable: ...
        def reload(self) -> None: ...

    class PrefixContained(Message, namespace="lease_pane"):
        """ContainRequested -> PrefixContained: what was done to each credential."""

        def __init__(self, result: Containment) -> None:
            super().__init__()
            self.result = result

    def action_contain(self) -> None:
        lease: Lease | None = self.table.selected
        prefix = role_prefix(lease.engine, lease.role) if lease else f"{self.engine}/creds/"

        def typed(text: str | None) -> None:
            if text and text.strip():
                self._plan_containment(text.strip())

        self.app.push_screen(
            PromptScreen(
                "Contain: stop every live credential under a prefix",
                placeholder="e.g. aws/creds/webapp/",
                describe=self._describe_containment_prefix,
                value=prefix,
            ),
            typed,
        )

    def _describe_containment_prefix(self, prefix: str) -> str:
        prefix = prefix.strip()
        if not prefix:
            return "Type a prefix: an engine (aws/), a role (aws/creds/webapp/) or a lease id."
        kinds: dict[str, int] = {}
        for lease in self.table.rows:
            if lease.lease_id.startswith(prefix):
                kind = lease.credential_type.value
                kinds[kind] = kinds.get(kind, 0) + 1
        if not kinds:
            return "No live lease shown matches this prefix. Enter counts the store's."
        counts = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
        return f"Shown under it: {counts}. Enter counts the store's, then asks."

    def _plan_containment(self, prefix: str) -> None:
        self.call_service(
            lambda service: service.incident.plan(prefix),
            lambda plan: self._confirm_containment(prefix, plan),
            doing="Counting what to contain",
        )

    def _confirm_containment(self, prefix: str, plan: dict[str, int]) -> None:
        total = sum(plan.values())
        if not total:
            say(self, f"Nothing to contain: no live credential under {prefix}.", severity="warning")
            return

        def contain() -> None:
            say(self, f"Containing {total} credential(s) under {prefix}...", title="Contain")
            self.contain_prefix(self.service, prefix)

        self.confirm_then(
            "Contain", plan_question(prefix, plan), contain, yes_label=f"Contain {total}"
        )

    @work(thread=True, group=OPS_GROUP, exit_on_error=False, description="Contain by prefix")
    def contain_prefix(self, service: Workbench, prefix: str) -> None:
        self.post_message(self.PrefixContained(service.incident.contain(prefix)))

    def on_lease_pane_prefix_contained(self, event: PrefixContained) -> None:
        self.reload()
        self.app.push_screen(ContainmentScreen(event.result))  # its first line is the summary
