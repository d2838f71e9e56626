"""`workbench store copy`: move a store (SQLite to PostgreSQL, or between databases) whole.

Everything is read from the source unlocked and written to the target in
one transaction, every secret re-sealed under the target's own data key:
engines, roles, static roles, leases (live and ended, with their secrets),
and the audit history row for row, so `audit verify` holds on the target.
The target keeps the source's store id (IAM users are tagged with it, so
`reconcile` still knows them), its audit HMAC key (old HMACs still match a
secret) and its operators (each slot re-sealed to the new key: every
operator keeps their passphrase). A copy entry on both chains records the
source's head hash. File audit devices belong to one machine: not copied.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from workbench.audit import AuditLog
from workbench.audit.verify import HEAD_META_KEY
from workbench.domain.errors import Conflict, StoreCorrupted
from workbench.domain.models import Lease
from workbench.store import Repositories
from workbench.store.location import StoreLocation


@dataclass(frozen=True)
class CopyReport:
    """What was copied, and the source chain's head the target records."""

    source: str
    target: str
    engines: int
    roles: int
    static_roles: int
    leases: int
    audit_entries: int
    source_head: str


def copy_store(
    source_location: StoreLocation,
    target_location: StoreLocation,
    passphrase: str,
    *,
    operator: str | None = None,
) -> CopyReport:
    """Copy the store at `source_location` into an empty `target_location` (see module doc)."""
    if target_location.describe() == source_location.describe():
        raise Conflict("the source and the target are the same store; name another target")
    if target_location.exists():
        raise Conflict(
            f"{target_location.describe()} holds a store already; a copy only fills an empty "
            "one, so nothing there is overwritten: choose an empty database or folder"
        )
    source = source_location.open(passphrase, operator=operator)
    try:
        return _copy(source, target_location)
    finally:
        source.close()


def _copy(source: Repositories, target_location: StoreLocation) -> CopyReport:
    unreadable = source.leases.unreadable()
    if unreadable:
        raise StoreCorrupted(
            f"{len(unreadable)} lease row(s) of the source cannot be read (first: "
            f"{unreadable[0].lease_id}: {unreadable[0].error}); a copy would lose them: "
            "revoke or delete them first"
        )
    leases = _leases_with_secrets(source)
    engines = source.engines.list()
    roles = source.roles.list()
    static_roles = [
        sealed
        for listed in source.static_roles.list()
        if (sealed := source.static_roles.get(listed.engine, listed.name, secrets=True)) is not None
    ]
    slots = source.operators()
    source.check_slot_bindings(slots)
    source_log = AuditLog(source, operator=source.operator)
    head_seq, head_hash = source.audit.head()
    head_meta = source.get_meta(HEAD_META_KEY)
    # A throwaway slot creates the target; the source's operators replace it below.
    temporary = f"copy-{secrets.token_hex(6)}"
    target = target_location.create(secrets.token_urlsafe(24), operator=temporary)
    audit_entries = 0
    try:
        with target.transaction():
            for engine in engines:
                target.engines.put(engine)
            for role in roles:
                target.roles.put(role)
            for static in static_roles:
                target.static_roles.put(static)
            for lease in leases:
                target.leases.insert(lease)
            for row in source.audit.iterate():
                target.audit.insert(row)
                audit_entries += 1
            target.take_identity(
                store_id=source.store_id,
                hmac_key=source.hmac_key,
                slots=slots,
                meta={HEAD_META_KEY: head_meta} if head_meta else {},
            )
        target.refresh_statistics()
    except BaseException:
        target.close()
        raise
    report = CopyReport(
        source=source.describe(),
        target=target_location.describe(),
        engines=len(engines),
        roles=len(roles),
        static_roles=len(static_roles),
        leases=len(leases),
        audit_entries=audit_entries,
        source_head=head_hash,
    )
    data = {
        "from": report.source,
        "to": report.target,
        "source_head_seq": head_seq,
        "source_head": head_hash,
        "leases": report.leases,
        "audit_entries": report.audit_entries,
    }
    try:
        with AuditLog(target, operator=source.operator).operation("update", "sys/store/copy", data):
            pass
    finally:
        target.close()
    with source_log.operation("read", "sys/store/copy", data):
        pass
    return report


def _leases_with_secrets(source: Repositories) -> list[Lease]:
    """Every lease, live and ended, each with its secrets."""
    out = []
    for listed in source.leases.list(live_only=False):
        lease = source.leases.get(listed.lease_id, secrets=True)
        if lease is not None:
            out.append(lease)
    return out
