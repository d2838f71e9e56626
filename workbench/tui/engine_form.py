"""Engine config: root credentials, endpoints, retries, template and lease TTLs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from workbench.domain.durations import format_duration
from workbench.domain.models import Engine
from workbench.tui.confirm import PromptScreen
from workbench.tui.display import error_text, plain, say
from workbench.tui.pane import Pane
from workbench.tui.theme_colors import themed

if TYPE_CHECKING:
    from workbench.service import Workbench

# (field, label, placeholder); the secret key is separate: it is never filled in.
ROOT_FIELDS = (
    ("access_key", "Access key ID", "AKIA... (blank: a profile or the ambient credentials)"),
    ("profile", "Profile", "a named profile from ~/.aws/config"),
    ("region", "Region", "us-east-1"),
    ("iam_endpoint", "IAM endpoint", "blank: AWS's own"),
    ("sts_endpoint", "STS endpoint", "blank: AWS's own"),
    ("max_retries", "Max retries", "0-20"),
    ("username_template", "Username template", "wb-{{display_name}}-{{role_name}}-..."),
)
LEASE_FIELDS = (
    ("lease", "Lease (default TTL)", "e.g. 1h"),
    ("lease_max", "Lease max", "e.g. 12h"),
)


class EngineForm(Pane, VerticalScroll):
    """Switch, add and disable engines; edit one engine's `config/root` and `config/lease`."""

    PANE_ID = "engines"
    PANE_KEY = "3"
    PANE_TITLE = "Engines"
    PANE_FOCUS = "#engine-select"
    PANE_WIDGET_ID = "engine-form"
    PALETTE_ONLY = (
        ("toggle_engine", "Disable or enable the engine", "Refused while it has live leases"),
    )
    PANE_HELP = (
        "Engines: each engine (Vault: mount) is one AWS account. Its root credentials "
        "create and delete the short-lived ones; the secret key is stored encrypted and "
        "never shown again. 'Test connection' asks sts:GetCallerIdentity who those "
        "credentials are."
    )

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="engines.save", tooltip="Save the engine's config"),
        Binding(
            "f5",
            "test_connection",
            "Test connection",
            id="engines.test",
            tooltip="sts:GetCallerIdentity with the root credentials",
        ),
        Binding(
            "ctrl+r",
            "rotate_root",
            "Rotate root",
            id="engines.rotate",
            tooltip="Replace the stored root key with a new one (asks first)",
        ),
        Binding(
            "ctrl+n",
            "add_engine",
            "Add engine",
            id="engines.add",
            tooltip="Enable a new engine (one AWS account)",
        ),
    ]

    class Loaded(Message):
        """The engines, and optionally the one to switch to."""

        def __init__(self, engines: list[Engine], switch_to: str | None = None) -> None:
            super().__init__()
            self.engines = engines
            self.switch_to = switch_to

    class Saved(Message):
        """The config was written; `what` says which parts."""

        def __init__(self, what: str) -> None:
            super().__init__()
            self.what = what

    class ConnectionTested(Message):
        def __init__(self, identity: dict[str, str]) -> None:
            super().__init__()
            self.identity = identity

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._view: dict[str, Any] = {}
        self._engines: dict[str, Engine] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-row", id="engine-toolbar"):
            yield Label("Engine", classes="form-label")
            yield Select([], allow_blank=True, id="engine-select", prompt="engine", compact=True)
            yield Button("Add", id="engine-add", compact=True)
            yield Button("Disable", id="engine-toggle", variant="warning", compact=True)
        yield Label("Root config (Vault: config/root)", classes="section-title")
        for name, label, placeholder in ROOT_FIELDS[:1]:
            yield self._row(name, label, placeholder)
        with Horizontal(classes="form-row"):
            yield Label("Secret key", classes="form-label")
            yield Input(password=True, id="field-secret_key", placeholder="not set", compact=True)
        for name, label, placeholder in ROOT_FIELDS[1:]:
            yield self._row(name, label, placeholder)
        yield Label("Lease config (Vault: config/lease)", classes="section-title")
        for name, label, placeholder in LEASE_FIELDS:
            yield self._row(name, label, placeholder)
        with Horizontal(classes="button-row"):
            yield Button("Save (ctrl+s)", id="engine-save", variant="primary", compact=True)
            yield Button("Test connection (f5)", id="engine-test", compact=True)
            yield Button("Rotate root (ctrl+r)", id="engine-rotate", variant="error", compact=True)
        yield Static("", id="engine-result")

    @staticmethod
    def _row(name: str, label: str, placeholder: str) -> Horizontal:
        return Horizontal(
            Label(label, classes="form-label"),
            Input(placeholder=placeholder, id=f"field-{name}", compact=True),
            classes="form-row",
        )

    def on_mount(self) -> None:
        self.watch(self.app, "engine", self._engine_changed, init=False)
        self.reload()

    def reload(self) -> None:
        service = self.service

        def read() -> None:
            try:
                engines = service.engines.list()
            except Exception as error:  # a damaged engine row: name it here, keep the form
                self.app.call_from_thread(self._show_error, error, "Reading the engines failed")
            else:
                self.post_message(self.Loaded(engines))

        self.run_worker(read, thread=True, group="engine-load", exclusive=True, exit_on_error=False)

    def _show_error(self, error: BaseException, title: str) -> None:
        message = error_text(error)
        self.query_one("#engine-result", Static).update(themed(message, "bold $text-error"))
        say(self, message, title=title, severity="error", timeout=10)

    def on_engine_form_loaded(self, event: Loaded) -> None:
        self._engines = {engine.name: engine for engine in event.engines}
        self.wb.note_engines(event.engines)
        select: Select[str] = self.query_one("#engine-select", Select)
        select.set_options(
            (plain(name if engine.enabled else f"{name} (disabled)"), name)
            for name, engine in self._engines.items()
        )
        self.call_after_refresh(self.take_focus_if_shown)  # new options rebuild the select
        if event.switch_to:
            self.wb.engine = event.switch_to
        if self.engine in self._engines:
            select.value = self.engine
        self._fill()

    def _engine_changed(self) -> None:
        select: Select[str] = self.query_one("#engine-select", Select)
        if select.value != self.engine and self.engine in self._engines:
            select.value = self.engine
        self._fill()

    @on(Select.Changed, "#engine-select")
    def _switch(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.engine:
            self.wb.engine = event.value

    def _fill(self) -> None:
        """Show the engine's config; the secret key field stays empty, always."""
        engine = self._engines.get(self.engine)
        if engine is None:
            return
        self._view = {
            **engine.root.public_view(),
            "lease": format_duration(engine.lease_config.lease),
            "lease_max": format_duration(engine.lease_config.lease_max),
        }
        for name, _label, _placeholder in (*ROOT_FIELDS, *LEASE_FIELDS):
            self.query_one(f"#field-{name}", Input).value = str(self._view[name])
        secret = self.query_one("#field-secret_key", Input)
        secret.value = ""
        secret.placeholder = (
            "stored (never shown); type a new one to replace it"
            if self._view["secret_key_set"]
            else "not set"
        )
        self.query_one("#engine-toggle", Button).label = "Disable" if engine.enabled else "Enable"

    # -- save ----------------------------------------------------------------------

    def _changes(self) -> tuple[dict[str, Any], tuple[str, str] | None]:
        def value(name: str) -> str:
            return self.query_one(f"#field-{name}", Input).value.strip()

        root: dict[str, Any] = {}
        for name, _label, _placeholder in ROOT_FIELDS:
            if value(name) != str(self._view.get(name, "")):
                root[name] = value(name) or None
        secret = self.query_one("#field-secret_key", Input).value
        if secret:
            root["secret_key"] = secret
            root["access_key"] = value("access_key") or None
        lease = None
        if value("lease") != self._view.get("lease") or value("lease_max") != self._view.get(
            "lease_max"
        ):
            lease = (value("lease"), value("lease_max"))
        return root, lease

    @on(Button.Pressed, "#engine-save")
    def action_save(self) -> None:
        root, lease = self._changes()
        if not root and lease is None:
            say(self, "Nothing changed.")
            return
        retries = root.get("max_retries", "0")
        if not re.fullmatch(r"[0-9]{1,3}", retries or ""):
            say(self, "Max retries must be a whole number (0-20).", severity="error")
            return
        if "max_retries" in root:
            root["max_retries"] = int(retries)
        if "access_key" in root and "secret_key" not in root:
            say(
                self,
                "Type the secret key too: an access key is stored with its secret.",
                severity="error",
            )
            return
        self.save_config(self.service, self.engine, root, lease)

    @work(thread=True, group="engine-ops", exit_on_error=False, description="Save the config")
    def save_config(
        self, service: Workbench, engine: str, root: dict[str, Any], lease: tuple[str, str] | None
    ) -> None:
        parts = []
        if root:
            service.engines.write_root(engine, **root)
            parts.append("config/root")
        if lease is not None:
            service.engines.write_lease(engine, *lease)
            parts.append("config/lease")
        self.post_message(self.Saved(" and ".join(parts)))

    def on_engine_form_saved(self, event: Saved) -> None:
        self.query_one("#field-secret_key", Input).value = ""
        self.reload()
        say(self, f"Saved {self.engine}/{event.what}.")

    # -- test connection, rotate root ---------------------------------------------

    @on(Button.Pressed, "#engine-test")
    def action_test_connection(self) -> None:
        self.query_one("#engine-result", Static).update(Text("Testing the connection…"))
        self.test_connection(self.service, self.engine)

    @work(thread=True, group="engine-ops", exit_on_error=False, description="Test connection")
    def test_connection(self, service: Workbench, engine: str) -> None:
        self.post_message(self.ConnectionTested(service.engines.test_connection(engine)))

    def on_engine_form_connection_tested(self, event: ConnectionTested) -> None:
        identity = event.identity
        text = Content.assemble(
            themed("Connected ✓\n", "bold $text-success"),
            themed(f"Account  {identity.get('account', '')}\nARN      {identity.get('arn', '')}"),
        )
        self.query_one("#engine-result", Static).update(text)
        say(self, f"Connected as {identity.get('arn', '')}")

    @on(Button.Pressed, "#engine-rotate")
    def action_rotate_root(self) -> None:
        engine = self.engine
        self.confirm_then(
            "Rotate root",
            f"Rotate the root key of engine {engine}? A new access key is created in AWS, "
            "stored, and the old one is deleted: anything else using it stops working.",
            lambda: self.rotate_root(self.service, engine),
            yes_label="Rotate",
        )

    @work(thread=True, group="engine-ops", exit_on_error=False, description="Rotate root")
    def rotate_root(self, service: Workbench, engine: str) -> None:
        new_key = service.engines.rotate_root(engine)
        self.post_message(self.Saved(f"config/rotate-root (new access key {new_key})"))

    # -- add, enable, disable ---------------------------------------------------------

    @on(Button.Pressed, "#engine-add")
    def action_add_engine(self) -> None:
        def add(name: str | None) -> None:
            if name and name.strip():
                self.enable_engine(self.service, name.strip())

        self.app.push_screen(
            PromptScreen("Add an engine (one AWS account)", placeholder="e.g. prod"), add
        )

    @work(thread=True, group="engine-ops", exit_on_error=False, description="Enable engine")
    def enable_engine(self, service: Workbench, name: str) -> None:
        engine = service.engines.enable(name)
        self.post_message(self.Loaded(service.engines.list(), switch_to=engine.name))

    @on(Button.Pressed, "#engine-toggle")
    def action_toggle_engine(self) -> None:
        engine = self._engines.get(self.engine)
        if engine is None:
            return
        if not engine.enabled:
            self.enable_engine(self.service, engine.name)
            return
        self.confirm_then(
            "Disable engine",
            f"Disable engine {engine.name}? Its roles are kept; "
            "it is refused while the engine has live leases.",
            lambda: self.disable_engine(self.service, engine.name),
            yes_label="Disable",
        )

    @work(thread=True, group="engine-ops", exit_on_error=False, description="Disable engine")
    def disable_engine(self, service: Workbench, name: str) -> None:
        service.engines.disable(name)
        self.post_message(self.Loaded(service.engines.list()))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self._show_error(event.worker.error, event.worker.description or "Failed")
