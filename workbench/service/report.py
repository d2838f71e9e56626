"""`incident report PREFIX`: the evidence, as data with a stable schema.

Every lease under the prefix, live or ended: who issued it and when, its
TTL and renewals, when and how it was revoked and whether AWS confirmed it
dead, its trail summary with the flagged calls, the audit entries that
concern it with their hashes, and the audit chain's head, so the report
can be checked against the store later (`audit verify --head HASH`). The
schema is `workbench/service/incident_report.schema.json`.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from workbench.audit import lease_of
from workbench.domain.errors import WorkbenchError
from workbench.domain.formatting import iso_utc
from workbench.domain.lifecycle import LIVE
from workbench.domain.models import AuditRecord, Lease
from workbench.domain.trail import TRAIL_SCOPE, summary
from workbench.service.context import ServiceContext
from workbench.service.cutoff import describe
from workbench.service.incident import Incident

SCHEMA_ID = "lease-workbench/incident-report/1"


def schema() -> dict[str, Any]:
    """The JSON Schema the report's JSON follows."""
    text = resources.files("workbench.service").joinpath("incident_report.schema.json")
    loaded: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return loaded


def build_report(
    ctx: ServiceContext, incident: Incident, prefix: str, *, since: float | None = None
) -> dict[str, Any]:
    with ctx.audit.operation("read", f"sys/incident/report/{prefix}", {"prefix": prefix}) as op:
        leases = [
            lease
            for lease in ctx.store.leases.list(prefix=prefix, live_only=False)
            if since is None or lease.state in LIVE or lease.updated_time >= since
        ]
        wanted = {lease.lease_id for lease in leases}
        entries: dict[str, list[AuditRecord]] = {lease_id: [] for lease_id in wanted}
        for record in ctx.audit.entries():
            lease_id = lease_of(record.entry)
            if lease_id in wanted:
                entries[lease_id].append(record)
        verified = ctx.audit.verify()
        report = {
            "schema": SCHEMA_ID,
            "prefix": prefix,
            "since": iso_utc(since) if since is not None else None,
            "generated_at": iso_utc(ctx.clock()),
            "generated_by": ctx.operator,
            "trail_scope": TRAIL_SCOPE,
            "audit": {
                "head_hash": verified.head_hash,
                "head_seq": verified.head_seq,
                "chain_ok": verified.ok,
            },
            "leases": [_lease(incident, lease, entries[lease.lease_id]) for lease in leases],
        }
        op.respond(data={"leases": len(leases)})
    return report


def _lease(incident: Incident, lease: Lease, records: list[AuditRecord]) -> dict[str, Any]:
    issued = next(
        (
            r
            for r in records
            if r.entry.get("type") == "response"
            and "/leases/" not in r.entry["request"]["path"]
            and not r.entry.get("error")
        ),
        None,
    )
    renewals = sum(
        1
        for r in records
        if r.entry.get("type") == "response"
        and r.entry["request"]["path"] == "sys/leases/renew"
        and not r.entry.get("error")
    )
    record = lease.revocation or {}
    probe = record.get("probe") or {}
    ended = lease.state not in LIVE
    try:
        trail: dict[str, Any] = summary(incident.trail_of(lease))
    except WorkbenchError as error:
        trail = {"error": str(error)}
    return {
        "lease_id": lease.lease_id,
        "engine": lease.engine,
        "role": lease.role,
        "credential_type": lease.credential_type.value,
        "state": lease.state.value,
        "access_key_id": lease.access_key_id,
        "iam_user_name": lease.iam_user_name,
        "session_name": lease.session_name,
        "issued_by": (issued.entry.get("auth") or {}).get("display_name") if issued else None,
        "issue_time": iso_utc(lease.issue_time),
        "ttl_seconds": lease.lease_duration,
        "expire_time": iso_utc(lease.expire_time),
        "renewals": renewals,
        "revoked_time": iso_utc(lease.updated_time) if ended else None,
        "revocation": {
            "how": describe(record) or None,
            "path": record.get("path"),
            "confirmed_dead": probe.get("refused") if probe else None,
            "warning": record.get("warning") or probe.get("warning"),
        },
        "trail": trail,
        "audit_entries": [
            {
                "seq": r.seq,
                "time": iso_utc(r.time),
                "type": r.entry.get("type"),
                "path": r.entry["request"]["path"],
                "operation": r.entry["request"]["operation"],
                "error": r.entry.get("error") or None,
                "hash": r.hash,
            }
            for r in records
        ],
    }
