"""Incident response: `workbench incident contain|report`, `workbench lease trail|find`."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import click

from workbench.cli.common import CliState, emit_json, emit_table, format_option, pass_state
from workbench.cli.engine_cmd import read_secret_from_stdin
from workbench.cli.lease_cmd import confirm_destructive, lease, lease_json
from workbench.domain.durations import parse_duration
from workbench.domain.errors import InvalidInput
from workbench.domain.formatting import iso_utc
from workbench.domain.trail import TRAIL_SCOPE, TrailEvent


@click.group()
def incident() -> None:
    """Incident response: contain everything under a prefix, and report the evidence."""


@incident.command("contain")
@click.argument("prefix")
@click.option("--yes", "-y", is_flag=True, help="Do not ask first.")
@format_option("table", "json")
@pass_state
def contain(state: CliState, prefix: str, yes: bool, fmt: str) -> int:
    """Stop every live credential under PREFIX, fastest first.

    Every iam_user key is made Inactive first (concurrently; AWS refuses it
    from then on), every live STS session is denied in AWS (a Deny * on its
    role or on the root user, scoped to that session), then every lease is
    revoked and cleaned up, and each iam_user key is probed until AWS refuses
    it. Safe to run again after a crash: it finishes what is left. Exit 1 if
    any credential could not be stopped.
    """
    service = state.service()
    plan = service.incident.plan(prefix)
    if plan:
        listed = ", ".join(f"{count} {kind}" for kind, count in plan.items())
        confirm_destructive(
            f"Contain {sum(plan.values())} live credential(s) under {prefix!r} ({listed}): "
            "deactivate keys, deny sessions, revoke all?",
            yes=yes,
        )
    result = service.incident.contain(prefix)
    if fmt == "json":
        emit_json(
            {
                "prefix": prefix,
                "seconds": round(result.seconds, 3),
                "results": [r.as_dict() for r in result.results],
                "unreadable": [bad.lease_id for bad in result.unreadable],
            }
        )
    else:
        emit_table(
            ["LEASE ID", "TYPE", "STATE", "KEY OFF", "AWS REFUSES", "WHAT WAS DONE"],
            [
                [
                    r.lease_id,
                    r.credential_type,
                    r.state,
                    f"{r.key_inactive_after:.2f} s" if r.key_inactive_after is not None else "-",
                    {True: "yes", False: "NO", None: "-"}[r.refused],
                    r.error or r.done,
                ]
                for r in result.results
            ],
        )
        click.echo(
            f"contained {len(result.results)} credential(s) under {prefix!r} "
            f"in {result.seconds:.1f} s"
        )
    for bad in result.unreadable:
        click.echo(f"warning: lease row {bad.lease_id} cannot be read: {bad.error}", err=True)
    return 0 if result.ok else 1


@incident.command("report")
@click.argument("prefix")
@click.option("--since", metavar="T", help="Only leases live or ended since T: 2h (ago) or ISO.")
@format_option("markdown", "json")
@pass_state
def report(state: CliState, prefix: str, since: str | None, fmt: str) -> None:
    """The evidence for every lease under PREFIX, live or ended.

    Who issued it and when, TTL, renewals, when and how it was revoked and
    whether AWS confirmed it dead, its CloudTrail summary with the flagged
    calls, the audit entries involved with their hashes, and the audit head
    hash (check it later with `workbench audit verify --head HASH`). The JSON
    follows the schema in workbench/service/incident_report.schema.json.
    """
    data = state.service().incident.report(prefix, since=_since(since))
    if fmt == "json":
        emit_json(data)
        return
    click.echo(markdown(data))


def _since(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        pass
    try:
        return time.time() - parse_duration(text, field="since")
    except InvalidInput:
        raise InvalidInput(
            f"{{field:since}} {text!r} is neither a duration (2h, 30m) nor an ISO time "
            "(2026-12-03T14:00:00Z)",
            field="since",
        ) from None


def markdown(data: dict[str, Any]) -> str:
    """The report for a ticket or a chat: one section per lease."""
    audit = data["audit"]
    lines = [
        f"# Incident report: {data['prefix']}",
        "",
        f"Generated {data['generated_at']} by {data['generated_by']}"
        + (f", leases since {data['since']}" if data["since"] else ""),
        f"Audit head: `{audit['head_hash']}` (seq {audit['head_seq']}, chain "
        f"{'verified' if audit['chain_ok'] else 'BROKEN'})",
        f"Trail: {data['trail_scope']}.",
        "",
        f"{len(data['leases'])} lease(s).",
    ]
    for item in data["leases"]:
        revocation = item["revocation"]
        trail = item["trail"]
        lines += [
            "",
            f"## {item['lease_id']}",
            "",
            f"- {item['credential_type']}, {item['state']}; issued {item['issue_time']} by "
            f"{item['issued_by'] or '?'}, TTL {item['ttl_seconds']} s, "
            f"{item['renewals']} renewal(s)",
            f"- access key {item['access_key_id'] or '-'}"
            + (f", IAM user {item['iam_user_name']}" if item["iam_user_name"] else "")
            + (f", session {item['session_name']}" if item["session_name"] else ""),
        ]
        if item["revoked_time"]:
            lines.append(
                f"- ended {item['revoked_time']}: {revocation['how'] or revocation['path'] or '-'}"
                + (
                    "; AWS refuses it (probed)"
                    if revocation["confirmed_dead"]
                    else "; not confirmed dead by AWS"
                )
            )
        if revocation["warning"]:
            lines.append(f"- **warning**: {revocation['warning']}")
        if "error" in trail:
            lines.append(f"- trail: not available ({trail['error']})")
        else:
            lines.append(f"- trail: {trail['calls']} call(s), {trail['errors']} refused or failed")
            for event in trail["flagged"]:
                lines.append(
                    f"  - **{', '.join(event['flags'])}**: {iso_utc(event['time'])} "
                    f"{event['service']}:{event['action']} -> {event['result']} "
                    f"from {event['source_ip']}"
                )
        lines.append(f"- audit entries: {', '.join(str(e['seq']) for e in item['audit_entries'])}")
    return "\n".join(lines)


# -- lease trail / lease find ------------------------------------------------------------


@lease.command("trail")
@click.argument("lease_id")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new calls until Ctrl+C.")
@format_option("table", "json")
@pass_state
def lease_trail(state: CliState, lease_id: str, follow: bool, fmt: str) -> None:
    """What LEASE_ID's credential did: its AWS calls from CloudTrail, oldest first.

    Looked up by access key id (and by IAM user or role session name, so a
    key an intruder made for the same user shows too). Flags persistence
    and escalation calls and bursts of AccessDenied. CloudTrail holds
    management events of the last 90 days, delivered about 15 minutes late;
    data events (S3 object reads...) are not in it.
    """
    service = state.service()
    events = service.incident.trail(lease_id)
    if fmt == "json" and not follow:
        emit_json(
            {"lease_id": lease_id, "scope": TRAIL_SCOPE, "events": [e.as_dict() for e in events]}
        )
        return
    seen = _print_events(events, set(), fmt, header=True)
    if not follow:
        if not events:
            click.echo(f"no calls found ({TRAIL_SCOPE})", err=True)
        return
    poll = service.incident.trail_poll_seconds(lease_id)
    try:
        while True:
            time.sleep(poll)
            events = service.incident.trail(lease_id, audited=False)  # the first read is
            seen = _print_events(events, seen, fmt, header=False)
    except KeyboardInterrupt:
        return


def _print_events(events: list[TrailEvent], seen: set[str], fmt: str, *, header: bool) -> set[str]:
    fresh = [e for e in events if e.event_id not in seen]
    if fmt == "json":
        for event in fresh:
            click.echo(json.dumps(event.as_dict(), sort_keys=True))
    elif header:
        emit_table(_TRAIL_HEADERS, [_trail_row(e) for e in fresh])
    else:
        for event in fresh:
            click.echo("  ".join(_trail_row(event)))
    return seen | {e.event_id for e in fresh}


_TRAIL_HEADERS = ["TIME", "SERVICE", "ACTION", "RESULT", "SOURCE IP", "USER AGENT", "FLAGS"]


def _trail_row(event: TrailEvent) -> list[str]:
    return [
        iso_utc(event.time),
        event.service,
        event.action,
        event.result,
        event.source_ip,
        event.user_agent[:40],
        ", ".join(event.flags),
    ]


@lease.command("find")
@click.option("--access-key", metavar="AKIA...", help="The leaked access key id.")
@click.option(
    "--secret",
    metavar="-",
    help="`-`: read the leaked secret key from stdin; matched by its audit HMAC, never stored.",
)
@format_option("table", "json")
@pass_state
def lease_find(state: CliState, access_key: str | None, secret: str | None, fmt: str) -> int:
    """Which lease a leaked credential is, from its access key id or its secret key.

    Exit 1 when no lease matches.
    """
    if secret is not None and secret != "-":
        raise click.UsageError(
            "--secret takes only `-` (the secret is read from stdin, never from the "
            "command line, where `ps` and shell history would keep it)"
        )
    if bool(access_key) == (secret is not None):
        raise click.UsageError("give --access-key KEY or --secret - (one of them)")
    service = state.service()
    secret_text = read_secret_from_stdin("the secret key") if secret is not None else None
    matches = service.incident.find(access_key=access_key, secret=secret_text)
    if fmt == "json":
        emit_json([lease_json(item) for item in matches])
    else:
        emit_table(
            ["LEASE ID", "TYPE", "STATE", "ACCESS KEY", "ISSUED"],
            [
                [
                    m.lease_id,
                    m.credential_type.value,
                    m.state.value,
                    m.access_key_id or "",
                    iso_utc(m.issue_time),
                ]
                for m in matches
            ],
        )
    if not matches:
        click.echo("no lease matches", err=True)
    return 0 if matches else 1
