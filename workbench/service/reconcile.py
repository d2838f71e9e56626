"""`reconcile`: match IAM users in the account to leases; report or delete strays.

A user is the workbench's when it carries this store's tag (every user made
since tagging) or a lease records its name (users made before). The username
template is never used to decide: it may have changed since the users were
made, and a name pattern cannot tell our users from someone else's.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workbench.aws import iam_user as aws_iam
from workbench.aws.clients import AwsClients
from workbench.domain.errors import WorkbenchError
from workbench.domain.lifecycle import IN_SERVICE, LIVE
from workbench.domain.models import CredentialType, Lease, LeaseState, UnreadableLease
from workbench.domain.naming import LEASE_TAG, STORE_TAG
from workbench.service.base import ServicePart

TAG_LOOKUPS_AT_ONCE = 8


@dataclass
class IamUserView:
    """One IAM user the workbench made, and its lease if any."""

    name: str
    path: str
    created: float
    lease_id: str | None = None
    lease_state: str | None = None

    @property
    def stray(self) -> bool:
        """No live lease owns it (an unreadable lease's user is not called stray)."""
        if self.lease_state == UnreadableLease.state:
            return False
        return self.lease_state is None or LeaseState(self.lease_state) not in LIVE


@dataclass
class ReconcileReport:
    engine: str
    users: list[IamUserView] = field(default_factory=list)  # the ones this store made
    account_users: int = 0  # every IAM user in the account, whoever made it
    missing_users: list[str] = field(default_factory=list)  # live leases whose user is gone
    deleted: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    unreadable: list[UnreadableLease] = field(default_factory=list)

    @property
    def strays(self) -> list[IamUserView]:
        return [user for user in self.users if user.stray]


def _created(user: dict[str, Any]) -> float:
    value = user.get("CreateDate")
    return value.timestamp() if isinstance(value, datetime) else 0.0


class Iam(ServicePart):
    """The no-orphans sweep, also behind the TUI's IAM view."""

    _tag_cache: dict[tuple[str, float], dict[str, str]]

    def users(self, engine_name: str) -> ReconcileReport:
        """IAM users this store made in the engine's account, each matched to its lease."""
        engine = self._ctx.engine(engine_name, enabled=False)
        clients = self._ctx.clients(engine)
        leases = self._ctx.store.leases.list(prefix=f"{engine.name}/", live_only=False)
        # Live leases win over ended ones that happen to record the same name.
        by_user: dict[str, Lease] = {}
        for item in sorted(leases, key=lambda lease: lease.state in LIVE):
            if item.iam_user_name:
                by_user[item.iam_user_name] = item
        by_id = {lease.lease_id: lease for lease in leases}
        report = ReconcileReport(engine=engine.name)
        report.unreadable = self._ctx.store.leases.unreadable(prefix=f"{engine.name}/")
        unreadable_users = {
            bad.iam_user_name: bad for bad in report.unreadable if bad.iam_user_name
        }
        users = aws_iam.list_users(clients, "/")
        report.account_users = len(users)
        known = by_user.keys() | unreadable_users.keys()
        unknown = [user for user in users if user["UserName"] not in known]
        tags = self._tags_of(clients, unknown)
        seen: set[str] = set()
        for user in users:
            name = user["UserName"]
            lease = by_user.get(name)
            state = lease.state.value if lease else None
            if name in unreadable_users:
                bad = unreadable_users[name]
                lease_id: str | None = bad.lease_id
                state = bad.state
            elif lease is not None:
                lease_id = lease.lease_id
            else:
                user_tags = tags.get(name, {})
                if user_tags.get(STORE_TAG) != self._ctx.store.store_id:
                    continue  # not made by this store: never ours to judge
                lease_id = user_tags.get(LEASE_TAG)
                tagged = by_id.get(lease_id or "")
                state = tagged.state.value if tagged else None
            seen.add(name)
            report.users.append(
                IamUserView(
                    name=name,
                    path=user.get("Path", "/"),
                    created=_created(user),
                    lease_id=lease_id,
                    lease_state=state,
                )
            )
        for name, lease in by_user.items():
            if (
                lease.credential_type is CredentialType.IAM_USER
                and lease.state in IN_SERVICE
                and name not in seen
                and not aws_iam.user_exists(clients, name)  # listed a moment ago: check again
            ):
                report.missing_users.append(lease.lease_id)
        return report

    def _tags_of(
        self, clients: AwsClients, users: list[dict[str, Any]]
    ) -> dict[str, dict[str, str]]:
        """Each user's tags (ListUsers does not return them); cached by name and creation."""
        if not hasattr(self, "_tag_cache"):
            self._tag_cache = {}
        cache = self._tag_cache
        wanted = [u for u in users if (u["UserName"], _created(u)) not in cache]

        def lookup(user: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
            return user, aws_iam.user_tags(clients, user["UserName"])

        if wanted:
            workers = min(TAG_LOOKUPS_AT_ONCE, len(wanted))
            with ThreadPoolExecutor(workers, thread_name_prefix="tags") as pool:
                for user, found in pool.map(lookup, wanted):
                    cache[(user["UserName"], _created(user))] = found
        return {u["UserName"]: cache.get((u["UserName"], _created(u)), {}) for u in users}

    def reconcile(self, engine_name: str, *, delete: bool = False) -> ReconcileReport:
        """Report strays (and live leases whose user is gone); `delete` removes strays."""
        with self._audit.operation(
            "update" if delete else "read", f"{engine_name}/reconcile", {"delete": delete}
        ) as op:
            report = self.users(engine_name)
            if delete:
                clients = self._ctx.clients(self._ctx.engine(engine_name, enabled=False))
                for user in report.strays:
                    try:
                        aws_iam.delete_user(clients, user.name)
                        report.deleted.append(user.name)
                    except WorkbenchError as error:
                        report.errors[user.name] = str(error)
            op.respond(
                data={
                    "strays": [user.name for user in report.strays],
                    "missing_users": report.missing_users,
                    "deleted": report.deleted,
                }
            )
        return report
