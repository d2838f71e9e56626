"""The command palette's entries: every action of every pane, plus engine switching."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from workbench.domain.text import printable
from workbench.tui.display import error_text, show_error

if TYPE_CHECKING:
    from workbench.tui.app import WorkbenchApp

# (title, help, pane, action on that pane)
PANE_COMMANDS = (
    ("Issue a credential", "Pick a role and TTL; the secret is shown once", "leases", "issue"),
    ("Renew the selected lease", "Extend it by the engine's default TTL", "leases", "renew"),
    ("Revoke the selected lease", "Delete its credentials in AWS (asks first)", "leases", "revoke"),
    (
        "Revoke the selected lease's role",
        "Every live lease of that role (asks first)",
        "leases",
        "revoke_role",
    ),
    (
        "Revoke by prefix",
        "Every live lease under a typed prefix (asks first)",
        "leases",
        "revoke_prefix",
    ),
    ("Copy the selected lease id", "To the clipboard", "leases", "copy"),
    ("Filter leases", "By lease id, role, type, state or access key", "leases", "filter"),
    ("Sort leases by the next column", "Again reverses", "leases", "sort"),
    ("New role", "Start a role from a template", "roles", "new"),
    ("Save role", "Refused while the policy has ERRORs", "roles", "save"),
    ("Import roles", "From a role file or a folder of them", "roles", "import_roles"),
    ("Delete role", "Offers to revoke its leases (asks first)", "roles", "delete"),
    ("Save engine config", "config/root and config/lease", "engines", "save"),
    (
        "Test connection",
        "sts:GetCallerIdentity with the engine's root credentials",
        "engines",
        "test_connection",
    ),
    ("Rotate root", "Replace the stored root key (asks first)", "engines", "rotate_root"),
    ("Add engine", "Enable a new engine (one AWS account)", "engines", "add_engine"),
    ("Disable or enable engine", "Refused while it has live leases", "engines", "toggle_engine"),
    ("Verify audit chain", "Walk the hash chain", "audit", "verify"),
    ("Audit: errors only", "Toggle the errors-only filter", "audit", "toggle_errors"),
    ("Refresh IAM users", "List the engine's IAM users now", "iam", "refresh_users"),
    ("Delete stray IAM users", "workbench reconcile --delete (asks first)", "iam", "delete_strays"),
)
PANE_TITLES = {
    "leases": "Leases",
    "roles": "Roles",
    "engines": "Engines",
    "audit": "Audit",
    "iam": "IAM",
}


class WorkbenchCommands(Provider):
    """Offers the workbench's actions by name (ctrl+p)."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        from workbench.tui.main_screen import MainScreen

        screen = self.screen
        if not isinstance(screen, MainScreen):
            return []
        app = cast("WorkbenchApp", self.app)
        commands: list[tuple[str, str, Callable[[], object]]] = [
            (f"Show the {title} pane", f"key {index}", partial(screen.action_show_pane, pane))
            for index, (pane, title) in enumerate(PANE_TITLES.items(), start=1)
        ]
        commands += [
            (title, help_text, partial(screen.pane_action, pane, action))
            for title, help_text, pane, action in PANE_COMMANDS
        ]
        try:
            engines = app.service.engines.list()
        except Exception as error:  # a damaged engine row: offer to say what is wrong
            commands.append(
                (
                    "Switch engine (the engines cannot be read)",
                    printable(error_text(error))[:100],
                    partial(show_error, app, error, "Reading the engines failed"),
                )
            )
            engines = []
        commands += [
            (
                f"Switch to engine {printable(engine.name)}",
                "Every pane acts on it",
                partial(setattr, app, "engine", engine.name),
            )
            for engine in engines
            if engine.name != app.engine
        ]
        commands += [
            (
                "Explain panel",
                "What this pane shows and what just happened (key ?)",
                screen.action_toggle_trainee,
            ),
            ("Help", "Every pane and key (f1)", app.action_help),
        ]
        return commands

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
