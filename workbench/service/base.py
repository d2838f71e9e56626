"""The base every facade part shares: the context, passed in."""

from __future__ import annotations

from workbench.audit import AuditLog
from workbench.service.context import ServiceContext


class ServicePart:
    """A part of the facade (`wb.engines`, `wb.roles`...), built on one shared context."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    @property
    def _audit(self) -> AuditLog:
        return self._ctx.audit
