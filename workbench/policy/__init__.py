"""Offline IAM policy validation: pure functions, no UI, no network.

`validate_policy(text, kind)` returns findings in the shape of IAM Access
Analyzer's ValidatePolicy (severity, issue code, message, position). The action
catalogue loads on first use; call `load_catalogue()` off the UI thread to warm it.
Importing this package is cheap: nothing heavy runs until a policy is checked.
"""

from __future__ import annotations

from workbench.domain.formatting import policy_size
from workbench.policy.findings import Finding, PolicyKind, Severity, format_findings, has_errors
from workbench.policy.validate import validate_policy

__all__ = [
    "Finding",
    "PolicyKind",
    "Severity",
    "catalogue_info",
    "format_findings",
    "has_errors",
    "load_catalogue",
    "policy_size",
    "validate_policy",
]


def load_catalogue() -> None:
    """Load the action catalogue now (idempotent, thread-safe); run it off the UI thread."""
    from workbench.policy.catalogue import get_catalogue

    get_catalogue()


def catalogue_info() -> dict[str, str]:
    """Where the action catalogue comes from and how current it is (loads it if needed)."""
    from workbench.policy.catalogue import get_catalogue

    return dict(get_catalogue().info)
