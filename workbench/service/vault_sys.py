"""Vault's sys/ side for this engine: `vault lease ...`, `vault secrets ...` and `vault status`.

Each maps onto the facade (`wb.leases`, `wb.engines`) as the other commands do;
`workbench.service.vault_run` sends these commands here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.domain.errors import Conflict, InvalidInput
from workbench.domain.formatting import rfc3339
from workbench.domain.lifecycle import LIVE
from workbench.domain.text import printable
from workbench.service.vault_output import VaultResult, go_value, vault_secret

if TYPE_CHECKING:
    from workbench.service.facade import Workbench
    from workbench.service.vault_syntax import VaultCommand

ENGINE_TYPE = "aws"


def lookup(wb: Workbench, command: VaultCommand) -> VaultResult:
    """`vault lease lookup ID`: Vault's fields and the state (renewal times are not kept)."""
    lease = wb.leases.lookup(command.path)
    live = lease.state in LIVE
    data = {
        "expire_time": rfc3339(lease.expire_time),
        "id": lease.lease_id,
        "issue_time": rfc3339(lease.issue_time),
        "renewable": lease.renewable and live,
        "state": lease.state.value,
        "ttl": max(0, round(lease.expire_time - wb.clock())) if live else 0,
    }
    return VaultResult(command, secret=vault_secret(data), lease=lease)


def renew(wb: Workbench, command: VaultCommand) -> VaultResult:
    """`vault lease renew [-increment=30m] ID`: the new TTL counted from now."""
    lease, warnings = wb.leases.renew(command.path, command.option("increment"))
    secret = vault_secret(
        None,
        lease_id=lease.lease_id,
        lease_duration=max(0, round(lease.expire_time - wb.clock())),
        renewable=lease.renewable,
        warnings=warnings,
    )
    return VaultResult(command, secret=secret, warnings=warnings, lease=lease, event="renewed")


def revoke(wb: Workbench, command: VaultCommand) -> VaultResult:
    """`vault lease revoke [-prefix] [-force] ID`, at once (as Vault's `-sync`)."""
    target = command.path
    if not command.flag("prefix"):
        lease = wb.leases.revoke(target)
        warning = (lease.revocation or {}).get("warning")
        return VaultResult(
            command,
            message=f"Success! Revoked lease: {target}",
            warnings=[str(warning)] if warning else [],
            lease=lease,
            event="revoked",
        )
    # Vault's rule: a prefix that is not a lease id ends at a path boundary, so
    # aws/creds/web does not take aws/creds/webapp's leases.
    if not target.endswith("/") and wb.leases.current(target) is None:
        target += "/"
    force = command.flag("force")
    outcome = wb.leases.revoke_prefix(target, force=force)
    verb = "Force revoked" if force else "Revoked"
    count = len(outcome.revoked)
    result = VaultResult(
        command,
        message=f"Success! {verb} any leases with prefix: {target} ({count} revoked)",
        event="revoked-prefix",
    )
    if force:
        result.warnings.append(
            "force-removing leases drops their records without calling AWS; their IAM users "
            "and keys stay until deleted by hand"
        )
    if outcome.sts_still_valid:
        result.warnings.append(
            f"{len(outcome.sts_still_valid)} STS credential(s) could not be denied in AWS and "
            "stay valid until their own expiry"
        )
    result.errors.extend(f"{lease_id}: {error}" for lease_id, error in outcome.failed.items())
    result.errors.extend(
        f"{bad.lease_id}: unreadable, not revoked ({bad.error})" for bad in outcome.unreadable
    )
    return result


def _engine_name(path: str) -> str:
    return path.strip().strip("/")


def enable(wb: Workbench, command: VaultCommand) -> VaultResult:
    """`vault secrets enable [-path=NAME] aws`: a new engine (the path is its name)."""
    if command.path != ENGINE_TYPE:
        raise InvalidInput(
            f"secrets engine type {printable(command.path)[:40]!r} is not offered here: this is "
            "Vault's AWS secrets engine (vault secrets enable [-path=NAME] aws)"
        )
    name = _engine_name(command.option("path") or ENGINE_TYPE)
    result = VaultResult(
        command,
        message=f"Success! Enabled the aws secrets engine at: {name}/",
        event="engine-enabled",
    )
    try:
        wb.engines.enable(name)
    except Conflict:
        # `workbench init` makes engine aws, so a tutorial's first step finds it there.
        result.warnings.append(f"engine {name!r} was already enabled; nothing changed")
    return result


def disable(wb: Workbench, command: VaultCommand) -> VaultResult:
    """`vault secrets disable NAME`: refused while the engine has live leases."""
    name = _engine_name(command.path)
    wb.engines.disable(name)
    return VaultResult(
        command,
        message=f"Success! Disabled the secrets engine (if it existed) at: {name}/",
        event="engine-disabled",
    )


def secrets_list(wb: Workbench, command: VaultCommand) -> VaultResult:
    """`vault secrets list`: the enabled engines, described by region and endpoint."""
    engines = [engine for engine in wb.engines.list() if engine.enabled]
    described = {
        f"{engine.name}/": ", ".join(
            [engine.root.region, *([engine.root.iam_endpoint] if engine.root.iam_endpoint else [])]
        )
        for engine in engines
    }
    return VaultResult(
        command,
        headers=["Path", "Type", "Description"],
        rows=[[path, ENGINE_TYPE, about] for path, about in sorted(described.items())],
        json_value={
            path: {"type": ENGINE_TYPE, "description": about}
            for path, about in sorted(described.items())
        },
    )


def status(wb: Workbench, command: VaultCommand) -> VaultResult:
    """`vault status`: the store in Vault's words (an unlocked store is unsealed)."""
    from workbench import __version__

    status: list[tuple[str, str, Any]] = [
        ("Seal Type", "type", "passphrase"),
        ("Initialized", "initialized", True),
        ("Sealed", "sealed", False),
        ("Version", "version", f"lease-workbench {__version__}"),
        ("Storage Type", "storage_type", "postgresql" if wb.team_mode else "sqlite"),
        ("Store", "store", wb.store_location),
        ("HA Enabled", "ha_enabled", wb.team_mode),
        ("Operator", "operator", wb.operator),
    ]
    return VaultResult(
        command,
        headers=["Key", "Value"],
        rows=[[title, go_value(value)] for title, _key, value in status],
        json_value={key: value for _title, key, value in status},
    )
