"""Every role field, the JSON types it takes and what it means: one table for all entry points.

Role files (`role write`, `role import`, Vault's JSON bodies), the TUI's role
form and the service API all go through `field_value`, so a value of the
wrong type gets the same one-line answer everywhere.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any

from workbench.domain.durations import parse_duration
from workbench.domain.errors import InvalidInput
from workbench.domain.models import CredentialType
from workbench.domain.text import printable

# How deep a role body may nest; a policy document deeper than 64 levels is
# already an ERROR finding, so this only stops bodies nothing can use.
MAX_ROLE_DEPTH = 100


class Shape(enum.Enum):
    """How a field's JSON value is read."""

    TEXT = "text"
    CHOICE = "choice"
    LIST = "list"
    TAGS = "tags"
    DURATION = "duration"
    POLICY = "policy"


# The JSON types each shape takes at the top level (null: Vault's read output
# prints empty lists and maps as null).
SHAPE_JSON_TYPES: dict[Shape, frozenset[str]] = {
    Shape.TEXT: frozenset({"string"}),
    Shape.CHOICE: frozenset({"string"}),
    Shape.LIST: frozenset({"array", "string", "null"}),
    Shape.TAGS: frozenset({"object", "array", "string", "null"}),
    Shape.DURATION: frozenset({"string", "number"}),
    Shape.POLICY: frozenset({"object", "string"}),
}

_IAM_USER = frozenset({CredentialType.IAM_USER})
_STS_TTL = frozenset(
    {CredentialType.ASSUMED_ROLE, CredentialType.FEDERATION_TOKEN, CredentialType.SESSION_TOKEN}
)
_WITH_POLICY = frozenset(
    {CredentialType.IAM_USER, CredentialType.ASSUMED_ROLE, CredentialType.FEDERATION_TOKEN}
)


@dataclass(frozen=True)
class RoleField:
    """One field of Vault's `aws/roles/NAME` body."""

    name: str
    shape: Shape
    expects: str
    description: str
    credential_types: frozenset[CredentialType]

    @property
    def json_types(self) -> frozenset[str]:
        return SHAPE_JSON_TYPES[self.shape]


ROLE_FIELDS: dict[str, RoleField] = {
    field.name: field
    for field in (
        RoleField(
            "credential_type",
            Shape.CHOICE,
            'a string, one of "iam_user", "assumed_role", "federation_token", "session_token"',
            "what kind of credential the role hands out",
            frozenset(CredentialType),
        ),
        RoleField(
            "policy_document",
            Shape.POLICY,
            'an IAM policy as a JSON object or a string holding one, like {"Version": "2012-10-17"'
            ', "Statement": [...]}',
            "the inline policy (iam_user) or session policy (STS)",
            _WITH_POLICY,
        ),
        RoleField(
            "policy_arns",
            Shape.LIST,
            'a list of strings like ["arn:aws:iam::aws:policy/ReadOnlyAccess"] or a '
            "comma-separated string",
            "managed policies attached to the user or the session",
            _WITH_POLICY,
        ),
        RoleField(
            "iam_groups",
            Shape.LIST,
            'a list of strings like ["developers"] or a comma-separated string',
            "IAM groups the user joins",
            _IAM_USER,
        ),
        RoleField(
            "iam_tags",
            Shape.TAGS,
            'a map of strings like {"team": "web"}, a list like ["team=web"] or a '
            "comma-separated string",
            "tags on the IAM user",
            _IAM_USER,
        ),
        RoleField(
            "user_path",
            Shape.TEXT,
            'a string like "/workbench/"',
            "IAM path of the users the role creates",
            _IAM_USER,
        ),
        RoleField(
            "permissions_boundary_arn",
            Shape.TEXT,
            'a string like "arn:aws:iam::123456789012:policy/Boundary"',
            "managed policy set as the user's permissions boundary",
            _IAM_USER,
        ),
        RoleField(
            "role_arns",
            Shape.LIST,
            'a list of strings like ["arn:aws:iam::123456789012:role/NAME"] or a '
            "comma-separated string",
            "IAM roles an assumed_role credential may assume",
            frozenset({CredentialType.ASSUMED_ROLE}),
        ),
        RoleField(
            "default_sts_ttl",
            Shape.DURATION,
            'a duration like "15m" or a whole number of seconds like 900',
            "TTL of STS credentials when none is asked for",
            _STS_TTL,
        ),
        RoleField(
            "max_sts_ttl",
            Shape.DURATION,
            'a duration like "1h" or a whole number of seconds like 3600',
            "longest TTL an STS credential of this role may get",
            _STS_TTL,
        ),
        RoleField(
            "session_tags",
            Shape.TAGS,
            'a map of strings like {"team": "web"}, a list like ["team=web"] or a '
            "comma-separated string",
            "session tags passed to AssumeRole",
            frozenset({CredentialType.ASSUMED_ROLE}),
        ),
        RoleField(
            "external_id",
            Shape.TEXT,
            'a string like "partner-42"',
            "external ID the trusting account expects on AssumeRole",
            frozenset({CredentialType.ASSUMED_ROLE}),
        ),
        RoleField(
            "mfa_serial_number",
            Shape.TEXT,
            'a string like "arn:aws:iam::123456789012:mfa/NAME"',
            "MFA device whose code GetSessionToken requires",
            frozenset({CredentialType.SESSION_TOKEN}),
        ),
    )
}


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value: string, number, boolean, null, array, object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


_ARTICLE = {
    "string": "a string",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
    "array": "a list",
    "object": "an object",
}


def _got(value: Any) -> str:
    kind = json_type(value)
    return _ARTICLE.get(kind, f"a {kind}")


def _wrong(role: str, field: RoleField, got: str) -> InvalidInput:
    return InvalidInput(f"role {role!r}: field {field.name!r} must be {field.expects} (got {got})")


def _text(role: str, field: RoleField, value: str, where: str = "") -> str:
    """A string that can be stored and sent: no lone surrogates (JSON's unpaired \\udXXX)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _wrong(role, field, f"a string{where} with an unpaired surrogate escape") from None
    return value


def _strings(role: str, field: RoleField, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [item.strip() for item in _text(role, field, value).split(",") if item.strip()]
    if isinstance(value, list):
        for item in value:
            if not isinstance(item, str):
                raise _wrong(role, field, f"a list holding {_got(item)}")
            _text(role, field, item, " in the list")
        return [item.strip() for item in value]
    raise _wrong(role, field, _got(value))


def _tags(role: str, field: RoleField, value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        tags: dict[str, str] = {}
        for key, tag_value in value.items():
            if not isinstance(key, str) or not isinstance(tag_value, str):
                raise _wrong(role, field, f"{_got(tag_value)} as the value of {_shown(key)}")
            tags[_text(role, field, key, " as a key")] = _text(role, field, tag_value, " value")
        return tags
    tags = {}
    for item in _strings(role, field, value):
        key, sep, tag_value = item.partition("=")
        if not sep:
            raise _wrong(role, field, f"the entry {_shown(item)}, which is not key=value")
        tags[key.strip()] = tag_value.strip()
    return tags


def _policy(role: str, field: RoleField, value: Any) -> str | None:
    if isinstance(value, dict):
        return json.dumps(value, indent=2)
    if isinstance(value, str):
        return value or None
    raise _wrong(role, field, _got(value))


def _shown(value: object) -> str:
    text = printable(repr(value))
    return text if len(text) <= 40 else f"{text[:40]}..."


def field_value(role: str, name: str, value: Any) -> Any:
    """Field `name`'s JSON value in the form the Role holds it; InvalidInput names the field."""
    field = ROLE_FIELDS[name]
    if field.shape in (Shape.TEXT, Shape.CHOICE):
        if not isinstance(value, str):
            raise _wrong(role, field, _got(value))
        return _text(role, field, value) or None
    if field.shape is Shape.LIST:
        return _strings(role, field, value)
    if field.shape is Shape.TAGS:
        return _tags(role, field, value)
    if field.shape is Shape.POLICY:
        return _policy(role, field, value)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _wrong(role, field, _got(value))
    if value in ("", 0, "0"):
        return None
    return parse_duration(value, what=f"role {role!r}: field {name!r}")


def check_depth(role: str, body: Any) -> None:
    """Refuse a body nested deeper than MAX_ROLE_DEPTH (walked without recursion)."""
    pending: list[tuple[Any, int]] = [(body, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_ROLE_DEPTH:
            raise InvalidInput(
                f"role {role!r}: the role is nested too deep (more than {MAX_ROLE_DEPTH} "
                "levels of lists and objects)"
            )
        if isinstance(value, dict):
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list | tuple):
            pending.extend((item, depth + 1) for item in value)
