"""The key reference (f1): every key of the app, its panes, dialogs and widgets.

It is read from the classes' own BINDINGS, and the dialogs and widgets are
found by walking the TUI's classes, so a key added anywhere is listed without
anyone remembering to; keys are shown as the footer shows them
(`App.get_key_display`: `?`, `/`, `^p`).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget

# web.py needs the web extra; it defines no screen of its own.
SKIPPED_MODULES = frozenset({"web"})

# How the reference titles the dialogs and widgets it knows, in this order; any other
# is listed after them under its docstring's first line.
NOTES: dict[str, tuple[str, str]] = {
    "IssueRequestScreen": ("Issue dialog (i)", ""),
    "IssueSelect": ("The issue dialog's Role and Role ARN lists", ""),
    "CredentialScreen": (
        "New credential dialog",
        "Shown once, right after issuing: copy it in the form you need, then close.",
    ),
    "LeaseDetailScreen": (
        "Lease detail (enter on a lease)",
        "Every field of the lease, how it was revoked, and its AWS calls from CloudTrail "
        "(read again every 2 s; flagged calls in bold).",
    ),
    "DetailScreen": (
        "Audit entry, IAM user (enter on the Audit or IAM pane)",
        "The row in full: what a narrow column cuts (…) or leaves out.",
    ),
    "FindLeaseScreen": (
        "Find leaked (F)",
        "Paste an access key id or a secret key (masked); enter finds its lease.",
    ),
    "ContainmentScreen": ("Containment result (after C)", ""),
    "StaticRoleScreen": (
        "New static role (n on Static)",
        "Name, IAM user and rotation period; enter writes it. A user that has keys is "
        "taken over only after a confirm listing the keys that go.",
    ),
    "CommandBar": (
        "Command line (:)",
        "Vault's own commands as Vault's docs show them, the `vault` word optional: "
        "`read aws/creds/webapp`, `write aws/roles/NAME credential_type=iam_user "
        "policy_document=@policy.json`, `list aws/roles`, `lease renew|revoke [-prefix] ID`, "
        "`secrets enable aws`, `status` (the same as `workbench vault` on the shell). "
        "Enter runs it; revoking and deleting ask first.",
    ),
    "VaultResultScreen": ("A Vault command's answer", ""),
    "ConfirmScreen": ("Confirm dialogs", ""),
    "PromptScreen": ("Prefix and other one-line prompts (enter: OK)", ""),
    "LeaseTable": ("The lease table", "Moving the cursor (enter shows the lease in full)."),
    "FittedTable": ("The Audit and IAM tables", ""),
    "HelpScreen": ("This help (f1)", ""),
}


@dataclass(frozen=True)
class KeySection:
    """A heading of the reference, what it is about, and its keys."""

    title: str
    about: str
    bindings: tuple[Binding, ...]


def own_bindings(cls: type) -> tuple[Binding, ...]:
    """The bindings `cls` declares itself (a Select's or a DataTable's own are Textual's)."""
    declared: Iterable[BindingType] = cls.__dict__.get("BINDINGS", ())
    return tuple(binding for binding in declared if isinstance(binding, Binding))


def tui_classes() -> list[type[Widget]]:
    """Every screen and widget class the TUI defines (its modules imported first)."""
    import workbench.tui as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name not in SKIPPED_MODULES:
            importlib.import_module(f"{package.__name__}.{module.name}")
    found: set[type[Widget]] = set()
    pending: list[type[Widget]] = [Widget]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub.__module__.startswith(f"{package.__name__}."):
                found.add(sub)
            pending.append(sub)
    return sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__))


def _noted(cls: type) -> KeySection:
    title, about = NOTES.get(cls.__name__, ("", ""))
    if not title:
        title = (cls.__doc__ or cls.__name__).strip().splitlines()[0].rstrip(".")
    return KeySection(title, about, own_bindings(cls))


def key_sections() -> list[KeySection]:
    """The whole reference: everywhere, each pane, then the dialogs, then the widgets."""
    from workbench.tui.app import WorkbenchApp
    from workbench.tui.main_screen import MainScreen
    from workbench.tui.panes import PANES

    sections = [
        KeySection("Everywhere", "", (*own_bindings(WorkbenchApp), *own_bindings(MainScreen))),
        *(
            KeySection(f"{pane.PANE_TITLE} ({pane.PANE_KEY})", pane.PANE_HELP, own_bindings(pane))
            for pane in PANES
        ),
    ]
    listed = {WorkbenchApp, MainScreen, *PANES}
    rest = [cls for cls in tui_classes() if cls not in listed and own_bindings(cls)]
    order = list(NOTES)

    def place(cls: type) -> tuple[bool, int, str]:
        known = cls.__name__ in NOTES
        return (not known, order.index(cls.__name__) if known else 0, cls.__qualname__)

    screens = sorted((cls for cls in rest if issubclass(cls, Screen)), key=place)
    widgets = sorted((cls for cls in rest if not issubclass(cls, Screen)), key=place)
    return sections + [_noted(cls) for cls in screens] + [_noted(cls) for cls in widgets]


def key_display(app: App[Any], binding: Binding) -> list[str]:
    """Each of the binding's keys as the footer shows it (`?`, `/`, `^p`, `del`)."""
    return [
        app.get_key_display(replace(binding, key=key.strip())) for key in binding.key.split(",")
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def reference_markdown(app: App[Any]) -> str:
    """The reference as Markdown: a table of key, action and what it does per section."""
    parts = [
        "# Lease Workbench",
        "Keyboard first; everything is also on the mouse and in the command palette "
        f"(`{key_display(app, Binding('ctrl+p', 'command_palette'))[0]}`). "
        "Destructive actions always ask first.",
    ]
    for section in key_sections():
        parts.append(f"## {section.title}")
        if section.about:
            parts.append(section.about)
        rows = ["| Key | Action | What it does |", "|---|---|---|"]
        for binding in section.bindings:
            keys = ", ".join(f"`{key}`" for key in key_display(app, binding))
            rows.append(
                f"| {_cell(keys)} | {_cell(binding.description)} | {_cell(binding.tooltip)} |"
            )
        parts.append("\n".join(rows))
    return "\n\n".join(parts)
