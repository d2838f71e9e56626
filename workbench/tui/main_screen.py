"""The workbench itself: five panes, one key each, a single one-second tick."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import AwaitMount
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane

from workbench.domain.text import printable
from workbench.tui.audit_stream import AuditStream
from workbench.tui.display import error_text, plain, show_error
from workbench.tui.engine_form import EngineForm
from workbench.tui.help import TraineePanel, explain
from workbench.tui.iam_view import IamView
from workbench.tui.lease_pane import LeasePane
from workbench.tui.role_editor import RoleEditor

if TYPE_CHECKING:
    from workbench.tui.app import DemoInfo, WorkbenchApp

PANES = {
    "leases": ("Leases", "1"),
    "roles": ("Roles", "2"),
    "engines": ("Engines", "3"),
    "audit": ("Audit", "4"),
    "iam": ("IAM", "5"),
}
IAM_REFRESH_TICKS = 2


class DemoBanner(Static):
    """Says the app runs on an embedded AWS, and how to reach it from another terminal."""

    def __init__(self, demo: DemoInfo) -> None:
        text = Text()
        text.append("DEMO", style="bold")
        text.append(plain(f"  embedded AWS at {demo.endpoint}"))
        for note in demo.notes:
            text.append(plain(f"\n{note}"))
        if demo.example:
            text.append("\nTry in another terminal:\n", style="bold")
            text.append(plain(demo.example))
        super().__init__(text, id="demo-banner")


class MainScreen(Screen[None]):
    """Leases, roles, engines, audit and IAM; the tick drives countdowns and live reloads."""

    BINDINGS = [
        *(
            Binding(
                key,
                f"show_pane('{pane}')",
                title,
                id=f"pane.{pane}",
                show=False,
                tooltip=f"Show the {title} pane",
            )
            for pane, (title, key) in PANES.items()
        ),
        Binding(
            "question_mark",
            "toggle_trainee",
            "Explain",
            id="app.explain",
            tooltip="Show or hide the trainee panel: what this pane shows, what just happened",
        ),
        Binding(
            "b",
            "toggle_banner",
            "Banner",
            id="app.banner",
            tooltip="Show or hide the demo banner (demo only)",
        ),
    ]

    def __init__(self, *, demo: DemoInfo | None = None) -> None:
        super().__init__(id="main")
        self._demo = demo
        self._token: int | None = None
        self._ticks = 0
        self._panes_mounted = False
        self._panes_mounting: list[AwaitMount] = []
        self._tick_error = ""

    @property
    def wb(self) -> WorkbenchApp:
        return cast("WorkbenchApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        if self._demo is not None:
            yield DemoBanner(self._demo)
        with TabbedContent(initial="leases", id="panes"):
            with TabPane("1 Leases", id="leases"):
                yield LeasePane(id="lease-pane")
            # The other panes are mounted once the leases are shown (or when first
            # opened), so the lease table's first paint does not wait for them.
            for pane, (title, key) in list(PANES.items())[1:]:
                yield TabPane(f"{key} {title}", id=pane)
        yield TraineePanel(id="trainee")
        yield Footer()

    def on_mount(self) -> None:
        self._engine_changed(self.wb.engine)
        self.watch(self.wb, "engine", self._engine_changed, init=False)
        self.watch(self.wb, "revoker", lambda _state: self._engine_changed(self.wb.engine))
        try:
            self._token = self.wb.service.changes()
        except Exception as error:
            show_error(self, error, "Reading the store failed")
        self.set_interval(1.0, self.tick, name="tick")
        self.query_one("#lease-table").focus()

    def on_lease_pane_loaded(self) -> None:
        if not self._panes_mounted:
            self.call_after_refresh(self.mount_panes)

    async def mount_panes(self) -> None:
        """Mount the panes other than Leases (once; later calls wait for the first)."""
        if not self._panes_mounted:
            self._panes_mounted = True
            self._panes_mounting = [
                self.query_one(f"#{pane}", TabPane).mount(widget)
                for pane, widget in (
                    ("roles", RoleEditor(id="role-editor")),
                    ("engines", EngineForm(id="engine-form")),
                    ("audit", AuditStream(id="audit-stream")),
                    ("iam", IamView(id="iam-view")),
                )
            ]
        for mounting in self._panes_mounting:
            await mounting

    def _engine_changed(self, engine: str) -> None:
        self.sub_title = printable(
            f"{self.wb.operator} · engine {engine} · revoker {self.wb.revoker}"
        )

    # -- the one tick ------------------------------------------------------------

    def tick(self) -> None:
        """Once a second: countdowns and reloads; a failure is shown once, and the tick goes on."""
        try:
            self._tick()
        except Exception as error:
            if error_text(error) != self._tick_error:
                show_error(self, error, "Refreshing the panes failed")
            self._tick_error = error_text(error)
        else:
            self._tick_error = ""

    def _tick(self) -> None:
        self._ticks += 1
        token = self.wb.service.changes()
        changed = token != self._token
        self._token = token
        active = self.active_pane
        self.query_one(LeasePane).tick(changed)
        if active == "audit":
            for audit in self.query(AuditStream):
                audit.tick()
        elif active == "iam" and self._ticks % IAM_REFRESH_TICKS == 0:
            for iam in self.query(IamView):
                iam.refresh_users()
        if changed:
            for roles in self.query(RoleEditor):
                roles.store_changed()

    @property
    def active_pane(self) -> str:
        return self.query_one("#panes", TabbedContent).active

    # -- panes -------------------------------------------------------------------

    def action_show_pane(self, pane: str) -> None:
        self.query_one("#panes", TabbedContent).active = pane

    @on(TabbedContent.TabActivated)
    async def _pane_shown(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane.id or "leases"
        if pane != "leases":
            await self.mount_panes()
        self.query_one(TraineePanel).show_pane(pane)
        focus = {
            "leases": "#lease-table",
            "roles": "#role-list",
            "engines": "#engine-select",
            "audit": "#audit-table",
            "iam": "#iam-table",
        }[pane]
        for widget in self.query(focus):
            widget.focus()
        if pane == "iam":
            for iam in self.query(IamView):
                iam.refresh_users()
        elif pane == "audit":
            for audit in self.query(AuditStream):
                audit.tick()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_banner":
            return self._demo is not None  # no banner, no key in the footer
        return True

    def action_toggle_banner(self) -> None:
        for banner in self.query(DemoBanner):
            banner.display = not banner.display

    def action_toggle_trainee(self) -> None:
        self.query_one(TraineePanel).toggle_class("-shown")

    async def pane_action(self, pane: str, action: str) -> None:
        """Show `pane` and run one of its actions (the command palette's entry point)."""
        await self.mount_panes()
        self.action_show_pane(pane)
        widget = {
            "leases": LeasePane,
            "roles": RoleEditor,
            "engines": EngineForm,
            "audit": AuditStream,
            "iam": IamView,
        }[pane]
        self.call_after_refresh(self.query_one(widget).run_action, action)

    # -- what just happened (for the trainee panel) ------------------------------------

    def on_lease_pane_credential_issued(self, event: LeasePane.CredentialIssued) -> None:
        kind = event.issued.lease.credential_type.value
        self._happened(f"Issued a credential ({kind})", explain("issued", kind))

    def on_lease_pane_lease_renewed(self, event: LeasePane.LeaseRenewed) -> None:
        kind = event.lease.credential_type.value
        self._happened("Renewed a lease", explain("renewed", kind))

    def on_lease_pane_lease_revoked(self, event: LeasePane.LeaseRevoked) -> None:
        kind = event.lease.credential_type.value
        self._happened(f"Revoked a lease ({kind})", explain("revoked", kind))

    def on_lease_pane_prefix_revoked(self, event: LeasePane.PrefixRevoked) -> None:
        count = len(event.outcome.revoked)
        self._happened(f"Revoked {count} lease(s) by prefix", explain("revoked", "iam_user"))

    def lease_worker_event(self, kind: str, lease_id: str | None) -> None:
        """The background revoker acted: reload the table, tell the trainee why."""
        self.query_one(LeasePane).reload()
        if kind in {"revoked", "expired"}:
            self._happened(f"The revoker ended a lease ({kind})", explain("revoked", None))

    def _happened(self, headline: str, steps: list[str]) -> None:
        self.query_one(TraineePanel).happened(headline, steps)
