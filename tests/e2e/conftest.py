"""What the end-to-end tests share: a CLI home with the embedded AWS and the webapp role."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import MotoServer
from tests.helpers import WEBAPP, run_cli, setup_cli_store

__all__ = ["WEBAPP", "cli_home"]


@pytest.fixture
def cli_home(home: Path, aws: MotoServer, tmp_path: Path) -> Path:
    """A home folder whose store points at the embedded AWS and holds role `webapp`."""
    setup_cli_store(home, aws)
    role_file = tmp_path / "webapp.json"
    role_file.write_text(json.dumps(WEBAPP))
    written = run_cli(home, "role", "write", "webapp", "--file", str(role_file))
    assert written.returncode == 0, written.stderr
    return home
