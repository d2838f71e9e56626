"""`workbench web`: the same TUI in a browser, served on 127.0.0.1 (textual-serve)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

HOST = "127.0.0.1"  # loopback only: the page drives a session that can issue credentials


def web_command(home: Path | str | None, operator: str | None = None) -> str:
    """The command each browser session runs: the workbench TUI (unlock screen first)."""
    command = [sys.executable, "-m", "workbench"]
    if home:
        command += ["--home", str(home)]
    if operator:
        command += ["--as", operator]
    return shlex.join(command)


def serve(*, home: Path | str | None, port: int, operator: str | None = None) -> None:
    """Serve until interrupted; every browser tab gets its own workbench process."""
    from textual_serve.server import Server  # the optional `web` extra

    server = Server(web_command(home, operator), host=HOST, port=port, title="Lease Workbench")
    server.serve()
