"""What every service operation shares: the store, the audit log, AWS clients."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from workbench.audit import AuditLog
from workbench.aws import AwsClients, ClientSpec
from workbench.domain.errors import InvalidInput, NotFound
from workbench.domain.models import Engine, Role
from workbench.service.roles import check_name
from workbench.store import Repositories


class ServiceContext:
    """Shared by the facade and the worker: one store, one audit log, cached clients."""

    def __init__(
        self,
        store: Repositories,
        audit: AuditLog,
        *,
        operator: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.audit = audit
        self.operator = operator
        self.clock = clock
        self._clients: dict[ClientSpec, AwsClients] = {}
        self._lock = threading.Lock()
        self.processes = store.process_registry()

    def owner(self) -> str:
        """This process as the owner of a lease it issues or revokes."""
        return self.processes.owner()

    def owner_is_dead(self, owner: str | None) -> bool:
        """Whether the process that owns a lease has died (by the store's registry)."""
        return self.processes.is_dead(owner)

    def engine(self, name: str, *, enabled: bool = True) -> Engine:
        """The named engine, or NotFound with the way to make it."""
        check_name("engine", name)
        engine = self.store.engines.get(name)
        if engine is None:
            known = ", ".join(e.name for e in self.store.engines.list()) or "none"
            raise NotFound(
                f"engine {name!r} not found (engines: {known})",
                hint="enable_engine",
                hint_args={"engine": name},
            )
        if enabled and not engine.enabled:
            raise InvalidInput(
                f"engine {name!r} is disabled", hint="enable_engine", hint_args={"engine": name}
            )
        return engine

    def role(self, engine: str, name: str) -> Role:
        check_name("engine", engine)
        check_name("role", name)
        role = self.store.roles.get(engine, name)
        if role is None:
            raise NotFound(
                f"role {name!r} not found in engine {engine!r}",
                hint="list_roles",
                hint_args={"engine": engine},
            )
        return role

    def clients(self, engine: Engine) -> AwsClients:
        """The engine's shared clients; rebuilt only when its root config changes."""
        root = engine.root
        spec = ClientSpec(
            region=root.region,
            access_key=root.access_key,
            secret_key=root.secret_key,
            profile=root.profile,
            iam_endpoint=root.iam_endpoint,
            sts_endpoint=root.sts_endpoint,
            max_retries=root.max_retries,
        )
        with self._lock:
            clients = self._clients.get(spec)
            if clients is None:
                clients = self._clients[spec] = AwsClients(spec)
            return clients
