"""`workbench` with no command: the TUI; `workbench web`: the same in a browser."""

from __future__ import annotations

import os

import click

from workbench.cli.common import CliState, pass_state
from workbench.domain.errors import WorkbenchError


def run_tui(state: CliState) -> None:
    """Open the workbench TUI (unlock screen first)."""
    from workbench.tui.app import WorkbenchApp

    location = state.location
    WorkbenchApp(
        home=state.home_path,
        operator=state.operator_name,
        store=location if location.is_postgres else None,
        slot=state.operator,
    ).run()


@click.command()
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port on 127.0.0.1.",
)
@pass_state
def web(state: CliState, port: int) -> None:
    """Serve the TUI in a browser on 127.0.0.1 (for training rooms).

    Prints a URL with a random token; requests without it are refused.
    """
    try:
        import textual_serve.server  # noqa: F401  (the optional `web` extra)
    except ImportError:
        raise WorkbenchError(
            "workbench web needs the web extra: pip install 'lease-workbench[web]'"
        ) from None
    from workbench.tui.web import serve

    # Each browser session is a new `workbench` process: it inherits the store and the
    # operator through the environment (a URL on a command line would show in `ps`).
    if state.store:
        os.environ["WORKBENCH_STORE"] = state.store
    if state.operator:
        os.environ["WORKBENCH_OPERATOR"] = state.operator
    serve(home=state.home_path, port=port, operator=state.operator)
