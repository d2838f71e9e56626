"""A parsed Vault command run against a `Workbench`: each path maps onto the facade's own calls.

So `vault read aws/creds/webapp` is `wb.creds.issue("aws", "webapp")`, audited
and seen by every pane exactly as the lease pane's issue is. The mount (the
first path segment) is the engine; `vault lease`, `vault secrets` and `vault
status` are in `workbench.service.vault_sys`. Nothing here talks to AWS or the
store directly; what Vault would print comes back as a `VaultResult`.
"""

from __future__ import annotations

import contextlib
import difflib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from workbench.domain.durations import format_duration
from workbench.domain.errors import InvalidInput, NotFound
from workbench.domain.models import CredentialType, RootConfig
from workbench.domain.text import printable
from workbench.service import vault_sys
from workbench.service.role_schema import ROLE_FIELDS
from workbench.service.roles import FIELDS
from workbench.service.vault_output import VaultResult, vault_secret
from workbench.service.vault_syntax import VaultCommand, VaultUsageError

if TYPE_CHECKING:
    from workbench.domain.models import Role
    from workbench.service.facade import Workbench

Handler = Callable[["Workbench", VaultCommand, str, str], VaultResult]

ROOT_KEYS = {
    "access_key": str,
    "secret_key": str,
    "region": str,
    "iam_endpoint": str,
    "sts_endpoint": str,
    "max_retries": int,
    "username_template": str,
    "profile": str,
    "expiry_guard": bool,
    "readiness_probe": bool,
    "dead_key_probe": bool,
}
ROOT_SHOWN = [key for key in ROOT_KEYS if key != "secret_key"]
CREDS_KEYS = ("ttl", "role_arn", "mfa_code")


def run(wb: Workbench, command: VaultCommand) -> VaultResult:
    """Do what the command asks through the facade; errors are WorkbenchErrors with hints."""
    direct = _DIRECT.get(command.command)
    if direct is not None:
        return direct(wb, command)
    mount, _, rest = command.path.strip("/").partition("/")
    if not mount:
        raise VaultUsageError(f"`vault {command.command}` needs a path, e.g. aws/roles")
    if mount == "sys":
        raise InvalidInput(
            f"{printable(command.path)[:80]}: Vault's sys/ paths are reached here through "
            "`vault lease lookup|renew|revoke`, `vault secrets enable|disable|list` and "
            "`vault status`"
        )
    handler, name = _route(command, mount, rest.strip("/"))
    if command.command == "write" and not command.data and not command.flag("force"):
        raise VaultUsageError(
            "no data to write: give KEY=VALUE pairs, or -force to write nothing "
            f"(vault write -force {printable(command.path)})"
        )
    return handler(wb, command, mount, name)


# -- paths ---------------------------------------------------------------------


def _route(command: VaultCommand, mount: str, rest: str) -> tuple[Handler, str]:
    parts = rest.split("/") if rest else []
    shapes: dict[str, list[str]] = {}
    for (verb, pattern), handler in _ROUTES.items():
        wanted = pattern.split("/")
        if len(wanted) != len(parts):
            continue
        if all(w in ("NAME", p) for w, p in zip(wanted, parts, strict=True)):
            if verb == command.command:
                return handler, parts[-1] if wanted[-1] == "NAME" else ""
            shapes.setdefault(pattern, []).append(verb)
    typed = f"{mount}/{rest}" if rest else mount
    if shapes:
        verbs = next(iter(shapes.values()))
        offered = " or ".join(f"`vault {verb}`" for verb in verbs)
        raise InvalidInput(f"{printable(typed)} takes {offered}, not `vault {command.command}`")
    name = parts[-1] if len(parts) > 1 else "NAME"
    paths = [
        f"{mount}/{pattern.replace('NAME', name)}"
        for verb, pattern in _ROUTES
        if verb == command.command
    ]
    close = difflib.get_close_matches(typed, paths, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else f"paths for it: {', '.join(paths)}"
    raise InvalidInput(
        f"no path {printable(typed)[:80]} for `vault {command.command}` here; {hint}"
    )


def _keys(command: VaultCommand, allowed: Any, where: str) -> dict[str, Any]:
    """The command's data, refused if a key is not one `where` takes (naming the closest)."""
    for key in command.data:
        if key not in allowed:
            shown = printable(key)[:60]
            close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
            if close:
                raise InvalidInput(f"{where} takes no key {shown!r}; did you mean {close[0]}?")
            takes = ", ".join(allowed) or "no data"
            raise InvalidInput(f"{where} takes no key {shown!r}; it takes {takes}")
    return dict(command.data)


def _one(key: str, value: Any) -> Any:
    if isinstance(value, list):
        raise InvalidInput(f"{key} was given {len(value)} times; give it once")
    return value


def _written(command: VaultCommand, path: str, event: str) -> VaultResult:
    return VaultResult(command, message=f"Success! Data written to: {path}", event=event)


# -- config --------------------------------------------------------------------


def _read_root(wb: Workbench, command: VaultCommand, mount: str, _name: str) -> VaultResult:
    _keys(command, (), f"read {mount}/config/root")
    view = wb.engines.read_config(mount)
    data = {key: view[key] for key in ROOT_SHOWN}
    return VaultResult(command, secret=vault_secret(data))


def _root_value(key: str, value: Any) -> Any:
    kind = ROOT_KEYS[key]
    value = _one(key, value)
    if kind is bool:
        text = str(value).lower()
        if text not in {"true", "false", "1", "0"}:
            raise InvalidInput(f"{key} must be true or false", field=key)
        return text in {"true", "1"}
    if kind is int:
        try:
            number = int(str(value))
        except ValueError:
            raise InvalidInput(f"{key} must be a whole number", field=key) from None
        return RootConfig().max_retries if number == -1 else number  # Vault's -1: the default
    return str(value)


def _write_root(wb: Workbench, command: VaultCommand, mount: str, _name: str) -> VaultResult:
    data = _keys(command, ROOT_KEYS, f"{mount}/config/root")
    changes = {key: _root_value(key, value) for key, value in data.items()}
    wb.engines.write_root(mount, **changes)
    return _written(command, f"{mount}/config/root", "config-written")


def _read_lease(wb: Workbench, command: VaultCommand, mount: str, _name: str) -> VaultResult:
    _keys(command, (), f"read {mount}/config/lease")
    view = wb.engines.read_config(mount)
    data = {
        "lease": format_duration(view["lease"]),
        "lease_max": format_duration(view["lease_max"]),
    }
    return VaultResult(command, secret=vault_secret(data))


def _write_lease(wb: Workbench, command: VaultCommand, mount: str, _name: str) -> VaultResult:
    data = _keys(command, ("lease", "lease_max"), f"{mount}/config/lease")
    for key in ("lease", "lease_max"):
        if key not in data:
            raise InvalidInput(f"{{field:{key}}} is required, as in Vault", field=key)
    wb.engines.write_lease(
        mount, _one("lease", data["lease"]), _one("lease_max", data["lease_max"])
    )
    return _written(command, f"{mount}/config/lease", "config-written")


def _rotate_root(wb: Workbench, command: VaultCommand, mount: str, _name: str) -> VaultResult:
    _keys(command, (), f"{mount}/config/rotate-root")
    access_key = wb.engines.rotate_root(mount)
    return VaultResult(
        command, secret=vault_secret({"access_key": access_key}), event="config-written"
    )


# -- roles ---------------------------------------------------------------------


def role_data(role: Role) -> dict[str, Any]:
    """A role as Vault's `read aws/roles/NAME` answers: every field of its type, empty as null."""
    fields = {"credential_type", *FIELDS[role.credential_type]}
    data: dict[str, Any] = {}
    for name in sorted(fields):
        value = getattr(role, name)
        if name == "credential_type":
            value = role.credential_type.value
        elif name == "policy_document" and value:
            with contextlib.suppress(ValueError):
                value = json.dumps(json.loads(value), separators=(",", ":"))
        elif name in {"default_sts_ttl", "max_sts_ttl"}:
            value = value or 0
        elif isinstance(value, list | dict) and not value:
            value = None
        data[name] = "" if value is None and name not in _NULLABLE else value
    return data


_NULLABLE = {"policy_arns", "iam_groups", "iam_tags", "role_arns", "session_tags"}


def _read_role(wb: Workbench, command: VaultCommand, mount: str, name: str) -> VaultResult:
    _keys(command, (), f"read {mount}/roles/{name}")
    return VaultResult(command, secret=vault_secret(role_data(wb.roles.read(mount, name))))


def _write_role(wb: Workbench, command: VaultCommand, mount: str, name: str) -> VaultResult:
    """Vault's write updates the fields given and keeps the others (of the role's type)."""
    given = _keys(command, ROLE_FIELDS, f"{mount}/roles/{name}")
    body: dict[str, Any] = {}
    existing = next((role for role in wb.roles.list(mount) if role.name == name), None)
    if existing is not None:
        body = existing.body()
        kind = str(given.get("credential_type", existing.credential_type.value))
        with contextlib.suppress(ValueError):
            body = {
                key: value
                for key, value in body.items()
                if key == "credential_type" or key in FIELDS[CredentialType(kind)]
            }
    body.update(given)
    from workbench.policy import format_findings

    path = f"{mount}/roles/{name}"
    _role, findings = wb.roles.write(mount, name, body, source=path)
    result = _written(command, path, "role-written")
    if findings:
        result.warnings.append(format_findings(findings, path))
    return result


def _delete_role(wb: Workbench, command: VaultCommand, mount: str, name: str) -> VaultResult:
    wb.roles.delete(mount, name)
    path = f"{mount}/roles/{name}"
    return VaultResult(
        command, message=f"Success! Data deleted (if it existed) at: {path}", event="role-deleted"
    )


def _listing(command: VaultCommand, names: list[str], path: str) -> VaultResult:
    if not names:
        raise NotFound(f"No value found at {path}/")
    names = sorted(names)
    return VaultResult(command, headers=["Keys"], rows=[[n] for n in names], json_value=names)


def _list_roles(wb: Workbench, command: VaultCommand, mount: str, _name: str) -> VaultResult:
    return _listing(command, [role.name for role in wb.roles.list(mount)], f"{mount}/roles")


def _list_static(wb: Workbench, command: VaultCommand, mount: str, _name: str) -> VaultResult:
    names = [role.name for role in wb.static_roles.list(mount)]
    return _listing(command, names, f"{mount}/static-roles")


def _read_static(wb: Workbench, command: VaultCommand, mount: str, name: str) -> VaultResult:
    _keys(command, (), f"read {mount}/static-roles/{name}")
    return VaultResult(command, secret=vault_secret(wb.static_roles.read(mount, name).body()))


# -- credentials ---------------------------------------------------------------


def _creds(wb: Workbench, command: VaultCommand, mount: str, name: str) -> VaultResult:
    kind = "sts" if command.path.strip("/").split("/")[1] == "sts" else "creds"
    request = _keys(command, CREDS_KEYS, f"{mount}/{kind}/{name}")
    if kind == "sts":
        role = next((role for role in wb.roles.list(mount) if role.name == name), None)
        if role is not None and not role.credential_type.is_sts:
            raise InvalidInput(
                f"role {name!r} is an iam_user role; {mount}/sts/ issues STS credentials "
                f"only (read {mount}/creds/{name} for its keys)"
            )
    values = {key: str(_one(key, value)) for key, value in request.items()}
    issued = wb.creds.issue(mount, name, **values)
    return VaultResult(
        command,
        secret=issued.vault_json(),
        warnings=list(issued.warnings),
        lease=issued.lease,
        event="issued",
    )


def _static_creds(wb: Workbench, command: VaultCommand, mount: str, name: str) -> VaultResult:
    _keys(command, (), f"read {mount}/static-creds/{name}")
    return VaultResult(command, secret=wb.static_roles.creds(mount, name).vault_json())


_ROUTES: dict[tuple[str, str], Handler] = {
    ("read", "config/root"): _read_root,
    ("write", "config/root"): _write_root,
    ("read", "config/lease"): _read_lease,
    ("write", "config/lease"): _write_lease,
    ("write", "config/rotate-root"): _rotate_root,
    ("list", "roles"): _list_roles,
    ("read", "roles/NAME"): _read_role,
    ("write", "roles/NAME"): _write_role,
    ("delete", "roles/NAME"): _delete_role,
    ("read", "creds/NAME"): _creds,
    ("write", "creds/NAME"): _creds,
    ("read", "sts/NAME"): _creds,
    ("write", "sts/NAME"): _creds,
    ("list", "static-roles"): _list_static,
    ("read", "static-roles/NAME"): _read_static,
    ("read", "static-creds/NAME"): _static_creds,
}


_DIRECT: dict[str, Callable[[Workbench, VaultCommand], VaultResult]] = {
    "status": vault_sys.status,
    "secrets list": vault_sys.secrets_list,
    "secrets enable": vault_sys.enable,
    "secrets disable": vault_sys.disable,
    "lease lookup": vault_sys.lookup,
    "lease renew": vault_sys.renew,
    "lease revoke": vault_sys.revoke,
}
