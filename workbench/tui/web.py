"""`workbench web`: the same TUI in a browser, served on 127.0.0.1 (textual-serve)."""

from __future__ import annotations

import shlex
import sys
from typing import Protocol

HOST = "127.0.0.1"  # loopback only: the page drives a session that can issue credentials


class ServeOptions(Protocol):
    """The global CLI options the served app should keep (the CLI's state has them)."""

    home: str | None
    operator: str | None


def web_command(options: ServeOptions) -> str:
    """The command each browser session runs: the workbench TUI (unlock screen first)."""
    command = [sys.executable, "-m", "workbench"]
    if options.home:
        command += ["--home", options.home]
    if options.operator:
        command += ["--as", options.operator]
    return shlex.join(command)


def serve(options: ServeOptions, port: int) -> None:
    """Serve until interrupted; every browser tab gets its own workbench process."""
    from textual_serve.server import Server  # the optional `web` extra

    server = Server(web_command(options), host=HOST, port=port, title="Lease Workbench")
    server.serve()
