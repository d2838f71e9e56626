"""Condition blocks: operators, keys, and the values each operator can compare."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re

from workbench.policy.condition_data import (
    FAMILY_KEY_TYPES,
    GLOBAL_KEY_NAMES,
    OPERATORS,
    TYPE_TO_OPERATOR,
)
from workbench.policy.context import Context, did_you_mean
from workbench.policy.findings import show
from workbench.policy.parse import (
    JsonArray,
    JsonBool,
    JsonNumber,
    JsonObject,
    JsonString,
    JsonValue,
    Member,
    type_name,
)
from workbench.policy.variables import check_variables

SET_QUALIFIERS = ("ForAllValues:", "ForAnyValue:")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_EPOCH = re.compile(r"[0-9]{1,13}")


def check_condition(node: JsonValue, path: str, ctx: Context) -> None:
    if not isinstance(node, JsonObject):
        ctx.report.error(
            "DATA_TYPE_MISMATCH",
            f"Condition must be an object of operators, not {type_name(node)}, e.g. "
            '{"StringEquals": {"aws:RequestedRegion": "us-east-1"}}.',
            node.start,
            path,
        )
        return
    if not node.members:
        ctx.report.suggestion(
            "EMPTY_OBJECT_CONDITION", "Condition is empty; remove it.", node.start, path
        )
    for member in node.members:
        _check_operator(member, f"{path}.{member.key}", ctx)


def _check_operator(member: Member, path: str, ctx: Context) -> None:
    operator = member.key
    qualifier = next((q for q in SET_QUALIFIERS if operator.startswith(q)), "")
    base = operator[len(qualifier) :]
    if_exists = base.endswith("IfExists") and base != "IfExists"
    if if_exists:
        base = base[: -len("IfExists")]
    family = OPERATORS.get(base)
    if family is None:
        hint = did_you_mean(base, OPERATORS)
        ctx.report.error(
            "INVALID_CONDITION_OPERATOR",
            f"{show(operator)} is not a condition operator.{hint}",
            member.key_start,
            path,
        )
        return
    if family == "Null" and if_exists:
        ctx.report.error(
            "NULL_WITH_IF_EXISTS",
            "NullIfExists is not allowed: Null already tests whether the key exists. Use Null.",
            member.key_start,
            path,
        )
    block = member.value
    if not isinstance(block, JsonObject):
        ctx.report.error(
            "DATA_TYPE_MISMATCH",
            f"{operator} must map condition keys to values, not be {type_name(block)}.",
            block.start,
            path,
        )
        return
    if not block.members:
        ctx.report.suggestion(
            "EMPTY_OBJECT_CONDITION", f"{operator} has no keys; remove it.", block.start, path
        )
    seen: dict[str, str] = {}
    for key_member in block.members:
        key = key_member.key
        key_path = f"{path}.{key}"
        first = seen.get(key.lower())
        if first is not None and first != key:
            ctx.report.error(
                "DUPLICATE_KEYS_WITH_DIFFERENT_CASE",
                f"{show(key)} repeats {show(first)}: condition keys ignore case, so only one "
                "applies. Merge their values.",
                key_member.key_start,
                key_path,
            )
        seen.setdefault(key.lower(), key)
        key_type = _check_key(key_member, key_path, ctx)
        _check_key_type(
            key_member, key_path, ctx, operator=operator, qualifier=qualifier, key_type=key_type
        )
        _check_values(operator, family, key_member, key_path, ctx)


def _check_key(member: Member, path: str, ctx: Context) -> str | None:
    """Report an unknown key; return its catalogue type when known."""
    key = member.key
    prefix, colon, name = key.partition(":")
    if not colon or not prefix or not name:
        ctx.report.error(
            "INVALID_CONDITION_KEY_FORMAT",
            f"{show(key)} is not a condition key; write service:KeyName, e.g. aws:RequestedRegion.",
            member.key_start,
            path,
        )
        return None
    lower_prefix = prefix.lower()
    if "." in prefix or lower_prefix == "saml":
        return None  # identity-provider keys (accounts.google.com:aud, saml:aud, ...)
    catalogue = ctx.catalogue
    key_type = catalogue.condition_type(key)
    if key_type is not None and key.endswith("/"):
        ctx.report.error(
            "MISSING_TAG_KEY_IN_CONDITION",
            f"Add the tag key after the slash, e.g. {key}team.",
            member.key_start,
            path,
        )
        return None
    if key_type is not None:
        return key_type
    if lower_prefix == "aws":
        table = GLOBAL_KEY_NAMES
        ctx.report.error(
            "INVALID_GLOBAL_CONDITION_KEY",
            f"{show(key)} is not an AWS global condition key.{did_you_mean(key, table)}",
            member.key_start,
            path,
        )
        return None
    if catalogue.problem:
        return None
    service = catalogue.service(prefix)
    if service is None:
        ctx.report.error(
            "INVALID_SERVICE_CONDITION_KEY",
            f"{show(prefix)} is not an AWS service prefix, so {show(key)} never matches."
            f"{did_you_mean(prefix, catalogue.services)}",
            member.key_start,
            path,
        )
        return None
    names = [spelling for spelling, _ in service.conditions.values()]
    ctx.report.error(
        "INVALID_SERVICE_CONDITION_KEY",
        f"{service.prefix} has no condition key {show(key)}.{did_you_mean(key, names)}",
        member.key_start,
        path,
    )
    return None


def _check_key_type(
    member: Member, path: str, ctx: Context, *, operator: str, qualifier: str, key_type: str | None
) -> None:
    if key_type is None:
        return
    family = OPERATORS[operator[len(qualifier) :].removesuffix("IfExists")]
    element_type = key_type.removeprefix("ArrayOf")
    allowed = FAMILY_KEY_TYPES.get(family)
    if allowed is not None and element_type not in allowed:
        suggestion = TYPE_TO_OPERATOR.get(element_type, "an operator of that type")
        ctx.report.warning(
            "TYPE_MISMATCH",
            f"{member.key} is a {element_type} key; {operator} compares it as the wrong type. "
            f"Use {suggestion}.",
            member.key_start,
            path,
        )
    multivalued = key_type.startswith("ArrayOf")
    if qualifier == "ForAllValues:" and not multivalued:
        ctx.report.security(
            "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
            f"ForAllValues with the single-valued key {member.key} also matches when the key "
            "is absent, which can allow more than you meant. Drop ForAllValues:.",
            member.key_start,
            path,
        )
    elif qualifier == "ForAnyValue:" and not multivalued:
        ctx.report.warning(
            "FORANYVALUE_WITH_SINGLE_VALUED_KEY",
            f"{member.key} has one value per request; drop ForAnyValue: and use {operator[12:]}.",
            member.key_start,
            path,
        )


def _check_values(operator: str, family: str, member: Member, path: str, ctx: Context) -> None:
    node = member.value
    items: list[JsonValue]
    if isinstance(node, JsonArray):
        items = node.items
        if not items:
            ctx.report.suggestion(
                "EMPTY_ARRAY_CONDITION",
                f"{member.key} has no values, so this condition never matches; add values.",
                node.start,
                path,
            )
        elif family in ("Bool", "Null") and len(items) > 1:
            ctx.report.error(
                "INVALID_CONDITION_MULTIPLE_BOOLEAN",
                f"{member.key} takes one Boolean value with {operator}: true or false.",
                node.start,
                path,
            )
    else:
        items = [node]
    for index, item in enumerate(items):
        item_path = f"{path}[{index}]" if isinstance(node, JsonArray) else path
        if not isinstance(item, JsonString | JsonNumber | JsonBool):
            ctx.report.error(
                "DATA_TYPE_MISMATCH",
                f"A condition value must be a string, number or boolean, not {type_name(item)}.",
                item.start,
                item_path,
            )
            continue
        _check_value(operator, family, item, item_path, ctx)


def _check_value(
    operator: str, family: str, item: JsonString | JsonNumber | JsonBool, path: str, ctx: Context
) -> None:
    text = item.value if isinstance(item, JsonString) else None
    if text is not None and "${" in text:
        check_variables(text, item.start, path, ctx)
        return
    problem: tuple[str, str] | None = None
    if family in ("Bool", "Null"):
        if not isinstance(item, JsonBool) and (text or "").lower() not in ("true", "false"):
            problem = ("TYPE_MISMATCH_BOOL", f"{operator} takes true or false")
    elif family == "Numeric":
        if isinstance(item, JsonBool) or (text is not None and not _NUMBER.fullmatch(text)):
            problem = ("TYPE_MISMATCH_NUMBER", f"{operator} takes a number")
    elif family == "Date":
        if isinstance(item, JsonBool) or (text is not None and not _is_date(text)):
            problem = (
                "TYPE_MISMATCH_DATE",
                f"{operator} takes an ISO 8601 date such as 2025-01-31T12:00:00Z or epoch seconds",
            )
    elif family == "IpAddress":
        if text is None or not _is_ip_range(text):
            problem = (
                "TYPE_MISMATCH_IP_RANGE",
                f"{operator} takes an IP address or CIDR range such as 203.0.113.0/24",
            )
    elif family == "String" and text is not None and "*" in text:
        ctx.report.warning(
            "WILDCARD_WITHOUT_LIKE_OPERATOR",
            f"{operator} compares '*' literally in {show(text)}; use StringLike to match a "
            "pattern.",
            item.start,
            path,
        )
    if problem is not None:
        shown = show(text) if text is not None else str(item.value).lower()
        ctx.report.warning(problem[0], f"{problem[1]}, not {shown}.", item.start, path)


def _is_date(text: str) -> bool:
    if _EPOCH.fullmatch(text):
        return True
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _is_ip_range(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True
