"""The `workbench` command: the scriptable face of the service layer.

Each command group lives in its own module; `main` imports them lazily so
`workbench --help` stays fast (boto3, moto and the policy catalogue load only
when a command needs them).
"""

from __future__ import annotations

from workbench.cli.app import main

__all__ = ["main"]
