"""The workbench itself: six panes, one key each, a single one-second tick."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import AwaitMount
from textual.widgets import Header, Input, TabbedContent, TabPane, TextArea

from workbench.domain.text import printable
from workbench.tui.audit_stream import AuditStream
from workbench.tui.command_line import CommandBar, refresh_panes, trainee_note
from workbench.tui.demo_banner import DemoBanner
from workbench.tui.display import error_text, show_error
from workbench.tui.footer import Footer
from workbench.tui.heap import settle_heap
from workbench.tui.help import TraineePanel, explain
from workbench.tui.iam_view import IamView
from workbench.tui.lease_pane import LeasePane
from workbench.tui.pane import Pane
from workbench.tui.panes import PANES, pane_class
from workbench.tui.role_editor import RoleEditor
from workbench.tui.static_pane import StaticPane

if TYPE_CHECKING:
    from workbench.tui.app import DemoInfo, WorkbenchApp

__all__ = ["DemoBanner", "MainScreen"]

PaneT = TypeVar("PaneT", bound=Pane)

IAM_REFRESH_TICKS = 2
TRAINEE_CHECK_TICKS = 5  # the demo's trainee key is checked (and replaced if low) this often


class MainScreen(Screen[None]):
    """Leases, roles, engines, audit, IAM and static roles; the tick drives countdowns and
    live reloads."""

    # Focus goes to the first pane's main widget, not Textual's default (the first
    # focusable widget: the tab strip, restyled on focus and again on blur, ~0.1 s of
    # the first paint before on_mount moved focus to the table).
    AUTO_FOCUS = PANES[0].PANE_FOCUS
    BINDINGS = [
        *(
            Binding(
                pane.PANE_KEY,
                f"show_pane('{pane.PANE_ID}')",
                pane.PANE_TITLE,
                id=f"pane.{pane.PANE_ID}",
                show=False,
                tooltip=f"Show the {pane.PANE_TITLE} pane",
            )
            for pane in PANES
        ),
        Binding(
            "question_mark",
            "toggle_trainee",
            "Explain",
            id="app.explain",
            tooltip="Show or hide the trainee panel: what this pane shows, what just happened",
        ),
        Binding(
            "colon",
            "command_line",
            "Command",
            id="app.command-line",
            show=False,
            tooltip="Type a Vault command, as Vault's docs show it (vault read aws/creds/webapp)",
        ),
        Binding(
            "b",
            "toggle_banner",
            "Banner",
            id="app.banner",
            tooltip="Show or hide the demo banner (demo only)",
        ),
        Binding(
            "escape",
            "leave_field",
            "Leave field",
            id="app.leave-field",
            show=False,
            tooltip="Leave a text field, so single keys act on the pane again",
        ),
        Binding(
            "y",
            "copy_trainee_command",
            "Copy try-it",
            id="app.copy-trainee",
            show=False,
            tooltip="Copy the demo banner's command, with its live key (demo only)",
        ),
    ]

    def __init__(self, *, demo: DemoInfo | None = None) -> None:
        super().__init__(id="main")
        self._demo = demo
        self._token: int | None = None
        self._ticks = 0
        self._panes_mounted = False
        self._panes_mounting: list[AwaitMount] = []
        self._settling = False
        self._tick_error = ""
        self._polling = False

    @property
    def wb(self) -> WorkbenchApp:
        return cast("WorkbenchApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        if self._demo is not None:
            yield DemoBanner(self._demo)
        first, *rest = PANES
        with TabbedContent(initial=first.PANE_ID, id="panes"):
            with TabPane(f"{first.PANE_KEY} {first.PANE_TITLE}", id=first.PANE_ID):
                yield first(id=first.PANE_WIDGET_ID)
            # The other panes are mounted once the leases are shown (or when first
            # opened), so the lease table's first paint does not wait for them.
            for pane in rest:
                yield TabPane(f"{pane.PANE_KEY} {pane.PANE_TITLE}", id=pane.PANE_ID)
        yield TraineePanel(PANES[0].PANE_HELP, id="trainee")
        yield CommandBar(id="command-bar")
        yield Footer()

    def on_mount(self) -> None:
        self._engine_changed(self.wb.engine)
        self.watch(self.wb, "engine", self._engine_changed, init=False)
        self.watch(self.wb, "revoker", lambda _state: self._engine_changed(self.wb.engine))
        self.tick()  # its answer is the baseline: what the panes load now is current
        self.set_interval(1.0, self.tick, name="tick")
        for widget in self.query(pane_class(self.active_pane).PANE_FOCUS):
            widget.focus()  # the pane shown, even if a key switched it before this ran

    def on_lease_pane_loaded(self) -> None:
        if not self._settling:
            self._settling = True
            self.call_after_refresh(self._after_first_paint)

    async def _after_first_paint(self) -> None:
        """Once the leases are shown: mount the other panes, take their widgets out of the
        cyclic GC's reach (a full collection over them was a 25-30 ms tick), and only then
        read the lease history for the graph (a thread that competes with the UI thread)."""
        if not self.is_attached:
            return  # the app is quitting (q pressed while the leases loaded): nothing to add
        await self.mount_panes()
        settle_heap()
        leases = self._pane(LeasePane)
        if leases is not None:
            leases.seed_graph()

    async def mount_panes(self) -> None:
        """Mount the panes other than Leases (once; later calls wait for the first). Not
        while the app quits: Textual refuses mounts then."""
        if not self._panes_mounted and self.is_attached:
            self._panes_mounted = True
            self._panes_mounting = [
                self.query_one(f"#{pane.PANE_ID}", TabPane).mount(pane(id=pane.PANE_WIDGET_ID))
                for pane in PANES[1:]
            ]
        for mounting in self._panes_mounting:
            await mounting

    def _engine_changed(self, engine: str) -> None:
        self.sub_title = printable(
            f"{self.wb.operator} · engine {engine} · revoker {self.wb.revoker}"
        )

    # -- the one tick ------------------------------------------------------------

    def tick(self) -> None:
        """Once a second: ask (off the UI thread) whether the store changed, then refresh."""
        if self._polling:
            return  # the last poll has not answered yet (a slow store): one at a time
        service = self.wb.service
        self._polling = True

        def poll() -> None:
            try:
                token = service.changes()
            except Exception as error:
                self.app.call_from_thread(self._tick_failed, error)
            else:
                self.app.call_from_thread(self._ticked, token)

        self.run_worker(poll, thread=True, group="tick", exit_on_error=False)

    def _tick_failed(self, error: Exception) -> None:
        """Shown once while it keeps failing; the tick goes on."""
        self._polling = False
        if error_text(error) != self._tick_error:
            show_error(self, error, "Refreshing the panes failed")
        self._tick_error = error_text(error)

    def _ticked(self, token: int) -> None:
        self._polling = False
        self._tick_error = ""
        self._ticks += 1
        if self._demo is not None and self._ticks % TRAINEE_CHECK_TICKS == 0:
            self._check_trainee_key()
        changed = self._token is not None and token != self._token
        self._token = token
        active = self.active_pane
        leases = self._pane(LeasePane)
        if leases is not None:
            leases.tick(changed)
        audit = self._pane(AuditStream)
        if active == "audit" and audit is not None:
            audit.tick()
        iam = self._pane(IamView)
        if active == "iam" and iam is not None and self._ticks % IAM_REFRESH_TICKS == 0:
            iam.refresh_users()
        roles = self._pane(RoleEditor)
        if changed and roles is not None:
            roles.store_changed()
        static = self._pane(StaticPane)
        if static is not None:
            static.tick(changed, shown=active == "static")

    def _pane(self, kind: type[PaneT]) -> PaneT | None:
        """The pane of `kind`, if mounted, found by its id: Textual keeps that lookup, while a
        query by type walks every widget on the screen (2-3 ms a tick once all are mounted)."""
        try:
            return self.query_one(f"#{kind.PANE_WIDGET_ID}", kind)
        except NoMatches:
            return None

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
        self.query_one(TraineePanel).show_pane(pane_class(pane).PANE_HELP)
        for widget in self.query(pane_class(pane).PANE_FOCUS):
            widget.focus()
        if pane == "iam":
            for iam in self.query(IamView):
                iam.refresh_users()
        elif pane == "audit":
            for audit in self.query(AuditStream):
                audit.tick()
        elif pane == "static":
            for static in self.query(StaticPane):
                static.show_countdowns()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_banner":
            return self._demo is not None  # no banner, no key in the footer
        return True

    def action_toggle_banner(self) -> None:
        for banner in self.query(DemoBanner):
            banner.display = not banner.display

    def action_leave_field(self) -> None:
        """Esc in a text field (a filter, a form field, the editor) hands the keys back to
        the pane: focus its main widget, as k9s and lazygit do."""
        focused = self.app.focused
        if focused is None or not isinstance(focused, Input | TextArea):
            return
        for widget in self.query(pane_class(self.active_pane).PANE_FOCUS):
            if widget is not focused:
                widget.focus()
                return
        self.set_focus(None)

    def action_copy_trainee_command(self) -> None:
        """Put the demo's try-it command on the clipboard, on one line (OSC 52)."""
        for banner in self.query(DemoBanner):
            if banner.example:
                self.app.copy_to_clipboard(banner.example)
                self.notify("Copied the try-it command (its key is live); paste it in a terminal.")
                return
        self.notify("Only the demo has a try-it command.", severity="warning")

    def _check_trainee_key(self) -> None:
        """Off the UI thread: the demo's live key (a fresh one if the last ran low)."""
        current = getattr(self._demo, "current_example", None)
        if current is None:
            return

        def check() -> None:
            try:
                example = current()
            except Exception as error:  # the demo's AWS or store: shown, the tick goes on
                self.app.call_from_thread(show_error, self, error, "Renewing the try-it key")
            else:
                self.app.call_from_thread(self._show_trainee_example, example)

        self.run_worker(
            check, thread=True, group="trainee-key", exclusive=True, exit_on_error=False
        )

    def _show_trainee_example(self, example: str) -> None:
        for banner in self.query(DemoBanner):
            banner.show_example(example)

    def action_command_line(self) -> None:
        self.query_one(CommandBar).open()

    def on_command_bar_ran(self, event: CommandBar.Ran) -> None:
        refresh_panes(self, event.result)
        note = trainee_note(event.result)
        if note is not None:
            headline, happened, kind = note
            self._happened(headline, explain(happened, kind))

    def action_toggle_trainee(self) -> None:
        self.query_one(TraineePanel).toggle_class("-shown")

    async def pane_action(self, pane: str, action: str) -> None:
        """Show `pane` and run one of its actions (the command palette's entry point)."""
        await self.mount_panes()
        self.action_show_pane(pane)
        self.call_after_refresh(self.query_one(pane_class(pane)).run_action, action)

    # -- what just happened (for the trainee panel) ------------------------------------

    def on_lease_pane_credential_issued(self, event: LeasePane.CredentialIssued) -> None:
        lease = event.issued.lease
        kind = lease.credential_type.value
        guard = self.wb.expiry_guards.get(lease.engine, True)
        self._happened(f"Issued a credential ({kind})", explain("issued", kind, expiry_guard=guard))

    def on_lease_pane_lease_renewed(self, event: LeasePane.LeaseRenewed) -> None:
        kind = event.lease.credential_type.value
        guard = self.wb.expiry_guards.get(event.lease.engine, True)
        self._happened("Renewed a lease", explain("renewed", kind, expiry_guard=guard))

    def on_lease_pane_lease_revoked(self, event: LeasePane.LeaseRevoked) -> None:
        kind = event.lease.credential_type.value
        self._happened(f"Revoked a lease ({kind})", explain("revoked", kind))

    def on_lease_pane_prefix_revoked(self, event: LeasePane.PrefixRevoked) -> None:
        count = len(event.outcome.revoked)
        self._happened(f"Revoked {count} lease(s) by prefix", explain("revoked", "iam_user"))

    def on_static_pane_rotated(self, event: StaticPane.Rotated) -> None:
        self._happened(event.headline, explain("rotated", "static"))

    def lease_worker_event(self, kind: str, lease_id: str | None) -> None:
        """The background revoker acted: reload the table, tell the trainee why."""
        self.query_one(LeasePane).reload()
        if kind in {"revoked", "expired"}:
            self._happened(f"The revoker ended a lease ({kind})", explain("revoked", None))
        if lease_id is None and kind in {"rotated", "failed"}:
            # A static role's rotation (its events name no lease): in this process the
            # revoker shares the store's connection, so the change token does not move.
            for static in self.query(StaticPane):
                static.reload()
        if kind == "rotated":
            self._happened("The revoker rotated a static role", explain("rotated", "static"))

    def _happened(self, headline: str, steps: list[str]) -> None:
        self.query_one(TraineePanel).happened(headline, steps)
