"""The engine facade: the only API the CLI and the TUI call."""

from workbench.service.facade import Workbench
from workbench.service.setup import create_workbench, db_path, open_workbench, store_exists

__all__ = ["Workbench", "create_workbench", "db_path", "open_workbench", "store_exists"]
