"""Action and NotAction: known service prefixes, known actions, wildcards, redundancy."""

from __future__ import annotations

import re

from workbench.policy.context import Context, Entry, Statement, did_you_mean
from workbench.policy.findings import show

_WILDCARD = re.compile(r"[*?]")


def check_actions(statement: Statement, ctx: Context) -> None:
    """Check each action string and record which actions it grants."""
    for entry in statement.actions:
        _check_action(entry, ctx)
    _check_redundant(statement.actions, ctx)


def _check_action(entry: Entry, ctx: Context) -> None:
    value = entry.value
    if value == "*":
        entry.grants = None
        return
    entry.grants = frozenset()
    if "${" in value:
        ctx.report.error(
            "VARIABLE_UNSUPPORTED_IN_ELEMENT",
            f"Policy variables cannot be used in an action ({show(value)}); they work only in "
            "Resource and Condition values.",
            entry.start,
            entry.path,
        )
        return
    prefix, colon, name = value.partition(":")
    if not colon or not prefix or not name or ":" in name or " " in value:
        ctx.report.error(
            "INVALID_ACTION",
            f"{show(value)} is not an action; write service:ActionName, e.g. "
            '"s3:GetObject", or "*".',
            entry.start,
            entry.path,
        )
        return
    catalogue = ctx.catalogue
    if catalogue.problem:
        entry.grants = None
        return
    if _WILDCARD.search(prefix):
        _check_prefix_wildcard(entry, prefix, name, ctx)
        return
    service = catalogue.service(prefix)
    if service is None:
        hint = did_you_mean(prefix, catalogue.services)
        ctx.report.error(
            "INVALID_SERVICE_IN_ACTION",
            f"{show(prefix)} is not an AWS service prefix, so {show(value)} matches no "
            f"action.{hint}",
            entry.start,
            entry.path,
        )
        return
    if _WILDCARD.search(name):
        matched = catalogue.match_actions(service, name)
        if not matched:
            ctx.report.error(
                "INVALID_ACTION",
                f"{show(value)} matches no {service.prefix} action, so it grants nothing.",
                entry.start,
                entry.path,
            )
        entry.grants = frozenset(f"{service.prefix}:{action}".lower() for action in matched)
        return
    spelling = service.actions.get(name.lower())
    if spelling is None:
        close = did_you_mean(name, service.actions.values())
        hint = close.replace("'", f"'{service.prefix}:", 1) if close else ""
        ctx.report.error(
            "INVALID_ACTION",
            f"{service.prefix} has no action {show(name)} ({service.name}).{hint}",
            entry.start,
            entry.path,
        )
        return
    entry.grants = frozenset({f"{service.prefix}:{spelling}".lower()})


def _check_prefix_wildcard(entry: Entry, prefix: str, name: str, ctx: Context) -> None:
    catalogue = ctx.catalogue
    prefixes = catalogue.match_prefixes(prefix)
    if not prefixes:
        ctx.report.error(
            "INVALID_SERVICE_IN_ACTION",
            f"The service part {show(prefix)} matches no AWS service prefix.",
            entry.start,
            entry.path,
        )
        return
    grants: set[str] = set()
    for matched_prefix in prefixes:
        service = catalogue.services[matched_prefix]
        grants.update(
            f"{service.prefix}:{action}".lower()
            for action in catalogue.match_actions(service, name)
        )
    entry.grants = frozenset(grants)
    ctx.report.suggestion(
        "WILDCARD_IN_SERVICE_NAME",
        f"{show(entry.value)} uses a wildcard in the service name and matches "
        f"{len(prefixes)} services; name the services you mean.",
        entry.start,
        entry.path,
    )


def wildcard_matches(pattern: str, value: str, *, ignore_case: bool) -> bool:
    """IAM wildcard match: `*` any run of characters, `?` any one character."""
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.fullmatch("".join(parts), value, re.DOTALL) is not None


def redundant_entries(entries: list[Entry], *, ignore_case: bool) -> list[tuple[Entry, Entry]]:
    """Pairs (redundant, covering): entries that another entry of the list already covers."""
    found = []
    wildcards = {id(entry) for entry in entries if _WILDCARD.search(entry.value)}
    for index, entry in enumerate(entries):
        key = entry.value.lower() if ignore_case else entry.value
        for other_index, other in enumerate(entries):
            if other_index == index:
                continue
            other_key = other.value.lower() if ignore_case else other.value
            if other_key == key:
                if other_index < index:
                    found.append((entry, other))
                    break
                continue
            if id(other) in wildcards and wildcard_matches(
                other.value, entry.value, ignore_case=ignore_case
            ):
                found.append((entry, other))
                break
    return found


def _check_redundant(entries: list[Entry], ctx: Context) -> None:
    if len(entries) < 2:
        return
    for entry, other in redundant_entries(entries, ignore_case=True):
        if entry.grants is not None and not entry.grants:
            continue  # already reported as an invalid action
        ctx.report.suggestion(
            "REDUNDANT_ACTION",
            f"{show(entry.value)} is already covered by {show(other.value)}; remove it.",
            entry.start,
            entry.path,
        )
