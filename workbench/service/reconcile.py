"""`reconcile`: match IAM users in the account to leases; report or delete strays."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workbench.aws import iam_user as aws_iam
from workbench.domain.errors import WorkbenchError
from workbench.domain.models import CredentialType, LeaseState
from workbench.domain.naming import template_prefix
from workbench.service.base import ServicePart


@dataclass
class IamUserView:
    """One IAM user the engine's template could have made, and its lease if any."""

    name: str
    path: str
    created: float
    lease_id: str | None = None
    lease_state: str | None = None

    @property
    def stray(self) -> bool:
        return self.lease_state is None or not LeaseState(self.lease_state).is_live


@dataclass
class ReconcileReport:
    engine: str
    users: list[IamUserView] = field(default_factory=list)
    missing_users: list[str] = field(default_factory=list)  # live leases whose user is gone
    deleted: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def strays(self) -> list[IamUserView]:
        return [user for user in self.users if user.stray]


def _created(user: dict[str, Any]) -> float:
    value = user.get("CreateDate")
    return value.timestamp() if isinstance(value, datetime) else 0.0


class ReconcileOps(ServicePart):
    """The no-orphans sweep, also behind the TUI's IAM view."""

    def iam_users(self, engine_name: str) -> ReconcileReport:
        """IAM users matching the engine's username template, each matched to its lease."""
        engine = self.ctx.engine(engine_name, enabled=False)
        prefix = template_prefix(engine.root.username_template)
        by_user = {
            lease.iam_user_name: lease
            for lease in self.ctx.store.leases.list(prefix=f"{engine.name}/", live_only=False)
            if lease.iam_user_name
        }
        report = ReconcileReport(engine=engine.name)
        seen: set[str] = set()
        for user in aws_iam.list_users(self.ctx.clients(engine), "/"):
            name = user["UserName"]
            if not name.startswith(prefix):
                continue
            seen.add(name)
            lease = by_user.get(name)
            report.users.append(
                IamUserView(
                    name=name,
                    path=user.get("Path", "/"),
                    created=_created(user),
                    lease_id=lease.lease_id if lease else None,
                    lease_state=lease.state.value if lease else None,
                )
            )
        for name, lease in by_user.items():
            if (
                lease.credential_type is CredentialType.IAM_USER
                and lease.state in {LeaseState.ACTIVE, LeaseState.PROPAGATING}
                and name not in seen
            ):
                report.missing_users.append(lease.lease_id)
        return report

    def reconcile(self, engine_name: str, *, delete: bool = False) -> ReconcileReport:
        """Report strays (and live leases whose user is gone); `delete` removes strays."""
        with self.audit.operation(
            "update" if delete else "read", f"{engine_name}/reconcile", {"delete": delete}
        ) as op:
            report = self.iam_users(engine_name)
            if delete:
                clients = self.ctx.clients(self.ctx.engine(engine_name, enabled=False))
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
