"""Help (f1): every key of every pane, dialog and widget, shown as the footer shows it."""

from __future__ import annotations

import importlib
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Markdown

from tests.tui.conftest import SIZE
from tests.tui.tui_helpers import settle
from workbench.tui.app import WorkbenchApp
from workbench.tui.help import HelpScreen

TUI = Path(__file__).resolve().parents[2] / "workbench" / "tui"


def classes_with_keys() -> list[type]:
    """The app, and every widget or screen class a TUI module defines with BINDINGS of its own."""
    found: list[type] = [WorkbenchApp]
    for path in sorted(TUI.glob("*.py")):
        if path.stem in {"__init__", "web"}:  # web.py needs the web extra; it has no keys
            continue
        module = importlib.import_module(f"workbench.tui.{path.stem}")
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and value.__module__ == module.__name__
            and issubclass(value, Widget)
            and value.__dict__.get("BINDINGS")
        ]
    return found


def sections(markdown: str) -> list[str]:
    return markdown.split("\n## ")


def row_for(app: Any, binding: Binding, key: str) -> re.Pattern[str]:
    glyph = app.get_key_display(replace(binding, key=key.strip()))
    return re.compile(
        rf"^\|[^|\n]*`{re.escape(glyph)}`[^|\n]*\| {re.escape(binding.description)} \|", re.M
    )


async def test_help_lists_every_key_of_every_class_as_the_footer_shows_it(
    tui_service: Any, make_app: Any
) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        shown = app.screen.query_one(Markdown).source
        classes = classes_with_keys()
        assert {cls.__name__ for cls in classes} >= {
            "CredentialScreen",
            "IssueRequestScreen",
            "ConfirmScreen",
            "LeaseTable",
        }
        missing = []
        for cls in classes:
            wanted = [
                (binding, key)
                for binding in cls.__dict__["BINDINGS"]
                if isinstance(binding, Binding)
                for key in binding.key.split(",")
            ]
            # One section lists all of the class's keys (a dialog's keys stay together).
            if not any(
                all(row_for(app, binding, key).search(section) for binding, key in wanted)
                for section in sections(shown)
            ):
                missing.append(cls.__name__)
        assert missing == []
        assert re.search(r"^\| `p` \| Copy profile \|", shown, re.M)  # the credential dialog's
        assert re.search(r"^\| `\?` \| Explain \|", shown, re.M)
        assert re.search(r"^\| `/` \| Filter \|", shown, re.M)
        assert "question_mark" not in shown and "slash" not in shown
        assert "`^p`" in shown  # the palette's key, as the footer writes it
