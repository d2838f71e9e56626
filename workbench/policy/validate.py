"""validate_policy: run every check on a policy's text and return sorted findings."""

from __future__ import annotations

import re

from workbench.domain.formatting import policy_size
from workbench.policy.context import Context
from workbench.policy.findings import Finding, PolicyKind, Severity, show
from workbench.policy.grammar import check_document
from workbench.policy.parse import Duplicate, JsonArray, JsonObject, JsonValue, parse_json
from workbench.policy.security import check_security

SIZE_LIMITS = {
    PolicyKind.INLINE_USER: 2048,
    PolicyKind.MANAGED: 6144,
    PolicyKind.SESSION: 2048,
}
_LIMIT_NAMES = {
    PolicyKind.INLINE_USER: "an IAM user's inline policies (all of them together)",
    PolicyKind.MANAGED: "a managed policy",
    PolicyKind.SESSION: "an STS session policy",
}
# IAM accepts tab, line feed, carriage return and U+0020..U+00FF in a policy document.
_UNSUPPORTED = re.compile(r"[^\t\n\r\x20-\xff]")
MAX_CHARACTER_FINDINGS = 5


def validate_policy(
    text: str, kind: PolicyKind = PolicyKind.INLINE_USER, *, reserved_chars: int = 0
) -> list[Finding]:
    """Check a policy document offline; never raises, always returns sorted findings.

    `reserved_chars` counts characters (excluding whitespace) the caller will add
    to the policy before sending it, such as the workbench's expiry guard.
    """
    try:
        return _validate(str(text), PolicyKind(kind), max(int(reserved_chars), 0))
    except Exception as error:  # the contract: report, never raise, into a keystroke handler
        return [
            Finding(
                Severity.WARNING,
                "VALIDATOR_FAILURE",
                f"The validator failed ({type(error).__name__}); this policy was only partly "
                "checked. Please report it.",
                1,
                1,
                "",
            )
        ]


def _validate(text: str, kind: PolicyKind, reserved: int) -> list[Finding]:
    ctx = Context(text, kind)
    _check_characters(ctx)
    _check_size(ctx, reserved)
    parsed = parse_json(text)
    if parsed.root is None:
        ctx.report.error(
            "JSON_SYNTAX_ERROR",
            f"JSON syntax: {parsed.error}.",
            parsed.error_offset,
            "",
        )
        return ctx.report.sorted()
    if parsed.duplicates:
        _report_duplicates(parsed.root, parsed.duplicates, ctx)
    statements = check_document(parsed.root, ctx)
    if ctx.catalogue.problem and statements:
        ctx.report.warning(
            "CATALOGUE_UNAVAILABLE",
            f"Actions and condition keys were not checked: {ctx.catalogue.problem}.",
            0,
            "",
        )
    check_security(statements, ctx)
    if ctx.variable_start is not None and ctx.version != "2012-10-17":
        ctx.report.warning(
            "POLICY_VARIABLE_WITH_OLD_VERSION",
            'Policy variables work only with "Version": "2012-10-17"; without it '
            "this one is matched as literal text.",
            ctx.variable_start,
            ctx.variable_path,
        )
    return ctx.report.sorted()


def _check_characters(ctx: Context) -> None:
    for count, match in enumerate(_UNSUPPORTED.finditer(ctx.text)):
        if count == MAX_CHARACTER_FINDINGS:
            break
        char = match.group()
        ctx.report.error(
            "UNSUPPORTED_CHARACTER",
            f"IAM accepts only Latin-1 characters (U+0020 to U+00FF, tab and newlines); "
            f"replace {show(char)} (U+{ord(char):04X}).",
            match.start(),
            "",
        )


def _check_size(ctx: Context, reserved: int) -> None:
    size = policy_size(ctx.text)
    limit = SIZE_LIMITS[ctx.kind]
    if size + reserved <= limit:
        return
    if reserved:
        counted = (
            f"{size:,} characters plus {reserved:,} the workbench adds (the expiry guard) "
            f"= {size + reserved:,}"
        )
    else:
        counted = f"{size:,} characters"
    advice = "use a managed policy (up to 6,144)" if limit < 6144 else "split it into two policies"
    ctx.report.error(
        "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA",
        f"The policy is {counted}, whitespace excluded; AWS allows {limit:,} for "
        f"{_LIMIT_NAMES[ctx.kind]}. Shorten it (wildcards, fewer statements) or {advice}.",
        0,
        "",
    )


def _paths(node: JsonValue, path: str, found: dict[int, str]) -> None:
    if isinstance(node, JsonObject):
        found[id(node)] = path
        for member in node.members:
            _paths(member.value, f"{path}.{member.key}" if path else member.key, found)
    elif isinstance(node, JsonArray):
        for index, item in enumerate(node.items):
            _paths(item, f"{path}[{index}]", found)


def _report_duplicates(root: JsonValue, duplicates: list[Duplicate], ctx: Context) -> None:
    paths: dict[int, str] = {}
    _paths(root, "", paths)
    for duplicate in duplicates:
        owner = paths.get(id(duplicate.owner), "")
        line, column = ctx.report.position(duplicate.first_start)
        ctx.report.error(
            "DUPLICATE_KEYS",
            f"{show(duplicate.key)} appears again in the same object (first at line {line}, "
            f"column {column}); only one would count. Merge them into one.",
            duplicate.key_start,
            f"{owner}.{duplicate.key}" if owner else duplicate.key,
        )
