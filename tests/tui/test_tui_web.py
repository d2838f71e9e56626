"""`workbench web` serves the TUI on loopback, with the CLI's --home (and --as)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

from workbench.tui import web


def test_the_served_command_is_the_workbench_with_its_options() -> None:
    assert shlex.split(web.web_command(Path("/tmp/my store"), "alice")) == [
        sys.executable,
        "-m",
        "workbench",
        "--home",
        "/tmp/my store",
        "--as",
        "alice",
    ]
    assert shlex.split(web.web_command(None)) == [sys.executable, "-m", "workbench"]


def test_serve_binds_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    started: dict[str, Any] = {}

    class FakeServer:
        def __init__(self, command: str, host: str, port: int, title: str) -> None:
            started.update(command=command, host=host, port=port)

        def serve(self) -> None:
            started["served"] = True

    monkeypatch.setattr("textual_serve.server.Server", FakeServer)
    web.serve(home=Path("/tmp/store"), port=8123)
    assert started == {
        "command": web.web_command(Path("/tmp/store")),
        "host": "127.0.0.1",
        "port": 8123,
        "served": True,
    }
