"""The policy's shape: top-level and statement elements, Version, Effect, Sid."""

from __future__ import annotations

import re

from workbench.policy.actions import check_actions
from workbench.policy.arns import check_resources
from workbench.policy.conditions import check_condition
from workbench.policy.context import Context, Entry, Statement, did_you_mean
from workbench.policy.findings import show
from workbench.policy.parse import JsonArray, JsonObject, JsonString, JsonValue, Member, type_name

VERSIONS = ("2012-10-17", "2008-10-17")
TOP_LEVEL = ("Version", "Id", "Statement")
STATEMENT_KEYS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
_SID = re.compile(r"[A-Za-z0-9]*")


def mismatch(ctx: Context, value: JsonValue, expected: str, path: str) -> None:
    ctx.report.error(
        "DATA_TYPE_MISMATCH",
        f"{path or 'The policy'} must be {expected}, not {type_name(value)}.",
        value.start,
        path,
    )


def check_document(root: JsonValue, ctx: Context) -> list[Statement]:
    """Check the document's structure; return the statements for the security checks."""
    if not isinstance(root, JsonObject):
        mismatch(ctx, root, 'a JSON object like {"Version": ..., "Statement": [...]}', "")
        return []
    statements: list[Statement] = []
    for member in root.members:
        if member.key not in TOP_LEVEL:
            hint = did_you_mean(member.key, TOP_LEVEL)
            ctx.report.error(
                "INVALID_POLICY_ELEMENT",
                f"{show(member.key)} is not a policy element; use Version, Id or Statement.{hint}",
                member.key_start,
                member.key,
            )
    version = root.get("Version")
    if version is None:
        ctx.report.warning(
            "MISSING_VERSION",
            'Add "Version": "2012-10-17"; without it policy variables such as '
            "${aws:username} are read as plain text.",
            root.start,
            "",
        )
    else:
        _check_version(version, ctx)
    statement = root.get("Statement")
    if statement is None:
        ctx.report.error(
            "MISSING_STATEMENT",
            'Add a "Statement" element: a list of statements, each with Effect, Action and '
            "Resource.",
            root.start,
            "",
        )
    else:
        statements = _check_statements(statement, ctx)
    identifier = root.get("Id")
    if identifier is not None and not isinstance(identifier.value, JsonString):
        mismatch(ctx, identifier.value, "a string", "Id")
    return statements


def _check_version(member: Member, ctx: Context) -> None:
    value = member.value
    if not isinstance(value, JsonString):
        mismatch(ctx, value, 'the string "2012-10-17"', "Version")
        return
    if value.value not in VERSIONS:
        ctx.report.error(
            "INVALID_VERSION",
            f'Version {show(value.value)} is not valid; use "2012-10-17" (the current version, '
            "not today's date).",
            value.start,
            "Version",
        )
        return
    ctx.version = value.value


def _check_statements(member: Member, ctx: Context) -> list[Statement]:
    node = member.value
    if isinstance(node, JsonObject):
        return [_check_statement(node, "Statement", ctx)]
    if not isinstance(node, JsonArray):
        mismatch(ctx, node, "a statement object or a list of them", "Statement")
        return []
    if not node.items:
        ctx.report.error(
            "MISSING_STATEMENT",
            "Statement is an empty list; add at least one statement.",
            node.start,
            "Statement",
        )
    statements = []
    sids: dict[str, int] = {}
    for index, item in enumerate(node.items):
        path = f"Statement[{index}]"
        if not isinstance(item, JsonObject):
            mismatch(ctx, item, "a statement object", path)
            continue
        statements.append(_check_statement(item, path, ctx))
        sid = item.get("Sid")
        if sid is not None and isinstance(sid.value, JsonString) and sid.value.value:
            if sid.value.value in sids:
                ctx.report.error(
                    "UNIQUE_SIDS_REQUIRED",
                    f"Sid {show(sid.value.value)} is already used by "
                    f"Statement[{sids[sid.value.value]}]; each statement needs its own Sid.",
                    sid.value.start,
                    f"{path}.Sid",
                )
            else:
                sids[sid.value.value] = index
    return statements


def _check_statement(node: JsonObject, path: str, ctx: Context) -> Statement:
    statement = Statement(path, node.start)
    for member in node.members:
        if member.key not in STATEMENT_KEYS:
            hint = did_you_mean(member.key, STATEMENT_KEYS)
            ctx.report.error(
                "INVALID_POLICY_ELEMENT",
                f"{show(member.key)} is not a statement element (Sid, Effect, Action, NotAction, "
                f"Resource, NotResource, Condition).{hint}",
                member.key_start,
                f"{path}.{member.key}",
            )
        elif member.key in ("Principal", "NotPrincipal"):
            ctx.report.error(
                "UNSUPPORTED_PRINCIPAL",
                f"{member.key} is not allowed in a policy attached to a user or session; the "
                "principal is whoever holds the credentials. Remove it.",
                member.key_start,
                f"{path}.{member.key}",
            )
    _check_sid(node, path, ctx)
    _check_effect(node, path, ctx, statement)
    statement.action_key, statement.actions, statement.action_key_start = _pair(
        node, path, ctx, ("Action", "NotAction"), "MISSING_ACTION"
    )
    check_actions(statement, ctx)
    statement.resource_key, statement.resources, statement.resource_key_start = _pair(
        node, path, ctx, ("Resource", "NotResource"), "MISSING_RESOURCE"
    )
    check_resources(statement, ctx)
    condition = node.get("Condition")
    if condition is not None:
        statement.has_condition = True
        check_condition(condition.value, f"{path}.Condition", ctx)
    return statement


def _check_sid(node: JsonObject, path: str, ctx: Context) -> None:
    sid = node.get("Sid")
    if sid is None:
        return
    if not isinstance(sid.value, JsonString):
        mismatch(ctx, sid.value, "a string", f"{path}.Sid")
    elif not sid.value.value:
        ctx.report.suggestion(
            "EMPTY_SID_VALUE",
            "Sid is empty; remove it or name the statement.",
            sid.value.start,
            f"{path}.Sid",
        )
    elif _SID.fullmatch(sid.value.value) is None:
        ctx.report.error(
            "UNSUPPORTED_SID",
            f"Sid {show(sid.value.value)} may contain only letters and digits (A-Z, a-z, 0-9).",
            sid.value.start,
            f"{path}.Sid",
        )


def _check_effect(node: JsonObject, path: str, ctx: Context, statement: Statement) -> None:
    effect = node.get("Effect")
    if effect is None:
        ctx.report.error(
            "MISSING_EFFECT", 'Add "Effect": "Allow" or "Effect": "Deny".', node.start, path
        )
        return
    if not isinstance(effect.value, JsonString):
        mismatch(ctx, effect.value, '"Allow" or "Deny"', f"{path}.Effect")
        return
    if effect.value.value in ("Allow", "Deny"):
        statement.effect = effect.value.value
        return
    hint = did_you_mean(effect.value.value, ("Allow", "Deny"))
    ctx.report.error(
        "INVALID_EFFECT",
        f'Effect {show(effect.value.value)} must be exactly "Allow" or "Deny".{hint}',
        effect.value.start,
        f"{path}.Effect",
    )


def _pair(
    node: JsonObject, path: str, ctx: Context, names: tuple[str, str], missing_code: str
) -> tuple[str | None, list[Entry], int]:
    """Exactly one of Action/NotAction (or Resource/NotResource), as a list of strings."""
    present = [member for member in node.members if member.key in names]
    if not present:
        ctx.report.error(
            missing_code,
            f"Add {names[0]} (or {names[1]}): a statement without one grants nothing and "
            "AWS rejects it.",
            node.start,
            path,
        )
        return None, [], node.start
    keys = {member.key for member in present}
    if len(keys) > 1:
        second = next(member for member in present if member.key == names[1])
        ctx.report.error(
            "UNSUPPORTED_ELEMENT_COMBINATION",
            f"A statement may have {names[0]} or {names[1]}, not both; split it into two "
            "statements.",
            second.key_start,
            f"{path}.{second.key}",
        )
    member = present[0]
    return member.key, string_list(member, f"{path}.{member.key}", ctx), member.key_start


def string_list(member: Member, path: str, ctx: Context) -> list[Entry]:
    """A string or a list of strings; other types are reported and skipped."""
    value = member.value
    if isinstance(value, JsonString):
        return [Entry(value.value, value.start, path)]
    if not isinstance(value, JsonArray):
        mismatch(ctx, value, "a string or a list of strings", path)
        return []
    if not value.items:
        code = "EMPTY_ARRAY_" + re.sub(r"(?<!^)(?=[A-Z])", "_", member.key).upper()
        ctx.report.suggestion(
            code,
            f"{member.key} is an empty list, so this statement has no effect; add entries or "
            "remove the statement.",
            value.start,
            path,
        )
    entries = []
    for index, item in enumerate(value.items):
        item_path = f"{path}[{index}]"
        if isinstance(item, JsonString):
            entries.append(Entry(item.value, item.start, item_path))
        else:
            mismatch(ctx, item, "a string", item_path)
    return entries
