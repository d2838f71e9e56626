"""`WorkbenchApp`: unlock, then the five panes; owns the service and the revoker thread."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from textual.app import App
from textual.binding import Binding
from textual.filter import LineFilter
from textual.message import Message
from textual.reactive import reactive

from workbench.domain.errors import WorkbenchError
from workbench.tui.commands import WorkbenchCommands
from workbench.tui.display import ControlCharacterFilter, say, show_error
from workbench.tui.screenshot import ScreenshotDelivery
from workbench.tui.theme_colors import ReadableThemeColors

if TYPE_CHECKING:
    from workbench.domain.models import Engine
    from workbench.service import StoreLocation, Workbench


class DemoInfo(Protocol):
    """What the demo tells the app to show in its banner (workbench.demo passes a dataclass)."""

    endpoint: str
    notes: list[str]
    example: str


class LeaseWorkerEvent(Message):
    """The background revoker did something (revoked, expired, failed, ...)."""

    def __init__(self, kind: str, lease_id: str | None, message: str) -> None:
        super().__init__()
        self.kind = kind
        self.lease_id = lease_id
        self.message = message


class WorkbenchApp(ScreenshotDelivery, ReadableThemeColors, App[None]):
    """Lease Workbench: engines, roles, leases, audit and IAM, keyboard-first."""

    CSS_PATH = "app.tcss"
    TITLE = "Lease Workbench"
    # Classes the screen shown takes from the terminal's size: app.tcss reflows the
    # panes and dialogs below them (80x24 is -narrow and -short).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (40, "-tall")]
    COMMANDS = App.COMMANDS | {WorkbenchCommands}
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Leave the workbench"),
        # `q` as in k9s and lazygit; a text field takes the letter instead (Esc leaves it).
        Binding("q", "quit", "Quit", id="app.quit-q", show=False, tooltip="Leave the workbench"),
        Binding("f1", "help", "Help", id="app.help", tooltip="What each pane and key does"),
        Binding(
            "ctrl+t",
            "change_theme",
            "Theme",
            id="app.theme",
            show=False,
            tooltip="Pick a colour theme",
        ),
    ]

    engine: reactive[str] = reactive("aws")
    """The engine (Vault: mount) the panes act on."""
    engine_names: tuple[str, ...] = ()
    revoker: reactive[str] = reactive("off")
    """Who revokes expired leases, for the header: here, standby, stopped, off."""

    def __init__(
        self,
        home: Path,
        operator: str,
        *,
        service: Workbench | None = None,
        demo: DemoInfo | None = None,
        start_worker: bool = True,
        store: StoreLocation | None = None,
        slot: str | None = None,
    ) -> None:
        """`operator` is the name the audit shows; `slot` the key slot to unlock (default:
        $WORKBENCH_OPERATOR, else the OS user); `store` a PostgreSQL store instead of `home`'s."""
        super().__init__()
        self.home = Path(home)
        self.operator = operator
        self.store_location = store
        self.slot = slot
        self.demo = demo
        self.start_worker = start_worker
        self.clock: Callable[[], float] = time.time
        """Wall clock for countdowns; tests freeze it for snapshots."""
        self._service = service
        self._owns_service = service is None
        self._lease_worker: Any = None
        self._last_worker_error = ""
        self._control_filter = ControlCharacterFilter()
        self.expiry_guards: dict[str, bool] = {}
        """Each engine's expiry guard, as last read (note_engines)."""

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, then one that keeps control characters off the terminal."""
        return [*super().get_line_filters(), self._control_filter]

    @property
    def service(self) -> Workbench:
        """The unlocked service; only the main screen (after unlock) asks for it."""
        if self._service is None:
            raise RuntimeError("the store is still locked")
        return self._service

    @property
    def unlocked(self) -> bool:
        return self._service is not None

    def on_mount(self) -> None:
        if self._service is not None:
            self._open_workbench()
            return
        from workbench.tui.unlock import UnlockScreen

        self.push_screen(
            UnlockScreen(self.home, self.operator, location=self.store_location, slot=self.slot),
            self._unlocked,
        )

    def _unlocked(self, service: Workbench | None) -> None:
        if service is not None:
            self._service = service
            self._open_workbench()

    def _open_workbench(self) -> None:
        """Show the main screen now; the engines are read off the UI thread and picked after."""
        from workbench.tui.main_screen import MainScreen

        service = self.service

        def read() -> None:
            try:
                engines = service.engines.list()
            except Exception as error:  # a damaged engine row: the panes show it where it matters
                self.call_from_thread(show_error, self, error, "Reading the engines failed")
            else:
                self.call_from_thread(self._engines_read, engines)

        self.push_screen(MainScreen(demo=self.demo))
        self.run_worker(read, thread=True, group="open", exit_on_error=False)
        if self.start_worker:
            self._start_lease_worker()

    def note_engines(self, engines: list[Engine]) -> None:
        """The engines as last read (by a worker): the palette offers to switch to them, and
        the trainee panel says whether their iam_user policies carry the expiry guard."""
        self.engine_names = tuple(engine.name for engine in engines)
        self.expiry_guards = {engine.name: engine.root.expiry_guard for engine in engines}

    def _engines_read(self, engines: list[Engine]) -> None:
        """Act on an enabled engine: the panes follow `engine` when it changes."""
        self.note_engines(engines)
        enabled = [engine.name for engine in engines if engine.enabled]
        if enabled and self.engine not in enabled:
            self.engine = enabled[0]

    # -- the background revoker ------------------------------------------------

    def _start_lease_worker(self) -> None:
        """Run the revoker in its own thread; it stands by if another process leads."""
        from workbench.worker import LeaseWorker

        self._lease_worker = LeaseWorker(self.service, on_event=self._forward_worker_event)
        try:
            self._lease_worker.start()
        except WorkbenchError as error:  # e.g. a worker.lock left by another user
            self._lease_worker = None
            self.revoker = "cannot run"
            show_error(self, error, "The revoker cannot run")
            return
        self.revoker = "starting"

    def _forward_worker_event(self, event: Any) -> None:
        """Called on the revoker's thread: only post a message, never touch widgets."""
        self.post_message(
            LeaseWorkerEvent(str(event.kind), event.lease_id, str(event.message or ""))
        )

    def on_lease_worker_event(self, event: LeaseWorkerEvent) -> None:
        from workbench.tui.main_screen import MainScreen

        if event.kind in {"failed", "irrevocable", "unreadable", "stopped"} or (
            # A failing pass is retried and reported again: say so once per new message.
            event.kind == "error" and event.message != self._last_worker_error
        ):
            say(
                self,
                event.message or f"lease {event.lease_id} is {event.kind}",
                title=f"Revoker: {event.kind}",
                severity="error",
            )
        elif event.kind == "standby":
            say(self, "Another process runs the revoker for this store; this one stands by.")
        self._last_worker_error = event.message if event.kind == "error" else ""
        header = {"leader": "here", "standby": "standby", "stopped": "STOPPED", "error": "errors"}
        if event.kind in header:
            self.revoker = header[event.kind]
        elif self.revoker == "errors" and event.kind in {"revoked", "expired", "active"}:
            self.revoker = "here"
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                screen.lease_worker_event(event.kind, event.lease_id)

    # -- app-wide actions -------------------------------------------------------

    def action_help(self) -> None:
        from workbench.tui.help import HelpScreen

        self.push_screen(HelpScreen())

    def on_unmount(self) -> None:
        if self._lease_worker is not None:
            self._lease_worker.stop(timeout=10.0)
            self._lease_worker = None
        if self._service is not None and self._owns_service:
            self._service.close()
