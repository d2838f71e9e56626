"""What a Vault command answers, printed the way the `vault` CLI prints it.

A table as `vault read` shows one (`Key  Value`, `---  -----`, lease_id,
lease_duration and lease_renewable first, then the data keys sorted,
durations as `768h`, lists as `[a b]`), or `-format=json` in Vault's shape
(request_id, lease_id, lease_duration, renewable, data, warnings). Both
faces print `render()`; the TUI may lay `table()` out itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.domain.errors import InvalidInput
from workbench.domain.text import printable

if TYPE_CHECKING:
    from workbench.domain.models import Lease
    from workbench.service.vault_syntax import VaultCommand

GLUE = "    "  # Vault's columns are four spaces apart
EMPTY = "n/a"  # what Vault prints for an empty value


def human_duration(seconds: int) -> str:
    """Seconds as Vault prints a TTL: Go's duration without trailing zero units (`1h`, `1h30m`)."""
    seconds = int(seconds)
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        text = f"{hours}h{minutes}m{secs}s"
    elif minutes:
        text = f"{minutes}m{secs}s"
    else:
        text = f"{secs}s"
    text = text.removesuffix("m0s") + ("m" if text.endswith("m0s") else "")
    if "h0m" in text:
        text = text.replace("h0m", "h", 1)
    return sign + text


def looks_like_duration(key: str) -> bool:
    """The keys Vault prints as durations rather than numbers of seconds."""
    return key in {"period", "ttl", "duration", "lease_max", "ttl_max"} or key.endswith(
        ("_period", "_ttl", "_duration")
    )


def go_value(value: Any) -> str:
    """A value as Go's `%v` prints it, which is how Vault's tables show data."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + " ".join(go_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_value(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def shown_value(key: str, value: Any) -> str:
    if looks_like_duration(key) and isinstance(value, int) and not isinstance(value, bool):
        return human_duration(value)
    return go_value(value)


def columns(rows: list[list[str]]) -> str:
    """Rows laid out as Vault's tables are: columns padded, four spaces apart, `n/a` if empty."""
    cells = [[cell if cell != "" else EMPTY for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return "\n".join(
        GLUE.join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


def vault_secret(
    data: dict[str, Any] | None,
    *,
    request_id: str = "",
    lease_id: str = "",
    lease_duration: int = 0,
    renewable: bool = False,
    warnings: list[str] | None = None,
) -> dict[str, Any]:
    """Vault's response JSON, its keys in Vault's order."""
    return {
        "request_id": request_id,
        "lease_id": lease_id,
        "lease_duration": lease_duration,
        "renewable": renewable,
        "data": {key: data[key] for key in sorted(data)} if data is not None else None,
        "warnings": warnings or None,
    }


@dataclass
class VaultResult:
    """One command's answer: a secret (Vault's response), a listing, or a message."""

    command: VaultCommand
    message: str = ""
    secret: dict[str, Any] | None = None
    """Vault's response shape: request_id, lease_id, lease_duration, renewable, data, warnings."""
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    json_value: Any = None
    """What `-format=json` prints when the answer is not a secret (a list, a map)."""
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Parts that failed (a prefix revocation's leases): the command as a whole failed."""
    lease: Lease | None = None
    event: str = ""
    """What happened, for a face to react to: issued, renewed, revoked, revoked-prefix,
    role-written, role-deleted, engine-enabled, engine-disabled, config-written or ""."""

    @property
    def ok(self) -> bool:
        return not self.errors

    def table(self) -> tuple[list[str], list[list[str]]] | None:
        """The table Vault would print (headers, rows), or None for a message alone."""
        if self.secret is not None:
            rows = self._secret_rows()
            return (["Key", "Value"], rows) if rows else None
        if self.headers:
            return self.headers, self.rows
        return None

    def _secret_rows(self) -> list[list[str]]:
        assert self.secret is not None
        rows: list[list[str]] = []
        if self.secret.get("lease_duration", 0) > 0 and self.secret.get("lease_id"):
            rows.append(["lease_id", str(self.secret["lease_id"])])
            rows.append(["lease_duration", human_duration(self.secret["lease_duration"])])
            rows.append(["lease_renewable", go_value(bool(self.secret.get("renewable")))])
        data = self.secret.get("data") or {}
        rows.extend([key, shown_value(key, data[key])] for key in sorted(data))
        return rows

    def render(self) -> str:
        """The output, as `vault` prints it in the command's format (or its `-field`)."""
        if self.command.field is not None:
            return self.field_value(self.command.field)
        if self.command.format == "json":
            value = self.secret if self.secret is not None else self.json_value
            if value is not None:
                return json.dumps(value, indent=2, default=str)
            return self.message
        shown = self.table()
        if shown is None:
            return self.message
        headers, rows = shown
        underline = ["-" * len(header) for header in headers]
        text = columns([headers, underline, *rows])
        return f"{self.message}\n\n{text}" if self.message else text

    def field_value(self, name: str) -> str:
        """`-field=NAME`: one value alone, as Vault prints it for scripts."""
        secret = self.secret or {}
        data = secret.get("data") or {}
        aliases = {"lease_renewable": "renewable"}
        if name in data:
            return go_value(data[name])
        if secret and aliases.get(name, name) in secret and name not in {"data", "warnings"}:
            return go_value(secret[aliases.get(name, name)])
        raise InvalidInput(f"field {printable(name)[:60]!r} is not present in the answer")
