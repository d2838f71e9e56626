"""Role files: Vault's `aws/roles/NAME` body, parsed and checked before AWS sees it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from workbench.domain.durations import parse_duration
from workbench.domain.errors import InvalidInput
from workbench.domain.models import CredentialType, Role

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
USER_PATH_RE = re.compile(r"^/(?:[\x21-\x7e]*/)?$")
ARN_RE = re.compile(r"^arn:aws[a-zA-Z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}|aws)?:.+$")
ROLE_ARN_RE = re.compile(r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
MFA_RE = re.compile(r"^(arn:aws[a-zA-Z-]*:iam::\d{12}:mfa/[\w+=,.@/-]+|GAHT[0-9A-Z]{8,})$")
GROUP_RE = re.compile(r"^[\w+=,.@-]{1,128}$")
TAG_KEY_RE = re.compile(r"^[\w .:/=+\-@]{1,128}$")
TAG_VALUE_RE = re.compile(r"^[\w .:/=+\-@]{0,256}$")

MAX_MANAGED_POLICIES = 10
MAX_GROUPS = 10
MAX_TAGS = 50

# Which fields each credential type takes (Vault's role fields).
_COMMON = {"credential_type", "policy_document", "policy_arns"}
FIELDS: dict[CredentialType, set[str]] = {
    CredentialType.IAM_USER: _COMMON
    | {"iam_groups", "iam_tags", "user_path", "permissions_boundary_arn"},
    CredentialType.ASSUMED_ROLE: _COMMON
    | {"role_arns", "default_sts_ttl", "max_sts_ttl", "session_tags", "external_id"},
    CredentialType.FEDERATION_TOKEN: _COMMON | {"default_sts_ttl", "max_sts_ttl"},
    CredentialType.SESSION_TOKEN: {
        "credential_type",
        "default_sts_ttl",
        "max_sts_ttl",
        "mfa_serial_number",
    },
}
ALL_FIELDS = set().union(*FIELDS.values())
_LEGACY = {
    "policy": "use policy_document",
    "arn": "use policy_arns (managed policies) or role_arns (assumed_role)",
    "policy_arn": "use policy_arns",
    "role_arn": "use role_arns",
}


def check_name(kind: str, name: str) -> None:
    if not NAME_RE.fullmatch(name or ""):
        raise InvalidInput(
            f"{kind} name {name!r} is not valid; use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )


def _list(field: str, value: Any) -> list[str]:
    """Vault takes lists as JSON arrays or comma-separated strings."""
    if value is None:
        return []
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [item.strip() for item in value]
    raise InvalidInput(f"{field} must be a list of strings or a comma-separated string")


def _tags(field: str, value: Any) -> dict[str, str]:
    """Vault takes tags as a map or as a list of `key=value` strings."""
    if value is None:
        return {}
    if isinstance(value, dict):
        if not all(isinstance(v, str) for v in value.values()):
            raise InvalidInput(f"{field} values must be strings")
        return {str(k): v for k, v in value.items()}
    tags: dict[str, str] = {}
    for item in _list(field, value):
        key, sep, tag_value = item.partition("=")
        if not sep:
            raise InvalidInput(f"{field} entry {item!r} is not key=value")
        tags[key.strip()] = tag_value.strip()
    return tags


def _policy_text(value: Any) -> str | None:
    """`policy_document` as a string or an object; stored as JSON text."""
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        return json.dumps(value, indent=2)
    if isinstance(value, str):
        return value
    raise InvalidInput("policy_document must be a JSON object or a string holding one")


def parse_role(engine: str, name: str, body: dict[str, Any] | str) -> Role:
    """Build a Role from Vault's role body; every problem is an InvalidInput."""
    check_name("role", name)
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except json.JSONDecodeError as error:
            raise InvalidInput(
                f"role {name!r}: not valid JSON (line {error.lineno}, column {error.colno}: "
                f"{error.msg})"
            ) from None
    if not isinstance(body, dict):
        raise InvalidInput(f"role {name!r}: the role file must hold a JSON object")
    for key in body:
        if key in _LEGACY:
            raise InvalidInput(f"role {name!r}: field {key!r} is not supported; {_LEGACY[key]}")
        if key not in ALL_FIELDS:
            raise InvalidInput(
                f"role {name!r}: unknown field {key!r}; fields: {', '.join(sorted(ALL_FIELDS))}"
            )
    raw_type = body.get("credential_type")
    try:
        credential_type = CredentialType(str(raw_type))
    except ValueError:
        allowed = ", ".join(t.value for t in CredentialType)
        raise InvalidInput(
            f"role {name!r}: credential_type {raw_type!r} is not one of {allowed}"
        ) from None
    misplaced = sorted(set(body) - FIELDS[credential_type])
    if misplaced:
        owners = {
            field: [t.value for t, fields in FIELDS.items() if field in fields]
            for field in misplaced
        }
        detail = "; ".join(f"{f} applies to {', '.join(ts)}" for f, ts in owners.items())
        raise InvalidInput(
            f"role {name!r}: {', '.join(misplaced)} not valid for credential_type "
            f"{credential_type.value} ({detail})"
        )

    def ttl(field: str) -> int | None:
        value = body.get(field)
        if value is None or value in ("", 0, "0"):
            return None
        return parse_duration(value, what=f"role {name!r} {field}")

    role = Role(
        engine=engine,
        name=name,
        credential_type=credential_type,
        policy_document=_policy_text(body.get("policy_document")),
        policy_arns=_list("policy_arns", body.get("policy_arns")),
        iam_groups=_list("iam_groups", body.get("iam_groups")),
        iam_tags=_tags("iam_tags", body.get("iam_tags")),
        user_path=body.get("user_path") or "/",
        permissions_boundary_arn=body.get("permissions_boundary_arn") or None,
        role_arns=_list("role_arns", body.get("role_arns")),
        default_sts_ttl=ttl("default_sts_ttl"),
        max_sts_ttl=ttl("max_sts_ttl"),
        session_tags=_tags("session_tags", body.get("session_tags")),
        external_id=body.get("external_id") or None,
        mfa_serial_number=body.get("mfa_serial_number") or None,
    )
    check_role_limits(role)
    return role


def check_role_limits(role: Role) -> None:
    """IAM's limits that moto does not enforce, checked here so AWS never refuses."""
    where = f"role {role.name!r}"
    if role.credential_type is CredentialType.IAM_USER and (
        len(role.user_path) > 512 or not USER_PATH_RE.fullmatch(role.user_path)
    ):
        raise InvalidInput(
            f"{where}: user_path {role.user_path!r} must start and end with '/' "
            "(e.g. /workbench/), at most 512 printable characters"
        )
    if len(role.policy_arns) > MAX_MANAGED_POLICIES:
        raise InvalidInput(
            f"{where}: {len(role.policy_arns)} policy_arns; IAM attaches at most "
            f"{MAX_MANAGED_POLICIES} managed policies"
        )
    for arn in role.policy_arns:
        if not ARN_RE.fullmatch(arn) or ":policy/" not in arn:
            raise InvalidInput(f"{where}: {arn!r} is not a managed policy ARN")
    if len(role.iam_groups) > MAX_GROUPS:
        raise InvalidInput(
            f"{where}: {len(role.iam_groups)} iam_groups; a user joins at most {MAX_GROUPS}"
        )
    for group in role.iam_groups:
        if not GROUP_RE.fullmatch(group):
            raise InvalidInput(f"{where}: group name {group!r} is not valid in IAM")
    for field, tags in (("iam_tags", role.iam_tags), ("session_tags", role.session_tags)):
        if len(tags) > MAX_TAGS:
            raise InvalidInput(f"{where}: {len(tags)} {field}; IAM allows at most {MAX_TAGS}")
        for key, value in tags.items():
            if not TAG_KEY_RE.fullmatch(key) or key.lower().startswith("aws:"):
                raise InvalidInput(
                    f"{where}: {field} key {key!r} is not valid (1-128 characters, "
                    "letters, digits, spaces and _ . : / = + - @; not starting with aws:)"
                )
            if not TAG_VALUE_RE.fullmatch(value):
                raise InvalidInput(
                    f"{where}: {field} value for {key!r} is not valid (at most 256 "
                    "characters, letters, digits, spaces and _ . : / = + - @)"
                )
    if role.permissions_boundary_arn and (
        not ARN_RE.fullmatch(role.permissions_boundary_arn)
        or ":policy/" not in role.permissions_boundary_arn
    ):
        raise InvalidInput(
            f"{where}: permissions_boundary_arn {role.permissions_boundary_arn!r} "
            "is not a managed policy ARN"
        )
    for arn in role.role_arns:
        if not ROLE_ARN_RE.fullmatch(arn):
            raise InvalidInput(
                f"{where}: {arn!r} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
            )
    if role.credential_type is CredentialType.ASSUMED_ROLE and not role.role_arns:
        raise InvalidInput(f"{where}: an assumed_role role needs role_arns")
    if (
        role.credential_type is CredentialType.FEDERATION_TOKEN
        and not role.policy_document
        and not role.policy_arns
    ):
        raise InvalidInput(
            f"{where}: a federation_token role needs policy_document or policy_arns "
            "(a federated user without a policy can do nothing)"
        )
    if role.mfa_serial_number and not MFA_RE.fullmatch(role.mfa_serial_number):
        raise InvalidInput(f"{where}: mfa_serial_number {role.mfa_serial_number!r} is not valid")
    if role.external_id is not None and not (2 <= len(role.external_id) <= 1224):
        raise InvalidInput(f"{where}: external_id must be 2-1224 characters")
    if (
        role.default_sts_ttl is not None
        and role.max_sts_ttl is not None
        and role.default_sts_ttl > role.max_sts_ttl
    ):
        raise InvalidInput(f"{where}: default_sts_ttl is longer than max_sts_ttl")


def role_files(paths: list[str]) -> list[tuple[str, Path]]:
    """(role name, file) for each file or each *.json in each directory given."""
    found: list[tuple[str, Path]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend((p.stem, p) for p in sorted(path.glob("*.json")))
        elif path.is_file():
            found.append((path.stem, path))
        else:
            raise InvalidInput(f"{raw}: no such file or directory")
    if not found:
        raise InvalidInput(f"no role files (*.json) in {', '.join(paths)}")
    return found


def read_role_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(
            f"{path}: cannot read the role file ({error.__class__.__name__})"
        ) from None
