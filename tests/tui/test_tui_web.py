"""`workbench web` serves the TUI on loopback, with the CLI's --home and --as."""

from __future__ import annotations

import shlex
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from workbench.tui import web


def test_the_served_command_is_the_workbench_with_its_options() -> None:
    options = SimpleNamespace(home="/tmp/my store", operator="alice")
    assert shlex.split(web.web_command(options)) == [
        sys.executable,
        "-m",
        "workbench",
        "--home",
        "/tmp/my store",
        "--as",
        "alice",
    ]
    bare = SimpleNamespace(home=None, operator=None)
    assert shlex.split(web.web_command(bare)) == [sys.executable, "-m", "workbench"]


def test_serve_binds_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    started: dict[str, Any] = {}

    class FakeServer:
        def __init__(self, command: str, host: str, port: int, title: str) -> None:
            started.update(command=command, host=host, port=port)

        def serve(self) -> None:
            started["served"] = True

    monkeypatch.setattr("textual_serve.server.Server", FakeServer)
    web.serve(SimpleNamespace(home=None, operator=None), 8123)
    assert started == {
        "command": web.web_command(SimpleNamespace(home=None, operator=None)),
        "host": "127.0.0.1",
        "port": 8123,
        "served": True,
    }
