"""Fixtures for the TUI: an app on a moto-backed service, and ways to let it settle."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from workbench.tui.app import WorkbenchApp
from workbench.tui.audit_stream import AuditStream
from workbench.tui.role_editor import RoleEditor

SIZE = (140, 40)
POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:ListAllMyBuckets"],
      "Resource": "*"
    }
  ]
}"""


@pytest.fixture(autouse=True)
def _no_debounce(monkeypatch: pytest.MonkeyPatch) -> None:
    """Validate on the next loop turn: tests wait on workers, not on timers."""
    monkeypatch.setattr(RoleEditor, "debounce_seconds", 0.0)
    monkeypatch.setattr(AuditStream, "debounce_seconds", 0.0)


@pytest.fixture
def tui_service(service: Any) -> Any:
    """The moto-backed service with role `webapp` (iam_user)."""
    service.roles.write("aws", "webapp", {"credential_type": "iam_user", "policy_document": POLICY})
    return service


@pytest.fixture
def make_app(home: Path) -> Callable[..., WorkbenchApp]:
    def make(service: Any = None, **kwargs: Any) -> WorkbenchApp:
        kwargs.setdefault("start_worker", False)
        return WorkbenchApp(home, "tester", service=service, **kwargs)

    return make
