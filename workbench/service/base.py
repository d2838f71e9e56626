"""The base every facade part shares: the context and the operator's name."""

from __future__ import annotations

from workbench.audit import AuditLog
from workbench.service.context import ServiceContext


class ServicePart:
    """A slice of the facade; the parts are combined in `Workbench`."""

    ctx: ServiceContext
    operator: str

    @property
    def audit(self) -> AuditLog:
        return self.ctx.audit
