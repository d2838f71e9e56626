"""Role files: Vault's `aws/roles/NAME` body, parsed and checked before AWS sees it."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from workbench.domain.errors import InvalidInput
from workbench.domain.models import CredentialType, Role
from workbench.domain.text import printable
from workbench.service.role_schema import (
    MAX_ROLE_DEPTH,
    ROLE_FIELDS,
    check_depth,
    field_value,
    json_type,
)
from workbench.service.user_files import DOCUMENT_FILE_LIMIT, read_text_file

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
USER_PATH_RE = re.compile(r"^/(?:[\x21-\x7e]*/)?$")
ARN_RE = re.compile(r"^arn:aws[a-zA-Z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}|aws)?:.+$")
ROLE_ARN_RE = re.compile(r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
MFA_RE = re.compile(r"^(arn:aws[a-zA-Z-]*:iam::\d{12}:mfa/[\w+=,.@/-]+|GAHT[0-9A-Z]{8,})$")
GROUP_RE = re.compile(r"^[\w+=,.@-]{1,128}$")
EXTERNAL_ID_RE = re.compile(r"^[\w+=,.@:/-]{2,1224}$", re.ASCII)
TAG_KEY_RE = re.compile(r"^[\w .:/=+\-@]{1,128}$")
TAG_VALUE_RE = re.compile(r"^[\w .:/=+\-@]{0,256}$")

MAX_MANAGED_POLICIES = 10
MAX_GROUPS = 10
MAX_TAGS = 50

# Which fields each credential type takes (Vault's role fields), from the one table.
FIELDS: dict[CredentialType, set[str]] = {
    kind: {name for name, field in ROLE_FIELDS.items() if kind in field.credential_types}
    for kind in CredentialType
}
ALL_FIELDS = set(ROLE_FIELDS)
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


def role_json(name: str, text: str) -> Any:
    """A role file's JSON; not JSON, nested too deep or a huge number is an InvalidInput."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"role {name!r}: not valid JSON (line {error.lineno}, column {error.colno}: "
            f"{error.msg})"
        ) from None
    except RecursionError:
        raise InvalidInput(
            f"role {name!r}: the role file is nested too deep (more than "
            f"{MAX_ROLE_DEPTH} levels of lists and objects)"
        ) from None
    except ValueError:  # not a JSONDecodeError: an integer Python will not convert
        raise InvalidInput(
            f"role {name!r}: the role file holds a number of more than "
            f"{sys.get_int_max_str_digits()} digits; no role field takes one"
        ) from None


def parse_role(engine: str, name: str, body: dict[str, Any] | str) -> Role:
    """Build a Role from Vault's role body; every problem is an InvalidInput."""
    check_name("role", name)
    if isinstance(body, str):
        body = role_json(name, body)
    if not isinstance(body, dict):
        raise InvalidInput(
            f"role {name!r}: the role file must hold a JSON object (got {json_type(body)})"
        )
    check_depth(name, body)
    for key in body:
        if key in _LEGACY:
            raise InvalidInput(f"role {name!r}: field {key!r} is not supported; {_LEGACY[key]}")
        if key not in ALL_FIELDS:
            raise InvalidInput(
                f"role {name!r}: unknown field {printable(repr(key))[:80]}; "
                f"fields: {', '.join(ROLE_FIELDS)}"
            )
    if "credential_type" not in body:
        raise InvalidInput(
            f"role {name!r}: field 'credential_type' is missing; it must be "
            f"{ROLE_FIELDS['credential_type'].expects}"
        )
    raw_type = field_value(name, "credential_type", body["credential_type"]) or ""
    try:
        credential_type = CredentialType(raw_type)
    except ValueError:
        allowed = ", ".join(t.value for t in CredentialType)
        raise InvalidInput(
            f"role {name!r}: credential_type {printable(repr(raw_type))[:80]} is not one of "
            f"{allowed}"
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
    values = {
        key: field_value(name, key, value)
        for key, value in body.items()
        if key != "credential_type"
    }
    role = Role(
        engine=engine,
        name=name,
        credential_type=credential_type,
        policy_document=values.get("policy_document"),
        policy_arns=values.get("policy_arns", []),
        iam_groups=values.get("iam_groups", []),
        iam_tags=values.get("iam_tags", {}),
        user_path=values.get("user_path") or "/",
        permissions_boundary_arn=values.get("permissions_boundary_arn"),
        role_arns=values.get("role_arns", []),
        default_sts_ttl=values.get("default_sts_ttl"),
        max_sts_ttl=values.get("max_sts_ttl"),
        session_tags=values.get("session_tags", {}),
        external_id=values.get("external_id"),
        mfa_serial_number=values.get("mfa_serial_number"),
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
    if role.external_id is not None and not EXTERNAL_ID_RE.fullmatch(role.external_id):
        raise InvalidInput(
            f"{where}: external_id must be 2-1224 characters: letters, digits and _ + = , . @ : / -"
        )
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
        try:
            is_dir, exists = path.is_dir(), path.exists()
        except (OSError, ValueError):
            is_dir = exists = False
        if is_dir:
            try:
                found.extend((p.stem, p) for p in sorted(path.glob("*.json")))
            except OSError as error:
                raise InvalidInput(
                    f"{printable(raw)}: cannot list the folder ({error.strerror or error})"
                ) from None
            continue
        if not exists:
            raise InvalidInput(f"{printable(raw)}: no such file or directory")
        found.append((path.stem, path))
    if not found:
        raise InvalidInput(f"no role files (*.json) in {printable(', '.join(paths))}")
    return found


def read_role_file(path: str | Path) -> str:
    """A role file's text (at most 1 MiB of UTF-8); any problem is one line naming the file."""
    return read_text_file(path, what="role file", limit=DOCUMENT_FILE_LIMIT)
