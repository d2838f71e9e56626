"""The engine facade: the only API the CLI and the TUI call."""

from workbench.service.facade import Workbench

__all__ = ["Workbench"]
