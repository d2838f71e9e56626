"""The lease pane's keys: one place a person (and the help screen) reads them from."""

from __future__ import annotations

from textual.binding import Binding

LEASE_BINDINGS: list[Binding | tuple[str, str] | tuple[str, str, str]] = [
    Binding("i", "issue", "Issue", id="leases.issue", tooltip="Issue a credential from a role"),
    Binding(
        "enter",
        "details",
        "Details",
        id="leases.details",
        tooltip="Show the selected lease in full: its fields, revocation and AWS calls",
    ),
    Binding(
        "r",
        "renew",
        "Renew",
        id="leases.renew",
        tooltip="Extend the selected iam_user lease by the engine's default TTL",
    ),
    Binding(
        "x,delete",
        "revoke",
        "Revoke",
        id="leases.revoke",
        tooltip="Revoke the selected lease (asks first)",
    ),
    Binding(
        "X",
        "revoke_role",
        "Revoke role",
        id="leases.revoke-role",
        tooltip="Revoke every live lease of the selected lease's role (asks first)",
    ),
    Binding(
        "P",
        "revoke_prefix",
        "Revoke prefix",
        id="leases.revoke-prefix",
        tooltip="Revoke every live lease under a typed prefix (asks first)",
    ),
    Binding(
        "C",
        "contain",
        "Contain",
        id="leases.contain",
        tooltip="Contain a prefix: keys inactive, sessions denied, then revoke (asks first)",
    ),
    Binding(
        "F",
        "find",
        "Find leaked",
        id="leases.find",
        tooltip="Find the lease of a leaked access key id or secret key",
    ),
    Binding(
        "c",
        "copy",
        "Copy id",
        id="leases.copy",
        tooltip="Copy the selected lease id to the clipboard",
    ),
    Binding("slash", "filter", "Filter", id="leases.filter", tooltip="Filter the table"),
    Binding(
        "s",
        "sort",
        "Sort",
        id="leases.sort",
        tooltip="Sort by the next column (again: S reverses)",
    ),
    Binding(
        "S",
        "reverse",
        "Reverse",
        show=False,
        id="leases.reverse",
        tooltip="Reverse the sort order",
    ),
    Binding(
        "h",
        "history",
        "History",
        id="leases.history",
        tooltip="Show ended leases too (revoked, expired, failed); again: live ones only",
    ),
]
