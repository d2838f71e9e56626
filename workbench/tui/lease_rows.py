"""The lease table's rows worked out from a lease list: filtered, sorted, indexed.

Pure functions, so the lease pane's loader can do the work in its thread: at
10,000 leases the dict, the sort and the index cost 10-20 ms, and the UI thread
then only swaps them in (the store can change every second).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from workbench.domain.models import Lease, LeaseState

STATE_ORDER = {state: index for index, state in enumerate(LeaseState)}

SORT_KEYS: dict[str, Callable[[Lease], Any]] = {
    "lease_id": lambda lease: lease.lease_id,
    "engine": lambda lease: (lease.engine, lease.lease_id),
    "role": lambda lease: (lease.role, lease.expire_time),
    "credential_type": lambda lease: (lease.credential_type.value, lease.expire_time),
    "access_key_id": lambda lease: lease.access_key_id or "",
    "issue_time": lambda lease: lease.issue_time,
    "issued_by": lambda lease: (lease.issued_by or "", lease.expire_time),
    "expire_time": lambda lease: lease.expire_time,
    "state": lambda lease: (STATE_ORDER[lease.state], lease.expire_time),
}


class View(NamedTuple):
    """How the table shows its leases: the filter typed (lower case) and the sort."""

    filter_text: str = ""
    sort_column: str = "expire_time"
    sort_reverse: bool = False


@dataclass(frozen=True)
class Rows:
    """Leases by id, and the ones `view` shows in order with their positions."""

    leases: dict[str, Lease]
    view: View
    shown: list[Lease]
    positions: dict[str, int]
    search: dict[str, str] | None  # each lease's search text, made when a filter needs it
    ids: frozenset[str]  # the leases' ids, for the activity graph's comparison


def search_text(lease: Lease) -> str:
    return " ".join(
        (
            lease.lease_id,
            lease.role,
            lease.credential_type.value,
            lease.state.value,
            lease.access_key_id or "",
            lease.issued_by or "",
        )
    ).lower()


def arrange(leases: dict[str, Lease], view: View, search: dict[str, str] | None = None) -> Rows:
    """The rows `view` shows of `leases` (`search`: their search texts, if already made)."""
    words = view.filter_text.split()
    chosen: Iterable[Lease] = leases.values()
    if words:
        if search is None:
            search = {key: search_text(lease) for key, lease in leases.items()}
        texts = search
        chosen = [lease for lease in chosen if all(word in texts[lease.lease_id] for word in words)]
    shown = sorted(chosen, key=SORT_KEYS[view.sort_column], reverse=view.sort_reverse)
    positions = {lease.lease_id: index for index, lease in enumerate(shown)}
    return Rows(leases, view, shown, positions, search, frozenset(leases))


def rows_of(
    leases: Iterable[Lease], view: View, previous: Mapping[str, Lease] | None = None
) -> Rows:
    """`arrange` for a fresh lease list (a load).

    A lease equal to its copy in `previous` (the snapshot shown) is replaced by that
    copy, so when the table drops the old snapshot only what changed is freed: freeing
    10,000 leases is 3-5 ms of the UI thread, at every reload.
    """
    known: Mapping[str, Lease] = previous or {}
    by_id: dict[str, Lease] = {}
    for lease in leases:
        old = known.get(lease.lease_id)
        by_id[lease.lease_id] = old if old == lease else lease
    return arrange(by_id, view)
