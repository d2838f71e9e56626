"""Security warnings: broad grants, iam:PassRole, privilege escalation, credential exposure."""

from __future__ import annotations

import re

from workbench.policy.context import Context, Entry, Statement
from workbench.policy.findings import show

# Actions that on their own let a principal gain more than its policy grants
# (Rhino Security Labs' list, as used by policy_sentry and Cloudsplaining).
ESCALATION_ACTIONS = frozenset(
    {
        "iam:createaccesskey",
        "iam:createloginprofile",
        "iam:updateloginprofile",
        "iam:attachuserpolicy",
        "iam:attachgrouppolicy",
        "iam:attachrolepolicy",
        "iam:putuserpolicy",
        "iam:putgrouppolicy",
        "iam:putrolepolicy",
        "iam:createpolicyversion",
        "iam:setdefaultpolicyversion",
        "iam:updateassumerolepolicy",
        "iam:addusertogroup",
        "glue:updatedevendpoint",
        "lambda:updatefunctioncode",
    }
)

# Actions that, with iam:PassRole, run code under a role the holder chooses.
PASS_ROLE_PARTNERS = (
    "ec2:runinstances",
    "lambda:createfunction",
    "cloudformation:createstack",
    "glue:createdevendpoint",
    "datapipeline:createpipeline",
    "codestar:createproject",
    "sagemaker:createnotebookinstance",
    "ecs:runtask",
)

PASS_ROLE = "iam:passrole"
_SERVICE_STAR = re.compile(r"[^:*?]+:\*")


def _grants(entry: Entry, action: str) -> bool:
    return entry.grants is None or action in entry.grants


def _names(ctx: Context, actions: set[str] | frozenset[str], limit: int = 4) -> str:
    """AWS's spelling of lower-case action names, shortened to `limit`."""
    ordered = sorted(_spell(ctx, action) for action in actions)
    shown = ", ".join(ordered[:limit])
    return shown + (f" and {len(ordered) - limit} more" if len(ordered) > limit else "")


def _spell(ctx: Context, action: str) -> str:
    prefix, _, name = action.partition(":")
    service = ctx.catalogue.service(prefix)
    spelling = service.actions.get(name) if service is not None else None
    return f"{service.prefix}:{spelling}" if service is not None and spelling else action


def _is_star_resource(value: str) -> bool:
    return value == "*" or value.endswith((":*", ":role/*"))


def check_security(statements: list[Statement], ctx: Context) -> None:
    """Flag what an attacker holding these credentials could do beyond the obvious."""
    flagged: set[int] = set()  # ids of entries already reported as broad grants
    pass_role_entries: list[Entry] = []
    granted: set[str] = set()
    for statement in statements:
        if statement.effect != "Allow":
            continue
        _check_not_elements(statement, ctx)
        if statement.action_key != "Action":
            continue
        star = statement.resource_key == "Resource" and any(
            resource.value == "*" for resource in statement.resources
        )
        for entry in statement.actions:
            if star and entry.value == "*":
                flagged.add(id(entry))
                ctx.report.security(
                    "ALL_ACTIONS_ON_ALL_RESOURCES",
                    'Action "*" on Resource "*" grants full administrator access; list the '
                    "actions and resources this role needs.",
                    entry.start,
                    entry.path,
                )
            elif star and _SERVICE_STAR.fullmatch(entry.value):
                flagged.add(id(entry))
                ctx.report.security(
                    "SERVICE_WILDCARD_ON_ALL_RESOURCES",
                    f'{show(entry.value)} on Resource "*" grants every {entry.value[:-2]} '
                    "action on every resource; list the actions and resources needed.",
                    entry.start,
                    entry.path,
                )
            if entry.grants is not None:
                granted.update(entry.grants)
        _check_pass_role(statement, ctx, pass_role_entries)
        _check_escalation(statement, ctx, flagged)
        _check_exposure(statement, ctx, flagged)
    _check_combinations(pass_role_entries, granted, flagged, ctx)


def _check_not_elements(statement: Statement, ctx: Context) -> None:
    if statement.action_key == "NotAction":
        ctx.report.security(
            "ALLOW_WITH_NOT_ACTION",
            "Allow with NotAction grants every action not listed, including actions AWS adds "
            "later; list the allowed actions instead.",
            statement.action_key_start,
            f"{statement.path}.NotAction",
        )
    if statement.resource_key == "NotResource":
        ctx.report.security(
            "ALLOW_WITH_NOT_RESOURCE",
            "Allow with NotResource grants access to every resource not listed, including "
            "ones created later; list the allowed resources instead.",
            statement.resource_key_start,
            f"{statement.path}.NotResource",
        )


def _check_pass_role(statement: Statement, ctx: Context, pass_role_entries: list[Entry]) -> None:
    entries = [entry for entry in statement.actions if _grants(entry, PASS_ROLE)]
    if not entries:
        return
    pass_role_entries.extend(entry for entry in entries if entry.value != "*")
    if statement.resource_key == "NotResource":
        ctx.report.security(
            "PASS_ROLE_WITH_NOT_RESOURCE",
            "iam:PassRole with NotResource lets the holder pass almost any role to a service; "
            "list the role ARNs it may pass.",
            entries[0].start,
            entries[0].path,
        )
        return
    stars = [resource for resource in statement.resources if _is_star_resource(resource.value)]
    if not stars:
        return
    wildcard = next((entry for entry in entries if "*" in entry.value), None)
    if wildcard is not None:
        ctx.report.security(
            "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE",
            f"{show(wildcard.value)} includes iam:PassRole, and Resource {show(stars[0].value)} "
            "lets the holder pass any role, including admin roles, to a service. Grant "
            "iam:PassRole separately on the role ARNs needed.",
            wildcard.start,
            wildcard.path,
        )
    else:
        ctx.report.security(
            "PASS_ROLE_WITH_STAR_IN_RESOURCE",
            f"iam:PassRole on {show(stars[0].value)} lets the holder pass any role, including "
            "admin roles, to a service; list the role ARNs it may pass.",
            stars[0].start,
            stars[0].path,
        )


def _self_scoped(statement: Statement) -> bool:
    """True when every resource is the caller's own user (`...:user/${aws:username}`)."""
    return bool(statement.resources) and all(
        resource.value.endswith("user/${aws:username}") for resource in statement.resources
    )


def _check_escalation(statement: Statement, ctx: Context, flagged: set[int]) -> None:
    if statement.resource_key != "Resource" or _self_scoped(statement):
        return
    for entry in statement.actions:
        if id(entry) in flagged or entry.grants is None:
            continue
        escalations = entry.grants & ESCALATION_ACTIONS
        if escalations:
            ctx.report.security(
                "PRIVILEGE_ESCALATION",
                f"{show(entry.value)} grants {_names(ctx, escalations)}, which can give the holder "
                "more permissions than this policy (privilege escalation); scope Resource to "
                "the holder's own user or remove it.",
                entry.start,
                entry.path,
            )


def _check_exposure(statement: Statement, ctx: Context, flagged: set[int]) -> None:
    broad = statement.resource_key == "NotResource" or any(
        resource.value == "*" for resource in statement.resources
    )
    if not broad:
        return
    exposure = ctx.catalogue.credential_exposure
    for entry in statement.actions:
        if id(entry) in flagged or entry.grants is None:
            continue
        exposed = entry.grants & exposure - ESCALATION_ACTIONS
        if exposed:
            ctx.report.security(
                "CREDENTIALS_EXPOSURE",
                f"{show(entry.value)} grants {_names(ctx, exposed)} on every resource, which "
                "returns credentials or tokens; scope Resource to what is needed.",
                entry.start,
                entry.path,
            )


def _check_combinations(
    pass_role_entries: list[Entry], granted: set[str], flagged: set[int], ctx: Context
) -> None:
    partners = {action for action in PASS_ROLE_PARTNERS if action in granted}
    if not partners:
        return
    for entry in pass_role_entries:
        if id(entry) in flagged:
            continue
        ctx.report.security(
            "PRIVILEGE_ESCALATION_COMBINATION",
            f"iam:PassRole with {_names(ctx, partners)} lets the holder run code under a role of "
            "their choosing and use its permissions; restrict the roles iam:PassRole may pass "
            "(Resource) and add an iam:PassedToService condition.",
            entry.start,
            entry.path,
        )
