"""Importing role files into the role list and deleting a role from it (asks first).

A mixin of RoleEditor: both run in workers and reload the list when done; deleting
a role with live leases offers to revoke them too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.message import Message

from workbench.tui.confirm import PromptScreen
from workbench.tui.display import say
from workbench.tui.pane import Pane

if TYPE_CHECKING:
    from workbench.service import Workbench


class RoleListOps(Pane):
    """The role editor's import (ctrl+o) and delete (del, x)."""

    if TYPE_CHECKING:  # RoleEditor's, which this is mixed into

        def load_roles(self, *args: Any, **kwargs: Any) -> object: ...  # a thread @work
        def _highlighted_name(self) -> str | None: ...

    class RolesImported(Message, namespace="role_editor"):
        def __init__(self, names: list[str]) -> None:
            super().__init__()
            self.names = names

    class RoleDeleted(Message, namespace="role_editor"):
        def __init__(self, name: str, revoked: int) -> None:
            super().__init__()
            self.name = name
            self.revoked = revoked

    def action_import_roles(self) -> None:
        def chosen(path: str | None) -> None:
            if path and path.strip():
                self.import_roles(self.service, self.engine, path.strip())

        self.app.push_screen(
            PromptScreen(
                "Import roles: a role file (NAME.json) or a folder of them",
                placeholder="e.g. sample-roles/",
            ),
            chosen,
        )

    @work(thread=True, group="role-ops", exit_on_error=False, description="Import roles")
    def import_roles(self, service: Workbench, engine: str, path: str) -> None:
        imported = service.roles.import_files(engine, [path])
        self.post_message(self.RolesImported([role.name for role, _findings in imported]))

    def on_role_editor_roles_imported(self, event: RolesImported) -> None:
        self.load_roles(self.service, self.engine)
        say(self, f"Imported {len(event.names)} role(s): {', '.join(event.names)}")

    def action_delete(self) -> None:
        name = self._highlighted_name()
        if name is None:
            say(self, "No role is highlighted.", severity="warning")
            return
        engine = self.engine
        self.call_service(
            lambda service: service.roles.live_lease_count(engine, name),
            lambda live: self._confirm_delete(engine, name, live),
            doing="Counting the role's leases",
        )

    def _confirm_delete(self, engine: str, name: str, live: int) -> None:
        if live:
            message = (
                f"Role {name} has {live} live lease(s). Delete the role and revoke "
                f"all {live} of them?"
            )
        else:
            message = f"Delete role {name}? It has no live leases."
        self.confirm_then(
            "Delete role",
            message,
            lambda: self.delete_role(self.service, engine, name, live > 0),
            yes_label="Delete",
        )

    @work(thread=True, group="role-ops", exit_on_error=False, description="Delete the role")
    def delete_role(self, service: Workbench, engine: str, name: str, revoke: bool) -> None:
        revoked = service.roles.delete(engine, name, revoke_leases=revoke)
        self.post_message(self.RoleDeleted(name, revoked))

    def on_role_editor_role_deleted(self, event: RoleDeleted) -> None:
        self.load_roles(self.service, self.engine)
        extra = f" and revoked {event.revoked} lease(s)" if event.revoked else ""
        say(self, f"Deleted role {event.name}{extra}.")
