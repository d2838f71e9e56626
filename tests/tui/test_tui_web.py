"""`workbench web` serves the TUI on loopback, with the CLI's --home (and --as)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

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


def test_the_server_binds_loopback_with_a_fresh_token_each_start() -> None:
    first = web.TokenServer(web.web_command(Path("/tmp/store")), port=8123)
    second = web.TokenServer(web.web_command(Path("/tmp/store")), port=8123)
    assert (first.host, first.port) == ("127.0.0.1", 8123)
    assert first.url == f"http://127.0.0.1:8123/?token={first.token}"
    assert first.token != second.token
    assert first.command == web.web_command(Path("/tmp/store"))
