"""The main screen's panes in order: this one list drives the tabs, keys, palette and help."""

from __future__ import annotations

from workbench.tui.audit_stream import AuditStream
from workbench.tui.engine_form import EngineForm
from workbench.tui.iam_view import IamView
from workbench.tui.lease_pane import LeasePane
from workbench.tui.pane import Pane
from workbench.tui.role_editor import RoleEditor
from workbench.tui.static_pane import StaticPane

PANES: tuple[type[Pane], ...] = (
    LeasePane,
    RoleEditor,
    EngineForm,
    AuditStream,
    IamView,
    StaticPane,
)


def pane_class(pane_id: str) -> type[Pane]:
    """The pane registered as `pane_id`."""
    for pane in PANES:
        if pane_id == pane.PANE_ID:
            return pane
    raise KeyError(pane_id)
