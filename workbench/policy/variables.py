"""Policy variables such as `${aws:username}` in Resource and Condition values."""

from __future__ import annotations

import re

from workbench.policy.condition_data import GLOBAL_KEY_NAMES, SPECIAL_VARIABLES
from workbench.policy.context import Context, did_you_mean
from workbench.policy.findings import show

_NAME = re.compile(r"[A-Za-z0-9._:/-]+")
_DEFAULT = re.compile(r"\s*'[^']*'\s*")


def check_variables(value: str, start: int, path: str, ctx: Context) -> None:
    """Check every `${...}` in a string whose JSON token starts at `start`."""
    index = value.find("${")
    while index != -1:
        offset = ctx.offset_in_string(start, value, index)
        if ctx.variable_start is None:
            ctx.variable_start, ctx.variable_path = offset, path
        close = value.find("}", index)
        if close == -1:
            ctx.report.error(
                "MISSING_BRACE_IN_VARIABLE",
                f"The policy variable at {show(value[index:], 30)} has no closing '}}'.",
                offset,
                path,
            )
            return
        _check_one(value[index + 2 : close], offset, path, ctx)
        index = value.find("${", close)


def _check_one(body: str, offset: int, path: str, ctx: Context) -> None:
    name, comma, default = body.partition(",")
    if not name.strip():
        ctx.report.error(
            "EMPTY_VARIABLE",
            "The policy variable ${} is empty; name a key inside it.",
            offset,
            path,
        )
        return
    if name in SPECIAL_VARIABLES:
        return
    if " " in name.strip() or (name != name.strip() and not comma):
        ctx.report.error(
            "UNSUPPORTED_SPACE_IN_VARIABLE",
            f"Remove the spaces inside ${{{body}}}.",
            offset,
            path,
        )
        return
    name = name.strip()
    if _NAME.fullmatch(name) is None or (comma and _DEFAULT.fullmatch(default) is None):
        ctx.report.error(
            "UNSUPPORTED_SYMBOL_IN_VARIABLE",
            f"${{{body}}} is not a valid policy variable; write ${{key}} or "
            "${key, 'default value'}.",
            offset,
            path,
        )
        return
    prefix, colon, _ = name.partition(":")
    if not colon:
        ctx.report.error(
            "INVALID_CONDITION_KEY_FORMAT",
            f"${{{name}}} must name a condition key such as ${{aws:username}}.",
            offset,
            path,
        )
        return
    if prefix.lower() == "aws" and ctx.catalogue.condition_type(name) is None:
        hint = did_you_mean(name, [key for key in GLOBAL_KEY_NAMES if not key.endswith("/")])
        ctx.report.error(
            "INVALID_GLOBAL_CONDITION_KEY",
            f"${{{name}}} is not an AWS global condition key, so it never resolves.{hint}",
            offset,
            path,
        )
